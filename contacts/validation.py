"""Validation of one contact item, as the API, the bulk API and the CSV upload receive it.

Plain Python over plain values (the reference data arrives as a ``References`` snapshot), fast enough to
run per item in bulk uploads. Errors come back as ``{"field": ["message", ...]}`` and never contain a full
personal identity number.
"""

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from contacts.identifiers import PersonalIdentityError, parse_personal_identity
from contacts.models import Content, Mode
from kernel.business_time import STOCKHOLM
from kernel.money import to_money
from kernel.text import input_problem
from regions import identifiers

INPUT_FIELDS = (
    "external_id",
    "provider",
    "patient_id",
    "home_region",
    "profession",
    "started_at",
    "mode",
    "strong_authentication",
    "triage",
    "documented",
    "content",
    "patient_fee",
    "listing_unit",
    "care_unit",
)
# Output fields a client may send back unchanged (e.g. a contact it read); they are ignored.
IGNORED_FIELDS = frozenset(
    {"id", "billing_region", "status", "reasons", "recommendation", "rate", "amount", "invoice", "criteria"}
)
REQUIRED_FIELDS = tuple(f for f in INPUT_FIELDS if f not in {"provider", "listing_unit", "care_unit"})
# Optional input fields added to API.md's contract since (README, API: additions). Kept apart from ``INPUT_FIELDS``,
# the contract as published, so that its order and the CSV template's header stay as clients know them.
ADDED_INPUT_FIELDS = ("home_municipality",)
ACCEPTED_FIELDS = (*INPUT_FIELDS, *ADDED_INPUT_FIELDS)
# Every field an item may hold, as a set: one look-up per key (an item's keys are checked against it in one step).
_KNOWN_FIELDS = frozenset(ACCEPTED_FIELDS) | IGNORED_FIELDS

MODES = frozenset(Mode.values)
CONTENTS = frozenset(Content.values)
MAX_FEE = Decimal("99999.99")
# A client clock a little ahead of ours is not a contact in the future.
CLOCK_SKEW = dt.timedelta(minutes=5)
_TRUE_TEXT = frozenset({"true", "1", "ja", "yes", "sant"})
_FALSE_TEXT = frozenset({"false", "0", "nej", "no", "falskt"})
# An amount in a CSV file as a spreadsheet writes it: kronor, optionally grouped by three with a space (also the
# non-breaking and narrow no-break spaces Swedish Excel and Python's locale use), then a decimal comma or point
# and öre; optionally followed by "kr" (a currency-formatted cell).
_GROUP_SPACE = re.compile("[ \u00a0\u202f]")
_SHEET_AMOUNT = re.compile(r"([+-]?)([0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:[.,]([0-9]+))?")
_KRONOR_SUFFIX = re.compile(r"\s*kr\.?$", re.IGNORECASE)
# An amount sent as JSON text: optional sign, ASCII digits, optionally a decimal point and digits ("100.00").
_TEXT_AMOUNT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
# A kommun code (SCB's kommunkod): four ASCII digits, the first two the län's code.
_MUNICIPALITY = re.compile(r"[0-9]{4}", re.ASCII)


@dataclass(frozen=True, slots=True)
class ProviderRef:
    id: int
    hsa_id: str
    region: str
    # The last day the provider's contract covers (None: in force); contacts dated after it are refused.
    ended_on: dt.date | None = None


@dataclass(frozen=True)
class References:
    """The reference data validation needs, loaded once per request."""

    providers: dict[str, ProviderRef]  # by HSA-id, only those the caller may report for
    regions: frozenset[str]
    professions: dict[str, str | None]  # code → rate category (None: not licensed)
    own_provider: ProviderRef | None  # a provider system's own provider, else None
    now: dt.datetime
    today: dt.date
    # The outcome of checking a repeated value (a fee, a region, a profession, a listing unit), by field and value:
    # a request repeats a handful of them thousands of times. See ``_memoised``.
    memo: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)


@dataclass(slots=True)
class ContactInput:
    """A validated, normalised contact item."""

    provider_id: int
    billing_region: str
    external_id: str
    patient_id: str
    patient_birth_date: dt.date
    patient_sex: str
    home_region: str
    profession: str
    profession_category: str | None
    started_at: dt.datetime
    mode: str
    strong_authentication: bool
    triage: bool
    documented: bool
    content: str
    patient_fee: Decimal
    listing_unit: str
    care_unit: str
    home_municipality: str = ""


def _text(value, field: str, errors: dict, *, max_length: int, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            errors[field] = [_("This field is required.")]
        return ""
    if not isinstance(value, str):
        errors[field] = [_("Must be a string.")]
        return ""
    text = value.strip()
    if required and not text:
        errors[field] = [_("This field is required.")]
    elif problem := input_problem(text):
        # Identifiers and codes: no control or invisible formatting character (PostgreSQL refuses NUL in text; a
        # line separator or a direction override would forge lines or turn text around in the documents), and
        # digits 0-9 only ("c-٣" would look like "c-3"). See kernel/text.py. Before the length: the message names
        # the character nobody sees.
        errors[field] = [problem]
        return ""
    elif len(text) > max_length:
        errors[field] = [_("At most %(max)d characters.") % {"max": max_length}]
    return text


def _boolean(value, field: str, errors: dict, *, text_allowed: bool) -> bool:
    if isinstance(value, bool):
        return value
    if text_allowed and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE_TEXT:
            return True
        if lowered in _FALSE_TEXT:
            return False
    if value is None or value == "":
        errors[field] = [_("This field is required.")]
    elif text_allowed:
        errors[field] = [_("Must be yes or no: true/false, sant/falskt, ja/nej, yes/no or 1/0.")]
    else:
        errors[field] = [_("Must be true or false.")]
    return False


def _datetime(value, field: str, errors: dict, *, now: dt.datetime) -> dt.datetime | None:
    if value is None or value == "":
        errors[field] = [_("This field is required.")]
        return None
    if not isinstance(value, str):
        errors[field] = [_("Must be an ISO 8601 date and time with an offset, e.g. 2026-10-05T14:30:00+02:00.")]
        return None
    if problem := input_problem(value):
        errors[field] = [problem]
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        errors[field] = [_("Must be an ISO 8601 date and time with an offset, e.g. 2026-10-05T14:30:00+02:00.")]
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        errors[field] = [_("The time needs an offset (e.g. +02:00 or Z).")]
        return None
    try:
        # An offset that takes the time past year 1 or 9999 in UTC cannot be stored or compared.
        moment.astimezone(dt.UTC)
    except OverflowError:
        errors[field] = [_("The date is out of range.")]
        return None
    if moment > now + CLOCK_SKEW:
        errors[field] = [_("The contact cannot start in the future.")]
        return None
    return moment


class AmbiguousAmount(ValueError):
    """An amount in a CSV file that could be read in two ways."""


def _sheet_amount(text: str) -> str | None:
    """A CSV cell's amount in the form ``Decimal`` reads (``1234.50``), or None when it is no amount.

    Swedish Excel writes ``100,00`` and ``1 234,50``; a file written elsewhere ``100.00``: both separators are
    read as the decimal separator. A form that could mean two amounts raises ``AmbiguousAmount``: both separators
    (``1.234,50``, ``1,234.50``), more than one of them (``1.234.567``), or exactly three digits after one with
    no spaces grouping the kronor (``1,234`` is 1,234 kr in Sweden and 1 234 kr in an English file; ``0,500`` is
    not ambiguous)."""
    text = _KRONOR_SUFFIX.sub("", text.strip())
    if ("," in text and "." in text) or text.count(",") > 1 or text.count(".") > 1:
        raise AmbiguousAmount
    match = _SHEET_AMOUNT.fullmatch(text)
    if match is None:
        return None
    sign, kronor, ore = match.groups()
    if ore is not None and len(ore) == 3 and kronor.isdigit() and len(kronor) <= 3 and kronor[0] != "0":
        raise AmbiguousAmount
    kronor = _GROUP_SPACE.sub("", kronor)
    return f"{sign}{kronor}.{ore}" if ore is not None else f"{sign}{kronor}"


def _csv_money(value, field: str, errors: dict) -> Decimal:
    """The money cell of a CSV file: a decimal comma or point (see ``_sheet_amount``), in the range the API
    allows; errors give examples as a Swedish spreadsheet writes them."""
    if not isinstance(value, str) or not value.strip():
        return _money(value, field, errors)
    if problem := input_problem(value):
        errors[field] = [problem]
        return Decimal(0)
    try:
        amount = _sheet_amount(value)
    except AmbiguousAmount:
        errors[field] = [
            _(
                'Ambiguous amount "%(value)s": it can be read in two ways. Write kronor and öre with one decimal '
                "comma, and thousands with no separator or a space, e.g. 1234,50 or 1 234,50."
            )
            % {"value": value.strip()[:24]}
        ]
        return Decimal(0)
    if amount is None:
        errors[field] = [_("Must be an amount in kronor, e.g. 100,00 or 1 234,50.")]
        return Decimal(0)
    return _money(amount, field, errors)


def _money(value, field: str, errors: dict) -> Decimal:
    if value is None or value == "" or isinstance(value, bool):
        errors[field] = [_("This field is required.")] if value in (None, "") else [_("Must be an amount.")]
        return Decimal(0)
    if isinstance(value, str):
        # Text is an amount written as a person writes one: digits 0-9, at most one decimal point. Decimal() also
        # reads "1e2", "1_000", "٣٠٠" and "３００".
        if problem := input_problem(value):
            errors[field] = [problem]
            return Decimal(0)
        if _TEXT_AMOUNT.fullmatch(value.strip()) is None:
            errors[field] = [_('Must be an amount, e.g. "100.00".')]
            return Decimal(0)
    try:
        amount = Decimal(value) if isinstance(value, (str, int)) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_('Must be an amount, e.g. "100.00".')]
        return Decimal(0)
    if not amount.is_finite():
        errors[field] = [_('Must be an amount, e.g. "100.00".')]
        return Decimal(0)
    # The range first: rounding a number with more digits than decimal's precision raises.
    if amount < 0:
        errors[field] = [_("May not be negative.")]
        return Decimal(0)
    if amount > MAX_FEE:
        errors[field] = [_("At most %(max)s.") % {"max": MAX_FEE}]
        return Decimal(0)
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        errors[field] = [_("At most two decimals (öre).")]
        return Decimal(0)
    return to_money(amount)


def _hsa(value, field: str, errors: dict) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        errors[field] = [_("Must be a string.")]
        return ""
    if problem := input_problem(value):
        errors[field] = [problem]
        return ""
    try:
        return identifiers.normalize_hsa_id(value)
    except identifiers.IdentifierError as exc:
        errors[field] = [str(exc)]
        return ""


def _municipality(value, field: str, errors: dict, *, home_region: str) -> str:
    """The patient's home kommun (optional): four digits whose first two are the home region's län code."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        errors[field] = [_("Must be a string.")]
        return ""
    if problem := input_problem(value):
        errors[field] = [problem]
        return ""
    code = value.strip()
    if _MUNICIPALITY.fullmatch(code) is None:
        errors[field] = [_("Must be a kommun code of 4 digits, e.g. 2580.")]
        return ""
    if home_region and code[:2] != home_region:
        errors[field] = [
            _("Kommun %(code)s is not in home region %(region)s: a kommun code begins with its län code.")
            % {"code": code, "region": home_region}
        ]
        return ""
    return code


# Values checked once per request and reused: text and whole numbers (a list or an object is not hashable; a float
# is left to its check each time: -0.0 equals 0.0 but is not the same text).
_MEMO_TYPES = frozenset({str, int})


def _memoised(memo: dict, key, check, value, name: str, errors: dict):
    """``check(value, name, errors)`` once per distinct ``key`` in a request, the same result and messages after.

    ``key`` names the check and the value with its type (``1``, ``True`` and ``1.0`` are equal in Python but not
    the same input). A check's outcome depends only on the key (the request's language and date are fixed), so a
    repeated value reports exactly the messages the first one did."""
    if type(value) not in _MEMO_TYPES:
        return check(value, name, errors)
    hit = memo.get(key)
    if hit is None:
        found: dict[str, list[str]] = {}
        hit = memo[key] = (check(value, name, found), found.get(name))
    result, messages = hit
    if messages is not None:
        errors[name] = list(messages)
    return result


def _region_code(value, name: str, errors: dict, *, regions: frozenset[str]) -> str:
    home_region = _text(value, name, errors, max_length=2)
    if home_region and home_region not in regions and name not in errors:
        errors[name] = [_("Unknown region %(code)r; use a län code such as '04'.") % {"code": home_region}]
    return home_region


def _profession_code(value, name: str, errors: dict, *, professions: dict[str, str | None]) -> str:
    profession = _text(value, name, errors, max_length=2).upper()
    if profession and profession not in professions and name not in errors:
        errors[name] = [_("Unknown profession code %(code)r (Kv yrkeskod).") % {"code": profession}]
    return profession


def validate_contact(
    raw, refs: References, *, text_booleans: bool = False, decimal_comma: bool = False
) -> ContactInput | dict[str, list[str]]:
    """Validate and normalise one item; return a ``ContactInput`` or the errors by field.

    The API's JSON is strict: booleans are JSON booleans and money a number or a string with a decimal point.
    Cells of a CSV file are text as a spreadsheet writes it: ``text_booleans`` reads true/false, sant/falskt,
    ja/nej, yes/no and 1/0 (any case), ``decimal_comma`` reads ``100,00``, ``1 234,50`` and ``100.00``.
    """
    if not isinstance(raw, dict):
        return {"non_field_errors": [_("Each contact must be a JSON object.")]}
    errors: dict[str, list[str]] = {}
    if not raw.keys() <= _KNOWN_FIELDS:
        for key in raw:
            if key not in _KNOWN_FIELDS:
                errors[str(key)[:64]] = [_("Unknown field.")]

    external_id = _text(raw.get("external_id"), "external_id", errors, max_length=64)

    # Provider: a provider system reports for itself; others name a provider within their scope.
    provider = None
    provider_value = raw.get("provider")
    if refs.own_provider is not None:
        if provider_value in (None, ""):
            provider = refs.own_provider
        elif not isinstance(provider_value, str) or provider_value.strip().upper() != refs.own_provider.hsa_id:
            errors["provider"] = [_("A provider system may only report its own contacts.")]
        else:
            provider = refs.own_provider
    else:
        hsa_id = _text(provider_value, "provider", errors, max_length=64)
        if hsa_id:
            provider = refs.providers.get(hsa_id.upper())
            if provider is None:
                errors["provider"] = [_("Unknown provider %(hsa_id)s.") % {"hsa_id": hsa_id[:31]}]

    # The start first: its Stockholm date is the reference date of the patient's number. Its errors are added in
    # the field order below; when it is invalid the number is checked against today.
    started_errors: dict[str, list[str]] = {}
    started_at = _datetime(raw.get("started_at"), "started_at", started_errors, now=refs.now)
    contact_date = None if started_at is None else started_at.astimezone(STOCKHOLM).date()

    patient = None
    patient_value = raw.get("patient_id")
    if patient_value in (None, ""):
        errors["patient_id"] = [_("This field is required.")]
    elif not isinstance(patient_value, str):
        errors["patient_id"] = [_("Must be a string.")]
    elif problem := input_problem(patient_value):
        errors["patient_id"] = [problem]
    else:
        try:
            patient = parse_personal_identity(patient_value, today=refs.today, contact_date=contact_date)
        except PersonalIdentityError as exc:
            errors["patient_id"] = [str(exc)]

    memo = refs.memo
    value = raw.get("home_region")
    home_region = _memoised(
        memo,
        ("home_region", type(value), value),
        lambda v, n, e: _region_code(v, n, e, regions=refs.regions),
        value,
        "home_region",
        errors,
    )
    value = raw.get("profession")
    profession = _memoised(
        memo,
        ("profession", type(value), value),
        lambda v, n, e: _profession_code(v, n, e, professions=refs.professions),
        value,
        "profession",
        errors,
    )

    if started_errors:
        errors.update(started_errors)
    elif provider is not None and provider.ended_on is not None and contact_date > provider.ended_on:
        # A contact on or before the end date is still accepted: late reports of an ended contract are billable.
        errors["started_at"] = [
            _("The contract of provider %(provider)s ended on %(date)s; contacts after that date are not accepted.")
            % {"provider": provider.hsa_id, "date": provider.ended_on.isoformat()}
        ]

    # Checked as strings first: a list or an object is not hashable, so cannot be looked up in a set.
    mode = raw.get("mode")
    if not isinstance(mode, str) or mode not in MODES:
        errors["mode"] = [_("Must be one of: %(values)s.") % {"values": ", ".join(Mode.values)}]
    content = raw.get("content")
    if not isinstance(content, str) or content not in CONTENTS:
        errors["content"] = [_("Must be one of: %(values)s.") % {"values": ", ".join(Content.values)}]

    strong_authentication = _boolean(
        raw.get("strong_authentication"), "strong_authentication", errors, text_allowed=text_booleans
    )
    triage = _boolean(raw.get("triage"), "triage", errors, text_allowed=text_booleans)
    documented = _boolean(raw.get("documented"), "documented", errors, text_allowed=text_booleans)
    money = _csv_money if decimal_comma else _money
    value = raw.get("patient_fee")
    patient_fee = _memoised(memo, (money, type(value), value), money, value, "patient_fee", errors)
    value = raw.get("listing_unit")
    listing_unit = _memoised(memo, (_hsa, type(value), value), _hsa, value, "listing_unit", errors)
    value = raw.get("care_unit")
    care_unit = _memoised(memo, (_hsa, type(value), value), _hsa, value, "care_unit", errors)
    value = raw.get("home_municipality")
    known_region = home_region if "home_region" not in errors else ""
    home_municipality = _memoised(
        memo,
        ("home_municipality", known_region, type(value), value),
        lambda v, n, e: _municipality(v, n, e, home_region=known_region),
        value,
        "home_municipality",
        errors,
    )

    if errors:
        return errors
    return ContactInput(
        provider_id=provider.id,
        billing_region=provider.region,
        external_id=external_id,
        patient_id=patient.number,
        patient_birth_date=patient.birth_date,
        patient_sex=patient.sex,
        home_region=home_region,
        profession=profession,
        profession_category=refs.professions[profession],
        started_at=started_at,
        mode=mode,
        strong_authentication=strong_authentication,
        triage=triage,
        documented=documented,
        content=content,
        patient_fee=patient_fee,
        listing_unit=listing_unit,
        care_unit=care_unit,
        home_municipality=home_municipality,
    )
