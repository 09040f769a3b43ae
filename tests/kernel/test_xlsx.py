"""kernel.xlsx: the one writer of the XLSX exports. Real cells with Swedish formats, Stockholm times naive in the
cell, text never a formula, control characters shown as U+FFFD, the sum rows in bold."""

import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from kernel import xlsx

COLUMNS = [
    xlsx.XlsxColumn("Text"),
    xlsx.XlsxColumn("Id", xlsx.ID),
    xlsx.XlsxColumn("Antal", xlsx.INT),
    xlsx.XlsxColumn("Belopp", xlsx.MONEY),
    xlsx.XlsxColumn("Andel", xlsx.PERCENT),
    xlsx.XlsxColumn("Datum", xlsx.DATE),
    xlsx.XlsxColumn("Tid", xlsx.DATETIME),
    xlsx.XlsxColumn("Klockslag", xlsx.TIME),
]


def written(rows, bold_rows=()):
    out = io.BytesIO()
    count = xlsx.write_xlsx(out, title="Rapport: 2026/03 [test]", columns=COLUMNS, rows=rows, bold_rows=bold_rows)
    return count, load_workbook(io.BytesIO(out.getvalue())).active


def test_cells_are_real_cells_with_swedish_formats():
    at = dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC)  # 00:30 the next day in Stockholm (winter time)
    count, sheet = written(
        [["Läkare", 12345, 1234, Decimal("1234.50"), Decimal("12.5"), dt.date(2026, 3, 29), at, dt.time(0, 30)]],
        bold_rows=[["Summa", None, 1234, Decimal("-0.01"), None, None, None, None]],
    )

    assert count == 1
    assert sheet.title == "Rapport  2026 03  test "
    header, row, total = list(sheet.iter_rows())
    assert [c.value for c in header] == [c.label for c in COLUMNS]
    assert all(c.font.b for c in header)
    assert [c.value for c in row] == [
        "Läkare", 12345, 1234, 1234.5, 12.5, dt.datetime(2026, 3, 29), dt.datetime(2026, 3, 29, 0, 30), dt.time(0, 30)
    ]  # fmt: skip
    assert [c.number_format for c in row] == [
        "General", "0", "#,##0", "#,##0.00", "0.0", "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "hh:mm"
    ]  # fmt: skip
    assert [c.data_type for c in row] == ["s", "n", "n", "n", "n", "d", "d", "d"]
    assert isinstance(row[2].value, int)
    assert Decimal(str(total[3].value)) == Decimal("-0.01")  # to the öre
    assert total[0].font.b and total[3].font.b
    assert sheet.freeze_panes == "A2"


def test_text_is_never_a_formula_and_control_characters_are_visible():
    _count, sheet = written(
        [
            ["=1+2", None, None, None, None, None, None, None],
            ['=HYPERLINK("http://x")', None, None, None, None, None, None, None],
            ["a\u202eb\x00c", None, None, None, None, None, None, None],
        ]
    )

    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in cells] == [
        ("=1+2", "s"),
        ('=HYPERLINK("http://x")', "s"),
        ("a\ufffdb\ufffdc", "s"),
    ]


def test_empty_values_are_empty_cells_and_a_label_in_a_number_column_is_text():
    _count, sheet = written(
        [["", None, "", None, None, None, None, None], ["x", "Summa", 1, None, None, None, None, None]]
    )

    first, second = list(sheet.iter_rows(min_row=2))
    assert [c.value for c in first] == [None] * 8
    assert (second[1].value, second[1].data_type) == ("Summa", "s")


def test_the_response_streams_a_file():
    response, count = xlsx.xlsx_response(
        filename="rapport.xlsx", title="Rapport", columns=COLUMNS[:2], rows=iter([["a", 1], ["b", 2]])
    )

    assert count == 2
    assert response["Content-Type"] == xlsx.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="rapport.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["Text", "Id"], ["a", 1], ["b", 2]]
    response.file_to_stream.close()  # the temporary file (the server closes the response)
