"""Serializer fields that take JSON as it is written and apply kernel/text.py's rules to what API clients send.

- Text fields take a string only: DRF's ``CharField`` turns a number into its digits (``{"note": 5}`` was stored as
  the note "5", though the schema says a string: schemathesis' ST201, data outside the schema accepted). Anything
  else is a 400 on that field ("Måste vara text (en JSON-sträng)."). Output fields are unaffected.
- ``TextField``: one line (a name, a code, an id): a control or invisible formatting character is a 400 naming it;
  with ``code=True`` also a digit other than 0-9.
- ``NoteField``: multi-line free text (notes, comments, reasons): normalised (``normalise_note``); text of nothing
  but such characters is blank.
- ``IntegerField``, ``DateField``: DRF reads "٣" as 3 (``int()``) and "٢٠٢٦-٠١-٠١" as a date (Django's
  ``parse_date``); these take the digits 0-9 only.

NUL is left to DRF's own validator ("Null-tecken är inte tillåtna."), so that it is reported once.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kernel.text import digits_problem, forbidden_character, input_problem, normalise_note, text_problem


def _refuse_invisible(value: str) -> None:
    if forbidden_character(value.replace("\x00", "")) is not None:
        raise serializers.ValidationError(text_problem(value.replace("\x00", "")))


def _refuse_foreign_digits(value: str) -> None:
    if problem := digits_problem(value):
        raise serializers.ValidationError(problem)


class _StringOnly(serializers.CharField):
    default_error_messages = {"not_text": _("Must be text (a JSON string).")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class TextField(_StringOnly):
    def __init__(self, *, code: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_refuse_invisible)
        if code:
            self.validators.append(_refuse_foreign_digits)


class NoteField(_StringOnly):
    def to_internal_value(self, data):
        value = normalise_note(super().to_internal_value(data))
        if self.trim_whitespace:
            value = value.strip()
        if value == "" and not self.allow_blank:
            self.fail("blank")
        return value


class _AsciiDigits:
    def to_internal_value(self, data):
        if isinstance(data, str) and (problem := input_problem(data)):
            raise serializers.ValidationError(problem)
        return super().to_internal_value(data)


class IntegerField(_AsciiDigits, serializers.IntegerField):
    pass


class DateField(_AsciiDigits, serializers.DateField):
    pass


class WholeIdField(IntegerField):
    """An id as JSON writes a whole number: text ("12"), a fraction (12.5) and a boolean are refused, as the
    schema's integer says, and so is a number past the ids' 64-bit range (never a database error). The bulk
    operations' ids (billing.api's invoices, disputes.api's cases)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)
