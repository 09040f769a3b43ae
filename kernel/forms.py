"""Form plumbing that applies kernel/text.py's rules to what people type in the admin.

``CheckedInputForm`` (a mixin for any form; ``ScopedAdmin`` adds it to every model form and inline): before the
fields clean their values, a one-line text field (names, addresses, codes, identifiers) with a control or invisible
formatting character, and any other field (numbers, dates, choices, ids) written with a character that is not
allowed there or with digits other than 0-9 (``int()`` and ``Decimal()`` read "٣٠٠" and "３００") gets the error
naming the character. ``NoteField`` is multi-line free text, normalised instead (``normalise_note``); file fields
and fields a form disables are left alone. NUL is left to Django's own validator, reported once.
"""

from django import forms

from kernel.text import input_problem, normalise_note, text_problem


class NoteField(forms.CharField):
    """Multi-line free text (a note, a comment, a reason): line breaks as ``\\n``, invisible characters removed."""

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_note(value).strip() if value else value


def field_problem(field: forms.Field, raw, *, code: bool = False) -> str | None:
    """Why the raw value sent for ``field`` is refused by the rules, or None. A text field that is a ``code`` (a
    period, an identifier) takes the digits 0-9 only as well."""
    if isinstance(field, (NoteField, forms.FileField)) or not isinstance(raw, (str, list, tuple)):
        return None
    values = [raw] if isinstance(raw, str) else [value for value in raw if isinstance(value, str)]
    text_field = isinstance(field, forms.CharField) and not code
    multiline = text_field and isinstance(field.widget, forms.Textarea)
    for value in values:
        value = value.replace("\x00", "")
        if multiline:  # a model's text field edited as it is: its line breaks and tabs are text
            value = value.replace("\r", "").replace("\n", "").replace("\t", "")
        problem = text_problem(value) if text_field else input_problem(value)
        if problem:
            return problem
    return None


class CheckedInputForm:
    """Mixin for ``forms.Form`` and ``forms.ModelForm``: see the module's docstring."""

    # Text fields that are codes (a period, an identifier): the digits 0-9 only, as numbers and dates.
    code_fields: tuple[str, ...] = ()

    def _clean_fields(self):
        # Django's own step (private, but the one place between the raw data and the fields' values): the raw values
        # are looked at before the fields clean them (``int()`` would turn "٣" into 3 and the form's ``clean`` would
        # see it); the refusal then replaces whatever the field said. tests/*/test_forged_text.py notice a change.
        refused = {}
        for name, bound in self._bound_items():
            problem = field_problem(bound.field, bound.data, code=name in self.code_fields)
            if not bound.field.disabled and problem:
                refused[name] = problem
        super()._clean_fields()
        for name, problem in refused.items():
            self._errors.pop(name, None)
            self.add_error(name, problem)


def checked(form_class: type[forms.BaseForm]) -> type[forms.BaseForm]:
    """``form_class`` with ``CheckedInputForm`` mixed in (itself when it has it)."""
    if issubclass(form_class, CheckedInputForm):
        return form_class
    return type(form_class.__name__, (CheckedInputForm, form_class), {"__module__": form_class.__module__})
