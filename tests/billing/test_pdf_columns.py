"""The PDF specification's named columns (billing/specification_pdf.py ``PDF_COLUMNS``): one per field of the
specification's rows, each with its heading, width, alignment and way of showing a cell. Pure: no database, no PDF."""

from django.utils import translation

from billing.documents import SPECIFICATION_COLUMNS
from billing.specification_pdf import PDF_COLUMNS, _pdf_line, _pdf_rows

ROW = [12, 345, "lk-30", "2026-01-30T10:00+01:00", "LK", "physician", "SKR-2026-01", "435.00", "100.00", "1234567.89",
       "SE2321000032-E1", "19850312-****", "25", "F", "yes"]  # fmt: skip


def test_there_is_one_named_column_per_field_of_the_specification_rows_in_their_order():
    assert tuple(column.name for column in PDF_COLUMNS) == SPECIFICATION_COLUMNS
    assert [column.name for column in PDF_COLUMNS if column.right] == [
        "line_id",
        "contact_id",
        "rate",
        "patient_fee",
        "amount",
    ]
    assert sum(column.width + 1 for column in PDF_COLUMNS) - 1 == 176  # the widest line, one space between columns


def test_the_headings_stand_over_their_columns_in_swedish():
    with translation.override("sv"):
        headings = _pdf_line([str(column.heading) for column in PDF_COLUMNS], heading=True)

    assert headings == (
        "     Rad   Kontakt Externt id             Tid              Yrke Kategori       Version     Ersättn.   Avgift"
        "    Netto Vårdenhet                       Personnummer  Län Kön Hävd"
    )


def test_a_line_shows_local_minutes_swedish_words_and_kronor_wrapped_to_their_widths():
    with translation.override("sv"):
        rows = _pdf_rows(ROW)

    # Issue 19: an amount wider than its column wraps at a thousands separator onto a continuation row, in its
    # column; it was cut with "…".
    assert rows == [
        "      12       345 lk-30                  2026-01-30 10:00 LK   Läkare         SKR-2026-01   435,00   100,00"
        "    1\xa0234 SE2321000032-E1                 19850312-**** 25  K   ja",
        " " * 111 + "567,89",
    ]


def test_a_long_or_forged_text_stays_in_its_column_on_its_rows():
    row = [1, 2, "x" * 30 + "\u2028", "2026-03-29T03:30+02:00", "PS", "other_licensed", "V", "-435.00", "0.00",
           "-435.00", "", "********-****", "01", "M", ""]  # fmt: skip

    with translation.override("sv"):
        rows = _pdf_rows(row)

    # Issue 19: the rest of the value wraps onto a continuation row in its column instead of being cut with "…".
    assert rows == [
        "       1         2 xxxxxxxxxxxxxxxxxxxxxx 2026-03-29 03:30 PS   Annan legit.   V            -435,00     0,00"
        "  -435,00                                 ********-**** 01  M",
        " " * 19 + "xxxxxxxx\ufffd",
    ]


def test_a_forged_category_or_sex_is_neutralised_like_every_other_text_cell():
    row = [*ROW[:5], "=x\u202eyz", *ROW[6:13], "\u2028", ""]

    with translation.override("sv"):
        line = _pdf_rows(row)[0]  # its first row: ROW's net wraps onto a second (issue 19)

    assert "\u202e" not in line
    assert "\u2028" not in line
    assert line.split()[6:8] == ["=x\ufffdyz", "SKR-2026-01"]
    assert line.endswith("19850312-**** 25  \ufffd")
