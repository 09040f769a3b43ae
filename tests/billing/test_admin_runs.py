"""The invoice run screen as a person reads it (issue 8): who started each run and how many invoices it made,
progress that follows a running run, a question before starting one, and a list whose number of queries does
not grow with its rows."""

import pytest
from django.urls import reverse

from billing.models import InvoiceRun
from tests.admin_pages import NBSP, field, listed, queries

pytestmark = pytest.mark.django_db


def test_the_run_list_counts_invoices_and_names_who_started(client, staff, invoices):
    InvoiceRun.objects.create(billing_region_id="04", period="2026-02", status="queued", started_via="schedule")
    InvoiceRun.objects.filter(invoices__isnull=False).update(started_by=staff["clerk04"])
    client.force_login(staff["clerk04"])

    rows = listed(client.get(reverse("admin:billing_invoicerun_changelist")))

    assert [row[1:] for row in rows] == [
        ["04 Region Sörmland", "2026-02", "I kö", "0 % 0 %", "0", "Schemaläggning"],
        ["04 Region Sörmland", "2026-01", "Klar", "100 % 100 %", "2", "clerk04"],
    ]


def test_the_run_list_costs_the_same_queries_for_many_runs(client, staff, invoices, django_assert_max_num_queries):
    client.force_login(staff["clerk04"])
    url = reverse("admin:billing_invoicerun_changelist")
    few = queries(client, url)
    for month in range(1, 13):
        run = InvoiceRun.objects.create(billing_region_id="04", period=f"2025-{month:02d}", status="succeeded")
        run.invoices.add(invoices["draft"], invoices["approved"])

    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200


def test_a_running_runs_page_refreshes_itself_then_links_its_invoices(client, staff, invoices):
    run = InvoiceRun.objects.get()
    client.force_login(staff["clerk04"])
    url = reverse("admin:billing_invoicerun_change", args=[run.pk])
    # Running, not yet marked by a worker (started_at): a run the page cannot judge abandoned (see billing.runs).
    InvoiceRun.objects.filter(pk=run.pk).update(status="running", progress=40, started_at=None)

    running = client.get(url).content.decode()
    InvoiceRun.objects.filter(pk=run.pk).update(status="succeeded", progress=100)
    finished = client.get(url).content.decode()

    assert '<meta http-equiv="refresh" content="3">' in running
    assert '<progress max="100" value="40">40 %</progress> 40 %' in running
    assert field(running, "invoice_links") == "Körningen är inte klar: sidan uppdateras av sig själv tills den är det."
    assert 'http-equiv="refresh"' not in finished
    assert "<h2>Region Sörmland, 2026-01</h2>" in finished
    approved, draft = invoices["approved"], invoices["draft"]
    assert (
        '<ul class="run-invoices">'
        f'<li><a href="{reverse("admin:billing_invoice_change", args=[draft.pk])}">Faktura till Region Stockholm, '
        f"2026-01</a> – Utkast, 500,00{NBSP}kr</li>"
        f'<li><a href="{reverse("admin:billing_invoice_change", args=[approved.pk])}">{approved.number}</a> – '
        f"Godkänd, 1{NBSP}140,00{NBSP}kr</li></ul>"
    ) in finished
    listing = reverse("admin:billing_invoice_changelist") + "?seller__code__exact=04&amp;period=2026-01"
    assert (
        f'<a href="{listing}" class="run-invoice-list">Visa fakturorna från Region Sörmland för 2026-01 i '
        "fakturalistan</a>"
    ) in finished


def test_the_run_form_asks_before_starting(client, staff, january):
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:billing_invoicerun_add")).content.decode()

    assert (
        '<form method="post" data-confirm="Starta faktureringskörningen? Den skapar eller uppdaterar periodens '
        'fakturautkast med alla fakturerbara kontakter som ännu inte fakturerats.">'
    ) in page
    assert "utomlans/confirm.js" in page
