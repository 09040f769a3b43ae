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
import gc
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter

from django.utils.translation import gettext as _

from contacts.csv_upload import csv_lines, decode_csv_bytes, header_errors, sniff_delimiter
from contacts.identifiers import (
    COORDINATION_DAY_OFFSET,
    PersonalIdentityError,
    luhn_valid,
    parse_personal_identity,
)
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
KNOWN_VALUES = 100_000
SINK_BATCH = 50_000
_MUNICIPALITY = re.compile(r"[0-9]{4}", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_CANONICAL_IDENTITY = re.compile(r"([0-9]{8})-?([0-9]{4})", re.ASCII)


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
    # The valid rows, when no ``sink`` took them (``register_file_parse``).
    rows: list[RegisterRow] = field(default_factory=list)
    # [{"line": n, "errors": {"column": ["message"]}}]; line 0 for the file as a whole (nothing may be stored then).
    errors: list[dict] = field(default_factory=list)
    row_count: int = 0
    valid_rows: int = 0

    @property
    def refused_file(self) -> bool:
        return any(error["line"] == 0 for error in self.errors)


def _file_error(message: str) -> RegisterFile:
    return RegisterFile(errors=[{"line": 0, "errors": {"file": [message]}}])


def _empty() -> RegisterFile:
    return _file_error(_("The file is empty: it needs a header row."))


Sink = Callable[[list[RegisterRow]], None]


def register_file_parse(
    data: bytes,
    kind: str,
    *,
    file_name: str = "",
    sink: Sink | None = None,
    batch: int | None = None,
    all_or_nothing: bool = False,
) -> RegisterFile:
    """The file's valid rows and its errors; an XLSX workbook (``is_xlsx``: by its name or its first bytes) is
    read as one, anything else as CSV.

    With a ``sink``, the valid rows are handed to it in lists of ``batch`` (``SINK_BATCH`` unless told) as the
    file is read, instead of being kept in ``rows`` (a loader stores one batch while the next is read, and millions
    of rows are never held at once); ``all_or_nothing`` stops handing them over at the first refused row (the
    caller then stores nothing). A file refused as a whole (``refused_file``) may be found so after some batches:
    the caller undoes them."""
    # A file of millions of rows allocates millions of small objects that never form cycles (rows, keys): the
    # cyclic garbage collector would walk them again and again as they pile up (half the time of a 600 000-row
    # file). It is paused while the file is read.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse(data, kind, file_name, _Output(sink, batch or SINK_BATCH, all_or_nothing))
    finally:
        if collecting:
            gc.enable()


def _parse(data: bytes, kind: str, file_name: str, out: "_Output") -> RegisterFile:
    if is_xlsx(data, file_name):
        return _parse_xlsx(data, kind, out)
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

    return _parse_rows(kind, header, numbered_rows(), out)


class _Output:
    """Where the valid rows go: a list, or the sink in batches."""

    def __init__(self, sink: Sink | None, batch: int, all_or_nothing: bool):
        self.sink = sink
        self.batch = batch
        self.all_or_nothing = all_or_nothing

    def hand_over(self, parsed: RegisterFile, *, last: bool = False) -> None:
        if self.sink is None or (not last and len(parsed.rows) < self.batch):
            return
        rows, parsed.rows = parsed.rows, []
        if rows and not (self.all_or_nothing and parsed.errors):
            self.sink(rows)


def _parse_xlsx(data: bytes, kind: str, out: _Output) -> RegisterFile:
    rows = xlsx_rows(data)
    try:
        _number, header = next(rows, (1, []))
        header = [name.strip() for name in header]
        while header and header[-1] == "":
            header.pop()  # formatted but empty cells after the last column
        if not header:
            return _empty()
        return _parse_rows(kind, header, rows, out)
    except UnreadableWorkbook as exc:
        return _file_error(str(exc))
    finally:
        rows.close()


def _parse_rows(kind: str, header: list[str], rows, out: _Output) -> RegisterFile:
    """The rows after the header, ``(line, cells)`` each, validated; cells missing at a row's end are empty (a CSV
    line without its trailing separators, or the cells Excel leaves out).

    A register of millions of rows repeats the same län, kommun, unit and dates over and over: each column's
    valid values are remembered (``_Memo``), so that a row of known values costs a few dictionary look-ups; a value
    not seen before, or a row with any problem, goes through the full validation, which words the errors."""
    columns = COLUMNS[kind]
    problems = header_errors(header, accepted=columns, required=[name for name in columns if name not in OPTIONAL])
    if problems:
        return RegisterFile(errors=[{"line": 0, "errors": {"file": problems}}])
    today = stockholm_today()
    parsed = RegisterFile()
    batch = out.batch if out.sink is not None else 0
    seen: dict[tuple[str, dt.date], int] = {}
    width = len(header)
    # Every column by position, the identity first ("" where an optional column is absent).
    positions = [header.index(name) if name in header else None for name in columns]
    full_row = itemgetter(*positions) if None not in positions else None
    memo = _Memo(kind, today)
    for line, cells in rows:
        count = len(cells)
        if not count or (not cells[0].strip() and not any(cell.strip() for cell in cells)):
            continue  # a blank line
        parsed.row_count += 1
        if count == width and full_row is not None:
            raw, first_raw, second_raw, from_raw, to_raw = full_row(cells)
            extra = False
        else:
            raw, first_raw, second_raw, from_raw, to_raw = (
                cells[at] if at is not None and at < count else "" for at in positions
            )
            extra = count > width and any(cell.strip() for cell in cells[width:])
        values = (first_raw.strip(), second_raw.strip(), from_raw.strip(), to_raw.strip())
        facts = memo.facts(values)
        identity = memo.identity(raw.strip())
        if extra or facts is None or identity is None:
            errors: dict[str, list[str]] = {}
            if extra:
                errors["row"] = [_("The row has more cells than the header has columns.")]
            if facts is None:
                facts = memo.checked_facts(values, errors)
            if identity is None:
                identity = _identity(raw.strip(), today, errors)
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
        parsed.valid_rows += 1
        parsed.rows.append(RegisterRow(identity, first, second, valid_from, valid_to, line))
        if batch and len(parsed.rows) >= batch:
            out.hand_over(parsed)
    out.hand_over(parsed, last=True)
    return parsed


_MISSING = object()


class _Memo:
    """The valid values of one file's columns, remembered as they are met (at most ``KNOWN_VALUES`` each, so that
    a file of unique values cannot grow them without bound), and the fast path of the identity numbers."""

    def __init__(self, kind: str, today: dt.date):
        self.kind = kind
        self.today = today
        self.first: dict[str, str] = {}
        self.second: dict[tuple[str, str], str] = {}  # by (first, second): a kommun is checked against its län
        self.valid_from: dict[str, dt.date] = {}
        self.valid_to: dict[str, dt.date | None] = {}
        self.births: dict[str, bool] = {}

    def facts(self, values: tuple[str, str, str, str]) -> tuple | None:
        """(first, second, valid from, valid to) when every value is a remembered valid one; else None."""
        first_raw, second_raw, from_raw, to_raw = values
        first = self.first.get(first_raw)
        second = self.second.get((first_raw, second_raw))
        valid_from = self.valid_from.get(from_raw)
        valid_to = self.valid_to.get(to_raw, _MISSING)
        if first is None or second is None or valid_from is None or valid_to is _MISSING:
            return None
        if valid_to is not None and valid_to < valid_from:
            return None
        return first, second, valid_from, valid_to

    def checked_facts(self, values: tuple[str, str, str, str], errors: dict) -> tuple | None:
        """The row's values other than the identity, validated in full: (first, second, valid from, valid to),
        or None with the problems in ``errors``; valid values are remembered."""
        first_raw, second_raw, from_raw, to_raw = values
        problems: dict[str, list[str]] = {}
        if self.kind == RegisterKind.POPULATION:
            first = _lan(first_raw, problems)
            second = _municipality(second_raw, first, problems)
        else:
            first = _hsa_id(first_raw, problems)
            second = _org_number(second_raw, problems)
        valid_from = _date(from_raw, VALID_FROM, problems, required=True)
        valid_to = _date(to_raw, VALID_TO, problems, required=False)
        if valid_from and valid_to and valid_to < valid_from:
            problems[VALID_TO] = [_("The valid-to date is before the valid-from date.")]
        self._remember(self.first, first_raw, first, "lan_code" in problems or "unit_hsa_id" in problems)
        self._remember(
            self.second,
            (first_raw, second_raw),
            second,
            bool(problems.keys() & {"lan_code", "municipality_code", "unit_hsa_id", "unit_org_number"}),
        )
        self._remember(self.valid_from, from_raw, valid_from, VALID_FROM in problems)
        self._remember(self.valid_to, to_raw, valid_to, VALID_TO in problems and valid_to is None)
        if problems:
            errors.update(problems)
            return None
        return first, second, valid_from, valid_to

    @staticmethod
    def _remember(values: dict, raw, value, refused: bool) -> None:
        if not refused and len(values) < KNOWN_VALUES:
            values[raw] = value

    def identity(self, value: str) -> str | None:
        """The 12 digits of a number written YYYYMMDDNNNC or YYYYMMDD-NNNC that is valid (check digit, a real
        date of birth not after today); None for anything else, which ``_identity`` then reads in full (and
        words the error). The same rules as ``contacts.identifiers.parse_personal_identity``, faster: the dates of
        birth repeat and are checked once each."""
        match = _CANONICAL_IDENTITY.fullmatch(value)
        if match is None:
            return None
        born, last_four = match.groups()
        valid_birth = self.births.get(born)
        if valid_birth is None:
            valid_birth = self.births[born] = _real_birth_date(born, self.today)
        number = born + last_four
        if not valid_birth or not luhn_valid(number[2:]):
            return None
        return number


def _real_birth_date(born: str, today: dt.date) -> bool:
    """YYYYMMDD (a samordningsnummer's day + 60) is a real date of birth, not after ``today``."""
    day = int(born[6:])
    if day > COORDINATION_DAY_OFFSET:
        day -= COORDINATION_DAY_OFFSET
    try:
        return dt.date(int(born[:4]), int(born[4:6]), day) <= today
    except ValueError:
        return False


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
