"""The permission matrix's world: one seller (04), one buyer (25), a third region (06) and the people of each.

The world is built once for the whole package, through the services (as the app's own screens would), inside
one transaction that is rolled back when the package is done. Each test runs in a savepoint inside it (the
``db`` fixture), so a test that changes something (an allowed request) leaves nothing behind for the next.
The conftest fixtures ``make_user`` and ``api_as`` are function-scoped, so the world calls the same services
they wrap (``user_create``, ``api_client_create``) directly: building it for every one of the several hundred
requests would take minutes.

Actors (the ids of every parametrised case):
``anonymous``; ``provider`` (the system of the provider whose contacts these are, contracted by 04);
``clerk-seller``/``manager-seller`` (04); ``clerk-buyer``/``manager-buyer`` (25); ``clerk-third``/
``manager-third`` (06); ``admin`` (a national administrator, where it adds information). Outside the matrix,
``provider-other`` is the API key of another provider system contracted by the seller, and ``admin-third`` an
administrator of the third region (a web user and an API key).
"""

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
import time_machine
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from billing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceRun
from billing.reports.refresh import summaries_refresh
from billing.runs import invoice_run_execute
from billing.services import invoice_approve, invoice_mark_paid, invoice_mark_sent, invoice_submit
from contacts.audit.models import IdentityRead
from contacts.intake import contacts_upsert
from contacts.models import Contact, ContactEvent
from disputes.models import Dispute, DisputeComment, DisputeEvent
from disputes.services import dispute_open
from kernel.business_time import STOCKHOLM
from regions.models import ApiClient, Provider, RateRecommendation, Role
from regions.seeding import reference_data_load
from regions.services import api_client_create, recommendation_create, user_create
from tests.factories import ProviderFactory, contact_item, personnummer, regions_payable

SELLER, BUYER, THIRD = "04", "25", "06"

# (role, region) of each actor; the provider actor is the seller's provider ``P``.
ACTORS: dict[str, tuple[Role | None, str | None]] = {
    "anonymous": (None, None),
    "provider": (Role.PROVIDER, None),
    "clerk-seller": (Role.CLERK, SELLER),
    "manager-seller": (Role.MANAGER, SELLER),
    "clerk-buyer": (Role.CLERK, BUYER),
    "manager-buyer": (Role.MANAGER, BUYER),
    "clerk-third": (Role.CLERK, THIRD),
    "manager-third": (Role.MANAGER, THIRD),
    "admin": (Role.ADMIN, None),
}


def matrix(**statuses) -> list:
    """``pytest.param(actor, expected)`` for every actor, named by the actor; every actor must be given.

    Keyword names use ``_`` for ``-`` (``clerk_seller=200``).
    """
    given = {name.replace("_", "-"): status for name, status in statuses.items()}
    assert set(given) == set(ACTORS), f"missing or unknown actors: {set(ACTORS) ^ set(given)}"
    return [pytest.param(actor, given[actor], id=actor) for actor in ACTORS]


def started(period: str, day: int = 5, hour: int = 10) -> str:
    """A contact's start on a day of a period (``YYYY-MM``), in Stockholm time with that month's offset."""
    year, month = (int(part) for part in period.split("-"))
    offset = "+02:00" if 4 <= month <= 10 else "+01:00"
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00:00{offset}"


@dataclass
class World:
    provider: Provider  # P, contracted by the seller
    other_provider: Provider  # P2, also contracted by the seller
    foreign_provider: Provider  # Q, contracted by the third region
    users: dict[str, object]  # web users by actor (no anonymous), and a few named helpers
    keys: dict[str, str]  # API keys by actor (no anonymous)
    contacts: dict[str, Contact] = field(default_factory=dict)  # by external id
    invoices: dict[str, Invoice] = field(default_factory=dict)  # by status, and "foreign"
    runs: dict[str, InvoiceRun] = field(default_factory=dict)
    disputes: dict[str, Dispute] = field(default_factory=dict)  # "rejection", "objection"
    draft_recommendation: RateRecommendation | None = None

    def api(self, actor: str) -> APIClient:
        client = APIClient()
        if actor != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.keys[actor]}")
        return client

    sessions: dict[str, str] = field(default_factory=dict)  # a signed-in session key by actor

    def web(self, actor: str) -> Client:
        """A browser signed in as the actor (the world signed everyone in once: a login per request is slow)."""
        client = Client()
        if actor != "anonymous":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[actor]
        return client

    def sign_in_everyone(self) -> None:
        for name, user in self.users.items():
            browser = Client()
            browser.force_login(user)
            self.sessions[name] = browser.cookies[settings.SESSION_COOKIE_NAME].value


# Periods and what their invoice (04 → 25) has been through.
PERIODS = {
    "paid": "2026-06",
    "sent": "2026-07",
    "approved": "2026-08",
    "submitted": "2026-09",
    "draft": "2026-10",
}
OPEN_PERIOD = "2026-11"  # contacts on no invoice
STORED_PDF = b"%PDF-1.4\n% the permission matrix's stored document\n"


def _run(region: str, period: str, by) -> InvoiceRun:
    year, month = (int(part) for part in period.split("-"))
    run_date = dt.date(year + month // 12, month % 12 + 1, 10)
    run = InvoiceRun.objects.create(billing_region_id=region, period=period, started_by=by, started_via="admin")
    return invoice_run_execute(run=run, run_date=run_date)


def build_world() -> World:
    reference_data_load()
    regions_payable()
    provider = ProviderFactory(region_id=SELLER)
    foreign_provider = ProviderFactory(region_id=THIRD)
    users, keys = {}, {}
    for actor, (role, region) in ACTORS.items():
        if role is None:
            continue
        of_provider = provider.hsa_id if role == Role.PROVIDER else None
        users[actor] = user_create(
            username=f"web-{actor}",
            role=role,
            password="pw-for-tests-1",
            region_code=region,
            provider_hsa_id=of_provider,
        )
        _client, keys[actor] = api_client_create(
            name=f"api-{actor}", role=role, region_code=region, provider_hsa_id=of_provider
        )
    # A region's admin (of the third region), outside the matrix: an admin, but only of its region.
    users["admin-third"] = user_create(
        username="web-admin-third", role=Role.ADMIN, password="pw-for-tests-1", region_code=THIRD
    )
    _client, keys["admin-third"] = api_client_create(name="api-admin-third", role=Role.ADMIN, region_code=THIRD)
    # Another provider system of the seller region: it shares the region, never the provider's contacts.
    other_provider = ProviderFactory(region_id=SELLER)
    _client, keys["provider-other"] = api_client_create(
        name="api-provider-other", role=Role.PROVIDER, provider_hsa_id=other_provider.hsa_id
    )
    # The seller's second clerk submits the invoices, so either seller actor may approve or return them.
    users["submitter"] = user_create(username="web-submitter", role=Role.CLERK, region_code=SELLER)
    users["approver"] = user_create(username="web-approver", role=Role.MANAGER, region_code=SELLER)
    world = World(
        provider=provider, other_provider=other_provider, foreign_provider=foreign_provider, users=users, keys=keys
    )

    def item(external_id, period, day=5, **facts):
        return contact_item(
            provider=provider.hsa_id,
            external_id=external_id,
            started_at=started(period, day),
            patient_id=personnummer("19850312", f"{200 + len(items):03d}"),
            **facts,
        )

    items: list[dict] = []
    for status, period in PERIODS.items():
        items.append(item(f"{status}-1", period))
    items.append(item("approved-2", PERIODS["approved"], day=6))
    items += [
        item("free", OPEN_PERIOD),  # eligible, on no invoice: rejected in the reject tests
        item("phone", OPEN_PERIOD, day=6, mode="phone"),  # rejected (not digital), with an open rejection case
        item("phone-2", OPEN_PERIOD, day=7, mode="phone"),  # rejected, no case yet: the open-a-case tests
    ]
    result = contacts_upsert(items=items, user=users["submitter"], channel="api")
    assert result.errors == [], result.errors
    # The third region's own business: its provider's contact of a 01 resident, on a draft invoice 06 → 01.
    foreign = contacts_upsert(
        items=[
            contact_item(
                provider=foreign_provider.hsa_id,
                external_id="foreign-1",
                started_at=started(PERIODS["draft"]),
                home_region="01",
                patient_id=personnummer("19700101", "123"),
            )
        ],
        user=users["clerk-third"],
        channel="api",
    )
    assert foreign.errors == [], foreign.errors
    world.contacts = {c.external_id: c for c in Contact.objects.all()}

    for status, period in PERIODS.items():
        world.runs[status] = _run(SELLER, period, users["submitter"])
        invoice = Invoice.objects.get(seller_id=SELLER, buyer_id=BUYER, period=period)
        if status != "draft":
            invoice = invoice_submit(invoice=invoice, by=users["submitter"])
        if status in ("approved", "sent", "paid"):
            invoice = invoice_approve(invoice=invoice, by=users["approver"])
        if status in ("sent", "paid"):
            invoice = invoice_mark_sent(invoice=invoice, by=users["approver"])
        if status == "paid":
            invoice = invoice_mark_paid(invoice=invoice, by=users["approver"])
        world.invoices[status] = invoice
    world.runs["foreign"] = _run(THIRD, PERIODS["draft"], users["clerk-third"])
    world.invoices["foreign"] = Invoice.objects.get(seller_id=THIRD)

    world.disputes["rejection"] = dispute_open(
        contact=world.contacts["phone"], by=users["provider"], reason="Videosamtalet föll tillbaka på telefon"
    )
    world.disputes["objection"] = dispute_open(
        contact=world.contacts["approved-1"], by=users["clerk-buyer"], reason="Patienten är listad hos oss"
    )
    # The sent invoice has its documents stored (as the worker leaves them); the approved one not yet (202).
    sent = world.invoices["sent"]
    sent.pdf.save("matrix-faktura.pdf", ContentFile(STORED_PDF), save=False)
    sent.specification_pdf.save("matrix-fakturaunderlag.pdf", ContentFile(STORED_PDF), save=False)
    sent.save(update_fields=["pdf", "specification_pdf"])
    # A draft recommendation version, for the publish action (effective after every contact here).
    world.draft_recommendation = recommendation_create(
        code="SKR-2027-06",
        title="Utkast",
        decided_on=dt.date(2026, 11, 20),
        effective_from=dt.date(2027, 6, 1),
        includes_patient_fee=True,
        source_reference="Utkast för behörighetsmatrisen",
        rates={"physician": "450.00", "psychologist": "415.00", "other_licensed": "245.00"},
        criteria=["strong_authentication", "triage", "documented"],
    )
    summaries_refresh()
    for contact in world.contacts.values():
        contact.refresh_from_db()
    world.sign_in_everyone()
    return world


# The world's day: every period of PERIODS is within its invoicing deadline (approval checks it on its own date), and
# the open period is past, whatever the real date. The package's tests run on this clock, ticking on from it.
WORLD_DAY = dt.datetime(2026, 11, 28, 10, 0, tzinfo=STOCKHOLM)


@pytest.fixture(scope="package")
def _world(django_db_setup, django_db_blocker):
    with time_machine.travel(WORLD_DAY, tick=True), django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        yield world
        transaction.set_rollback(True)
    for document in (world.invoices["sent"].pdf, world.invoices["sent"].specification_pdf):
        document.storage.delete(document.name)


@pytest.fixture
def world(_world, db) -> World:
    """The world, in a savepoint of this test (``db``) rolled back after it."""
    return _world


# --- Proof that nothing changed --------------------------------------------------------------------------

# Every table a request of the matrix could write to. A denied request leaves each exactly as it was.
WATCHED = [
    Contact,
    ContactEvent,
    Invoice,
    InvoiceLine,
    InvoiceEvent,
    InvoiceRun,
    Dispute,
    DisputeComment,
    DisputeEvent,
    Provider,
    ApiClient,
    RateRecommendation,
    IdentityRead,
]


def snapshot() -> dict[str, object]:
    """Every row (every column) of the watched tables, in one query on PostgreSQL (it runs twice in most tests)."""
    quote = connection.ops.quote_name
    tables = {model._meta.label: (quote(model._meta.db_table), quote(model._meta.pk.column)) for model in WATCHED}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = ", ".join(
                f"(SELECT json_agg(t ORDER BY t.{pk})::text FROM {table} t)" for table, pk in tables.values()
            )
            cursor.execute(f"SELECT {columns}")
            return dict(zip(tables, cursor.fetchone(), strict=True))
        rows = {}
        for label, (table, pk) in tables.items():
            cursor.execute(f"SELECT * FROM {table} ORDER BY {pk}")
            rows[label] = cursor.fetchall()
        return rows


def messages_of(response) -> list[str]:
    """The admin messages a (redirected or rendered) response left for the user."""
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Admin answers ------------------------------------------------------------------------------------------

LOGIN = "login"  # redirected to the admin's login page (anonymous, and users who may not use the admin)
GONE = "gone"  # redirected to the admin index with "… doesn't exist": Django's answer for a missing object


def admin_answer(response) -> int | str:
    """What an admin response means, in the matrix's terms: ``LOGIN``, ``GONE`` or the status code.

    Django 6.1's admin answers a change (or history) page of an object outside ``get_queryset`` exactly as one
    of an object that does not exist: a redirect to the index with the message "<name> with ID “<id>” doesn't
    exist. Perhaps it was deleted?". Views of the product's own (``get_urls``) answer 404.
    """
    if response.status_code == 302:
        location = response["Location"]
        request = response.wsgi_request
        if location == redirect_to_login(request.get_full_path(), reverse("admin:login"))["Location"]:
            return LOGIN
        if location == reverse("admin:index"):
            (message,) = messages_of(response)
            assert re.fullmatch(r".+ med ID “[^”]+” finns inte\. Kan den ha blivit borttagen\?", message), message
            return GONE
    return response.status_code


def admin_action(action: str, *objects, **fields) -> dict:
    """The POST of an admin changelist action on the selected objects, as the changelist's form sends it."""
    return {
        "action": action,
        ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects],
        "index": "0",
        "select_across": "0",
        **fields,
    }
