"""Reading an XLSX workbook for the contacts' upload: its rows as the cells' text, which ``contacts.csv_upload``
turns into items exactly as it does a CSV file's lines (one intake path after this). Pure: bytes in, rows out.

openpyxl's read-only mode (rows are read as the sheet's XML is parsed, never the whole sheet as objects), cached
values of formulas (``data_only``). The first worksheet; its row 1 is the header with the API's field names, as the
CSV's first line. Each row becomes the dict the CSV parser yields for the same line, and ``ParsedCsv.lines`` holds
the sheet's row numbers (as Excel numbers them), so every error names the row. Blank rows are skipped; cells Excel
leaves out at a row's end are empty cells, as the CSV's trailing separators.

Cells become the text a CSV file would hold:

- **text** as it is (stripped, as a CSV cell);
- **numbers** written out exactly as Excel shows them (15 significant digits, never an exponent): a fee of 100.5 is
  ``100.5`` (validation reads it as ``Decimal("100.5")``, exactly), 1234.56 is ``1234.56``; a whole number is
  written without decimals. A **personal identity number** Excel took for a number (``199001011234``, a 12-digit
  number, also stored as ``1.99001011234E+11``) becomes its 12 digits again. A number that lost leading zeros (a
  10-digit number with the century left out, ``0101011234`` stored as ``101011234``) is not guessed back: it is
  passed on as the digits Excel kept and refused by validation on its row, as the same text in a CSV file would be;
  the clerk formats the column as text;
- **dates and times** (date cells) as Excel shows them, without an offset: a date and time (``2026-11-20 14:30:00``)
  is then Swedish local time by the CSV's rule (``local_time_with_offset``: the autumn hour that occurs twice is its
  first occurrence, a time in the skipped spring hour is refused on its row), to the second (Excel's fractions of a
  second rounded); a cell formatted as a date alone is the date (``2026-11-20``), which a start time refuses, as in
  a CSV file;
- **true/false** cells as ``true``/``false``;
- an error cell (``#N/A``) as its text, which validation refuses.

A file that is not a readable workbook (another format named ``.xlsx``, a damaged or password-protected file)
is refused as a whole with a message that says so, never an error page; so is a workbook whose sheet would unpack
to more than ``MAX_SHEET_BYTES`` (the upload's size limit applies to the packed file).
"""

import datetime as dt
import io
import logging
import zipfile
from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.styles.numbers import is_datetime

logger = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
# What the worksheets may unpack to: a packed file within the upload's limit (20 MB) holding far more is not a
# contact list but a bomb.
MAX_SHEET_BYTES = 200 * 1024 * 1024


class UnreadableWorkbook(ValueError):
    """The file is not a workbook this can read; the message says so to the clerk."""


def is_xlsx(data: bytes, file_name: str = "") -> bool:
    """A workbook by its name or by its first bytes (an XLSX file is a ZIP archive; a CSV file never starts so)."""
    return file_name.lower().endswith(".xlsx") or data.startswith(ZIP_MAGIC)


def _not_readable() -> UnreadableWorkbook:
    return UnreadableWorkbook(
        _(
            "The file is not a readable XLSX workbook (it may be damaged, protected with a password, or in "
            "another format such as the older .xls). Save it in Excel as an Excel workbook (.xlsx) or as CSV "
            "UTF-8 and retry."
        )
    )


def xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first worksheet's rows as ``(row number, cells as text)``, the header (row 1) first and blank rows
    included; raises ``UnreadableWorkbook`` (also while iterating) for a file that cannot be read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist() if info.filename.startswith("xl/"))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _not_readable() from None
    if unpacked > MAX_SHEET_BYTES:
        raise UnreadableWorkbook(
            _("The workbook unpacks to more than %(limit)d MB. Split it into smaller files.")
            % {"limit": MAX_SHEET_BYTES // (1024 * 1024)}
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        logger.info("An uploaded XLSX file could not be opened.", exc_info=True)
        raise _not_readable() from None
    try:
        if not workbook.worksheets:
            raise _not_readable()
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the stored dimensions may be wrong: read every row there is
        rows = sheet.iter_rows()
        number = 0
        while True:
            try:
                row = next(rows, None)
                if row is None:
                    return
                cells = [_text(cell) for cell in row]
            except Exception:
                # Whatever a damaged sheet raises (zip, XML, openpyxl): the clerk is told, the log keeps the cause.
                logger.info("An uploaded XLSX file could not be read.", exc_info=True)
                raise _not_readable() from None
            number += 1
            yield number, cells
    finally:
        workbook.close()


def _text(cell) -> str:
    """A cell as the text a CSV file would hold (the module says how)."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(format(value, ".15g")), "f")
    if isinstance(value, dt.datetime):
        if value.microsecond >= 500_000:
            value += dt.timedelta(seconds=1)
        value = value.replace(microsecond=0)
        if is_datetime(getattr(cell, "number_format", "")) == "date" and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat()
    return str(value)
