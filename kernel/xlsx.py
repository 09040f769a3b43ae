"""XLSX exports: one writer for every table the application exports as CSV, so that each export is a few lines.

openpyxl's write-only mode (constant memory: each row is written to a temporary file as it is appended, never kept)
and a file on disk that the response streams from. Cells are real cells, as Swedish Excel expects them:

- **money and decimals** numeric (``Decimal`` written exactly) with the format ``#,##0.00``, which Swedish Excel
  shows as ``1 234,50``; **counts** integers with ``#,##0`` (``1 234``); **percentages** (``12.5`` meaning 12,5 %,
  as in the CSV) with ``0.0``;
- **dates** and **times** date cells formatted ``yyyy-mm-dd`` and ``yyyy-mm-dd hh:mm``, in Stockholm local time
  and naive in the cell (Excel has no time zones): an aware datetime is converted first;
- **text** always a text cell (type ``s``): a value starting with ``=`` is never written as a formula (openpyxl
  would otherwise take ``"=1+2"`` for one), so no apostrophe is needed as in the CSV exports, and the text is shown
  as it is. Control characters, which the XLSX format cannot hold, are shown as U+FFFD (``kernel.text``).
"""

import datetime as dt
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kernel.business_time import STOCKHOLM
from kernel.text import neutralise

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TEXT = "text"
ID = "id"  # an integer shown without grouping (a line's or a contact's id)
INT = "int"
MONEY = "money"
DECIMAL = "decimal"
PERCENT = "percent"
DATE = "date"
DATETIME = "datetime"
TIME = "time"

NUMBER_FORMATS = {
    ID: "0",
    INT: "#,##0",
    MONEY: "#,##0.00",
    DECIMAL: "#,##0.00",
    PERCENT: "0.0",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm",
    TIME: "hh:mm",
}
# Column widths in characters, by kind (text columns by their heading, within bounds).
_WIDTHS = {ID: 10, TIME: 7, INT: 10, MONEY: 14, DECIMAL: 12, PERCENT: 9, DATE: 11, DATETIME: 17}
# Excel's limit for a sheet's name, and the characters it refuses in one.
_TITLE_MAX = 31
_TITLE_FORBIDDEN = str.maketrans({char: " " for char in "[]:*?/\\"})


class XlsxColumn(NamedTuple):
    label: str
    kind: str = TEXT


def cell_value(value, kind: str):
    """The value a cell of ``kind`` holds: numbers as numbers, times naive in Stockholm, the rest as text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value  # a true/false cell
    if isinstance(value, str):
        return neutralise(value)  # a label in a column of numbers (a sum row's "Summa"): text
    if kind in (MONEY, DECIMAL, PERCENT):
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind in (ID, INT):
        return int(value)
    if kind == DATETIME:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(STOCKHOLM).replace(tzinfo=None)
        return value
    if kind == DATE:
        return value.date() if isinstance(value, dt.datetime) else value
    if kind == TIME:
        return value.replace(tzinfo=None)
    return neutralise(str(value))


def _cell(sheet, value, kind: str, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=cell_value(value, kind))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    elif cell.value is not None and kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[kind]
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_xlsx(
    file,
    *,
    title: str,
    columns: Sequence[XlsxColumn],
    rows: Iterable[Sequence],
    bold_rows: Iterable[Sequence] = (),
) -> int:
    """Write one sheet (the headings, bold, then ``rows``, then ``bold_rows`` such as a sum row) to ``file`` (a
    path or a binary file); return the number of ``rows`` written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=neutralise(title).translate(_TITLE_FORBIDDEN)[:_TITLE_MAX] or "Sheet")
    for index, column in enumerate(columns, start=1):
        width = _WIDTHS.get(column.kind) or min(max(len(str(column.label)) + 2, 12), 40)
        sheet.column_dimensions[get_column_letter(index)].width = max(width, len(str(column.label)) + 2)
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, str(column.label), TEXT, bold=True) for column in columns])
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value, column.kind) for value, column in zip(row, columns, strict=True)])
        count += 1
    for row in bold_rows:
        sheet.append([_cell(sheet, value, column.kind, bold=True) for value, column in zip(row, columns, strict=True)])
    workbook.save(file)
    return count


def xlsx_response(
    *,
    filename: str,
    title: str,
    columns: Sequence[XlsxColumn],
    rows: Iterable[Sequence],
    bold_rows: Iterable[Sequence] = (),
) -> tuple[FileResponse, int]:
    """A download of the sheet, streamed from a temporary file (deleted when the response is closed), and the
    number of rows written."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response)
    try:
        count = write_xlsx(file, title=title, columns=columns, rows=rows, bold_rows=bold_rows)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    return response, count
