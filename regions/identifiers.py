"""Identifiers of organisations: organisationsnummer, HSA-id and län codes. Pure functions, no ORM."""

import re

from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import orgnr

from kernel.text import input_problem

HSA_ID_MAX_LENGTH = 31
_HSA_ID = re.compile(r"^SE(?P<orgnr>\d{10})-[A-Za-z0-9]+\Z", re.ASCII)
_LAN_CODE = re.compile(r"^\d{2}\Z", re.ASCII)


class IdentifierError(ValueError):
    """An identifier that is malformed; the message says what is wrong, in plain words."""


def _plain(value: str) -> str:
    """The stripped text of an identifier, refused when it has a control or invisible formatting character or a
    digit other than 0-9 (``str.isdigit`` says yes to "٣", so each rule below would otherwise say something
    misleading, such as a wrong check digit). See kernel/text.py."""
    text = (value or "").strip()
    if problem := input_problem(text):
        raise IdentifierError(problem)
    return text


def normalize_org_number(value: str) -> str:
    """Validate a Swedish organisationsnummer and return its 10 digits (``2321000016``)."""
    text = _plain(value)
    try:
        return orgnr.validate(text)
    except StdnumError:
        compact = orgnr.compact(text) if text else ""
        if not compact.isdigit() or len(compact) != 10:
            raise IdentifierError(
                _("Organisation number must have 10 digits (NNNNNN-NNNN), got %(value)r.") % {"value": text}
            ) from None
        raise IdentifierError(_("Organisation number %(value)r has a wrong check digit.") % {"value": text}) from None


def format_org_number(digits: str) -> str:
    """``2321000016`` → ``232100-0016``; blank stays blank."""
    return orgnr.format(digits) if digits else ""


def normalize_bankgiro(value: str) -> str:
    """Validate a bankgiro number (7 or 8 digits, the last a Luhn check digit, written with or without the hyphen
    before the last four) and return it as written on invoices: ``NNN-NNNN`` or ``NNNN-NNNN``."""
    text = _plain(value)
    digits = text.replace("-", "").replace(" ", "")
    if not re.fullmatch(r"[0-9]{7,8}", digits):
        raise IdentifierError(
            _("Bankgiro number must have 7 or 8 digits (NNNN-NNNN), got %(value)r.") % {"value": text}
        )
    if not luhn.is_valid(digits):
        raise IdentifierError(_("Bankgiro number %(value)r has a wrong check digit.") % {"value": text})
    return f"{digits[:-4]}-{digits[-4:]}"


def normalize_postal_code(value: str) -> str:
    """A Swedish postal code, five digits, returned as written on letters: ``611 88``."""
    text = _plain(value)
    digits = text.replace(" ", "")
    if not re.fullmatch(r"[0-9]{5}", digits):
        raise IdentifierError(_("Postal code must have 5 digits (NNN NN), got %(value)r.") % {"value": text})
    return f"{digits[:3]} {digits[3:]}"


def normalize_hsa_id(value: str) -> str:
    """Validate an HSA-id: ``SE`` + 10-digit organisation number + ``-`` + letters/digits, ≤ 31 chars."""
    text = _plain(value)
    upper = text.upper()
    if len(upper) > HSA_ID_MAX_LENGTH:
        raise IdentifierError(
            _("HSA-id may have at most %(max)d characters, got %(length)d.")
            % {"max": HSA_ID_MAX_LENGTH, "length": len(upper)}
        )
    match = _HSA_ID.match(upper)
    if not match:
        raise IdentifierError(
            _(
                "HSA-id must look like SE2321000016-A65H (SE, 10-digit organisation number, '-', "
                "letters or digits), got %(value)r."
            )
            % {"value": text}
        )
    if not luhn.is_valid(match["orgnr"]):
        raise IdentifierError(
            _("HSA-id %(value)r does not contain a valid organisation number (check digit).") % {"value": text}
        )
    return upper


def validate_lan_code(value: str) -> str:
    text = _plain(value)
    if not _LAN_CODE.match(text):
        raise IdentifierError(
            _("Region must be given as its two-digit län code (e.g. '04'), got %(value)r.") % {"value": text}
        )
    return text
