"""The admin's start page (/admin/): what each role has to do, exactly as a person reads it, and nothing outside
the user's scope.

The data set (January and February 2026, billed by Sörmland 04): January's invoice to Norrbotten (25) approved
(1 140,00 kr), January's invoice to Stockholm (01) submitted and returned with a note (500,00 kr), February's invoice
to Norrbotten submitted by manager04 (335,00 kr); the provider contests the rejection of the telephone contact
(past its deadline), Norrbotten objects to lk-30. The page is read on 20 February 2026.
"""

import datetime as dt
import re
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import start.page
from billing.models import Invoice, InvoiceEvent, InvoiceRun
from billing.services import invoice_approve, invoice_return, invoice_submit
from contacts.intake import contacts_upsert
from contacts.models import Contact
from disputes.models import Dispute
from disputes.services import dispute_open
from kernel.business_time import STOCKHOLM
from regions.models import Role
from regions.services import recommendation_create
from tests.billing.conftest import run_now
from tests.conftest import _page, _text
from tests.factories import contact_item

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 2, 20)
NBSP = "\u00a0"


class _Rows(HTMLParser):
    """The rows of the start page's tables: ``(kind, key, [cell texts])`` for task, detail, region and run rows."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[str, str, list[str]]] = []
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            for kind in ("data-task", "data-detail", "data-region", "data-run"):
                if kind in attrs:
                    self._row = (kind[5:], attrs[kind], [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag in ("br", "div") and self._cell is not None:
            self._cell.append(" | ")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            # Spaces and line breaks of the markup collapse; the non-breaking spaces of amounts stay.
            self._row[2].append(re.sub(r"[ \t\r\n]+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None


def _section(page: str, name: str) -> str:
    match = re.search(rf'<section class="module start-{name}".*?</section>', page, re.S)
    return match.group(0) if match else ""


def rows(page: str, section: str = "tasks") -> list[tuple]:
    parser = _Rows()
    parser.feed(_section(page, section))
    return [(kind, key, *cells) for kind, key, cells in parser.rows]


def links(page: str, section: str = "tasks") -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', _section(page, section))]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(start.page, "stockholm_today", lambda: TODAY)


@pytest.fixture
def data(january, staff, make_user, providers):
    run_now()  # January: drafts to 25 (1 140,00 kr) and to 01 (500,00 kr)
    to_25 = Invoice.objects.get(buyer_id="25", period="2026-01")
    invoice_submit(invoice=to_25, by=staff["clerk04"])
    approved = invoice_approve(invoice=to_25, by=staff["manager04b"])
    to_01 = Invoice.objects.get(buyer_id="01", period="2026-01")
    invoice_submit(invoice=to_01, by=staff["clerk04"])
    returned = invoice_return(invoice=to_01, by=staff["manager04"], note="Kontrollera lk-01 mot folkbokföringen")
    run_now(period="2026-02", run_date=dt.date(2026, 3, 10))  # February: the "feb" contact to 25 (335,00 kr)
    february = invoice_submit(invoice=Invoice.objects.get(period="2026-02"), by=staff["manager04"])
    system = make_user(Role.PROVIDER, provider=providers["04a"])
    rejection = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system, reason="Video avsedd")
    Dispute.objects.filter(pk=rejection.pk).update(deadline=dt.date(2026, 2, 1))
    objection = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=staff["clerk25"], reason="Listad")
    return {
        "approved": approved,
        "returned": returned,
        "february": february,
        "rejection": rejection,
        "objection": objection,
    }


def _start(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def _url(name, query="", *args):
    return reverse(name, args=args) + (f"?{query}" if query else "")


def test_a_clerk_sees_the_regions_work_with_counts_amounts_and_filtered_links(client, staff, data):
    page = _start(client, staff["clerk04"])

    assert '<h2 id="start-tasks-heading">Att göra: Region Sörmland (handläggare)</h2>' in page
    assert rows(page) == [
        ("task", "rejections", "Besluta om bestridda avvisningar av er regions kontakter | varav 1 försenad", "1", ""),
        ("task", "objections", "Besluta om invändningar mot er regions fakturor", "1", f"335,00{NBSP}kr"),
        ("task", "returned", "Rätta utkasten som en chef har returnerat och skicka in dem igen", "1", ""),
        (
            "detail",
            "returned",
            "Faktura till Region Stockholm, 2026-01 | Kontrollera lk-01 mot folkbokföringen",
            "",
            f"500,00{NBSP}kr",
        ),
        ("task", "drafts", "Granska fakturautkasten och skicka in dem för godkännande", "1", f"500,00{NBSP}kr"),
        ("detail", "drafts", "2026-01", "1", f"500,00{NBSP}kr"),
        (
            "task",
            "send",
            "Skicka de godkända fakturorna till köparna och markera dem som skickade",
            "1",
            f"1{NBSP}140,00{NBSP}kr",
        ),
        (
            "task",
            "rejected",
            "Granska de senaste månadernas avvisade kontakter: låt rätta dem eller bestrid dem",
            "1",
            "",
        ),
        ("detail", "rejected", "2026-01", "1", ""),
    ]
    assert links(page) == [
        _url("admin:disputes_dispute_changelist", "status__exact=open&kind__exact=rejection&billing_region=04"),
        _url(
            "admin:disputes_dispute_changelist",
            "status__exact=open&kind__exact=rejection&billing_region=04&overdue=yes",
        ),
        _url("admin:disputes_dispute_objections"),
        _url("admin:billing_invoice_changelist", "seller__code__exact=04&status__exact=draft&kind__exact=invoice"),
        _url("admin:billing_invoice_change", "", data["returned"].pk),
        _url("admin:billing_invoice_changelist", "seller__code__exact=04&status__exact=draft&kind__exact=invoice"),
        _url(
            "admin:billing_invoice_changelist",
            "seller__code__exact=04&status__exact=draft&kind__exact=invoice&period=2026-01",
        ),
        _url("admin:billing_invoice_changelist", "seller__code__exact=04&status__exact=approved"),
        _url(
            "admin:contacts_contact_changelist",
            "status__exact=rejected&out_of_county=yes&billing_region__code__exact=04",
        ),
        _url(
            "admin:contacts_contact_changelist",
            "status__exact=rejected&out_of_county=yes&billing_region__code__exact=04&period=2026-01",
        ),
    ]
    # What waits for someone else: February's invoice, submitted by manager04.
    assert rows(page, "waiting") == [
        ("task", "submitted", "Inskickade fakturor som väntar på en chefs godkännande", "1", f"335,00{NBSP}kr"),
    ]
    assert links(page, "waiting") == [
        _url("admin:billing_invoice_changelist", "seller__code__exact=04&status__exact=submitted")
    ]


def test_the_linked_lists_show_exactly_what_the_task_counts(client, staff, data):
    page = _start(client, staff["clerk04"])
    client.force_login(staff["clerk04"])

    def listed(url):
        response = client.get(url)
        assert response.status_code == 200, url
        return sorted(str(obj.pk) for obj in response.context["cl"].result_list)

    rejections, _late, objections, _returned, _returned_invoice, drafts, january_drafts, send, rejected, in_january = (
        links(page)
    )
    assert listed(rejections) == [str(data["rejection"].pk)]
    # The objections link to the seller's screen grouping them by invoice and proposed credit reason; its one
    # group lists exactly the counted case.
    response = client.get(objections)
    assert response.status_code == 200
    assert [(g["count"], g["amount"]) for g in response.context["groups"]] == [(1, Decimal("335.00"))]
    assert listed(response.context["groups"][0]["url"]) == [str(data["objection"].pk)]
    assert listed(drafts) == listed(january_drafts) == [str(data["returned"].pk)]
    assert listed(send) == [str(data["approved"].pk)]
    assert listed(rejected) == listed(in_january) == [str(Contact.objects.get(external_id="phone").pk)]


def test_a_manager_approves_what_a_colleague_submitted_never_their_own(client, staff, data):
    own = _start(client, staff["manager04"])
    colleague = _start(client, staff["manager04b"])

    assert [key for _kind, key, *_cells in rows(own) if _kind == "task"] == [
        "rejections",
        "objections",
        "returned",
        "drafts",
        "send",
        "rejected",
    ]
    assert rows(own, "waiting") == [
        ("task", "submitted", "Inskickade fakturor som väntar på en chefs godkännande", "1", f"335,00{NBSP}kr"),
    ]
    assert rows(colleague)[0] == (
        "task",
        "approve",
        "Godkänn fakturor som en kollega har skickat in",
        "1",
        f"335,00{NBSP}kr",
    )
    assert links(colleague)[0] == _url("admin:billing_invoice_changelist", "awaiting=my-approval")
    assert rows(colleague, "waiting") == []
    assert '<h2 id="start-tasks-heading">Att göra: Region Sörmland (chef)</h2>' in colleague


def test_the_buyer_checks_what_it_received_sees_its_objection_waiting_and_nothing_of_the_sellers_work(
    client, staff, data
):
    page = _start(client, staff["clerk25"])

    assert rows(page) == [
        (
            "task",
            "received",
            "Granska fakturorna som er region har fått och invänd i tid mot kontakter den inte ska betala",
            "1",
            f"1{NBSP}140,00{NBSP}kr",
        )
    ]
    assert links(page) == [_url("admin:billing_invoice_changelist", "received=objectable")]
    assert rows(page, "waiting") == [
        (
            "task",
            "our-objections",
            "Er regions invändningar som väntar på den fakturerande regionens beslut",
            "1",
            "",
        )
    ]
    assert links(page, "waiting") == [
        _url("admin:disputes_dispute_changelist", "status__exact=open&kind__exact=objection&home_region=25")
    ]
    assert rows(page, "runs") == []  # Sörmland's runs are Sörmland's
    assert "Region Sörmland" not in page.split('id="content-related"')[0]


def test_a_third_region_has_nothing_to_do(client, staff, data):
    page = _start(client, staff["clerk06"])

    assert '<p class="start-empty">Inget att göra just nu</p>' in page
    assert (rows(page), rows(page, "waiting"), rows(page, "runs"), rows(page, "regions")) == ([], [], [], [])
    assert "seller__code__exact=04" not in page and "Sörmland" not in page


def test_the_last_runs_with_progress_and_the_button_for_last_months_run(client, staff, data):
    running = InvoiceRun.objects.create(
        billing_region_id="04", period="2026-01", status="running", progress=40, started_via="schedule"
    )
    InvoiceRun.objects.filter(pk=running.pk).update(created_at=dt.datetime(2026, 2, 1, 2, 0, tzinfo=STOCKHOLM))
    InvoiceRun.objects.create(billing_region_id="06", period="2026-01", status="failed", error="x")  # not 04's
    earlier = list(InvoiceRun.objects.filter(billing_region_id="04").exclude(pk=running.pk).order_by("-id"))
    for hour, run in zip((9, 8), earlier, strict=True):
        InvoiceRun.objects.filter(pk=run.pk).update(
            created_at=dt.datetime(2026, 1, 31, hour, 15, tzinfo=STOCKHOLM), started_by=staff["clerk04"]
        )

    page = _start(client, staff["clerk04"])

    # Two runs of one period tell apart by when they started and who started them.
    name = staff["clerk04"].get_full_name() or staff["clerk04"].get_username()
    assert rows(page, "runs") == [
        (
            "run",
            str(running.pk),
            "Region Sörmland",
            "2026-01",
            "2026-02-01 02:00, schemaläggning",
            "Pågår",
            "40 % 40 %",
            "0",
        ),
        (
            "run",
            str(earlier[0].pk),
            "Region Sörmland",
            "2026-02",
            f"2026-01-31 09:15, {name}",
            "Klar",
            "100 % 100 %",
            "1",
        ),
        (
            "run",
            str(earlier[1].pk),
            "Region Sörmland",
            "2026-01",
            f"2026-01-31 08:15, {name}",
            "Klar",
            "100 % 100 %",
            "2",
        ),
    ]
    assert '<progress max="100" value="40">40 %</progress>' in page
    assert '<meta http-equiv="refresh" content="5">' in page  # until the run has finished
    form = re.search(r'<form method="post" action="([^"]+)" class="start-run" data-confirm="([^"]+)">', page)
    assert form.groups() == (
        reverse("admin:billing_invoicerun_add"),
        "Starta faktureringskörningen för Region Sörmland, 2026-01? Den skapar eller uppdaterar periodens "
        "fakturautkast med alla fakturerbara kontakter som ännu inte fakturerats.",
    )
    assert '<input type="hidden" name="billing_region" value="04">' in page
    assert '<input type="hidden" name="period" value="2026-01">' in page
    assert ">Starta faktureringskörning för 2026-01</button>" in page


def test_the_start_button_starts_last_months_run_and_shows_it(client, staff, data, django_capture_on_commit_callbacks):
    client.force_login(staff["clerk04"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:billing_invoicerun_add"), {"billing_region": "04", "period": "2026-01"})

    run = InvoiceRun.objects.latest("id")
    assert (run.billing_region_id, run.period, run.started_by, run.started_via) == (
        "04",
        "2026-01",
        staff["clerk04"],
        "admin",
    )
    assert response["Location"] == reverse("admin:billing_invoicerun_change", args=[run.pk])


def test_no_refresh_when_no_run_is_active(client, staff, data):
    assert 'http-equiv="refresh"' not in _start(client, staff["clerk04"])


def test_a_national_admin_sees_failed_runs_work_per_region_drafts_and_lockouts(client, make_user, staff, data):
    failed = InvoiceRun.objects.create(
        billing_region_id="06", period="2026-01", status="failed", error="Jobbkön kunde inte nås."
    )
    recommendation_create(
        code="SKR-2027-01",
        title="Utkast",
        decided_on=dt.date(2026, 12, 1),
        effective_from=dt.date(2027, 1, 1),
        includes_patient_fee=True,
        source_reference="Utkast",
        rates={"physician": "450.00", "psychologist": "415.00", "other_licensed": "245.00"},
        criteria=["strong_authentication", "triage", "documented"],
    )
    AccessAttempt.objects.create(
        username="clerk04", ip_address="10.0.0.1", user_agent="x", failures_since_start=5, get_data="", post_data=""
    )
    AccessAttempt.objects.create(
        username="clerk25", ip_address="10.0.0.2", user_agent="x", failures_since_start=2, get_data="", post_data=""
    )

    page = _start(client, make_user(Role.ADMIN))

    assert '<h2 id="start-tasks-heading">Att göra: hela landet</h2>' in page
    assert rows(page) == [
        (
            "task",
            "failed-runs",
            "Ta reda på varför faktureringskörningar misslyckades de senaste 30 dagarna och starta dem igen",
            "1",
            "",
        ),
        ("detail", "failed-runs", "Region Jönköpings län, 2026-01 | Jobbkön kunde inte nås.", "", ""),
        ("task", "recommendation-drafts", "Publicera eller ta bort utkasten till rekommendationsversioner", "1", ""),
        ("task", "locked-logins", "Spärrade inloggningar: lås upp dem du känner igen (ta bort försöket)", "1", ""),
    ]
    assert links(page) == [
        _url("admin:billing_invoicerun_changelist", "status__exact=failed"),
        _url("admin:billing_invoicerun_change", "", failed.pk),
        _url("admin:regions_raterecommendation_changelist", "status__exact=draft"),
        _url("admin:axes_accessattempt_changelist"),
    ]
    # Sörmland: the returned draft, February's submitted invoice, January's approved one, two open cases (one late).
    assert rows(page, "regions") == [("region", "04", "Region Sörmland", "1", "1", "1", "2", "1")]
    assert links(page, "regions") == [
        _url("admin:billing_invoice_changelist", "seller__code__exact=04&status__exact=draft"),
        _url("admin:billing_invoice_changelist", "seller__code__exact=04&status__exact=submitted"),
        _url("admin:billing_invoice_changelist", "seller__code__exact=04&status__exact=approved"),
        _url("admin:disputes_dispute_changelist", "status__exact=open&billing_region=04"),
        _url("admin:disputes_dispute_changelist", "status__exact=open&billing_region=04&overdue=yes"),
    ]
    assert [run[2] for run in rows(page, "runs")] == ["Region Jönköpings län", "Region Sörmland", "Region Sörmland"]
    assert 'class="start-run"' not in page  # a national admin starts runs from the run form, for a region
    assert links(page, "links") == [
        reverse("admin:regions_region_changelist"),
        reverse("admin:regions_regionpopulation_changelist"),
        reverse("admin:regions_profession_changelist"),
        reverse("admin:regions_raterecommendation_changelist"),
        reverse("admin:regions_provider_changelist"),
        reverse("admin:regions_apiclient_changelist"),
        reverse("admin:auth_user_changelist"),
    ]


def test_a_regions_admin_has_no_invoice_work_and_no_national_data(client, make_user, data):
    page = _start(client, make_user(Role.ADMIN, "06"))

    assert '<h2 id="start-tasks-heading">Att göra: Region Jönköpings län (administratör)</h2>' in page
    assert (rows(page), rows(page, "regions"), rows(page, "runs")) == ([], [], [])
    assert links(page, "links") == [
        reverse("admin:regions_region_changelist"),
        reverse("admin:regions_regionpopulation_changelist"),
        reverse("admin:regions_profession_changelist"),
        reverse("admin:regions_raterecommendation_changelist"),
        reverse("admin:regions_provider_changelist"),
        reverse("admin:regions_apiclient_changelist"),
    ]


def test_every_one_has_the_app_list_beside_the_tasks(client, staff, data):
    client.force_login(staff["clerk04"])

    response = client.get(reverse("admin:index"))

    models = [model["object_name"] for app in response.context["app_list"] for model in app["models"]]
    assert models == [
        "InvoiceRun",
        "Invoice",
        "Contact",
        "ContactUpload",  # the scope's CSV uploads (issue 15)
        "PopulationEntry",  # the region's own registers as a buyer, and their loads (issue 18)
        "ListingEntry",
        "RegisterLoad",
        "RateRecommendation",
        "RegionPopulation",
        "Region",
        "Provider",
        "Profession",
        "Dispute",  # an app of its own (Tvister), no longer among the contacts (issue 21)
    ]
    page = response.content.decode()
    assert page.index('id="content-main"') < page.index('id="content-related" class="app-list"')


def test_many_more_invoices_disputes_and_runs_cost_no_more_queries(client, staff, data, make_user, providers):
    def queries_of(user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:index")).status_code == 200
        return len(captured)

    national = make_user(Role.ADMIN)
    before = {name: queries_of(user) for name, user in [("clerk", staff["clerk04"]), ("admin", national)]}
    # Ten more periods of drafts, runs and returned drafts, and more cases.
    for month in range(3, 13):
        period = f"2025-{month:02d}"
        InvoiceRun.objects.create(billing_region_id="04", period=period, status="succeeded", progress=100)
        for buyer in ("01", "25", "06"):
            invoice = Invoice.objects.create(seller_id="04", buyer_id=buyer, period=period, total="100.00")
            if buyer == "06":  # returned: submitted once, back to draft with a note
                Invoice.objects.filter(pk=invoice.pk).update(submitted_at=timezone.now())
                InvoiceEvent.objects.create(
                    invoice=invoice, at=timezone.now(), action="return", from_status="submitted", to_status="draft"
                )
    after = {name: queries_of(user) for name, user in [("clerk", staff["clerk04"]), ("admin", national)]}

    assert after == before
    # The clerk's budget holds one aggregate per task kind; the lapse warning (issue 14) is the eighteenth query.
    assert before["clerk"] <= 18 and before["admin"] <= 14, before


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
