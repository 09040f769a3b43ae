"""The invoice screen as a person reads it (issue 8): numbers, names and kronor in the list, the approved
invoice's page as text, a question before every irreversible workflow step, and a list whose number of
queries does not grow with its rows. January's invoices are ``tests/billing/conftest.py``'s."""

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse

from billing.models import Invoice
from billing.services import invoice_mark_sent, invoice_submit
from contacts.models import Contact
from disputes.services import dispute_open, dispute_resolve
from tests.admin_pages import NBSP, field, listed, queries

pytestmark = pytest.mark.django_db


def test_the_invoice_list_shows_numbers_names_and_kronor(client, staff, invoices):
    client.force_login(staff["clerk04"])

    rows = listed(client.get(reverse("admin:billing_invoice_changelist")))

    due = invoices["approved"].due_date.isoformat()
    assert rows == [
        [
            "Faktura till Region Stockholm, 2026-01",
            "Region Sörmland",
            "Region Stockholm",
            "2026-01",
            "Utkast",
            f"500,00{NBSP}kr",
            "1",
            "–",
        ],
        [
            invoices["approved"].number,
            "Region Sörmland",
            "Region Norrbotten",
            "2026-01",
            "Godkänd",
            f"1{NBSP}140,00{NBSP}kr",
            "4",
            due,
        ],
    ]


def test_the_invoice_list_filters_unpaid_invoices_past_their_due_date(client, staff, invoices):
    sent = invoice_mark_sent(invoice=invoices["approved"], by=staff["clerk04"])
    client.force_login(staff["clerk04"])
    url = reverse("admin:billing_invoice_changelist") + "?payment=overdue"

    before = client.get(url).context["cl"].result_list
    Invoice.objects.filter(pk=sent.pk).update(due_date=dt.date(2026, 1, 1))
    after = client.get(url).context["cl"].result_list

    assert (list(before), list(after)) == ([], [sent])


def test_the_buyer_lists_the_invoices_it_may_still_object_to(client, staff, invoices):
    approved = invoices["approved"]
    url = reverse("admin:billing_invoice_changelist") + "?received=objectable"

    client.force_login(staff["clerk25"])
    within = list(client.get(url).context["cl"].result_list)
    Invoice.objects.filter(pk=approved.pk).update(issue_date=approved.issue_date - dt.timedelta(days=100))
    past = list(client.get(url).context["cl"].result_list)
    client.force_login(staff["clerk04"])
    seller = list(client.get(url).context["cl"].result_list)

    assert (within, past, seller) == ([approved], [], [])


def test_a_credit_note_says_so_in_the_list(client, staff, invoices):
    objection = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=staff["clerk25"], reason="Listad")
    dispute_resolve(dispute=objection, by=staff["clerk04"], outcome="accepted", note="Ja", credit_reason=7)
    client.force_login(staff["clerk04"])

    rows = listed(client.get(reverse("admin:billing_invoice_changelist") + "?kind__exact=credit_note"))

    assert rows == [
        [
            "Kreditfaktura till Region Norrbotten, 2026-01",
            "Region Sörmland",
            "Region Norrbotten",
            "2026-01",
            "Utkast",
            f"-335,00{NBSP}kr",
            "1",
            "–",
        ]
    ]


def test_the_invoice_list_costs_the_same_queries_for_many_invoices(
    client, staff, invoices, django_assert_max_num_queries
):
    client.force_login(staff["clerk04"])
    url = reverse("admin:billing_invoice_changelist")
    few = queries(client, url)
    for month in range(1, 13):
        for buyer in ("01", "03", "05", "06"):
            Invoice.objects.create(seller_id="04", buyer_id=buyer, period=f"2025-{month:02d}", total="10.00")

    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200


def test_an_approved_invoice_page_is_text_with_names(client, staff, invoices):
    approved = invoices["approved"]
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:billing_invoice_change", args=[approved.pk])).content.decode()

    assert "<h1>Visa faktura</h1>" in page and f"<h2>{approved.number}</h2>" in page
    assert not re.search(r"<(input|select|textarea)[^>]*name=\"(number|status|seller|buyer|total)", page)
    assert " disabled" not in page
    assert (field(page, "submitted_by_display"), field(page, "approved_by_display")) == ("clerk04", "manager04b")
    assert field(page, "total_display") == f"1{NBSP}140,00{NBSP}kr"
    assert field(page, "period_display") == "2026-01"
    lines = re.search(r'<table class="invoice-lines">.*?</table>', page, re.S).group(0)
    assert re.findall(r"<th>(.*?)</th>", lines) == [
        "Kontakt",
        "Datum",
        "Yrke",
        "Rekommendation",
        "Ersättning",
        "Avdragen patientavgift",
        "Belopp",
        "Kreditera",  # the seller's clerk credits a line from the line itself
    ]
    # lk-29: 29 January 10:00 in Stockholm, the 2019 rate (500) less the fee of 100.
    contact = Contact.objects.get(external_id="lk-29")
    credit = reverse("admin:billing_invoice_credit", args=[approved.pk])
    assert (
        f'<tr><td><a href="{reverse("admin:contacts_contact_change", args=[contact.pk])}">lk-29</a></td>'
        f'<td>2026-01-29</td><td>LK Läkare</td><td>SKL-2019</td><td class="amount">500,00{NBSP}kr</td>'
        f'<td class="amount">100,00{NBSP}kr</td><td class="amount">400,00{NBSP}kr</td>'
        f'<td><a href="{credit}?contact={contact.pk}" data-action="credit">Kreditera</a></td></tr>'
    ) in lines


def _forms(page: str) -> dict[str, str]:
    """Each workflow button's transition and the question its form asks ("" when it asks none)."""
    found = {}
    for form in re.findall(r"<form method=\"post\" action=\"[^\"]+/transition/[^\"]+\".*?</form>", page, re.S):
        transition = re.search(r'data-transition="([a-z_]+)"', form).group(1)
        question = re.search(r'data-confirm="([^"]*)"', form)
        found[transition] = unescape(question.group(1)) if question else ""
    return found


def test_each_irreversible_workflow_step_asks_first_naming_the_invoice_and_total(client, staff, invoices):
    draft, approved = invoices["draft"], invoices["approved"]
    page = reverse("admin:billing_invoice_change", args=[draft.pk])

    client.force_login(staff["clerk04"])
    as_draft = _forms(client.get(page).content.decode())
    invoice_submit(invoice=draft, by=staff["clerk04"])
    client.force_login(staff["manager04b"])
    as_submitted = _forms(client.get(page).content.decode())
    as_approved = _forms(client.get(reverse("admin:billing_invoice_change", args=[approved.pk])).content.decode())
    invoice_mark_sent(invoice=approved, by=staff["manager04b"])
    as_sent = _forms(client.get(reverse("admin:billing_invoice_change", args=[approved.pk])).content.decode())

    assert as_draft == {
        "submit": f"Skicka in Faktura till Region Stockholm, 2026-01 (500,00{NBSP}kr) för godkännande? Dess kontakter "
        "låses tills en chef godkänner eller returnerar fakturan."
    }
    assert as_submitted == {
        "approve": f"Godkänna Faktura till Region Stockholm, 2026-01 (500,00{NBSP}kr)? Fakturan får sitt nummer och "
        "kan aldrig ändras igen: rättelser görs med en kreditfaktura.",
        "return": "",  # a return is undone by submitting again; it asks why instead
    }
    assert as_approved == {
        "mark_sent": f"Markera {approved.number} (1{NBSP}140,00{NBSP}kr) som skickad till köparen? "
        "Det går inte att ångra."
    }
    assert as_sent == {
        "mark_paid": f"Markera {approved.number} (1{NBSP}140,00{NBSP}kr) som betald? Det går inte att ångra."
    }


def test_the_workflow_buttons_say_what_they_do(client, staff, invoices):
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:billing_invoice_change", args=[invoices["draft"].pk])).content.decode()

    assert '<button type="submit" class="button" data-transition="submit">Skicka in</button>' in page
