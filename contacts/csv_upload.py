"""Parsing of the admin's CSV upload into intake items. Pure: bytes in, items and errors out.

The file has a header row with the API's input field names (``contacts.validation.ACCEPTED_FIELDS``), a ``;``,
``,`` or tab delimiter (sniffed from the header). Its encoding is detected, in this order: UTF-16 with a byte-order
mark (Excel's "Unicode text"); UTF-8 with or without one (Excel's "CSV UTF-8"); otherwise Windows-1252, what Swedish
Excel writes as "CSV (semikolonavgränsad)". A file that is none of these, or that mixes UTF-8 with other bytes, is
refused as a whole with the line (1-based, as a text editor or Excel numbers it) where it stops being readable;
never a byte offset.

Empty optional cells are omitted so the item looks like what an API client sends; empty required cells are left in
and reported by validation. Blank lines are skipped; ``ParsedCsv.lines`` gives the file line of each item (the
header is line 1, so without blank lines or quoted line breaks item ``i`` is line ``i + 2``).

Times: the API's contract is ISO 8601 with an offset, and validation keeps it. A spreadsheet writes a time without
one (``2026-11-20 14:30``, ``2026-11-20 14:30:00``, ``2026-11-20T14:30``), so in a CSV file such a time is local
time in Europe/Stockholm and is turned here into ISO 8601 with its offset (``local_time_with_offset``). In the
autumn hour that occurs twice (2026-10-25 02:30) the first occurrence is meant, summer time (+02:00); a time in the
spring hour that does not exist (2026-03-29 02:30) is refused on its row (``ParsedCsv.item_errors``).
"""

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from contacts.validation import ACCEPTED_FIELDS, REQUIRED_FIELDS
from contacts.xlsx_upload import UnreadableWorkbook, is_xlsx, xlsx_rows
from kernel.business_time import STOCKHOLM

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
OPTIONAL_FIELDS = frozenset(f for f in ACCEPTED_FIELDS if f not in REQUIRED_FIELDS)
DELIMITERS = ";,\t"
# The key under which cells beyond the header's columns are passed on (validation: "Unknown field.").
EXTRA_CELLS = "cells_without_column"
WINDOWS_1252 = "cp1252"
XLSX = "xlsx"  # ParsedCsv.encoding of a workbook
# A date and time as a spreadsheet writes it, without an offset: a space or a T, an hour of one or two digits,
# seconds optional.
_LOCAL_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?", re.ASCII)
# A UTF-8 encoded character outside ASCII. Windows-1252 text practically never has these byte pairs (an upper-case
# letter such as Ã or Ö followed by a C1 symbol such as ¶ or ’), so a file with them that is not valid UTF-8 mixes
# encodings (a UTF-8 file with a pasted Windows-1252 cell): reading it as Windows-1252 would garble its å, ä and ö.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


@dataclass
class ParsedCsv:
    items: list[dict] = field(default_factory=list)
    # Problems with the file as a whole (header, decoding): when any, nothing should be stored.
    errors: list[str] = field(default_factory=list)
    # The line in the file where each item starts (the header is line 1; blank lines are skipped).
    lines: list[int] = field(default_factory=list)
    # Rows refused by the parsing itself (a local time that does not exist), by item index: ``{"field":
    # ["message"]}`` as validation reports. These items must not be stored; the others may.
    item_errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    # The encoding the file was read in ("utf-8", "utf-16" or "cp1252"), or "xlsx" for a workbook.
    encoding: str = ""


def parse_contacts_csv(data: bytes, *, file_name: str = "") -> ParsedCsv:
    """Items (dicts of the API's input fields) from a CSV file's bytes, or errors about the file itself.

    An XLSX workbook (by its name, or by its first bytes: a stored upload is parsed again without its name) is read
    by ``contacts.xlsx_upload`` into the cells' text, which become items here as a CSV file's lines do, with the
    sheet's row numbers as the lines."""
    if is_xlsx(data, file_name):
        return _parse_xlsx(data)
    text, encoding, error = _decode(data)
    if error:
        return ParsedCsv(errors=[error])
    # With their line ends, so that a line break inside a quoted cell stays in the cell (and validation refuses it)
    # instead of being dropped by the reader.
    lines = _LINE_WITH_END.findall(text)
    if not lines or not lines[0].strip():
        return ParsedCsv(errors=[_("The file is empty: it needs a header row with the field names.")])
    header_line = lines[0]
    delimiter = _sniff_delimiter(header_line)
    reader = csv.reader(lines, delimiter=delimiter)
    header = [name.strip() for name in next(reader)]

    def numbered_rows():
        first_line = 2
        for row in reader:
            line, first_line = first_line, reader.line_num + 1
            yield line, row

    return _items(header, numbered_rows(), encoding=encoding)


def _parse_xlsx(data: bytes) -> ParsedCsv:
    rows = xlsx_rows(data)
    try:
        _number, header = next(rows, (1, []))
        header = [name.strip() for name in header]
        while header and header[-1] == "":
            header.pop()  # formatted but empty cells after the last column
        if not header:
            return ParsedCsv(errors=[_("The file is empty: it needs a header row with the field names.")])
        return _items(header, rows, encoding=XLSX)
    except UnreadableWorkbook as exc:
        return ParsedCsv(errors=[str(exc)])
    finally:
        rows.close()


def _items(header: list[str], rows: Iterator[tuple[int, list[str]]], *, encoding: str) -> ParsedCsv:
    """The items of the rows after the header, each with the line (or sheet row) it starts on."""
    errors = header_errors(header, accepted=ACCEPTED_FIELDS, required=REQUIRED_FIELDS)
    if errors:
        return ParsedCsv(errors=errors)
    parsed = ParsedCsv(encoding=encoding)
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue  # blank lines are not items
        item: dict = {}
        for name, cell in zip(header, row, strict=False):
            value = cell.strip()
            if value == "" and name in OPTIONAL_FIELDS:
                continue
            item[name] = value
        if encoding == XLSX:
            # Excel leaves out the empty cells at a row's end, where a CSV line has its separators: the same item.
            for name in header[len(row) :]:
                if name not in OPTIONAL_FIELDS:
                    item[name] = ""
        extra = [cell.strip() for cell in row[len(header) :] if cell.strip()]
        if extra:
            item[EXTRA_CELLS] = extra  # validation reports it as an unknown field
        if "started_at" in item:
            try:
                item["started_at"] = local_time_with_offset(item["started_at"])
            except NonexistentLocalTime as exc:
                parsed.item_errors[len(parsed.items)] = {"started_at": [str(exc)]}
        parsed.items.append(item)
        parsed.lines.append(line)
    return parsed


class NonexistentLocalTime(ValueError):
    """A local time in the hour the clocks skip when summer time begins."""


def local_time_with_offset(value: str) -> str:
    """A CSV cell's start time as ISO 8601 with an offset: a time written without one (``2026-11-20 14:30``,
    ``2026-11-20 14:30:00``, ``2026-11-20T14:30``) is Europe/Stockholm local time.

    The autumn hour that occurs twice is read as its first occurrence, summer time (``2026-10-25 02:30`` is
    ``2026-10-25T02:30:00+02:00``, fold 0); a time that does not exist because the clocks went forward
    (``2026-03-29 02:30``) raises ``NonexistentLocalTime`` with the message for the clerk. Anything else (a time
    with an offset, or no time at all) is returned unchanged for validation to accept or refuse."""
    match = _LOCAL_TIME.fullmatch(value.strip())
    if match is None:
        return value
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        naive = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return value  # no such date or time: validation refuses it as not ISO 8601
    local = naive.replace(tzinfo=STOCKHOLM, fold=0)
    if local.astimezone(dt.UTC).astimezone(STOCKHOLM).replace(tzinfo=None) != naive:
        raise NonexistentLocalTime(
            _(
                "%(time)s does not exist in Swedish time: the clocks were put forward an hour that night (summer "
                "time began). Correct the time, or write it with its offset, e.g. %(example)s."
            )
            % {"time": value.strip(), "example": local.isoformat()}
        )
    return local.isoformat()


# Lines end with CR LF, LF or CR only: ``str.splitlines`` also ends a line at U+2028, U+2029, U+0085, form feed
# and the file and group separators, which would cut a row in two where a cell carries one of them; kept in the
# cell, validation refuses it by name (kernel/text.py).
_LINE_END = re.compile("\r\n|\r|\n")
_LINE_WITH_END = re.compile("[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _split_lines(text: str) -> list[str]:
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()  # the line end of the last line
    return lines


def _line_at(text_before: str) -> int:
    """The 1-based line of the character that follows ``text_before`` (lines split as the parser splits them)."""
    return len(_split_lines(text_before + "x"))


def _line_of_byte(data: bytes, position: int, encoding: str) -> int:
    return _line_at(data[:position].decode(encoding, errors="replace"))


def decode_csv_bytes(data: bytes) -> tuple[str, str, str | None]:
    """The text of an uploaded CSV file and the encoding it was read in, or an error saying why it cannot be read
    and on which line (the rules of this module's docstring). For other uploads than contacts' (the registers)."""
    return _decode(data)


def csv_lines(text: str) -> list[str]:
    """The file's lines with their line ends, as ``csv.reader`` should get them (a quoted line break stays in its
    cell)."""
    return _LINE_WITH_END.findall(text)


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a header row: ``;``, ``,`` or tab."""
    return _sniff_delimiter(header_line)


def _decode(data: bytes) -> tuple[str, str, str | None]:
    """The file's text and the encoding it was read in, or an error saying why it cannot be read and where."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            message = _("The file is damaged UTF-16: line %(line)d cannot be read. Save it as UTF-8.")
            return "", "", message % {"line": _line_of_byte(data, exc.start, "utf-16")}
    else:
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError as exc:
            # The error's position counts from after a byte-order mark, which the utf-8-sig codec takes off first.
            line = _line_of_byte(data.removeprefix(codecs.BOM_UTF8), exc.start, "utf-8")
            if data.startswith(codecs.BOM_UTF8):
                message = _(
                    "The file begins as UTF-8 (with a byte-order mark), but line %(line)d is not UTF-8. Save it "
                    "again as CSV UTF-8 and retry."
                )
                return "", "", message % {"line": line}
            if _UTF8_SEQUENCE.search(data):
                message = _(
                    "The file mixes encodings: it has UTF-8 characters, but line %(line)d is not UTF-8. Save it "
                    "again as CSV UTF-8 and retry."
                )
                return "", "", message % {"line": line}
            try:
                text, encoding = data.decode(WINDOWS_1252), WINDOWS_1252
            except UnicodeDecodeError as exc_1252:
                message = _(
                    "The file is neither UTF-8 nor Windows-1252: line %(line)d cannot be read. Save it as CSV UTF-8 "
                    "and retry."
                )
                return "", "", message % {"line": _line_of_byte(data, exc_1252.start, WINDOWS_1252)}
    if "\x00" in text:
        # No text file has NUL characters: a binary file, or UTF-16 without a byte-order mark.
        message = _(
            "The file contains NUL characters (from line %(line)d): it is not a CSV text file. Save it as UTF-8 "
            "and retry."
        )
        return "", "", message % {"line": _line_at(text[: text.index("\x00")].removeprefix("\ufeff"))}
    return text, encoding, None


def _sniff_delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return max(DELIMITERS, key=header_line.count)


def header_errors(header: list[str], *, accepted, required) -> list[str]:
    """What is wrong with a file's header row: unknown columns (naming the ``accepted`` ones), columns named twice,
    ``required`` ones missing. The contacts' upload and the buyer's registers (``review.register_files``) read their
    header rows by it."""
    errors = []
    unknown = [name for name in header if name not in accepted]
    if unknown:
        errors.append(
            _("Unknown columns in the header row: %(names)s. Allowed: %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(accepted)}
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        errors.append(_("Columns named twice in the header row: %(names)s.") % {"names": ", ".join(duplicates)})
    missing = [name for name in required if name not in header]
    if missing:
        errors.append(_("Required columns missing from the header row: %(names)s.") % {"names": ", ".join(missing)})
    return errors
