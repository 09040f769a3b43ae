"""Swedish personal identity numbers: personnummer and samordningsnummer. Pure functions, no ORM.

Runs for every contact of a bulk upload, so the happy path is kept lean: one precompiled regex, the Luhn
checksum, one ``datetime.date`` construction and no exceptions.
"""

import datetime
import re
from typing import NamedTuple

from django.utils.translation import gettext as _

COORDINATION_DAY_OFFSET = 60
FULLY_MASKED = "********-****"
# What replaces an identity number once its retention period is over (contacts.retention): this prefix and 20
# upper-case hex digits of a keyed hash. Never a valid personnummer (letters), never reversible; shown masked as
# the prefix alone.
PSEUDONYM_PREFIX = "PSEUDO-"
PSEUDONYM_LENGTH = len(PSEUDONYM_PREFIX) + 20
PSEUDONYM_MASKED = PSEUDONYM_PREFIX + "****"

# Optional century, YYMMDD, optional '-' or '+' separator, NNNC. ASCII digits only (re.ASCII), whole string.
_PERSONAL_IDENTITY = re.compile(r"(\d\d)?(\d\d)(\d\d)(\d\d)([-+]?)(\d\d\d\d)", re.ASCII)


# Luhn over the ten digits YYMMDDNNNC: the digits at even offsets are doubled (digit sum of the product).
# Written out rather than calling stdnum.luhn (4 µs a call, a fifth of a contact's validation); the tests
# check it against stdnum for every generated number.
_DOUBLED = {str(d): (2 * d) // 10 + (2 * d) % 10 for d in range(10)}
_SINGLE = {str(d): d for d in range(10)}


def luhn_valid(digits: str) -> bool:
    """True if the ten ASCII digits pass the Luhn check."""
    doubled = _DOUBLED
    single = _SINGLE
    total = (
        doubled[digits[0]]
        + single[digits[1]]
        + doubled[digits[2]]
        + single[digits[3]]
        + doubled[digits[4]]
        + single[digits[5]]
        + doubled[digits[6]]
        + single[digits[7]]
        + doubled[digits[8]]
        + single[digits[9]]
    )
    return total % 10 == 0


class PersonalIdentityError(ValueError):
    """A personal identity number that is not valid; the message never contains the number's last four digits."""


class PersonalIdentity(NamedTuple):
    number: str  # 12 digits, no separator; a samordningsnummer keeps its day + 60
    birth_date: datetime.date  # the real date of birth (day − 60 for a samordningsnummer)
    sex: str  # "F" or "M", from the 9th digit of the 10-digit form
    coordination: bool  # True for a samordningsnummer

    @property
    def masked(self) -> str:
        return mask_personal_identity(self.number)


def is_pseudonym(value: str) -> bool:
    """Whether a stored identity is a pseudonym (its number removed after the retention period)."""
    return isinstance(value, str) and value.startswith(PSEUDONYM_PREFIX)


def mask_personal_identity(number: str) -> str:
    """``198503122387`` → ``19850312-****``; a pseudonym → ``PSEUDO-****``; anything else is masked completely."""
    if isinstance(number, str) and len(number) == 12 and number.isascii() and number.isdecimal():
        return number[:8] + "-****"
    if is_pseudonym(number):
        return PSEUDONYM_MASKED
    return FULLY_MASKED


def parse_personal_identity(
    value: str, *, today: datetime.date, contact_date: datetime.date | None = None
) -> PersonalIdentity:
    """Validate a personnummer or samordningsnummer (10 or 12 digits, optional '-' or '+' before the last four).

    The reference date is ``contact_date`` (the contact's Stockholm date) when given, else ``today`` (the Stockholm
    date, passed in by the caller). A 10-digit number written with '-' or no separator gets the latest birth date on
    or before the reference date. '+' is written from the year the person turns 100 (DOMAIN.md), so with '+' the
    birth year is the latest year ending in YY that is at most the reference year − 100. A birth date after the
    reference date is refused: born after the contact, or in the future.
    """
    match = _PERSONAL_IDENTITY.fullmatch((value or "").strip())
    if match is None:
        raise PersonalIdentityError(
            _("Personal identity number must have 10 or 12 digits, written as YYYYMMDD-NNNC or YYMMDD-NNNC.")
        )
    century, yy, mm, dd, separator, last_four = match.groups()
    reference = contact_date or today
    month = int(mm)
    day = int(dd)
    coordination = day > COORDINATION_DAY_OFFSET
    if coordination:
        day -= COORDINATION_DAY_OFFSET
    if century is None:
        if separator == "+":
            # 100 or older in the reference year: the latest year ending in YY not after reference year − 100.
            hundred_years_before = reference.year - 100
            year = hundred_years_before - (hundred_years_before - int(yy)) % 100
        else:
            # The latest year ending in YY that is not after the reference year, a century earlier if that
            # birthday is still to come.
            year = reference.year - (reference.year - int(yy)) % 100
            if year == reference.year and (month, day) > (reference.month, reference.day):
                year -= 100
        number = f"{year:04d}{mm}{dd}{last_four}"
    else:
        year = int(century + yy)
        number = f"{century}{yy}{mm}{dd}{last_four}"

    if not luhn_valid(number[2:]):
        raise PersonalIdentityError(
            _("Personal identity number %(number)s has a wrong check digit.")
            % {"number": mask_personal_identity(number)}
        )
    try:
        birth_date = datetime.date(year, month, day)
    except ValueError:
        raise PersonalIdentityError(
            _(
                "Personal identity number %(number)s does not contain a real date of birth "
                "(YYYYMMDD; a samordningsnummer has the day of month + 60)."
            )
            % {"number": mask_personal_identity(number)}
        ) from None
    if birth_date > reference:
        if contact_date is not None:
            raise PersonalIdentityError(
                _(
                    "Personal identity number %(number)s has a date of birth (%(birth_date)s) after the contact's "
                    "date (%(contact_date)s)."
                )
                % {
                    "number": mask_personal_identity(number),
                    "birth_date": birth_date.isoformat(),
                    "contact_date": contact_date.isoformat(),
                }
            )
        raise PersonalIdentityError(
            _("Personal identity number %(number)s has a date of birth in the future (%(birth_date)s).")
            % {"number": mask_personal_identity(number), "birth_date": birth_date.isoformat()}
        )
    return PersonalIdentity(
        number=number,
        birth_date=birth_date,
        sex="M" if last_four[2] in "13579" else "F",
        coordination=coordination,
    )


# The identity kinds' OIDs (Inera's patientIdentity/root; the national identifier OIDs).
PERSONNUMMER_OID = "1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER_OID = "1.2.752.129.2.1.3.3"


def is_coordination_number(number: str) -> bool:
    """Whether a stored 12-digit number is a samordningsnummer: its day of month has 60 added (DOMAIN.md)."""
    return len(number) == 12 and number.isascii() and number.isdecimal() and int(number[6:8]) > COORDINATION_DAY_OFFSET


def identity_oid(number: str) -> str:
    """The OID of a stored 12-digit number's kind: personnummer or samordningsnummer (the personnummer's for a
    pseudonym, whose kind is no longer known)."""
    return SAMORDNINGSNUMMER_OID if is_coordination_number(number) else PERSONNUMMER_OID


def iso5218_sex(number: str) -> str:
    """ISO/IEC 5218 sex from a stored 12-digit number's second-last digit (odd: 1 male, even: 2 female), as
    Skatteverket assigns it; "0" (not known) when the number is not 12 ASCII digits."""
    if len(number) != 12 or not number.isascii() or not number.isdecimal():
        return "0"
    return "1" if int(number[10]) % 2 else "2"
