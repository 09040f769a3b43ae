import datetime as dt
import re

import pytest
from django.urls import reverse

from billing.models import Invoice, InvoiceEvent, InvoiceKind, InvoiceRun
from billing.services import invoice_submit
from contacts.models import Contact
from disputes.services import dispute_open, dispute_resolve
from regions.models import Role
from tests.billing.conftest import run_now
from tests.conftest import NBSP, _page, _text

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


def test_the_invoice_list_names_a_submitted_invoice_by_its_buyer_and_period_not_a_status(client, named, invoices):
    invoice_submit(invoice=invoices["draft"], by=named["clerk04"])
    client.force_login(named["clerk04"])

    response = client.get(reverse("admin:billing_invoice_changelist") + "?status__exact=submitted")

    page = response.content.decode()
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", page, re.S).group(1)
    cells = [_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)][1:]  # not the checkbox
    assert cells == [
        "Faktura till Region Stockholm, 2026-01",
        "Region Sörmland",
        "Region Stockholm",
        "2026-01",
        "Inskickad",
        f"500,00{NBSP}kr",
        "1",
        "–",
    ]


def _lines(page: str) -> tuple[list[str], list[list[str]]]:
    """The lines table: its headers, and each row's cells as HTML."""
    table = re.search(r'<table class="invoice-lines">(.*?)</table>', page, re.S).group(1)
    headers = re.findall(r"<th>(.*?)</th>", table)
    body = table[table.index("<tbody>") :]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    return headers, rows


HEADERS = ["Kontakt", "Datum", "Yrke", "Rekommendation", "Ersättning", "Avdragen patientavgift", "Belopp"]


def test_the_buyer_objects_from_each_line_and_a_line_under_dispute_links_to_its_case(client, named, invoices):
    approved = invoices["approved"]
    case = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=named["clerk25"], reason="Listad")
    url = reverse("admin:billing_invoice_change", args=[approved.pk])

    page = _page(client, named["clerk25"], url)

    headers, rows = _lines(page)
    assert headers == [*HEADERS, "Invändning"]
    last = {_text(row[0]): row[-1] for row in rows}
    contacts = {c.external_id: c.pk for c in Contact.objects.filter(external_id__in=last)}
    open_url = "/admin/disputes/dispute/open/{}/"
    assert last == {
        "lk-29": f'<a href="{open_url.format(contacts["lk-29"])}" data-action="object">Invänd</a>',
        "lk-30": f'<a href="{reverse("admin:disputes_dispute_change", args=[case.pk])}" data-action="open-case">'
        "Tvist öppen</a>",
        "ps-30": f'<a href="{open_url.format(contacts["ps-30"])}" data-action="object">Invänd</a>',
        "sj-31": f'<a href="{open_url.format(contacts["sj-31"])}" data-action="object">Invänd</a>',
    }
    assert "Invänd mot en rad" not in page  # no separate list at the bottom


def test_objections_are_offered_only_to_the_buyer_within_the_period_on_an_invoice(client, named, invoices, make_user):
    approved = invoices["approved"]
    url = reverse("admin:billing_invoice_change", args=[approved.pk])
    objection = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=named["clerk25"], reason="Listad")
    dispute_resolve(dispute=objection, by=named["clerk04"], outcome="accepted", note="Ja", credit_reason=7)
    credit_note = invoice_submit(invoice=Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE), by=named["clerk04"])

    seller = _lines(_page(client, named["clerk04"], url))[0]
    buyer_admin = _lines(_page(client, make_user(Role.ADMIN, "25"), url))[0]
    on_credit_note = _lines(
        _page(client, named["clerk25"], reverse("admin:billing_invoice_change", args=[credit_note.pk]))
    )[0]
    within = _lines(_page(client, named["clerk25"], url))[0]
    Invoice.objects.filter(pk=approved.pk).update(issue_date=approved.issue_date - dt.timedelta(days=100))
    after = _page(client, named["clerk25"], url)

    # The seller's clerk credits a line from the line itself (the seller's own correction).
    assert (seller, buyer_admin, on_credit_note) == ([*HEADERS, "Kreditera"], HEADERS, HEADERS)
    assert within == [*HEADERS, "Invändning"]
    assert _lines(after)[0] == HEADERS and 'data-action="object"' not in after


def test_a_draft_is_the_sellers_its_buyer_sees_it_from_submission_on_and_never_to_object(
    client, named, invoices, make_user
):
    draft = invoices["draft"]
    url = reverse("admin:billing_invoice_change", args=[draft.pk])
    buyer = make_user(Role.CLERK, "01")  # the draft's buyer
    client.force_login(buyer)
    hidden = client.get(url)
    listed = client.get(reverse("admin:billing_invoice_changelist")).context["cl"].result_list

    assert hidden.status_code == 302  # the admin treats an object outside its queryset as missing
    assert draft.pk not in [invoice.pk for invoice in listed]
    assert _lines(_page(client, named["clerk04"], url))[0] == HEADERS  # the seller's, with nothing to credit yet
    invoice_submit(invoice=draft, by=named["clerk04"])
    assert _lines(_page(client, buyer, url))[0] == HEADERS  # submitted: the buyer reads it, no objection yet


def test_a_credit_note_records_its_creation_and_each_line_a_later_decision_adds(client, named, invoices, providers):
    for external_id, decider, via in (("lk-30", "clerk04", "admin"), ("ps-30", "manager04", "api")):
        case = dispute_open(contact=Contact.objects.get(external_id=external_id), by=named["clerk25"], reason="Nej")
        dispute_resolve(dispute=case, by=named[decider], outcome="accepted", note="Ja", credit_reason=7, via=via)
    credit_note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)

    events = InvoiceEvent.objects.filter(invoice=credit_note).order_by("id")
    page = _page(client, named["clerk04"], reverse("admin:billing_invoice_change", args=[credit_note.pk]))

    provider = providers["04a"].name
    assert [(e.action, e.from_status, e.to_status, e.actor.username, e.via, e.changes, e.note) for e in events] == [
        (
            "created",
            "",
            "draft",
            "clerk04",
            "admin",
            {"contact_count": [None, 1], "total": [None, "-335.00"]},
            f"Godtagen invändning mot lk-30 ({provider})",
        ),
        (
            "refreshed",
            "draft",
            "draft",
            "manager04",
            "api",
            {"contact_count": [1, 2], "total": ["-335.00", "-740.00"]},
            f"Godtagen invändning mot ps-30 ({provider})",
        ),
    ]
    history = page[page.index('<table class="change-history" id="history">') :]
    body = history[history.index("<tbody>") : history.index("</table>")]
    rows = [
        [_text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)][1:]  # not the time
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    assert rows == [
        [
            "Skapad genom en godtagen invändning",
            "Karin Lindqvist",
            "Admin",
            f"status: – → Utkast summa: – → -335,00{NBSP}kr kontakter: – → 1",
            f"Godtagen invändning mot lk-30 ({provider})",
        ],
        [
            "Rad tillagd genom en godtagen invändning",
            "Anders Berg",
            "API",
            f"summa: -335,00{NBSP}kr → -740,00{NBSP}kr kontakter: 1 → 2",
            f"Godtagen invändning mot ps-30 ({provider})",
        ],
    ]


def test_the_run_form_has_the_admins_breadcrumbs_and_capitalised_labels(client, named, invoices):
    page = _page(client, named["clerk04"], reverse("admin:billing_invoicerun_add"))

    crumbs = re.search(r'<nav aria-label="Brödsmulor">\s*(<ol class="breadcrumbs">.*?</ol>)', page, re.S).group(1)
    assert re.sub(r">\s+<", "><", crumbs) == (
        '<ol class="breadcrumbs">'
        f'<li><a href="{reverse("admin:index")}">Hem</a></li>'
        f'<li><a href="{reverse("admin:app_list", args=["billing"])}">Fakturering</a></li>'
        f'<li><a href="{reverse("admin:billing_invoicerun_changelist")}">Faktureringskörningar</a></li>'
        '<li aria-current="page">Starta en faktureringskörning</li></ol>'
    )
    assert '<label for="id_billing_region">Fakturerande region:</label>' in page
    assert '<label for="id_period">Period:</label>' in page
