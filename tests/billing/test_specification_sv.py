"""The specification CSV for people (issue 15): Swedish headings and values, decimal commas, Stockholm dates,
semicolons and UTF-8 with a byte-order mark, sums equal to the invoice's to the öre; beside the machine CSV, which
does not change."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.documents import specification_csv
from billing.models import Invoice, InvoiceLine
from billing.selectors import invoice_totals
from billing.services import invoice_approve, invoice_credit, invoice_submit
from billing.specification_sv import specification_csv_sv, swedish_amount
from contacts.intake import contacts_upsert
from contacts.models import Contact
from kernel.business_time import STOCKHOLM
from regions.models import Role
from tests.billing.conftest import FORMULAS, _rows, run_now
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

MAN = personnummer("19621224", "011")  # an odd ninth digit: a man
WOMAN = personnummer("20010704", "246")

HEADER = (
    "\ufeffRad;Kontakt;Externt id;Datum;Tid;Yrke;Ersättningskategori;Rekommendationsversion;Ersättning (kr);"
    "Betald patientavgift (kr);Avdragen patientavgift (kr);Netto (kr);Vårdenhet (HSA-id);Personnummer;"
    "Hemregion (län);Kön;Avvisning hävd\r\n"
)


@pytest.fixture
def april_day():
    """The clock at 10 April 2026 (running on), a day March 2026 is invoiced."""
    with time_machine.travel(dt.datetime(2026, 4, 10, 10, 0, tzinfo=STOCKHOLM), tick=True):
        yield


@pytest.fixture
def small(april_day, staff, providers, django_capture_on_commit_callbacks):
    """Three contacts of March 2026 billed by Sörmland (04) to Norrbotten (25), approved: a physician with a care
    unit (a man, the night summer time begins: 23:30 UTC is 00:30 in Stockholm, the next day), a psychologist (no
    fee), a nurse whose fee is above the rate (the rate is deducted, the net is 0)."""
    hsa = providers["04a"].hsa_id
    items = [
        contact_item(
            provider=hsa,
            external_id="läk-1",
            started_at="2026-03-28T23:30:00+00:00",
            patient_id=MAN,
            patient_fee="200.00",
            care_unit="SE2321000032-VC1",
        ),
        contact_item(
            provider=hsa,
            external_id="psy-1",
            started_at="2026-03-30T08:05:00+02:00",
            profession="PS",
            patient_fee="0.00",
            patient_id=WOMAN,
        ),
        contact_item(
            provider=hsa,
            external_id="ssk-1",
            started_at="2026-03-31T16:45:00+02:00",
            profession="SJ",
            patient_fee="300.00",
            patient_id=WOMAN,
        ),
    ]
    result = contacts_upsert(items=items, user=staff["clerk04"], channel="api")
    assert result.errors == []
    run_now(period="2026-03", run_date=dt.date(2026, 4, 10))
    invoice = Invoice.objects.get(buyer_id="25", period="2026-03")
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_approve(invoice=invoice, by=staff["manager04"])
    invoice.refresh_from_db()
    return invoice


def ids(invoice: Invoice) -> list[tuple[int, int]]:
    return list(invoice.lines.order_by("id").values_list("id", "contact_id"))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_small_invoice_exactly(api_as, small):
    (l1, c1), (l2, c2), (l3, c3) = ids(small)

    response = api_as(Role.CLERK, "25").get(f"/api/v1/invoices/{small.pk}/specification-sv.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="fakturaunderlag-{small.number}-sv.csv"'
    assert body(response) == (
        HEADER + f"{l1};{c1};läk-1;2026-03-29;00:30;LK;Läkare;SKR-2026-01;435,00;200,00;200,00;235,00;SE2321000032-VC1;"
        f"{MAN.replace('-', '')};25;M;\r\n"
        f"{l2};{c2};psy-1;2026-03-30;08:05;PS;Psykolog, kurator eller psykoterapeut;SKR-2026-01;405,00;0,00;0,00;"
        f"405,00;;{WOMAN.replace('-', '')};25;K;\r\n"
        f"{l3};{c3};ssk-1;2026-03-31;16:45;SJ;Annan legitimerad personal;SKR-2026-01;235,00;300,00;235,00;0,00;;"
        f"{WOMAN.replace('-', '')};25;K;\r\n"
        "Summa;;;;;;;;1075,00;500,00;435,00;640,00;;;;;\r\n"
    ).encode("utf-8")


def test_a_credit_note_exactly_with_negative_amounts(api_as, small, staff):
    credited = [Contact.objects.get(external_id=external_id).pk for external_id in ("läk-1", "ssk-1")]
    credit_note = invoice_credit(
        invoice=small, contact_ids=credited, reason=2, note="Fel pris", by=staff["clerk04"], via="api"
    )
    (l1, c1), (l3, c3) = ids(credit_note)

    response = api_as(Role.MANAGER, "04").get(f"/api/v1/invoices/{credit_note.pk}/specification-sv.csv")

    assert response["Content-Disposition"] == f'attachment; filename="fakturaunderlag-{credit_note.pk}-sv.csv"'
    assert body(response) == (
        HEADER
        + f"{l1};{c1};läk-1;2026-03-29;00:30;LK;Läkare;SKR-2026-01;-435,00;-200,00;-200,00;-235,00;SE2321000032-VC1;"
        f"{MAN.replace('-', '')};25;M;\r\n"
        f"{l3};{c3};ssk-1;2026-03-31;16:45;SJ;Annan legitimerad personal;SKR-2026-01;-235,00;-300,00;-235,00;0,00;;"
        f"{WOMAN.replace('-', '')};25;K;\r\n"
        "Summa;;;;;;;;-670,00;-500,00;-435,00;-235,00;;;;;\r\n"
    ).encode("utf-8")


@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_the_sum_row_equals_the_invoices_totals_to_the_ore(small, staff, kind):
    invoice = small
    if kind == "credit_note":
        invoice = invoice_credit(
            invoice=small,
            contact_ids=list(small.lines.values_list("contact_id", flat=True)),
            reason=9,
            note="Inte fakturerbar",
            by=staff["clerk04"],
            via="api",
        )
    totals = invoice_totals(invoice)

    rows = list(csv.reader(io.StringIO("".join(specification_csv_sv(invoice, full_identity=True))), delimiter=";"))

    assert rows[-1][0] == "Summa"
    # Rate, fee deducted and net sum to the invoice PDF's gross, patient fees and net (its total); each line keeps
    # rate − fee deducted = net.
    assert rows[-1][8:12] == [
        swedish_amount(sum((t.gross for t in totals), Decimal(0))),
        swedish_amount(sum(invoice.lines.values_list("patient_fee", flat=True)) * (-1 if kind == "credit_note" else 1)),
        swedish_amount(sum((t.patient_fees for t in totals), Decimal(0))),
        swedish_amount(invoice.total),
    ]
    assert rows[-1][11] == {"invoice": "640,00", "credit_note": "-640,00"}[kind]
    for row in rows[1:-1]:
        rate, _paid, deducted, net = (Decimal(cell.replace(",", ".")) for cell in row[8:12])
        assert rate - deducted == net


def test_the_machine_csv_is_unchanged(small):
    """The integration format keeps its columns, its numbers and its times."""
    rows = list(csv.reader(io.StringIO("".join(specification_csv(small, full_identity=True))), delimiter=";"))

    assert rows[0][0] == "\ufeffline_id" and rows[0][1:] == [
        "contact_id",
        "external_id",
        "started_at",
        "profession",
        "category",
        "recommendation",
        "rate",
        "patient_fee",
        "amount",
        "care_unit",
        "patient_id",
        "home_region",
        "sex",
        "rejection_overridden",
    ]
    assert rows[1][2:10] == ["läk-1", "2026-03-29T00:30+01:00", "LK", "physician", "SKR-2026-01", "435.00", "200.00",
                             "235.00"]  # fmt: skip


def test_masked_numbers_formula_cells_and_overrides(small):
    # Intake refuses such values, and an approved line refuses changes through the ORM: planted underneath both.
    InvoiceLine._base_manager.filter(external_id="läk-1").update(
        external_id='=HYPERLINK("http://x")', care_unit="@SUM(A1)", overridden=True
    )
    InvoiceLine._base_manager.filter(external_id="psy-1").update(external_id="-2+3")

    rows = list(csv.reader(io.StringIO("".join(specification_csv_sv(small, full_identity=False))), delimiter=";"))

    first, second = rows[1], rows[2]
    assert (first[2], first[12], first[13], first[16]) == (
        '\'=HYPERLINK("http://x")',
        "'@SUM(A1)",
        MAN[:8] + "-****",
        "ja",
    )
    assert (second[2], second[13], second[16]) == ("'-2+3", WOMAN[:8] + "-****", "")
    assert rows[-1][8:12] == ["1075,00", "500,00", "435,00", "640,00"]  # amounts stay numbers, negative or not


def test_the_swedish_csv_is_swedish_whatever_the_readers_language(api_as, small):
    api = api_as(Role.CLERK, "04")

    response = api.get(f"/api/v1/invoices/{small.pk}/specification-sv.csv", HTTP_ACCEPT_LANGUAGE="en")

    assert body(response).startswith(HEADER.encode("utf-8"))


def test_the_invoice_page_offers_it_beside_the_pdf(client, small, staff):
    client.force_login(staff["clerk04"])

    html = client.get(reverse("admin:billing_invoice_change", args=[small.pk])).content.decode()

    csv_sv = reverse("api-v1:invoice-specification-csv-sv", args=[small.pk])
    assert csv_sv == f"/api/v1/invoices/{small.pk}/specification-sv.csv"
    assert f'<a href="{csv_sv}">Fakturaunderlag för Excel (CSV)</a>' in html
    assert f'<a href="{reverse("admin:billing_invoice_specification", args=[small.pk])}">' in html


def test_the_schema_documents_it():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    operation = paths["/api/v1/invoices/{id}/specification-sv.csv"]["get"]

    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]
    assert operation["summary"] == (
        "The specification of an invoice as a Swedish CSV for people (Excel), every line and a sum row"
    )


def test_the_swedish_specification_csv_download_is_neutralised(api_as, formula_invoice):
    response = api_as(Role.CLERK, "04").get(f"/api/v1/invoices/{formula_invoice.pk}/specification-sv.csv")

    rows = _rows([b"".join(response.streaming_content).decode("utf-8")])
    assert rows[0][2] == "Externt id"
    neutralised = ["'" + formula.replace("\t", "\ufffd").replace("\r", "\ufffd") for formula in FORMULAS]
    assert [row[2] for row in rows[1:-2]] == neutralised
    assert [row[12] for row in rows[1:-2]] == neutralised
    assert {row[11] for row in rows[1:-1]} == {"400,00"}  # amounts are numbers, never prefixed
    assert rows[-1][0] == "Summa"
    assert {len(row) for row in rows} == {17}  # a carriage return in a cell is U+FFFD, never a line break
