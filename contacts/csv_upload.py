"""Parsing of the admin's CSV upload into intake items. Pure: bytes in, items and header errors out.

The file has a header row with the API's input field names (``contacts.validation.INPUT_FIELDS``), a ``;``,
``,`` or tab delimiter (sniffed from the header), and is UTF-8 with or without a byte-order mark, or UTF-16 with
one (Excel's "Unicode text"). Anything else is refused as a whole with a message saying why. Empty optional cells
are omitted so the item looks like what an API client sends; empty required cells are left in and reported by
validation. Blank lines are skipped; ``ParsedCsv.lines`` gives the file line of each item (the header is line
1, so without blank lines or quoted line breaks item ``i`` is line ``i + 2``).
"""

import codecs
import csv
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from contacts.validation import INPUT_FIELDS, REQUIRED_FIELDS

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
OPTIONAL_FIELDS = frozenset(f for f in INPUT_FIELDS if f not in REQUIRED_FIELDS)
DELIMITERS = ";,\t"
# The key under which cells beyond the header's columns are passed on (validation: "Unknown field.").
EXTRA_CELLS = "cells_without_column"


class NotUtf8Error(ValueError):
    """The file's bytes are not UTF-8."""


@dataclass
class ParsedCsv:
    items: list[dict] = field(default_factory=list)
    # Problems with the file as a whole (header, decoding): when any, nothing should be stored.
    errors: list[str] = field(default_factory=list)
    # The line in the file where each item starts (the header is line 1; blank lines are skipped).
    lines: list[int] = field(default_factory=list)


def parse_contacts_csv(data: bytes) -> ParsedCsv:
    """Items (dicts of the API's input fields) from a CSV file's bytes, or errors about the file itself."""
    text, error = _decode(data)
    if error:
        return ParsedCsv(errors=[error])
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return ParsedCsv(errors=[_("The file is empty: it needs a header row with the field names.")])
    header_line = lines[0]
    delimiter = _sniff_delimiter(header_line)
    reader = csv.reader(lines, delimiter=delimiter)
    header = [name.strip() for name in next(reader)]
    errors = _header_errors(header)
    if errors:
        return ParsedCsv(errors=errors)
    parsed = ParsedCsv()
    first_line = 2
    for row in reader:
        line, first_line = first_line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue  # blank lines are not items
        item: dict = {}
        for name, cell in zip(header, row, strict=False):
            value = cell.strip()
            if value == "" and name in OPTIONAL_FIELDS:
                continue
            item[name] = value
        extra = [cell.strip() for cell in row[len(header) :] if cell.strip()]
        if extra:
            item[EXTRA_CELLS] = extra  # validation reports it as an unknown field
        parsed.items.append(item)
        parsed.lines.append(line)
    return parsed


def _decode(data: bytes) -> tuple[str, str | None]:
    """The file's text, or an error saying why it cannot be read."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            message = _("The file is damaged UTF-16 (undecodable bytes at position %(position)d). Save it as UTF-8.")
            return "", message % {"position": exc.start}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = _("The file is not UTF-8 (undecodable byte at position %(position)d). Save it as UTF-8 and retry.")
        return "", message % {"position": exc.start}
    if "\x00" in text:
        # Valid UTF-8, but no text file has NUL characters: a binary file, or UTF-16 without a byte-order mark.
        return "", _("The file contains NUL characters: it is not a CSV text file. Save it as UTF-8 and retry.")
    return text, None


def _sniff_delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return max(DELIMITERS, key=header_line.count)


def _header_errors(header: list[str]) -> list[str]:
    errors = []
    unknown = [name for name in header if name not in INPUT_FIELDS]
    if unknown:
        errors.append(
            _("Unknown columns in the header row: %(names)s. Allowed: %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(INPUT_FIELDS)}
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        errors.append(_("Columns named twice in the header row: %(names)s.") % {"names": ", ".join(duplicates)})
    missing = [name for name in REQUIRED_FIELDS if name not in header]
    if missing:
        errors.append(_("Required columns missing from the header row: %(names)s.") % {"names": ", ".join(missing)})
    return errors
