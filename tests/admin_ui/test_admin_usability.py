"""The admin's lists and pages as a person reads them: names instead of ids, amounts in kronor, read-only pages as
text, a question before every irreversible step, progress that follows a run, and lists whose number of queries
does not grow with their rows."""

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice, InvoiceRun
from billing.services import invoice_approve, invoice_mark_sent, invoice_submit
from contacts.models import Contact
from disputes.models import Dispute
from disputes.services import dispute_assign, dispute_open, dispute_resolve
from regions.models import RateRecommendation, Role
from regions.services import api_client_create, recommendation_create
from tests.billing.conftest import run_now
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


class _ResultList(HTMLParser):
    """The changelist's rows: the text of every cell but the checkbox."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_table = self._in_body = False
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "result_list":
            self._in_table = True
        elif self._in_table and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag in ("td", "th") and "action-checkbox" not in (attrs.get("class") or ""):
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(re.sub(r"[ \t\r\n]+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "table":
            self._in_table = self._in_body = False


def listed(response) -> list[list[str]]:
    assert response.status_code == 200
    parser = _ResultList()
    parser.feed(response.content.decode())
    return parser.rows


def field(page: str, name: str) -> str:
    """The text of a read-only field on a change page."""
    match = re.search(rf'<div class="form-row[^"]*field-{name}">.*?<div class="readonly">(.*?)</div>', page, re.S)
    assert match, name
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


@pytest.fixture
def invoices(january, staff):
    """January's run: the invoice to Norrbotten approved (1 140,00 kr), the one to Stockholm a draft (500,00 kr)."""
    run_now()
    approved = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=approved, by=staff["clerk04"])
    return {
        "approved": invoice_approve(invoice=approved, by=staff["manager04b"]),
        "draft": Invoice.objects.get(buyer_id="01"),
    }


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# --- Invoices -------------------------------------------------------------------------------------------------


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


# --- Runs -----------------------------------------------------------------------------------------------------


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


# --- Disputes -------------------------------------------------------------------------------------------------


@pytest.fixture
def cases(invoices, staff, make_user, providers):
    system = make_user(Role.PROVIDER, provider=providers["04a"])
    rejection = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system, reason="Video avsedd")
    Dispute.objects.filter(pk=rejection.pk).update(deadline=dt.date(2026, 1, 15))
    objection = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=staff["clerk25"], reason="Listad")
    dispute_assign(dispute=objection, assignee=staff["clerk04"], by=staff["manager04"])
    return {"rejection": rejection, "objection": objection, "provider": providers["04a"]}


def test_the_dispute_list_names_contact_provider_regions_and_assignee_and_marks_overdue(client, staff, cases):
    client.force_login(staff["clerk04"])

    response = client.get(reverse("admin:disputes_dispute_changelist"))

    provider = cases["provider"].name
    deadline = cases["objection"].deadline.isoformat()
    assert listed(response) == [
        [
            "lk-30",
            provider,
            "Invändning mot fakturerad kontakt",
            "Öppen",
            "Region Sörmland",
            "Region Norrbotten",
            deadline,
            "clerk04",
        ],
        [
            "phone",
            provider,
            "Bestriden avvisning",
            "Öppen",
            "Region Sörmland",
            "Region Norrbotten",
            "2026-01-15 – försenad",
            "–",
        ],
    ]
    assert '<span class="overdue">2026-01-15 – försenad</span>' in response.content.decode()


def test_the_dispute_filters_by_the_deciding_and_the_objecting_region(client, staff, cases):
    client.force_login(staff["clerk25"])
    url = reverse("admin:disputes_dispute_changelist")

    def kinds(query):
        return sorted(d.kind for d in client.get(f"{url}?{query}").context["cl"].result_list)

    assert kinds("billing_region=04") == ["objection", "rejection"]
    assert kinds("home_region=25&kind__exact=objection") == ["objection"]
    assert kinds("billing_region=25") == []


def test_the_dispute_list_costs_the_same_queries_for_many_cases(client, staff, cases, django_assert_max_num_queries):
    client.force_login(staff["clerk04"])
    url = reverse("admin:disputes_dispute_changelist")
    few = queries(client, url)
    for contact in Contact.objects.exclude(external_id__in=["phone", "lk-30"]):
        Dispute.objects.create(
            contact=contact,
            kind="rejection",
            reason="x",
            opened_by=staff["clerk04"],
            opened_at=timezone.now(),
            deadline=dt.date(2026, 3, 1),
            assignee=staff["manager04"],
        )

    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200


def test_the_case_page_reads_names_not_ids(client, staff, cases):
    objection = cases["objection"]
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:disputes_dispute_change", args=[objection.pk])).content.decode()

    approved = objection.invoice_line.invoice
    provider = cases["provider"].name
    assert "<h1>Visa tvist</h1>" in page
    assert f"<h2>Invändning mot fakturerad kontakt: lk-30 ({provider})</h2>" in page
    assert field(page, "contact_display") == f"lk-30 ({provider}, 2026-01-30 10:00)"
    assert field(page, "invoice_line_display") == f"{approved.number}: 335,00{NBSP}kr"
    assert (field(page, "opened_by_display"), field(page, "assigned_to")) == ("clerk25", "clerk04")
    assert "<td>Öppnad</td><td>clerk25</td><td>API</td><td><div>status: – → Öppen</div></td>" in page
    assert " disabled" not in page


def test_deciding_and_opening_a_case_ask_first(client, staff, cases):
    client.force_login(staff["clerk04"])

    case = client.get(reverse("admin:disputes_dispute_change", args=[cases["objection"].pk])).content.decode()
    client.force_login(staff["clerk25"])
    open_form = client.get(
        reverse("admin:disputes_dispute_open", args=[Contact.objects.get(external_id="ps-30").pk])
    ).content.decode()

    assert 'data-confirm="Ett beslut kan inte ångras. Fortsätta?"' in case
    assert (
        '<form method="post" data-confirm="Öppna tvisten? Motparten meddelas direkt, och ärendet finns sedan kvar.">'
    ) in open_form
    assert "utomlans/confirm.js" in case and "utomlans/confirm.js" in open_form


# --- Contacts -------------------------------------------------------------------------------------------------


def test_the_contact_list_names_the_provider_and_shows_amounts_in_kronor(client, staff, january, providers):
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:contacts_contact_changelist") + "?q=lk-29")
    rows = listed(page)

    # (Issue 15: the billing and home regions in one column by their codes, the profession by its code; each names
    # itself on hover, so that the list fits a 1280 px screen.)
    assert [row[1:] for row in rows] == [
        [
            "lk-29",
            providers["04a"].name,
            "198503122387",
            f"04{NBSP}→ 25",
            "LK",
            "Ersättningsberättigad",
            "–",
            f"400,00{NBSP}kr",
        ]
    ]
    html = page.content.decode()
    assert (
        '<td class="field-regions_display"><abbr title="Region Sörmland">04</abbr>&nbsp;→ '
        '<abbr title="Region Norrbotten">25</abbr></td>'
    ) in html
    assert '<td class="field-profession_display"><abbr title="Läkare">LK</abbr></td>' in html


def test_the_contact_page_names_people_and_shows_kronor(client, staff, january, providers):
    contact = Contact.objects.get(external_id="lk-29")
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:contacts_contact_change", args=[contact.pk])).content.decode()

    assert f"<h2>lk-29 ({providers['04a'].name})</h2>" in page
    assert (field(page, "rate_display"), field(page, "amount_display"), field(page, "patient_fee_display")) == (
        f"500,00{NBSP}kr",
        f"400,00{NBSP}kr",
        f"100,00{NBSP}kr",
    )
    assert field(page, "created_by_display") == "clerk04"


def test_rejecting_contacts_goes_through_a_confirmation_page(client, staff, january):
    contact = Contact.objects.get(external_id="lk-29")
    client.force_login(staff["clerk04"])
    url = reverse("admin:contacts_contact_changelist")

    page = client.get(url).content.decode()
    confirmation = client.post(url, {"action": "reject", "_selected_action": [contact.pk]})

    assert '<option value="reject">' in page  # the action's own page asks, with the note it needs
    assert confirmation.status_code == 200
    assert "Avvisa 1 kontakt med skälet" in confirmation.content.decode()
    contact.refresh_from_db()
    assert contact.status == "eligible"


# --- Reference data and API clients ---------------------------------------------------------------------------


@pytest.fixture
def national(make_user):
    return make_user(Role.ADMIN)


def test_publishing_and_revoking_ask_first(client, national, reference):
    api_client_create(name="kry-journal", role=Role.CLERK, region_code="04")
    client.force_login(national)

    recommendations = client.get(reverse("admin:regions_raterecommendation_changelist")).content.decode()
    clients = client.get(reverse("admin:regions_apiclient_changelist")).content.decode()

    assert (
        '<option value="publish" data-confirm="Publicera de markerade utkasten? En publicerad version gäller från sitt '
        'datum och kan aldrig ändras eller tas bort: en rättelse är en ny version.">'
    ) in recommendations
    assert (
        '<option value="revoke" data-confirm="Återkalla nycklarna för de markerade klienterna? Deras system nekas '
        "direkt, och en återkallad nyckel fungerar aldrig igen: en ny nyckel skapas med manage.py "
        'create_api_client.">'
    ) in clients
    for page in (recommendations, clients):
        assert re.search(r'<script src="/static/utomlans/confirm\.js" nonce="[^"]+">', page)


def test_a_published_recommendation_is_text_with_named_history(client, national, reference):
    published = RateRecommendation.objects.get(code="SKR-2026-04")
    client.force_login(national)

    page = client.get(reverse("admin:regions_raterecommendation_change", args=[published.pk])).content.decode()

    assert "<h1>Visa ersättningsrekommendation</h1>" in page
    assert not re.search(r"<(input(?![^>]*type=\"hidden\")|select|textarea)[^>]*name=\"(rates|criteria)-", page)
    assert " disabled" not in page
    assert 'class="module plain-rows"' in page  # rows without "3 physician 435.00" above them
    assert "status: Utkast → Publicerad" in page


def test_api_clients_show_role_names_and_filter_revoked(client, national, reference):
    active, _key = api_client_create(name="a-active", role=Role.CLERK, region_code="04")
    revoked, _key = api_client_create(name="b-revoked", role=Role.MANAGER, region_code="25")
    revoked.revoked_at = timezone.now()
    revoked.save(update_fields=["revoked_at"])
    client.force_login(national)
    url = reverse("admin:regions_apiclient_changelist")

    rows = listed(client.get(url + "?key=active"))

    assert [row[:4] for row in rows] == [["a-active", active.key_prefix, "Handläggare", "04 Region Sörmland"]]
    assert [row[0] for row in listed(client.get(url + "?key=revoked"))] == ["b-revoked"]


def test_reference_lists_cost_the_same_queries_for_many_rows(
    client, national, reference, django_assert_max_num_queries
):
    def add(n):
        ProviderFactory(region_id="04" if n % 2 else "06")
        api_client_create(name=f"client-{n}", role=Role.CLERK, region_code="04")
        recommendation_create(
            code=f"UTKAST-{n}",
            title="Utkast",
            decided_on=dt.date(2027, 1, 1),
            effective_from=dt.date(2027, 1, 1),
            includes_patient_fee=True,
            source_reference="x",
            rates={"physician": "450.00", "psychologist": "415.00", "other_licensed": "245.00"},
            criteria=["strong_authentication"],
        )

    add(0)
    client.force_login(national)
    urls = [
        reverse("admin:regions_provider_changelist"),
        reverse("admin:regions_raterecommendation_changelist"),
        reverse("admin:regions_apiclient_changelist"),
        reverse("admin:regions_regionpopulation_changelist"),
    ]
    few = [queries(client, url) for url in urls]
    for n in range(1, 16):
        add(n)

    for url, bound in zip(urls, few, strict=True):
        with django_assert_max_num_queries(bound):
            assert client.get(url).status_code == 200


def test_the_browsers_favicon_request_finds_the_products_icon(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (301, "/static/utomlans/favicon.ico")
    with open(finders.find("utomlans/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file, where the static files are collected from


@pytest.mark.django_db
def test_the_history_button_opens_the_objects_own_history_not_an_empty_log(client, reference, make_user, providers):
    from regions.models import Provider

    provider = Provider.objects.get(pk=providers["04a"].pk)
    client.force_login(make_user(Role.CLERK, "04"))
    change = reverse("admin:regions_provider_change", args=[provider.pk])

    response = client.get(reverse("admin:regions_provider_history", args=[provider.pk]))
    page = client.get(change).content.decode()
    hidden = client.get(reverse("admin:regions_provider_history", args=[providers["06"].pk]))

    assert (response.status_code, response["Location"]) == (302, change + "#history")
    assert page.count('id="history"') == 1
    # Another region's provider stays out of sight, answered as Django answers for an object that does not exist.
    assert (hidden.status_code, hidden["Location"]) == (302, reverse("admin:index"))
