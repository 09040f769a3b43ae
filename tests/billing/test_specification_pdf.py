"""Issue 19: the specification PDF drawn onto its pages (billing/specification_pdf.py). A value longer than its column
wraps onto continuation rows in that column and is never cut; every page carries the column headings and its number
of the whole ("sida N av M"); the lines' sums end it, their net the invoice's total to the öre."""

import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from billing.documents import render_specification_pdf
from billing.models import Invoice, InvoiceLine
from billing.specification_pdf import PDF_COLUMNS, _Document, _fonts
from tests.billing.conftest import run_now

pytestmark = pytest.mark.django_db

HEADINGS = "     Rad   Kontakt Externt id"
RULE = "─" * 176


def pages_of(pdf: bytes) -> list[list[str]]:
    return [page.extract_text().splitlines() for page in PdfReader(io.BytesIO(pdf)).pages]


def offset(name: str) -> int:
    """Where a column starts in a printed row."""
    names = [column.name for column in PDF_COLUMNS]
    return sum(column.width + 1 for column in PDF_COLUMNS[: names.index(name)])


def pieces(rows: list[str], name: str) -> list[str]:
    """A column's text in each of a line's printed rows, spaces around it left off."""
    start = offset(name)
    width = next(column.width for column in PDF_COLUMNS if column.name == name)
    return [row[start : start + width].strip() for row in rows if row[start : start + width].strip()]


def line_rows(lines: list[str], line_id: int) -> list[str]:
    """A line's printed rows: the one that starts with its id and the continuation rows under it."""
    start = next(index for index, text in enumerate(lines) if text[:8].strip() == str(line_id))
    rows = [lines[start]]
    for text in lines[start + 1 :]:
        if text[:19].strip() or not text.startswith(" " * 19):
            break
        rows.append(text)
    return rows


def row(line_id: int, **values) -> tuple:
    """A row as ``specification_rows`` yields it."""
    cells = {
        "line_id": line_id,
        "contact_id": 1000 + line_id,
        "external_id": f"ext-{line_id}",
        "started_at": "2026-01-30T10:00+01:00",
        "profession": "LK",
        "category": "physician",
        "recommendation": "SKR-2026-01",
        "rate": "435.00",
        "patient_fee": "100.00",
        "amount": "335.00",
        "care_unit": "SE2321000032-E1",
        "patient_id": "19850312-****",
        "home_region": "25",
        "sex": "F",
        "rejection_overridden": "",
    }
    cells.update(values)
    return tuple(cells[column.name] for column in PDF_COLUMNS)


@pytest.fixture
def draft(january):
    run_now()
    return Invoice.objects.get(buyer_id="25")


def drawn(invoice: Invoice, rows) -> bytes:
    """The PDF of ``rows`` under ``invoice``'s title, as ``render_specification_pdf`` draws the database's rows."""
    _fonts()
    with translation.override("sv"):
        return _Document(invoice).render(iter(rows))


def test_the_longest_external_id_the_database_keeps_is_printed_whole(draft):
    long_id = "".join(f"{index:02d}x" for index in range(22))[:64]  # 64 characters, no space to wrap at
    InvoiceLine.objects.filter(invoice=draft, external_id="lk-30").update(external_id=long_id)
    line_id = InvoiceLine.objects.get(invoice=draft, external_id=long_id).pk

    (lines,) = pages_of(render_specification_pdf(draft, full_identity=False))

    rows = line_rows(lines, line_id)
    assert "".join(pieces(rows, "external_id")) == long_id
    assert pieces(rows, "external_id") == [long_id[:22], long_id[22:44], long_id[44:]]
    assert rows[0].split()[3:] == ["2026-01-30", "10:00", "LK", "Läkare", "SKR-2026-01", "435,00", "100,00", "335,00",
                                   "19850312-****", "25", "K"]  # fmt: skip
    assert "…" not in "".join(lines)


def test_a_200_character_value_wraps_whole_in_its_column(draft):
    no_space = "".join(chr(ord("A") + index % 26) + str(index % 10) for index in range(100))  # 200 characters
    spaced = " ".join(["Vårdcentralen Åre Östra"] * 9)[:200].rstrip()
    assert len(no_space) == 200 and len(spaced) == 200

    (lines,) = pages_of(drawn(draft, [row(1), row(2, external_id=no_space, care_unit=spaced, recommendation=no_space)]))

    rows = line_rows(lines, 2)
    assert "".join(pieces(rows, "external_id")) == no_space
    assert "".join(pieces(rows, "recommendation")) == no_space
    assert " ".join(pieces(rows, "care_unit")) == spaced  # cut at spaces: each cut's space is the row break
    assert len(rows) == 200 // 11 + 1  # the version column (11 wide) is the tallest
    assert all(len(piece) <= 31 for piece in pieces(rows, "care_unit"))
    assert "…" not in "".join(lines)
    assert line_rows(lines, 1) == [lines[lines.index(line_rows(lines, 1)[0])]]  # a short line stays one row


def test_every_page_has_its_headings_and_its_number_of_the_whole(draft):
    rows = [row(n, external_id="y" * 100 if n % 40 == 0 else f"ext-{n}") for n in range(1, 301)]

    pages = pages_of(drawn(draft, rows))

    count = len(pages)
    assert count == 7
    for number, lines in enumerate(pages, start=1):
        headings = lines.index(next(text for text in lines if text.startswith(HEADINGS)))
        assert lines[headings + 1] == RULE
        assert headings == (2 if number == 1 else 0)  # under the title and the parties on the first page
        assert lines[-1] == f"Fakturaunderlag {draft.pk} – sida {number} av {count}"  # a draft has no id yet
        first = lines[headings + 2]
        assert first[:8].strip().isdigit()  # a page starts with a line, never with the rest of one
    printed = [int(text[:8]) for lines in pages for text in lines if text[:8].strip().isdigit()]
    assert printed == list(range(1, 301))  # every line once, in order
    for line_id in range(40, 301, 40):  # a line's rows stay together on its page
        page = next(lines for lines in pages if any(text[:8].strip() == str(line_id) for text in lines))
        assert "".join(pieces(line_rows(page, line_id), "external_id")) == "y" * 100
    assert pages[-1][-2] == (
        "Summa 300 rader: ersättning 130 500,00 kr, betald patientavgift 30 000,00 kr, netto 100 500,00 kr."
    )
    assert pages[0][0] == "Fakturaunderlag (utkast) – faktura (utkast)"


def test_a_line_taller_than_a_page_goes_on_over_the_next(draft):
    tall = "".join(chr(ord("a") + index % 26) for index in range(300))  # 75 rows: more than a page holds

    pages = pages_of(drawn(draft, [row(1), row(2, profession=tall), row(3)]))

    assert len(pages) == 2
    rows = line_rows(pages[0], 2) + [text for text in pages[1] if text.startswith(" " * 19) and text.strip()]
    assert "".join(pieces(rows, "profession")) == tall
    assert [int(text[:8]) for lines in pages for text in lines if text[:8].strip().isdigit()] == [1, 2, 3]


def test_the_sums_end_the_document_and_the_net_is_the_invoices_total(draft):
    (lines,) = pages_of(render_specification_pdf(draft, full_identity=False))

    total = f"{draft.total:,.2f}".replace(",", " ").replace(".", ",")
    assert total == "1 140,00"
    assert lines[-2] == (
        f"Summa {draft.contact_count} rader: ersättning 1 575,00 kr, betald patientavgift 500,00 kr, netto {total} kr."
    )
    assert lines[-1] == f"Fakturaunderlag {draft.pk} – sida 1 av 1"
    text = "\n".join(lines)
    assert "19850312-****" in text and "198503122387" not in text  # masked for a reader who may not see them


def test_a_credit_note_sums_to_its_negative_total(january, staff):
    from billing.services import invoice_approve, invoice_credit, invoice_submit
    from contacts.models import Contact
    from kernel.history import Via

    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    approved = invoice_approve(invoice=invoice, by=staff["manager04"])
    contacts = Contact.objects.filter(external_id__in=["lk-29", "ps-30"]).values_list("pk", flat=True)
    credit_note = invoice_credit(
        invoice=approved, contact_ids=list(contacts), reason=2, note="Fel pris", by=staff["clerk04"], via=Via.API
    )

    (lines,) = pages_of(render_specification_pdf(credit_note, full_identity=True))

    assert credit_note.total == -805
    # A credit line keeps the rate and fee paid of the line it credits; its net is negative.
    assert lines[-2] == "Summa 2 rader: ersättning 905,00 kr, betald patientavgift 100,00 kr, netto -805,00 kr."
    assert lines[-1] == f"Fakturaunderlag {credit_note.pk} – sida 1 av 1"  # not approved yet: no id of its own


def test_a_character_the_font_lacks_is_printed_as_its_code_point(draft):
    InvoiceLine.objects.filter(invoice=draft, external_id="lk-30").update(external_id="lk-\U0001f600漢")
    draft.buyer.name = "Region 漢"  # drawn in the text font, which lacks it too
    draft.buyer.save(update_fields=["name"])

    (lines,) = pages_of(render_specification_pdf(draft, full_identity=False))

    assert any(text.split()[2:3] == ["lk-[U+1F600][U+6F22]"] for text in lines)
    assert "till Region [U+6F22] (org.nr" in lines[1]
    assert "\x00" not in "".join(lines)
