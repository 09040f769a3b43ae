"""Issue 8, usable screens: what the end-to-end journeys found in the admin, as a person reads it.

Forms a browser can send (none nested in the admin's change form), error pages in Swedish, invoices named as their
pages name them, objections from the lines themselves, a credit note's history, a contact page without misleading
icons or codes, the run form's breadcrumbs and labels, the case page's labels and names, four eyes on decisions, and
a start page that counts what its links list.
"""

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

import start.page
from billing.models import Invoice, InvoiceEvent, InvoiceKind, InvoiceRun
from billing.services import invoice_approve, invoice_submit
from contacts.disputes.models import DisputeEvent
from contacts.disputes.services import dispute_assign, dispute_open, dispute_resolve
from contacts.intake import contacts_upsert
from contacts.models import Contact
from contacts.permissions import can_resolve_dispute
from kernel.errors import InvalidInput
from regions.models import Role
from tests.billing.conftest import run_now
from tests.factories import contact_item

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def invoices(january, staff):
    """January's run: the invoice to Norrbotten approved (1 140,00 kr), the one to Stockholm a draft (500,00 kr)."""
    run_now()
    to_25 = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=to_25, by=staff["clerk04"])
    return {
        "approved": invoice_approve(invoice=to_25, by=staff["manager04b"]),
        "draft": Invoice.objects.get(buyer_id="01"),
    }


@pytest.fixture
def named(staff):
    """The people as colleagues know them."""
    names = {"clerk04": ("Karin", "Lindqvist"), "manager04": ("Anders", "Berg"), "clerk25": ("Lena", "Nilsson")}
    for username, (first, last) in names.items():
        get_user_model().objects.filter(username=username).update(first_name=first, last_name=last)
        staff[username].refresh_from_db()
    return staff


def _page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _text(html: str) -> str:
    """Text as read: tags dropped, spaces and line breaks collapsed (the non-breaking spaces of amounts stay)."""
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def field(page: str, name: str) -> str:
    """The raw HTML of a read-only field on a change page."""
    match = re.search(
        rf'<div class="form-row[^"]*field-{name}">.*?<div class="readonly">(.*?)</div>\s*</div>', page, re.S
    )
    assert match, name
    return match.group(1)


class _Forms(HTMLParser):
    """Every <form> of a page with its attributes, its hidden CSRF token, and the forms opened inside another."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.nested: list[str] = []
        self._open: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if self._open:
                self.nested.append(attrs.get("action") or attrs.get("id") or "?")
            form = {**attrs, "csrf": False}
            self.forms.append(form)
            self._open.append(form)
        elif tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self._open:
            self._open[-1]["csrf"] = True

    def handle_endtag(self, tag):
        if tag == "form" and self._open:
            self._open.pop()


def forms_of(page: str) -> _Forms:
    parser = _Forms()
    parser.feed(page)
    return parser


@pytest.fixture
def cases(invoices, named, make_user, providers):
    """An objection of Norrbotten to lk-30 (assigned to Karin) and the provider's contest of the phone contact."""
    system = make_user(Role.PROVIDER, provider=providers["04a"])
    rejection = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system, reason="Video avsedd")
    objection = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=named["clerk25"], reason="Listad")
    dispute_assign(dispute=objection, assignee=named["clerk04"], by=named["manager04"])
    return {"rejection": rejection, "objection": objection, "provider": providers["04a"]}


# --- 1. Forms a browser can send ----------------------------------------------------------------------------------


def test_the_case_pages_comment_assign_and_decide_forms_stand_after_the_change_form(client, named, cases):
    objection = cases["objection"]

    page = _page(client, named["clerk04"], reverse("admin:contacts_dispute_change", args=[objection.pk]))

    found = forms_of(page)
    assert found.nested == []
    actions = {form.get("action"): form for form in found.forms}
    comment = actions[reverse("admin:contacts_dispute_comment", args=[objection.pk])]
    assign = actions[reverse("admin:contacts_dispute_assign", args=[objection.pk])]
    decide = actions[reverse("admin:contacts_dispute_decide", args=[objection.pk])]
    assert (comment["csrf"], assign["csrf"], decide["csrf"]) == (True, True, True)
    assert comment["enctype"] == "multipart/form-data"
    assert decide["data-confirm"] == "Ett beslut kan inte ångras. Fortsätta?"
    assert "data-confirm" not in comment and "data-confirm" not in assign
    # After the change form's end, in the order a person works: the thread, the decision, the history.
    change_form_end = page.index("</form>", page.index('id="dispute_form"'))
    assert change_form_end < page.index('data-action="comment"') < page.index('data-action="decide"')
    assert page.index('data-action="decide"') < page.index('<table class="change-history" id="history">')


def test_a_comment_sent_from_the_case_page_is_added_to_the_thread(client, named, cases):
    objection = cases["objection"]
    client.force_login(named["clerk25"])

    response = client.post(
        reverse("admin:contacts_dispute_comment", args=[objection.pk]), {"text": "Intyg finns hos oss."}, follow=True
    )

    page = response.content.decode()
    assert _messages(response) == ["Kommentaren är tillagd."]
    assert "<p>Intyg finns hos oss.</p>" in page
    assert "Inga kommentarer ännu." not in page


def test_no_admin_page_nests_a_form_in_another(client, named, cases):
    approved = Invoice.objects.get(buyer_id="25", kind=InvoiceKind.INVOICE)
    draft = Invoice.objects.get(buyer_id="01")
    contact = Contact.objects.get(external_id="phone")
    pages = {
        named["clerk04"]: [
            reverse("admin:contacts_dispute_change", args=[cases["objection"].pk]),
            reverse("admin:contacts_dispute_change", args=[cases["rejection"].pk]),
            reverse("admin:billing_invoice_change", args=[draft.pk]),
            reverse("admin:billing_invoice_change", args=[approved.pk]),
            reverse("admin:contacts_contact_change", args=[contact.pk]),
            reverse("admin:contacts_contact_changelist"),
            reverse("admin:contacts_contact_upload_csv"),
            reverse("admin:billing_invoicerun_add"),
            reverse("admin:index"),
        ],
        named["clerk25"]: [
            reverse("admin:billing_invoice_change", args=[approved.pk]),
            reverse("admin:contacts_dispute_open", args=[Contact.objects.get(external_id="ps-30").pk]),
            reverse("admin:contacts_dispute_change", args=[cases["objection"].pk]),
        ],
    }

    nested = {url: forms_of(_page(client, user, url)).nested for user, urls in pages.items() for url in urls}

    assert nested == {url: [] for url in nested}


# --- 2. Error pages in Swedish -------------------------------------------------------------------------------------


def test_a_refused_step_answers_with_a_swedish_403_page(client, named, invoices):
    approved = invoices["approved"]
    client.force_login(named["clerk25"])  # the buyer's clerk sees the seller's invoice, and may not mark it sent

    response = client.post(reverse("admin:billing_invoice_transition", args=[approved.pk, "mark_sent"]))

    page = response.content.decode()
    assert response.status_code == 403
    assert "<title>Ingen behörighet | Utomläns</title>" in page
    assert "<h1>Ingen behörighet</h1>" in page
    assert '<p class="errornote">Din roll ger inte behörighet att öppna sidan eller ta det här steget.</p>' in page
    assert "<p>Behöver du det i ditt arbete, be din regions administratör om rollen.</p>" in page
    assert f'<a href="{reverse("admin:index")}">Till startsidan</a>' in page
    assert '<html lang="sv">' in page
    assert Invoice.objects.get(pk=approved.pk).status == "approved"  # and nothing changed


def test_an_address_that_leads_nowhere_answers_with_a_swedish_404_page(client, named):
    client.force_login(named["clerk04"])

    response = client.get("/ingen-sådan-sida/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<title>Sidan finns inte | Utomläns</title>" in page
    assert "<h1>Sidan finns inte</h1>" in page
    assert '<p class="errornote">Sidan finns inte, eller så är den inte en sida du får se.</p>' in page
    assert "<p>Kontrollera adressen, eller börja om från startsidan.</p>" in page


def test_a_form_sent_without_its_csrf_token_answers_with_a_swedish_page_and_saves_nothing(named):
    client = Client(enforce_csrf_checks=True)
    client.force_login(named["clerk04"])

    response = client.post(reverse("admin:billing_invoicerun_add"), {"billing_region": "04", "period": "2026-01"})

    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Formuläret kunde inte skickas</h1>" in page
    assert '<p class="errornote">Sidan var för gammal för att kunna skickas säkert: inget sparades.</p>' in page
    assert '<html lang="sv">' in page
    assert InvoiceRun.objects.count() == 0


def test_a_server_error_answers_with_a_swedish_500_page():
    response = server_error(RequestFactory().get("/admin/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "<title>Något gick fel | Utomläns</title>" in page
    assert "<h1>Något gick fel</h1>" in page
    assert '<p class="errornote">Sidan kunde inte visas på grund av ett fel i systemet.</p>' in page
    assert (
        "<p>Försök igen om en stund. Händer det igen, berätta för din regions administratör vad du gjorde och när.</p>"
    ) in page


@pytest.mark.parametrize("name", ["403.html", "404.html", "500.html", "503.html"])
def test_the_error_pages_stand_alone_and_read_nothing_from_the_database(name, django_assert_num_queries):
    source = (TEMPLATES / name).read_text()

    with django_assert_num_queries(0):
        page = render_to_string(name, {"exception": "", "message": "", "retry_after": 30})

    assert "{% extends" not in source and "{% include" not in source
    assert page.startswith("<!DOCTYPE html>") and '<html lang="sv">' in page


# --- 3. The invoice list names invoices as their pages do ----------------------------------------------------------


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


# --- 4. Objections from the lines of the invoice -------------------------------------------------------------------


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
    open_url = "/admin/contacts/dispute/open/{}/"
    assert last == {
        "lk-29": f'<a href="{open_url.format(contacts["lk-29"])}" data-action="object">Invänd</a>',
        "lk-30": f'<a href="{reverse("admin:contacts_dispute_change", args=[case.pk])}" data-action="open-case">'
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


# --- 5. The credit note's history ----------------------------------------------------------------------------------


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


# --- 6. The contact page -------------------------------------------------------------------------------------------


def test_the_contact_page_says_yes_or_no_in_words_and_reasons_by_their_labels(client, named, invoices):
    phone = Contact.objects.get(external_id="phone")
    invoiced = Contact.objects.get(external_id="lk-29")  # on the approved invoice: locked

    rejected = _page(client, named["clerk04"], reverse("admin:contacts_contact_change", args=[phone.pk]))
    locked = _page(client, named["clerk04"], reverse("admin:contacts_contact_change", args=[invoiced.pk]))

    assert (field(rejected, "overridden_display"), field(rejected, "locked_display")) == ("Nej", "Nej")
    assert field(rejected, "strong_authentication_display") == "Ja"
    assert field(rejected, "reason_list_display") == "<ul><li>Inte en digital kontakt (telefon)</li></ul>"
    assert (
        '<div class="readonly">Ja<div class="help">Finns på en inskickad eller godkänd faktura: kan inte längre ändras.'
        "</div></div>"
    ) in locked
    for page in (rejected, locked):
        assert "icon-yes.svg" not in page and "icon-no.svg" not in page
        assert "not_digital" not in page and "<code>" not in page
        # the model's help texts only beside a "yes" they explain
        assert page.count("En godkänd tvist har gjort kontakten fakturerbar.") == 0
    assert "Finns på en inskickad eller godkänd faktura" not in rejected


def _history_rows(page: str) -> list[list[str]]:
    table = re.search(r'<table class="contact-history" id="history">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [
        [_text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_a_csv_created_contacts_history_starts_with_its_creation_and_says_nothing_changed_since(
    client, named, providers
):
    result = contacts_upsert(
        items=[
            contact_item(provider=providers["04a"].hsa_id, external_id="csv-1", started_at="2026-01-10T09:00:00+01:00")
        ],
        user=named["clerk04"],
        channel="csv",
    )
    contact = Contact.objects.get(pk=result.ids[0])

    page = _page(client, named["clerk04"], reverse("admin:contacts_contact_change", args=[contact.pk]))

    created = contact.created_at.astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%Y-%m-%d %H:%M")
    assert _history_rows(page) == [
        [
            "Skapad",
            created,
            "CSV-uppladdning",
            "Karin Lindqvist",
            "–",
            "–",
            f"Ersättningsberättigad – 400,00{NBSP}kr",
            "–",
        ]
    ]
    assert '<p class="contact-no-changes">Inga ändringar registrerade.</p>' in page


def test_a_changed_contacts_history_names_fields_and_values_as_read(client, named, providers):
    item = contact_item(provider=providers["04a"].hsa_id, external_id="c-9", started_at="2026-01-10T09:00:00+01:00")
    contacts_upsert(items=[{**item, "mode": "phone"}], user=named["clerk04"], channel="api")
    contacts_upsert(items=[item], user=named["clerk04"], channel="csv")
    contact = Contact.objects.get(external_id="c-9")

    page = _page(client, named["clerk04"], reverse("admin:contacts_contact_change", args=[contact.pk]))

    rows = [row[:1] + row[2:] for row in _history_rows(page)]  # not the times
    assert rows == [
        [
            "Skapad",
            "API",
            "Karin Lindqvist",
            "–",
            "–",
            f"Avvisad – Inte en digital kontakt (telefon) – 0,00{NBSP}kr",
            "–",
        ],
        [
            "Ändrad",
            "CSV-uppladdning",
            "Karin Lindqvist",
            "kontaktform: Telefon → Video",
            f"Avvisad – Inte en digital kontakt (telefon) – 0,00{NBSP}kr",
            f"Ersättningsberättigad – 400,00{NBSP}kr",
            "–",
        ],
    ]
    assert "Inga ändringar registrerade." not in page


# --- 7. The run form -----------------------------------------------------------------------------------------------


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


# --- 8. The case page: labels and names ----------------------------------------------------------------------------


def test_the_case_page_has_capitalised_labels_and_names_people(client, named, cases):
    objection = cases["objection"]

    page = _page(client, named["clerk04"], reverse("admin:contacts_dispute_change", args=[objection.pk]))

    assert "<h2>Kommentarer</h2>" in page and "<h2>Beslut</h2>" in page
    assert '<label for="dispute-assignee">Handläggs av:</label>' in page
    assert '<label for="id_outcome">Beslut:</label>' in page
    assert '<label for="id_credit_reason">Krediteringsorsak:</label>' in page
    assert '<label for="id_note">Anteckning:</label>' in page
    assert f"<p>Fakturarad: {objection.invoice_line.invoice.number}: 335,00{NBSP}kr</p>" in _text_keep_p(page)
    assert '<p class="dispute-no-comments">Inga kommentarer ännu.</p>' in page
    assert field(page, "assigned_to") == "Karin Lindqvist"
    assert field(page, "opened_by_display") == "Lena Nilsson"
    history = page[page.index('<table class="change-history" id="history">') :]
    assert (
        "<td>Tilldelad</td><td>Anders Berg</td><td>API</td><td><div>handläggs av: – → Karin Lindqvist</div></td>"
        "<td>Karin Lindqvist</td>"
    ) in history
    assert "clerk04" not in history and "manager04" not in history


def _text_keep_p(page: str) -> str:
    """The page with the links inside paragraphs reduced to their text."""
    return re.sub(r"<a [^>]*>(.*?)</a>", r"\1", page)


# --- 9. Four eyes on decisions -------------------------------------------------------------------------------------


@pytest.fixture
def contested(january, named):
    """Karin, a clerk of the billing region, contests the rejection of the region's own telephone contact."""
    return dispute_open(contact=Contact.objects.get(external_id="phone"), by=named["clerk04"], reason="Video avsedd")


def test_who_may_decide_a_case(contested, named, make_user, providers):
    deciders = {
        "the opener": named["clerk04"],
        "a colleague clerk": make_user(Role.CLERK, "04"),
        "a manager": named["manager04"],
        "the buyer's clerk": named["clerk25"],
        "another region's clerk": make_user(Role.CLERK, "06"),
        "the provider": make_user(Role.PROVIDER, provider=providers["04a"]),
        "a national admin": make_user(Role.ADMIN),
    }

    allowed = {who: can_resolve_dispute(user, contested) for who, user in deciders.items()}

    assert allowed == {
        "the opener": False,
        "a colleague clerk": True,
        "a manager": True,
        "the buyer's clerk": False,
        "another region's clerk": False,
        "the provider": False,
        "a national admin": False,
    }


def test_the_api_refuses_the_opener_a_decision_and_a_colleague_decides(api_as, january, staff):
    opener, colleague = api_as(Role.CLERK, "04"), api_as(Role.CLERK, "04")
    phone = Contact.objects.get(external_id="phone")
    opened = opener.post("/api/v1/disputes/", {"contact": phone.pk, "reason": "Video avsedd"}, format="json")
    url = f"/api/v1/disputes/{opened.json()['id']}/resolve/"

    refused = opener.post(url, {"outcome": "accepted", "note": "Godtas"}, format="json")
    events = DisputeEvent.objects.filter(dispute_id=opened.json()["id"]).count()
    decided = colleague.post(url, {"outcome": "dismissed", "note": "Telefon enligt journalen"}, format="json")

    assert opened.status_code == 201
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "Du öppnade tvisten; en kollega i Region Sörmland måste besluta om den."},
    )
    assert events == 1  # only its opening: the refusal recorded nothing
    phone.refresh_from_db()
    assert (phone.status, phone.overridden) == ("rejected", False)
    assert (decided.status_code, decided.json()["status"]) == (200, "dismissed")


def test_the_admin_offers_the_opener_no_decision_and_refuses_one(client, contested, named):
    url = reverse("admin:contacts_dispute_change", args=[contested.pk])
    decide = reverse("admin:contacts_dispute_decide", args=[contested.pk])

    as_opener = _page(client, named["clerk04"], url)
    response = client.post(decide, {"outcome": "accepted", "note": "Godtas"}, follow=True)
    as_colleague = _page(client, named["manager04"], url)

    assert f'action="{decide}"' not in as_opener
    assert (
        '<p class="dispute-decider-note">Du öppnade tvisten, så en kollega beslutar om den: tilldela den en kollega '
        "ovan.</p>"
    ) in as_opener
    assignable = re.search(r'<select name="assignee" id="dispute-assignee">(.*?)</select>', as_opener, re.S).group(1)
    assert "Karin Lindqvist" not in assignable and "Anders Berg" in assignable
    assert _messages(response) == ["Du öppnade tvisten; en kollega i Region Sörmland måste besluta om den."]
    contested.refresh_from_db()
    assert (contested.status, contested.decided_by_id) == ("open", None)
    assert f'action="{decide}"' in as_colleague and "dispute-decider-note" not in as_colleague


def test_a_case_is_never_assigned_to_the_one_who_opened_it(contested, named):
    # The opener is refused with the answer every name the case cannot go to gets (issue 16.10): no name in it.
    with pytest.raises(InvalidInput) as refused:
        dispute_assign(dispute=contested, assignee=named["clerk04"], by=named["manager04"])

    assert refused.value.errors == {
        "assignee": [
            "Region Sörmland har ingen handläggare eller chef med det användarnamnet som får besluta i ärendet "
            "(den som öppnade det får inte)."
        ]
    }

    contested.refresh_from_db()
    assert contested.assignee_id is None
    assert (
        dispute_assign(dispute=contested, assignee=named["manager04"], by=named["clerk04"]).assignee
        == named["manager04"]
    )


# --- 10. The start page --------------------------------------------------------------------------------------------


@pytest.fixture
def february_20(monkeypatch):
    monkeypatch.setattr(start.page, "stockholm_today", lambda: dt.date(2026, 2, 20))


def _task(page: str, key: str) -> str:
    match = re.search(rf'<tr class="start-task" data-task="{key}">.*?</tr>', page, re.S)
    return match.group(0) if match else ""


def test_rejected_contacts_of_patients_in_the_billing_region_are_not_a_task(
    client, named, providers, january, february_20
):
    own = contacts_upsert(
        items=[
            contact_item(
                provider=providers["04a"].hsa_id,
                external_id="own",
                home_region="04",
                started_at="2026-01-12T10:00:00+01:00",
            )
        ],
        user=named["clerk04"],
        channel="api",
    )
    assert Contact.objects.get(pk=own.ids[0]).reasons == "not_out_of_county"

    page = _page(client, named["clerk04"], reverse("admin:index"))

    task = _task(page, "rejected")
    link = unescape(re.search(r'<a href="([^"]+)"', task).group(1))
    listed = sorted(c.external_id for c in client.get(link).context["cl"].result_list)
    assert _text(task) == "Granska de senaste månadernas avvisade kontakter: låt rätta dem eller bestrid dem 1"
    assert listed == ["phone"]


def test_a_region_without_active_providers_is_not_offered_an_invoice_run(client, named, providers, make_user):
    page_04 = _page(client, named["clerk04"], reverse("admin:index"))
    page_25 = _page(client, named["clerk25"], reverse("admin:index"))
    providers["04a"].__class__.objects.filter(region_id="04").update(active=False)
    page_04_inactive = _page(client, named["clerk04"], reverse("admin:index"))

    assert 'data-action="start-run"' in page_04
    assert 'data-action="start-run"' not in page_25
    assert 'data-action="start-run"' not in page_04_inactive


def test_the_header_has_no_view_site_link(client, named):
    page = _page(client, named["clerk04"], reverse("admin:index"))

    user_tools = re.search(r'<div id="user-tools">(.*?)</div>', page, re.S).group(1)
    assert "Visa sida" not in page
    assert 'href="/"' not in user_tools
