"""Reading a register file (CSV or XLSX) into validated rows, with the file line of every refused row. Pure: bytes
in, rows and errors out; nothing is stored here.

The header row names the columns (``COLUMNS``; their order is free). A CSV file's delimiter is ``;``, ``,`` or tab,
and its encoding UTF-8 (with or without a byte-order mark), UTF-16 with one, or Windows-1252, decoded by the
contacts' CSV upload's helpers. Dates are ISO (``2026-03-01``); an empty ``valid_to`` means still valid. The header
is line 1.

An XLSX workbook (by its name, or by its first bytes) is read as the contacts' XLSX upload reads one
(``contacts.xlsx_upload``): the first worksheet, its cells as the text a CSV file would hold, and the sheet's row
numbers (as Excel numbers them) as the lines. A date cell is its date (``2026-03-01``); a date typed as text is read
as in a CSV file; a date cell with a time of day is refused on its row, as the same text would be. Codes Excel took
for numbers and stripped of their leading zeros (kommun ``0180`` as ``180``) are not guessed back: the row is
refused and names the column, as the same text in a CSV file would be (the clerk formats the column as text). A
file that is not a readable workbook is refused as a whole, with a message that says so.
"""

import csv
import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from contacts.csv_upload import csv_lines, decode_csv_bytes, header_errors, sniff_delimiter
from contacts.identifiers import PersonalIdentityError, parse_personal_identity
from contacts.xlsx_upload import UnreadableWorkbook, is_xlsx, xlsx_rows
from kernel.business_time import stockholm_today
from regions import identifiers
from review.models import RegisterKind

IDENTITY = "personal_identity"
VALID_FROM = "valid_from"
VALID_TO = "valid_to"
COLUMNS: dict[str, tuple[str, ...]] = {
    RegisterKind.POPULATION: (IDENTITY, "lan_code", "municipality_code", VALID_FROM, VALID_TO),
    RegisterKind.LISTING: (IDENTITY, "unit_hsa_id", "unit_org_number", VALID_FROM, VALID_TO),
}
OPTIONAL = frozenset({VALID_TO})
KNOWN_ROWS = 100_000
_MUNICIPALITY = re.compile(r"[0-9]{4}", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


@dataclass(slots=True)
class RegisterRow:
    """One valid row: the identity as 12 digits and the register's own two values (län and kommun code, or the
    unit's HSA-id and organisation number)."""

    personal_identity: str
    first: str
    second: str
    valid_from: dt.date
    valid_to: dt.date | None
    line: int


@dataclass
class RegisterFile:
    rows: list[RegisterRow] = field(default_factory=list)
    # [{"line": n, "errors": {"column": ["message"]}}]; line 0 for the file as a whole (nothing may be stored then).
    errors: list[dict] = field(default_factory=list)
    row_count: int = 0

    @property
    def refused_file(self) -> bool:
        return any(error["line"] == 0 for error in self.errors)


def _file_error(message: str) -> RegisterFile:
    return RegisterFile(errors=[{"line": 0, "errors": {"file": [message]}}])


def _empty() -> RegisterFile:
    return _file_error(_("The file is empty: it needs a header row."))


def register_file_parse(data: bytes, kind: str, *, file_name: str = "") -> RegisterFile:
    """The file's valid rows and its errors; an XLSX workbook (``is_xlsx``: by its name or its first bytes) is
    read as one, anything else as CSV."""
    if is_xlsx(data, file_name):
        return _parse_xlsx(data, kind)
    text, _encoding, error = decode_csv_bytes(data)
    if error:
        return _file_error(error)
    lines = csv_lines(text)
    if not lines or not lines[0].strip():
        return _empty()
    reader = csv.reader(lines, delimiter=sniff_delimiter(lines[0]))
    header = [name.strip().lstrip("\ufeff") for name in next(reader)]

    def numbered_rows():
        next_line = 2
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1
            yield line, cells

    return _parse_rows(kind, header, numbered_rows())


def _parse_xlsx(data: bytes, kind: str) -> RegisterFile:
    rows = xlsx_rows(data)
    try:
        _number, header = next(rows, (1, []))
        header = [name.strip() for name in header]
        while header and header[-1] == "":
            header.pop()  # formatted but empty cells after the last column
        if not header:
            return _empty()
        return _parse_rows(kind, header, rows)
    except UnreadableWorkbook as exc:
        return _file_error(str(exc))
    finally:
        rows.close()


def _parse_rows(kind: str, header: list[str], rows) -> RegisterFile:
    """The rows after the header, ``(line, cells)`` each, validated; cells missing at a row's end are empty (a CSV
    line without its trailing separators, or the cells Excel leaves out)."""
    columns = COLUMNS[kind]
    problems = header_errors(header, accepted=columns, required=[name for name in columns if name not in OPTIONAL])
    if problems:
        return RegisterFile(errors=[{"line": 0, "errors": {"file": problems}}])
    today = stockholm_today()
    parsed = RegisterFile()
    seen: dict[tuple[str, dt.date], int] = {}
    width = len(header)
    identity_at = header.index(IDENTITY)
    # The other columns by position ("" where an optional column is absent); a file of millions of rows repeats
    # the same län, kommun, unit and dates over and over, so each value's validation is remembered (valid ones).
    others = [(name, header.index(name) if name in header else None) for name in columns if name != IDENTITY]
    names = [name for name, _at in others]
    memo: dict[tuple[str, str], object] = {}
    known: dict[tuple[str, ...], tuple] = {}  # whole rows' values, as a listing register repeats them
    for line, cells in rows:
        if not cells or (not cells[0].strip() and not any(cell.strip() for cell in cells)):
            continue  # a blank line
        parsed.row_count += 1
        errors: dict[str, list[str]] = {}
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            errors["row"] = [_("The row has more cells than the header has columns.")]
        count = len(cells)
        values = [cells[at].strip() if at is not None and at < count else "" for _name, at in others]
        facts = known.get(tuple(values))
        if facts is None:
            facts = _facts(kind, dict(zip(names, values, strict=True)), errors, memo)
            if facts is not None and len(known) < KNOWN_ROWS:
                known[tuple(values)] = facts
        identity = _identity(cells[identity_at].strip() if identity_at < len(cells) else "", today, errors)
        if errors:
            parsed.errors.append({"line": line, "errors": errors})
            continue
        first, second, valid_from, valid_to = facts
        key = (identity, valid_from)
        if key in seen:
            message = _("The same person and valid-from date are already on line %(line)d.") % {"line": seen[key]}
            parsed.errors.append({"line": line, "errors": {VALID_FROM: [message]}})
            continue
        seen[key] = line
        parsed.rows.append(RegisterRow(identity, first, second, valid_from, valid_to, line))
    return parsed


def _date(value: str, name: str, errors: dict, *, required: bool) -> dt.date | None:
    if not value:
        if required:
            errors[name] = [_("This field is required.")]
        return None
    if _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors[name] = [_("Must be a date written YYYY-MM-DD, e.g. 2026-03-01.")]
    return None


def _identity(value: str, today: dt.date, errors: dict) -> str:
    if not value:
        errors[IDENTITY] = [_("This field is required.")]
        return ""
    try:
        return parse_personal_identity(value, today=today).number
    except PersonalIdentityError as exc:
        errors[IDENTITY] = [str(exc)]
        return ""


def _remembered(memo: dict, name: str, value: str, check, problems: dict):
    """``check(value, problems)``, remembered per column and value when it found no problem."""
    key = (name, value)
    if key in memo:
        return memo[key]
    found: dict[str, list[str]] = {}
    result = check(value, found)
    if found:
        problems.update(found)
    else:
        memo[key] = result
    return result


def _facts(kind: str, raw: dict, errors: dict, memo: dict) -> tuple | None:
    """The row's values other than the identity, validated: (first, second, valid from, valid to), or None with
    the problems in ``errors``."""
    problems: dict[str, list[str]] = {}
    if kind == RegisterKind.POPULATION:
        first = _remembered(memo, "lan_code", raw.get("lan_code", ""), _lan, problems)
        municipality = raw.get("municipality_code", "")
        second = _remembered(
            memo, f"municipality_code:{first}", municipality, lambda v, p: _municipality(v, first, p), problems
        )
    else:
        first = _remembered(memo, "unit_hsa_id", raw.get("unit_hsa_id", ""), _hsa_id, problems)
        second = _remembered(memo, "unit_org_number", raw.get("unit_org_number", ""), _org_number, problems)
    valid_from = _remembered(
        memo, VALID_FROM, raw.get(VALID_FROM, ""), lambda v, p: _date(v, VALID_FROM, p, required=True), problems
    )
    valid_to = _remembered(
        memo, VALID_TO, raw.get(VALID_TO, ""), lambda v, p: _date(v, VALID_TO, p, required=False), problems
    )
    if valid_from and valid_to and valid_to < valid_from:
        problems[VALID_TO] = [_("The valid-to date is before the valid-from date.")]
    if problems:
        errors.update(problems)
        return None
    return first, second, valid_from, valid_to


def _lan(value: str, errors: dict) -> str:
    if not value:
        errors["lan_code"] = [_("This field is required.")]
        return ""
    try:
        return identifiers.validate_lan_code(value)
    except identifiers.IdentifierError as exc:
        errors["lan_code"] = [str(exc)]
        return ""


def _municipality(value: str, lan: str, errors: dict) -> str:
    if not value:
        errors["municipality_code"] = [_("This field is required.")]
    elif _MUNICIPALITY.fullmatch(value) is None:
        errors["municipality_code"] = [_("Must be a kommun code of 4 digits, e.g. 2580.")]
    elif lan and value[:2] != lan:
        errors["municipality_code"] = [
            _("Kommun %(code)s is not in län %(lan)s: a kommun code begins with its län code.")
            % {"code": value, "lan": lan}
        ]
    else:
        return value
    return ""


def _hsa_id(value: str, errors: dict) -> str:
    if not value:
        errors["unit_hsa_id"] = [_("This field is required.")]
        return ""
    try:
        return identifiers.normalize_hsa_id(value)
    except identifiers.IdentifierError as exc:
        errors["unit_hsa_id"] = [str(exc)]
        return ""


def _org_number(value: str, errors: dict) -> str:
    if not value:
        errors["unit_org_number"] = [_("This field is required.")]
        return ""
    try:
        return identifiers.normalize_org_number(value)
    except identifiers.IdentifierError as exc:
        errors["unit_org_number"] = [str(exc)]
        return ""
