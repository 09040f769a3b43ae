import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser

import pytest
import time_machine
from django.conf import settings
from django.utils import translation
from rest_framework.test import APIClient

from config.observability import logs
from contacts.intake import contacts_upsert
from kernel.api import docs
from kernel.business_time import STOCKHOLM, add_months, stockholm_today
from regions.models import Role
from regions.seeding import reference_data_load
from regions.services import api_client_create, user_create
from tests.factories import ProviderFactory, contact_item, personnummer, regions_payable


@pytest.fixture(autouse=True)
def _ui_language():
    """Every test starts in the product's UI language (Swedish), whatever an earlier request activated."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _outside_a_request():
    """Every test starts, and leaves the next one, outside any request: no request id in its log lines. Django's
    ``request_finished`` clears the id when a response is closed, which the test client does for a streamed response
    (a PDF, a file) only once the test has read it to the end; a test that reads only the status code left the id
    of its request on the lines of whichever test ran next in the same process (tests/config/test_logs.py failed
    after tests/billing/test_previews.py once pytest-xdist had put them on the same worker)."""
    logs._request_id.set(None)
    yield
    logs._request_id.set(None)


# The day January 2026 was invoiced in the shared fixtures: its contacts are within their invoicing deadline.
BILLING_DAY = dt.datetime(2026, 2, 10, 10, 0, tzinfo=STOCKHOLM)


@pytest.fixture
def billing_day():
    """The clock at 10 February 2026 10:00 in Stockholm, running on from there (time-machine moves every clock of the
    process: ``timezone.now``, ``stockholm_today``). Fixtures that invoice January 2026 stand on it, so their drafts are
    submitted and approved on a day their contacts could still be billed, whatever the real date: approval checks the
    invoicing deadline on its own date."""
    with time_machine.travel(BILLING_DAY, tick=True):
        yield BILLING_DAY


@pytest.fixture
def reference(db):
    """The regions, professions and the three published SKR versions, as `seed_reference_data` loads them; each
    region with a bankgiro, so that invoices can be approved."""
    report = reference_data_load()
    regions_payable()
    return report


@pytest.fixture
def make_user(reference):
    """Create a web user with a role in a region (or a provider, or national for admins)."""
    counter = iter(range(1, 10_000))

    def make(role: Role, region: str | None = None, provider=None, username: str | None = None):
        return user_create(
            username=username or f"{role}{region or ''}-{next(counter)}",
            role=role,
            password="pw-for-tests-1",
            region_code=region,
            provider_hsa_id=provider.hsa_id if provider else None,
        )

    return make


@pytest.fixture
def signed_in():
    """The API as a person signed in (a session, as the browser's docs page or a script with a login use it): the
    approval of an invoice is a person's, never an API client's (billing.permissions)."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_as(reference):
    """An API client authenticated with a real token of the given role."""
    counter = iter(range(1, 10_000))

    def make(role: Role, region: str | None = None, provider=None) -> APIClient:
        _client, key = api_client_create(
            name=f"client-{role}-{next(counter)}",
            role=role,
            region_code=region,
            provider_hsa_id=provider.hsa_id if provider else None,
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def providers(reference):
    """Two providers contracted by Sörmland (04) and one by Jönköping (06)."""
    return {
        "04a": ProviderFactory(region_id="04"),
        "04b": ProviderFactory(region_id="04"),
        "06": ProviderFactory(region_id="06"),
    }


BUYERS = ("01", "06", "25")


def _last_month() -> str:
    return f"{add_months(stockholm_today(), -1):%Y-%m}"


@pytest.fixture
def month(make_user, providers):
    """Last month billed by Sörmland (04): 12 eligible contacts for three buyers, and one rejected (phone)."""
    clerk = make_user(Role.CLERK, "04", username="clerk04")
    period = _last_month()
    items = [
        contact_item(
            provider=providers["04a"].hsa_id,
            external_id=f"{buyer}-{n}",
            home_region=buyer,
            started_at=f"{period}-{n + 2:02d}T10:00:00+01:00",
            patient_id=personnummer("19850312", f"{n:02d}{int(buyer) % 10}"),
            patient_fee="100.00",
        )
        for buyer in BUYERS
        for n in range(4)
    ]
    items.append(
        contact_item(provider=providers["04a"].hsa_id, external_id="phone", started_at=f"{period}-03T10:00:00+01:00")
        | {"mode": "phone"}
    )
    result = contacts_upsert(items=items, user=clerk, channel="api")
    assert result.errors == []
    return {"period": period, "clerk": clerk}


@pytest.fixture
def clerk04_api(api_as):
    return api_as(Role.CLERK, "04")


NBSP = "\u00a0"


def _page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


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
def fresh_schema():
    docs._schemas.clear()
    docs._rendered.clear()


@pytest.fixture
def schema_parameters(client, reference, fresh_schema):
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]

    def of(path: str) -> dict[str, dict]:
        return {parameter["name"]: parameter for parameter in paths[path]["get"]["parameters"]}

    return of
