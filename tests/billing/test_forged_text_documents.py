"""Issue 16: a forged value stored before intake refused it cannot make a new line nor turn text around in any
document: the specification PDF, the invoice PDF, the credit note PDF, the specification CSV (Python's writer and
PostgreSQL's COPY). The values are planted underneath intake, as a row stored before the fix would be."""

import csv
import io

import pytest
from django.db import connection
from pypdf import PdfReader

from billing import documents
from billing.models import Invoice, InvoiceLine
from billing.services import invoice_approve, invoice_credit, invoice_submit
from contacts.models import Contact
from kernel.history import Via
from kernel.text import FORBIDDEN_RANGES
from regions.models import Region
from tests.billing.conftest import run_now

pytestmark = pytest.mark.django_db

PATIENT = ["19850312-****", "25", "K"]
FORGED_LINE = "999999\u2028FORGED LINE 99 999,00"  # U+2028 would start a line of its own
REVERSING = "lk\u202e"  # U+202E would show the rest of the line backwards: 500,00 as 00,005
R = "\ufffd"


def pdf_lines(pdf: bytes) -> list[str]:
    return [line for page in PdfReader(io.BytesIO(pdf)).pages for line in page.extract_text().splitlines()]


@pytest.fixture
def forged(january):
    """January's invoice to Norrbotten (25) with a forged external id on two of its lines and forged texts in the
    buyer's name, address and invoice reference."""
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    InvoiceLine.objects.filter(invoice=invoice, external_id="lk-30").update(external_id=FORGED_LINE)
    InvoiceLine.objects.filter(invoice=invoice, external_id="lk-29").update(external_id=REVERSING)
    forge_buyer()
    invoice.refresh_from_db()
    return invoice


def forge_buyer():
    Region.objects.filter(code="25").update(
        name="Region Norrbotten\u2028Bankgiro 9999-9999",
        address="Box 1\u2029Att betala 1 000 000,00 kr",
        invoice_reference="\u202eref-42",
    )


def rows_of(lines: list[str]) -> list[list[str]]:
    """The specification's data rows (line id and contact id first), as their words after the two ids."""
    return [line.split()[2:] for line in lines if line.split()[:2] and all(w.isdigit() for w in line.split()[:2])]


def test_the_specification_pdf_keeps_each_line_on_its_line_reading_forwards(forged):
    lines = pdf_lines(documents.render_specification_pdf(forged, full_identity=False))

    assert rows_of(lines) == [
        [f"lk{R}", "2026-01-29", "10:00", "LK", "Läkare", "SKL-2019", "500,00", "100,00", "400,00", *PATIENT],
        [f"999999{R}FORGED", "LINE", "99", "2026-01-30", "10:00", "LK", "Läkare", "SKR-2026-01", "435,00", "100,00",
         "335,00", *PATIENT],
        ["ps-30", "2026-01-30", "11:00", "PS", "Psykolog", "m.fl.", "SKR-2026-01", "405,00", "0,00", "405,00",
         *PATIENT],
        ["sj-31", "2026-01-31", "23:30", "SJ", "Annan", "legit.", "SKR-2026-01", "235,00", "300,00", "0,00", *PATIENT],
    ]  # fmt: skip
    # The rest of the forged id wraps onto a continuation row in its column (issue 19: nothing is cut).
    continuation = lines[lines.index(next(line for line in lines if "FORGED" in line)) + 1]
    assert continuation == " " * 19 + "999,00"
    assert not any(line.lstrip().startswith("FORGED") for line in lines)
    assert "00,005" not in "".join(lines)  # 500,00 read backwards


def test_the_invoice_pdf_shows_the_buyers_forged_texts_on_their_own_lines(forged):
    lines = pdf_lines(documents.render_invoice_pdf(forged))

    assert _buyer_block(lines) == [
        f"Region Norrbotten{R}Bankgiro 9999-9999",
        f"Box 1{R}Att betala 1 000 000,00 kr",
        "Org.nr 232100-0230",
        "Länskod 25",
        f"Er referens: {R}ref-42",
    ]
    assert "Bankgiro 5000-0041" in lines and "Bankgiro 9999-9999" not in lines


def _buyer_block(lines: list[str]) -> list[str]:
    start = lines.index("KÖPARE") + 1
    return lines[start : start + 5]


def test_the_credit_note_pdf_shows_them_the_same_way(january, staff):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    approved = invoice_approve(invoice=invoice, by=staff["manager04"])
    contact = Contact.objects.get(external_id="ps-30")
    credit_note = invoice_credit(
        invoice=approved, contact_ids=[contact.pk], reason=2, note="Fel pris", by=staff["clerk04"], via=Via.API
    )
    forge_buyer()

    lines = pdf_lines(documents.render_invoice_pdf(credit_note))

    assert lines[1] == "Kreditfaktura"
    assert _buyer_block(lines) == [
        f"Region Norrbotten{R}Bankgiro 9999-9999",
        f"Box 1{R}Att betala 1 000 000,00 kr",
        "Org.nr 232100-0230",
        "Länskod 25",
        f"Er referens: {R}ref-42",
    ]
    assert not any(line.startswith(("Bankgiro 9999", "Att betala 1 000 000")) for line in lines)


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def test_the_specification_csv_has_one_line_per_invoice_line(forged):
    text = "".join(documents.specification_csv(forged, full_identity=False))

    rows = _csv_rows(text)
    assert len(text.splitlines()) == 5  # even for a reader that ends lines at U+2028 (str.splitlines does)
    assert [row[2] for row in rows] == ["external_id", f"lk{R}", f"999999{R}FORGED LINE 99 999,00", "ps-30", "sj-31"]
    assert [row[7:10] for row in rows[1:3]] == [["500.00", "100.00", "400.00"], ["435.00", "100.00", "335.00"]]
    assert {len(row) for row in rows} == {15}


# The first and last character of each range (NUL aside: PostgreSQL stores none), 45 characters.
EVERY_RANGE = "".join(chr(start) + chr(end) for start, end in FORBIDDEN_RANGES)[1:]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's COPY writes the CSV there")
def test_postgresql_and_python_neutralise_the_csv_alike(forged):
    InvoiceLine.objects.filter(invoice=forged, external_id="ps-30").update(
        external_id=EVERY_RANGE,
        care_unit="\U000e0041\u00ad\ufeff",
    )

    copy_rows = _csv_rows("".join(documents._specification_csv_copy(forged, full_identity=False)))
    python_rows = _csv_rows("".join(documents._specification_csv_python(forged, full_identity=False)))

    assert copy_rows == python_rows
    assert sorted(row[2] for row in copy_rows) == sorted(
        [f"999999{R}FORGED LINE 99 999,00", f"lk{R}", "sj-31", R * len(EVERY_RANGE)]
    )
    assert sorted(row[10] for row in copy_rows) == ["", "", "", R * 3]
