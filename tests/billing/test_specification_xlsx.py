"""The specification as XLSX (issue 20): the Swedish specification's lines and sum row as real cells (amounts as
numbers with #,##0.00, the date and the time as date cells in Stockholm time), text never a formula, the same
scope, masking and record of the read as the CSV."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from billing.models import InvoiceLine
from billing.specification_sv import specification_xlsx
from contacts.audit.models import IdentityRead, ReadVia
from regions.models import Role
from tests.billing import test_specification_sv as sv

pytestmark = pytest.mark.django_db

# The Swedish CSV's invoice (fixtures) and its helpers.
april_day, small, ids, MAN, WOMAN = sv.april_day, sv.small, sv.ids, sv.MAN, sv.WOMAN

HEADINGS = [
    "Rad",
    "Kontakt",
    "Externt id",
    "Datum",
    "Tid",
    "Yrke",
    "Ersättningskategori",
    "Rekommendationsversion",
    "Ersättning (kr)",
    "Betald patientavgift (kr)",
    "Avdragen patientavgift (kr)",
    "Netto (kr)",
    "Vårdenhet (HSA-id)",
    "Personnummer",
    "Hemregion (län)",
    "Kön",
    "Avvisning hävd",
]


def sheet(response):
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(content)).active


def values(ws) -> list[list]:
    return [[cell.value for cell in row] for row in ws.iter_rows()]


def öre(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_a_small_invoice_exactly_with_real_cells_and_the_read_recorded(api_as, small):
    (l1, c1), (l2, c2), (l3, c3) = ids(small)
    path = f"/api/v1/invoices/{small.pk}/specification.xlsx"

    response = api_as(Role.CLERK, "25").get(path)

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="fakturaunderlag-{small.number}.xlsx"'
    ws = sheet(response)
    rows = values(ws)
    assert rows[0] == HEADINGS
    man, woman = MAN.replace("-", ""), WOMAN.replace("-", "")
    assert rows[1:4] == [
        [l1, c1, "läk-1", dt.datetime(2026, 3, 29), dt.time(0, 30), "LK", "Läkare", "SKR-2026-01",
         435, 200, 200, 235, "SE2321000032-VC1", man, "25", "M", None],
        [l2, c2, "psy-1", dt.datetime(2026, 3, 30), dt.time(8, 5), "PS", "Psykolog, kurator eller psykoterapeut",
         "SKR-2026-01", 405, 0, 0, 405, None, woman, "25", "K", None],
        [l3, c3, "ssk-1", dt.datetime(2026, 3, 31), dt.time(16, 45), "SJ", "Annan legitimerad personal",
         "SKR-2026-01", 235, 300, 235, 0, None, woman, "25", "K", None],
    ]  # fmt: skip
    assert rows[4] == ["Summa", *[None] * 7, 1075, 500, 435, 640, *[None] * 5]
    first = next(iter(ws.iter_rows(min_row=2, max_row=2)))
    assert [first[i].number_format for i in (0, 3, 4, 8, 11)] == ["0", "yyyy-mm-dd", "hh:mm", "#,##0.00", "#,##0.00"]
    assert [first[i].data_type for i in (0, 2, 3, 8, 13)] == ["n", "s", "d", "n", "s"]
    assert ws.title == f"Fakturaunderlag {small.number}"
    reads = list(IdentityRead.objects.values_list("via", "invoice_id", "contact_count", "path"))
    assert reads == [(ReadVia.XLSX_SPECIFICATION, small.pk, 3, path)]


def test_amounts_to_the_ore_and_negative_on_a_credit_note(api_as, small, staff):
    from billing.services import invoice_credit
    from contacts.models import Contact

    InvoiceLine._base_manager.filter(external_id="psy-1").update(rate=Decimal("405.55"), amount=Decimal("405.55"))
    credited = [Contact.objects.get(external_id=external_id).pk for external_id in ("läk-1", "psy-1")]
    credit_note = invoice_credit(
        invoice=small, contact_ids=credited, reason=2, note="Fel pris", by=staff["clerk04"], via="api"
    )

    rows = values(sheet(api_as(Role.MANAGER, "04").get(f"/api/v1/invoices/{credit_note.pk}/specification.xlsx")))

    assert [[öre(v) for v in row[8:12]] for row in rows[1:]] == [
        [Decimal("-435.00"), Decimal("-200.00"), Decimal("-200.00"), Decimal("-235.00")],
        [Decimal("-405.55"), Decimal("0.00"), Decimal("0.00"), Decimal("-405.55")],
        [Decimal("-840.55"), Decimal("-200.00"), Decimal("-200.00"), Decimal("-640.55")],
    ]


def test_masked_numbers_and_formulas_stay_text(small):
    InvoiceLine._base_manager.filter(external_id="läk-1").update(
        external_id="=1+2", care_unit='=HYPERLINK("http://x")', overridden=True
    )
    InvoiceLine._base_manager.filter(external_id="psy-1").update(external_id="@SUM(A1)\t")

    file = io.BytesIO()
    assert specification_xlsx(file, small, full_identity=False) == 3
    ws = load_workbook(io.BytesIO(file.getvalue())).active

    first, second = list(ws.iter_rows(min_row=2, max_row=3))
    assert [(c.value, c.data_type) for c in (first[2], first[12], second[2])] == [
        ("=1+2", "s"),
        ('=HYPERLINK("http://x")', "s"),
        ("@SUM(A1)\ufffd", "s"),
    ]
    assert (first[13].value, second[13].value, first[16].value) == (MAN[:8] + "-****", WOMAN[:8] + "-****", "ja")


def test_the_seller_sees_formulas_as_text_through_the_api(api_as, small):
    InvoiceLine._base_manager.filter(external_id="läk-1").update(external_id="=1+2")

    ws = sheet(api_as(Role.MANAGER, "04").get(f"/api/v1/invoices/{small.pk}/specification.xlsx"))

    cell = next(iter(ws.iter_rows(min_row=2, max_row=2)))[2]
    assert (cell.value, cell.data_type) == ("=1+2", "s")


def test_another_region_gets_404(api_as, small):
    response = api_as(Role.CLERK, "01").get(f"/api/v1/invoices/{small.pk}/specification.xlsx")

    assert response.status_code == 404
    assert IdentityRead.objects.count() == 0


def test_the_invoice_page_links_it_beside_the_csv(client, small, staff):
    client.force_login(staff["clerk04"])

    html = client.get(reverse("admin:billing_invoice_change", args=[small.pk])).content.decode()

    url = reverse("api-v1:invoice-specification-xlsx", args=[small.pk])
    assert url == f"/api/v1/invoices/{small.pk}/specification.xlsx"
    assert f'<a href="{url}">Fakturaunderlag (XLSX)</a>' in html


def test_the_invoice_list_as_xlsx_in_its_scope(client, small, staff):
    changelist = reverse("admin:billing_invoice_changelist")
    export = reverse("admin:billing_invoice_export_xlsx")
    client.force_login(staff["clerk04"])

    html = client.get(changelist + "?status__exact=approved").content.decode()
    assert f'<a href="{export}?status__exact=approved" id="invoices-xlsx">Ladda ner listan som XLSX</a>' in html
    response = client.get(export + "?status__exact=approved")

    rows = values(sheet(response))
    assert rows[0] == [
        "nummer", "typ", "säljare", "köpare", "period", "status", "kontakter", "summa", "fakturadatum",
        "förfallodatum", "godkänd",
    ]  # fmt: skip
    assert len(rows) == 2
    number, kind, seller, buyer, period, status, contacts, total, issued, due, approved = rows[1]
    assert (number, kind, period, status, contacts) == (small.number, "Faktura", "2026-03", "Godkänd", 3)
    assert öre(total) == Decimal("640.00")
    assert (seller, buyer) == (small.seller.name, small.buyer.name)
    assert (issued, due) == (
        dt.datetime.combine(small.issue_date, dt.time()),
        dt.datetime.combine(small.due_date, dt.time()),
    )
    local = small.approved_at.astimezone(sv.STOCKHOLM).replace(tzinfo=None)
    assert abs(approved - local) < dt.timedelta(milliseconds=1)  # Stockholm time, to the millisecond Excel keeps
    # Filtered as the list: no draft invoice is approved.
    assert values(sheet(client.get(export + "?status__exact=draft"))) == [rows[0]]

    # A region that is no party to it gets a workbook of no invoice: the list's scope.
    client.force_login(staff["clerk06"])
    assert values(sheet(client.get(export))) == [rows[0]]
