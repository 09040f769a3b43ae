"""End-to-end journeys in a real browser: headless Chromium (Debian's package, driven by Playwright's sync API)
against the app served by pytest-django's live server on the PostgreSQL test database.

- ``browser``: one Chromium for the package, stopped when the package is done. Playwright never downloads a
  browser: it starts the one at ``CHROMIUM`` (``.ci/run`` installs Debian's ``chromium``).
- ``page_as(user)``: a fresh browser context (Swedish, 1280×800) signed in through the login form.
- ``screens(journey)``: saves the key screens as ``<folder>/<journey>-<nn>-<what>.png``, replacing that journey's
  earlier screenshots. The folder is ``.e2e-screenshots/`` (not committed: every run, CI's included, leaves what the
  person saw there) unless ``E2E_SCREENSHOTS`` names another; ``make screenshots`` runs the journeys with
  ``E2E_SCREENSHOTS=docs/screenshots``, the committed pictures the README's "Screens" section shows.
- ``world``: the people and the provider every journey starts from, and helpers that build exactly the contacts
  and invoices a journey needs (so the totals it asserts are known).

Playwright's sync API keeps an event loop running in the test thread, and Django refuses ORM calls from a thread
with a running loop (SynchronousOnlyOperation). The tests call the ORM only to build their data, never while the
browser is waiting, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for this package alone, for as long as its browser runs.
"""

import datetime as dt
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from django.db import connection

from billing.models import Invoice, InvoiceKind
from billing.services import invoice_approve, invoice_run_start, invoice_submit
from contacts.intake import contacts_upsert
from kernel.business_time import STOCKHOLM, add_months, stockholm_today
from regions.models import Role
from regions.services import user_create
from tests.factories import ProviderFactory, contact_item, personnummer

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / (os.environ.get("E2E_SCREENSHOTS") or ".e2e-screenshots")
PASSWORD = "e2e-lösenord-2026"
NBSP = "\u00a0"
PDF_VIEWER_SETTLES_MS = 1500


def sek(text: str) -> str:
    """An amount as the app shows it (``kernel.money.format_sek``): ``1 310,00 kr`` with non-breaking spaces."""
    return text.replace(" ", NBSP)


def _unavailable(reason: str):
    """Skip where the browser or PostgreSQL is missing, but fail in CI: there the journeys must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the end-to-end tests must run there)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def _async_unsafe_allowed():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def browser(_async_unsafe_allowed, django_db_blocker):
    if not Path(CHROMIUM).is_file():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set E2E_CHROMIUM)")
    with django_db_blocker.unblock():
        vendor = connection.vendor
    if vendor != "postgresql":
        _unavailable(f"the end-to-end tests run on PostgreSQL (DATABASE_URL), not {vendor}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (requirements.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, chromium_sandbox=False)
        yield chromium
        chromium.close()


@pytest.fixture
def page_as(browser, live_server):
    """``page_as(user)``: a new browser window of that user, signed in through the admin's login form."""
    contexts = []

    def sign_in(user):
        context = browser.new_context(
            base_url=live_server.url, locale="sv-SE", viewport=VIEWPORT, accept_downloads=True
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/admin/")
        page.get_by_label("Användarnamn").fill(user.username)
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_url("**/admin/")
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def screens():
    """``shot = screens("journey")``, then ``shot(page, "what")``: ``<folder>/journey-01-what.png`` …"""

    def for_journey(journey: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{journey}-[0-9][0-9]-*.png"):
            old.unlink()
        taken = []

        def shot(page, what: str, *, full_page: bool = True) -> Path:
            taken.append(what)
            path = SCREENSHOTS / f"{journey}-{len(taken):02d}-{what}.png"
            if full_page:  # from the top, so that the admin's sticky sidebar is drawn where it belongs
                page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
            return path

        return shot

    return for_journey


def confirm_click(page, target) -> str:
    """Click something that asks "are you sure?" (``data-confirm``), say yes, and return the question asked."""
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    with page.expect_navigation():
        target.click()
    assert len(asked) == 1, "the browser asked nothing"
    return asked[0]


# --- the world every journey starts from -------------------------------------------------------------------


def last_month() -> dt.date:
    """The first day of last month (Stockholm): the period an invoice run is started for."""
    return add_months(stockholm_today().replace(day=1), -1)


def on(day: int, hour: int = 10) -> str:
    """A moment of last month, Stockholm time, as a provider's system reports it."""
    month = last_month()
    return dt.datetime(month.year, month.month, day, hour, tzinfo=STOCKHOLM).isoformat()


@dataclass
class World:
    provider: object
    clerk04: object
    manager04: object
    clerk25: object

    @property
    def period(self) -> str:
        return f"{last_month():%Y-%m}"

    # Last month's contacts of Sörmland's (04) provider with residents of Norrbotten (25), at the SKR rates of
    # April 2026 (435 / 405 / 235 kr, the patient fee deducted): 335 + 405 + 135 + 435 = 1 310,00 kr.
    INVOICED = (
        ("lk-1", "LK", "100.00", 3),  # 335,00 kr
        ("ps-1", "PS", "0.00", 6),  # 405,00 kr
        ("sj-1", "SJ", "100.00", 12),  # 135,00 kr
        ("lk-2", "LK", "0.00", 19),  # 435,00 kr
    )
    TOTAL = "1 310,00 kr"

    def contacts(self) -> None:
        """The four billable contacts above, a telephone contact (rejected: not digital) and one with a patient
        of Sörmland itself (rejected: not out-of-county care, and never in the reports)."""
        items = [
            self._item(external_id, day, profession=code, patient_fee=fee)
            for external_id, code, fee, day in self.INVOICED
        ]
        items.append(self._item("tel-1", 8, mode="phone"))
        items.append(self._item("own-1", 9, home_region="04"))
        result = contacts_upsert(items=items, user=self.clerk04, channel="api")
        assert result.errors == []

    def _item(self, external_id: str, day: int, **facts) -> dict:
        return contact_item(
            external_id=external_id,
            provider=self.provider.hsa_id,
            patient_id=personnummer("19850312", f"{day + 200:03d}"),
            started_at=on(day),
            **facts,
        )

    def draft(self) -> Invoice:
        """The invoice run for last month (run in-process, as Celery is eager in the tests): one draft, 04 → 25."""
        invoice_run_start(billing_region="04", period=self.period, by=self.clerk04, via="admin")
        return Invoice.objects.get(seller_id="04", buyer_id="25", kind=InvoiceKind.INVOICE)

    def submitted(self) -> Invoice:
        return invoice_submit(invoice=self.draft(), by=self.clerk04, via="admin")

    def approved(self) -> Invoice:
        return invoice_approve(invoice=self.submitted(), by=self.manager04, via="admin")


@pytest.fixture
def world(reference) -> World:
    def person(username, role, region, first_name, last_name):
        return user_create(
            username=username,
            role=role,
            password=PASSWORD,
            region_code=region,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@example.se",
        )

    return World(
        provider=ProviderFactory(region_id="04", name="Digitalläkaren AB"),
        clerk04=person("karin", Role.CLERK, "04", "Karin", "Lindqvist"),
        manager04=person("anders", Role.MANAGER, "04", "Anders", "Berg"),
        clerk25=person("lena", Role.CLERK, "25", "Lena", "Nilsson"),
    )


def field(page, label: str):
    """The value shown beside a label on an admin page (``Status: Avvisad``)."""
    return (
        page.locator(".form-row")
        .filter(has=page.locator("label", has_text=re.compile(rf"^{re.escape(label)}:?$", re.IGNORECASE)))
        .locator(".readonly")
    )


def breadcrumb(page, name: str):
    return page.get_by_role("navigation", name="Brödsmulor").get_by_role("link", name=name, exact=True)


def pdf_text(page, link) -> str:
    """Open a PDF link as a person does (the browser shows it) and return the text on its pages, spaces as read.

    Chromium's PDF viewer takes the response over, so the bytes are fetched again with the page's session."""
    with page.expect_response(lambda response: response.headers.get("content-type") == "application/pdf") as shown:
        link.click()
    assert shown.value.status == 200
    content = page.context.request.get(shown.value.url).body()
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
    page.wait_for_timeout(PDF_VIEWER_SETTLES_MS)  # for the screenshot: the viewer draws the page after loading
    return re.sub(r"\s+", " ", text)
