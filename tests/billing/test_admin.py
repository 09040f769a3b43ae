import re

import pytest
from django.urls import reverse

from billing.models import Invoice, InvoiceRun
from tests.billing.conftest import run_now

pytestmark = pytest.mark.django_db


def _buttons(page: str) -> list[str]:
    return re.findall(r'data-transition="([a-z_]+)"', page)


@pytest.fixture
def draft(january):
    run_now()
    return Invoice.objects.get(buyer_id="25")


def _change(client, invoice):
    return client.get(reverse("admin:billing_invoice_change", args=[invoice.pk]))


def _post(client, invoice, transition, **data):
    return client.post(reverse("admin:billing_invoice_transition", args=[invoice.pk, transition]), data)


def test_a_clerk_starts_a_run_from_the_admin_and_follows_it(client, staff, january, django_capture_on_commit_callbacks):
    client.force_login(staff["clerk04"])

    form = client.get(reverse("admin:billing_invoicerun_add"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:billing_invoicerun_add"), {"billing_region": "04", "period": "2026-01"})
    listing = client.get(reverse("admin:billing_invoicerun_changelist"))

    assert form.status_code == 200
    assert response.status_code == 302
    run = InvoiceRun.objects.get()
    assert (run.billing_region_id, run.period, run.started_via, run.started_by) == (
        "04",
        "2026-01",
        "admin",
        staff["clerk04"],
    )
    # Started today, January is past the six-month deadline: the run succeeds with nothing to invoice.
    assert run.status == "succeeded"
    assert '<progress max="100" value="100">' in listing.content.decode()
    assert 'http-equiv="refresh"' not in listing.content.decode()


def test_a_running_run_refreshes_the_list(client, staff, january):
    InvoiceRun.objects.create(billing_region_id="04", period="2026-01", status="running", progress=40)
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:billing_invoicerun_changelist")).content.decode()

    assert '<progress max="100" value="40">' in page
    assert 'http-equiv="refresh"' in page


def test_a_clerk_cannot_start_another_regions_run(client, staff, january):
    client.force_login(staff["clerk04"])

    response = client.post(reverse("admin:billing_invoicerun_add"), {"billing_region": "06", "period": "2026-01"})

    assert response.status_code == 200  # the form only offers the clerk's own region
    assert "billing_region" in response.context["form"].errors
    assert InvoiceRun.objects.count() == 0


def test_each_user_sees_exactly_the_transitions_they_may_take(client, staff, draft):
    client.force_login(staff["clerk04"])
    assert _buttons(_change(client, draft).content.decode()) == ["submit"]

    client.force_login(staff["manager04"])
    assert _post(client, draft, "submit").status_code == 302
    assert _buttons(_change(client, draft).content.decode()) == ["return"]  # the submitter may not approve

    client.force_login(staff["manager04b"])
    assert _buttons(_change(client, draft).content.decode()) == ["approve", "return"]

    client.force_login(staff["clerk25"])
    page = _change(client, draft)
    assert page.status_code == 200 and _buttons(page.content.decode()) == []  # the buyer only reads


def test_a_refused_transition_shows_a_clear_message_and_changes_nothing(client, staff, draft):
    client.force_login(staff["manager04"])
    _post(client, draft, "submit")

    response = _post(client, draft, "approve")
    page = client.get(response["Location"]).content.decode()

    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.number is None
    assert "Du skickade in Faktura till Region Norrbotten, 2026-01; en annan chef måste godkänna den." in page


def test_approval_through_the_admin_numbers_the_invoice(client, staff, draft):
    client.force_login(staff["clerk04"])
    _post(client, draft, "submit")
    client.force_login(staff["manager04"])

    _post(client, draft, "approve")

    draft.refresh_from_db()
    assert draft.status == "approved" and draft.number.startswith("04-")
    page = _change(client, draft).content.decode()
    assert 'name="_save"' not in page
    assert _buttons(page) == ["mark_sent"]


def test_a_third_regions_clerk_cannot_open_the_invoice(client, staff, draft):
    client.force_login(staff["clerk06"])

    response = _change(client, draft)
    forced = _post(client, draft, "submit")

    assert response.status_code == 302  # the admin treats an object outside the queryset as missing
    assert forced.status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_draft_preview_pdf_is_the_sellers(client, staff, draft):
    client.force_login(staff["clerk25"])
    buyers = client.get(reverse("admin:billing_invoice_pdf", args=[draft.pk]))
    client.force_login(staff["clerk04"])

    response = client.get(reverse("admin:billing_invoice_pdf", args=[draft.pk]))

    assert buyers.status_code == 404  # a draft is the seller's work in progress
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
