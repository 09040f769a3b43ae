"""The review screen of a received invoice: totals per flag, the flagged lines with their reasons (numbers masked),
the filter, the pages, the exports (full numbers logged), the link from the invoice page, the start page's task and
the scope (only the buyer region's staff)."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from billing.models import Invoice, InvoiceStatus
from contacts.audit.models import IdentityRead, ReadVia
from regions.models import Role
from regions.selectors import scope_of
from review.models import RegisterLoad
from start.received_invoices import review_task
from tests.review.test_invoice_review import _number, bill  # noqa: F401 (the fixture)

NBSP = "\u00a0"


def _fee(deducted: str) -> dict:
    """A line of the 435,00 kr rate with ``deducted`` of the patient fee deducted."""
    return {"fee_deducted": Decimal(deducted), "amount": Decimal("435.00") - Decimal(deducted)}


@pytest.fixture
def lines(bill):  # noqa: F811
    """A clean line, a late one, a care date after the invoice date and a duplicate (4 November 2026's invoice);
    the duplicate's 335,00 kr."""
    return {
        "clean": bill.line("2026-08-01 10:00", patient=1),
        "late": bill.line("2026-05-03 10:00", patient=2, **_fee("49.50"), external_id="=1+2"),
        "after": bill.line("2026-11-05 10:00", patient=3, **_fee("0.00")),
        "first": bill.line("2026-09-01 09:00", patient=4, **_fee("100.00")),
        "again": bill.line("2026-09-01 15:00", patient=4, **_fee("100.00")),
    }


@pytest.fixture
def clerk01(make_user):
    return make_user(Role.CLERK, "01")


def _url(invoice, name="admin:billing_invoice_review"):
    return reverse(name, args=[invoice.pk])


def _totals(page: str) -> dict[str, tuple[str, str]]:
    rows = re.findall(
        r'<tr data-flag="(\w+)"[^>]*>\s*<td><a[^>]*>[^<]*</a></td>\s*<td>[^<]*</td>\s*'
        r'<td class="count">(\d+)</td>\s*<td class="amount">([^<]*)</td>',
        page,
    )
    return {flag: (count, amount) for flag, count, amount in rows}


def test_the_review_shows_totals_per_flag_and_the_flagged_lines_with_their_reasons(client, clerk01, bill, lines):  # noqa: F811
    client.force_login(clerk01)
    response = client.get(_url(bill.invoice))
    assert response.status_code == 200
    page = response.content.decode()
    assert _totals(page) == {
        "not_resident": ("0", f"0,00{NBSP}kr"),
        "listed": ("0", f"0,00{NBSP}kr"),
        "duplicate": ("1", f"335,00{NBSP}kr"),
        "late": ("1", f"385,50{NBSP}kr"),
        "care_after_invoice": ("1", f"435,00{NBSP}kr"),
        "wrong_rate": ("0", f"0,00{NBSP}kr"),
        "unknown": ("0", f"0,00{NBSP}kr"),
    }
    shown = [int(pk) for pk in re.findall(r'<tr data-line="(\d+)"', page)]
    assert shown == [lines["late"].pk, lines["after"].pk, lines["again"].pk]
    # The reasons in Swedish with the credit reason; the number masked, never in full.
    assert "Vården gavs den 2026-05-03, mer än sex månader före fakturadatumet 2026-11-04." in page
    assert "(krediteringsorsak 6)" in page
    assert _number(2) not in page
    assert f"{_number(2)[:8]}-****" in page


def test_the_filter_shows_one_flags_lines(client, clerk01, bill, lines):  # noqa: F811
    client.force_login(clerk01)
    page = client.get(_url(bill.invoice), {"flag": "late"}).content.decode()
    assert re.findall(r'<tr data-line="(\d+)"', page) == [str(lines["late"].pk)]
    assert 'data-flag="late" class="selected"' in page
    # An unknown flag is no filter.
    page = client.get(_url(bill.invoice), {"flag": "nonsense"}).content.decode()
    assert len(re.findall(r'<tr data-line="(\d+)"', page)) == 3


def test_lines_are_paginated(client, clerk01, bill, monkeypatch):  # noqa: F811
    from review import screen

    monkeypatch.setattr(screen, "LINES_PER_PAGE", 2)
    late = [bill.line("2026-05-01 10:00", patient=n) for n in range(1, 6)]
    client.force_login(clerk01)
    page = client.get(_url(bill.invoice), {"flag": "late", "p": "3"}).content.decode()
    assert re.findall(r'<tr data-line="(\d+)"', page) == [str(late[4].pk)]
    assert "Sida 3 av 3" in page


def test_more_lines_cost_no_more_queries(client, clerk01, bill, lines):  # noqa: F811
    client.force_login(clerk01)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_url(bill.invoice)).status_code == 200
        return len(captured)

    before = queries()
    for n in range(10, 20):
        bill.line("2026-05-01 10:00", patient=n)
    assert queries() == before


@pytest.mark.parametrize(
    ("role", "region"),
    [(Role.CLERK, "04"), (Role.MANAGER, "06"), (Role.ADMIN, None), (Role.CLERK, "03")],
)
def test_no_one_but_the_buyers_staff_sees_the_review(client, make_user, bill, lines, role, region):  # noqa: F811
    client.force_login(make_user(role, region))
    for name in (
        "admin:billing_invoice_review",
        "admin:billing_invoice_review_csv",
        "admin:billing_invoice_review_xlsx",
    ):
        assert client.get(_url(bill.invoice, name)).status_code == 404
    assert not IdentityRead.objects.exists()


def test_a_draft_is_not_reviewed(client, clerk01):
    draft = Invoice.objects.create(seller_id="04", buyer_id="01", period="2026-05", total="0.00")
    client.force_login(clerk01)
    assert client.get(_url(draft)).status_code == 404


def test_the_csv_export_holds_full_numbers_guarded_and_logged(client, clerk01, bill, lines):  # noqa: F811
    client.force_login(clerk01)
    response = client.get(_url(bill.invoice, "admin:billing_invoice_review_csv"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0][:4] == ["Rad", "Externt id", "Datum", "Personnummer"]
    assert [row[0] for row in rows[1:]] == [str(lines[k].pk) for k in ("late", "after", "again")]
    late = rows[1]
    assert late[1] == "'=1+2"  # never a formula
    assert late[2] == "2026-05-03"
    assert late[3] == _number(2)
    assert late[6] == "385,50"
    assert late[8] == "6 Fakturerad mer än sex månader efter vårdtillfället"
    read = IdentityRead.objects.get()
    assert (read.user_id, read.invoice_id, read.contact_count, read.via) == (
        clerk01.pk,
        bill.invoice.pk,
        3,
        ReadVia.CSV_SPECIFICATION,
    )


def test_the_xlsx_export_of_one_flag(client, clerk01, bill, lines):  # noqa: F811
    client.force_login(clerk01)
    response = client.get(_url(bill.invoice, "admin:billing_invoice_review_xlsx"), {"flag": "duplicate"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    assert values[0][0] == "Rad"
    assert len(values) == 2
    assert values[1][0] == lines["again"].pk
    assert values[1][3] == _number(4)
    assert values[1][6] == 335
    read = IdentityRead.objects.get()
    assert (read.invoice_id, read.contact_count, read.via) == (bill.invoice.pk, 1, ReadVia.XLSX_SPECIFICATION)


def test_the_invoice_page_links_to_the_review_for_the_buyer_only(client, clerk01, make_user, bill, lines):  # noqa: F811
    link = f'<a href="{_url(bill.invoice)}" data-action="review">Granska</a>'
    client.force_login(clerk01)
    assert link in client.get(reverse("admin:billing_invoice_change", args=[bill.invoice.pk])).content.decode()
    client.force_login(make_user(Role.CLERK, "04"))
    page = client.get(reverse("admin:billing_invoice_change", args=[bill.invoice.pk])).content.decode()
    assert 'data-action="review"' not in page


def test_the_start_page_task_lists_invoices_with_flagged_lines(clerk01, bill, lines):  # noqa: F811
    today = dt.date(2026, 11, 10)
    Invoice.objects.filter(pk=bill.invoice.pk).update(
        status=InvoiceStatus.APPROVED, number="04-2026-000001", approved_at=timezone.now()
    )
    scope = scope_of(clerk01)
    # Until the region loads a register it has not taken the review into use.
    assert review_task(clerk01, scope, today) is None
    RegisterLoad.objects.create(
        region_id="01", kind="population", mode="upsert", via="api", loaded_by=clerk01, loaded_at=timezone.now()
    )
    task = review_task(clerk01, scope, today)
    invoice = Invoice.objects.get(pk=bill.invoice.pk)
    assert task.key == "review"
    assert [(d.count, d.amount, d.url) for d in task.details] == [(3, Decimal("1155.50"), _url(invoice))]
    assert (task.count, task.amount) == (3, Decimal("1155.50"))


def test_the_start_page_shows_the_review_task_with_a_line_per_invoice(client, clerk01, bill, lines, monkeypatch):  # noqa: F811
    import start.page

    monkeypatch.setattr(start.page, "stockholm_today", lambda: dt.date(2026, 11, 10))
    Invoice.objects.filter(pk=bill.invoice.pk).update(
        status=InvoiceStatus.APPROVED, number="04-2026-000001", approved_at=timezone.now()
    )
    RegisterLoad.objects.create(
        region_id="01", kind="population", mode="upsert", via="api", loaded_by=clerk01, loaded_at=timezone.now()
    )
    client.force_login(clerk01)
    page = client.get(reverse("admin:index")).content.decode()
    task = re.search(r'<tr class="start-task" data-task="review">.*?</tr>', page, flags=re.DOTALL).group(0)
    assert "Granska de markerade raderna på fakturorna som er region har fått" in task
    assert '<td class="count">3</td>' in task
    assert f'<td class="amount">1{NBSP}155,50{NBSP}kr</td>' in task
    detail = re.search(r'<tr class="start-detail" data-detail="review">.*?</tr>', page, flags=re.DOTALL).group(0)
    assert f'<a href="{_url(bill.invoice)}">04-2026-000001</a>' in detail
