"""Faults: a worker killed in the middle of an invoice run, a PDF rendering that fails, a database that is gone for
a moment, and tasks that may run twice.

The worker tests start real Celery worker processes (tests/worker.py) against the test database (PostgreSQL) and
the broker (Redis); without them (SQLite, eager tasks) those tests are skipped and the rest runs.
"""

import json
import socket
import uuid
from decimal import Decimal
from unittest import mock

import psycopg
import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Count, Sum
from django.urls import reverse

from billing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceRun
from billing.services import invoice_approve, invoice_run_start, invoice_runs_start_scheduled, invoice_submit
from config.celery import app as celery_app
from contacts.disputes.models import Dispute
from contacts.disputes.services import dispute_open
from contacts.disputes.tasks import dispute_deadline_digest
from contacts.intake import contacts_upsert
from contacts.models import Contact
from kernel.business_time import add_months, stockholm_today
from regions.models import Role
from tests.factories import contact_item, personnummer
from tests.worker import celery_worker, new_queue, real_worker_possible, tasks_sent_to, wait_for, worker_database_url

needs_worker = pytest.mark.skipif(
    not real_worker_possible(), reason="needs CELERY_BROKER_URL (a real broker) and PostgreSQL (shared with it)"
)
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a PostgreSQL server to lose")

INTERRUPTED = (
    "Körningen avbröts: processen som utförde den stoppades innan den var klar (omstartad eller avbruten). "
    "Inga av dess ändringar av fakturor sparades; starta körningen igen."
)
UNAVAILABLE = "Databasen är inte tillgänglig just nu. Försök igen om en stund."
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


def _assert_billed_exactly_once(period: str) -> None:
    """Every eligible contact of 04's period is on exactly one invoice line; each total is the sum of its lines."""
    eligible = set(
        Contact.objects.filter(billing_region_id="04").exclude(external_id="phone").values_list("pk", flat=True)
    )
    assert len(eligible) == 12
    lines = list(InvoiceLine.objects.filter(credit=False).values_list("contact_id", flat=True))
    assert sorted(lines) == sorted(eligible)
    invoices = Invoice.objects.filter(seller_id="04", period=period).annotate(
        line_total=Sum("lines__amount"), line_count=Count("lines")
    )
    # Four contacts per buyer, each 435.00 (a physician) less a patient fee of 100.00.
    assert sorted((i.buyer_id, i.status, i.contact_count, i.total) for i in invoices) == [
        (buyer, "draft", 4, Decimal("1340.00")) for buyer in BUYERS
    ]
    assert all((i.total, i.contact_count) == (i.line_total, i.line_count) for i in invoices)


# --- 1. A worker killed in the middle of an invoice run --------------------------------------------------------


class KillableRun:
    """A run on a real worker, stopped at a known point: inside the transaction that rebuilds the drafts.

    A second session (the "blocker") puts one of the contacts on an invoice line and keeps its transaction open,
    so the worker's INSERT … SELECT of the lines waits on that contact's entry in the unique index: the drafts are
    created and the lines being inserted, in the worker's own uncommitted transaction. No hook in the code.
    """

    def __init__(self, queue: str, keys: str):
        self.queue, self.keys = queue, keys
        self.redis = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        self.blocker = None

    def worker(self, *, visibility_timeout: int):
        env = {"TEST_WORKER_KEYS": self.keys, "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout)}
        return celery_worker(self.queue, settings_module="tests.worker_settings", env=env)

    def block_the_lines_of(self, contact: Contact) -> None:
        parking = Invoice.objects.create(seller_id="06", buyer_id="01", period="2000-01")  # anything but 04's
        self.blocker = psycopg.connect(worker_database_url())
        self.blocker.execute(
            """INSERT INTO billing_invoiceline (invoice_id, contact_id, credit, billing_round, rebill, correction,
                                                category, recommendation_id, rate, patient_fee, fee_deducted, amount,
                                                external_id, started_at, profession, patient_id, patient_sex,
                                                listing_unit, care_unit, overridden)
               SELECT %s, c.id, false, c.billing_round, false, '{}', 'physician', c.recommendation_id, c.rate,
                      c.patient_fee, c.rate - c.amount, c.amount, c.external_id, c.started_at, c.profession_id,
                      c.patient_id, c.patient_sex, c.listing_unit, c.care_unit, c.overridden
               FROM contacts_contact c WHERE c.id = %s""",
            [parking.pk, contact.pk],
        )

    def release(self) -> None:
        self.blocker.rollback()
        self.blocker.close()

    def waiting_backend(self) -> int | None:
        """The worker's database session, while it waits inside the run's INSERT of invoice lines."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND query LIKE %s",
                ["%INSERT INTO billing_invoiceline%"],
            )
            row = cursor.fetchone()
        return row[0] if row else None

    def backend_gone(self, pid: int) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone()[0] == 0

    def unacknowledged(self) -> list[str]:
        """Ids of the tasks the broker has handed out and not had acknowledged."""
        return [json.loads(raw)[0]["headers"]["id"] for raw in self.redis.hvals(f"{self.keys}:unacked")]

    def cleanup(self) -> None:
        if self.blocker is not None and not self.blocker.closed:
            self.release()
        self.redis.delete(self.queue, *(f"{self.keys}:{key}" for key in ("unacked", "unacked_index", "unacked_mutex")))
        self.redis.close()


@pytest.fixture
def killable():
    queue = new_queue()
    run = KillableRun(queue, keys=f"{queue}-keys")
    with tasks_sent_to(queue):
        yield run
    run.cleanup()


def _kill_in_the_middle(killable: KillableRun, month) -> InvoiceRun:
    """Start a run on a worker, kill the worker (SIGKILL) inside the run's transaction, wait until PostgreSQL has
    ended its session; prove nothing of it is visible, before or after."""
    killable.block_the_lines_of(Contact.objects.get(external_id="25-2"))
    with killable.worker(visibility_timeout=3600) as worker:
        run = invoice_run_start(billing_region="04", period=month["period"], by=month["clerk"])
        assert wait_for(killable.waiting_backend, seconds=60), worker.log()
        pid = killable.waiting_backend()
        run.refresh_from_db()
        assert (run.status, run.progress) == ("running", 15)
        # Drafts and lines exist only inside the worker's open transaction: nobody else sees any of them.
        assert not Invoice.objects.filter(seller_id="04").exists()
        assert not InvoiceLine.objects.filter(contact__billing_region_id="04").exists()

        worker.kill()
    killable.release()  # the dead worker's session now gets its lock, finds its client gone, and rolls back
    assert wait_for(lambda: killable.backend_gone(pid), seconds=30)

    assert not Invoice.objects.filter(seller_id="04").exists()
    assert not InvoiceLine.objects.filter(contact__billing_region_id="04").exists()
    run.refresh_from_db()
    assert run.status == "running"  # as the worker left it; nobody has looked yet
    assert len(killable.unacknowledged()) == 1  # taken, never acknowledged (acks late)
    return run


@pytest.mark.celery_worker
@needs_worker
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_worker_is_killed_is_handed_out_again_and_completes(killable, month):
    run = _kill_in_the_middle(killable, month)

    # A new worker, which hands out again what was taken more than 3 s ago and never acknowledged.
    with killable.worker(visibility_timeout=3) as worker:
        assert wait_for(lambda: InvoiceRun.objects.get(pk=run.pk).status != "running", seconds=60), worker.log()
        assert wait_for(lambda: killable.unacknowledged() == [], seconds=30), worker.log()

    run.refresh_from_db()
    assert (run.status, run.progress, run.error) == ("succeeded", 100, "")
    assert sorted(run.invoices.values_list("buyer_id", flat=True)) == list(BUYERS)
    _assert_billed_exactly_once(month["period"])
    assert InvoiceRun.objects.filter(billing_region_id="04").count() == 1


@pytest.mark.celery_worker
@needs_worker
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_worker_is_killed_shows_failed_and_a_new_run_bills_each_contact_once(killable, month, api_as):
    run = _kill_in_the_middle(killable, month)
    lost_task = killable.unacknowledged()[0]
    clerk_api = api_as(Role.CLERK, "04")

    # The clerk looks: the run is not "running" forever but failed, saying why.
    shown = clerk_api.get(f"/api/v1/invoice-runs/{run.pk}/").json()
    assert (shown["status"], shown["error"], shown["invoices"]) == ("failed", INTERRUPTED, [])
    assert shown["finished_at"] is not None

    # A new run for the same region and period, on a new worker that also gets the lost task again.
    started = clerk_api.post(
        "/api/v1/invoice-runs/", {"billing_region": "04", "period": month["period"]}, format="json"
    )
    assert (started.status_code, started.json()["status"]) == (202, "queued")
    with killable.worker(visibility_timeout=3) as worker:
        new = InvoiceRun.objects.get(pk=started.json()["id"])
        assert wait_for(lambda: InvoiceRun.objects.get(pk=new.pk).status == "succeeded", seconds=60), worker.log()
        assert wait_for(lambda: killable.unacknowledged() == [], seconds=30), worker.log()
        # The lost task ran again and left its run as it was: failed, with a new run having done the work.
        assert AsyncResult(lost_task, app=celery_app).get(timeout=30) == "failed"

    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", INTERRUPTED)
    _assert_billed_exactly_once(month["period"])
    assert sorted(new.invoices.values_list("buyer_id", flat=True)) == list(BUYERS)
    assert clerk_api.get(f"/api/v1/invoice-runs/{new.pk}/").json()["status"] == "succeeded"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_running_run_whose_lock_is_held_is_not_taken_for_lost(month, client, api_as):
    """The run lock is what tells a live run from a lost one: a live worker's session holds it."""
    from billing.runs import _lock_key

    run = InvoiceRun.objects.create(billing_region_id="04", period=month["period"])
    InvoiceRun.objects.filter(pk=run.pk).update(status="running", started_at=run.created_at, progress=40)
    with psycopg.connect(worker_database_url(), autocommit=True) as live_worker:
        live_worker.execute("SELECT pg_advisory_lock(%s)", [_lock_key("04", month["period"])])
        assert api_as(Role.CLERK, "04").get(f"/api/v1/invoice-runs/{run.pk}/").json()["status"] == "running"
        client.force_login(month["clerk"])
        assert 'http-equiv="refresh"' in client.get(reverse("admin:billing_invoicerun_changelist")).content.decode()

    # Its session gone, the next look finds the run lost, in the admin as in the API.
    page = client.get(reverse("admin:billing_invoicerun_changelist")).content.decode()
    assert 'http-equiv="refresh"' not in page
    run.refresh_from_db()
    assert (run.status, run.progress, run.error) == ("failed", 40, INTERRUPTED)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_next_run_for_the_region_and_period_marks_a_lost_run_failed(month):
    from tests.billing.conftest import run_now

    now = stockholm_today()
    lost = InvoiceRun.objects.create(billing_region_id="04", period=month["period"])
    other_pair = InvoiceRun.objects.create(billing_region_id="04", period=f"{add_months(now, -2):%Y-%m}")
    InvoiceRun.objects.filter(pk__in=[lost.pk, other_pair.pk]).update(status="running", started_at=lost.created_at)

    run = run_now(period=month["period"], run_date=now)

    lost.refresh_from_db()
    other_pair.refresh_from_db()
    assert (run.status, lost.status, lost.error) == ("succeeded", "failed", INTERRUPTED)
    assert other_pair.status == "running"  # another period: for its own next run, or whoever looks, to judge
    _assert_billed_exactly_once(month["period"])


@pytest.mark.django_db(transaction=True)  # as in production: the run is committed, then handed to the broker
def test_a_run_started_while_the_broker_is_unreachable_answers_and_shows_failed_with_why(month, api_as, caplog):
    from kombu.exceptions import OperationalError as BrokerUnreachable

    refused = BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch("billing.tasks.invoice_run_task.delay", side_effect=refused):
        response = api_as(Role.CLERK, "04").post(
            "/api/v1/invoice-runs/", {"billing_region": "04", "period": month["period"]}, format="json"
        )

    assert response.status_code == 202
    assert (response.json()["status"], response.json()["error"]) == (
        "failed",
        "Jobbkön kunde inte nås, så körningen startades inte. Starta den igen om en stund.",
    )
    assert Invoice.objects.count() == 0
    assert "not queued: the broker is unreachable" in caplog.text


# --- 2. A PDF rendering that fails -----------------------------------------------------------------------------


@pytest.fixture
def submitted(month, make_user):
    """One submitted invoice (04 → 25, four contacts) and a manager to approve it."""
    from tests.billing.conftest import run_now

    run_now(period=month["period"], run_date=stockholm_today())
    invoice = Invoice.objects.get(seller_id="04", buyer_id="25")
    invoice_submit(invoice=invoice, by=month["clerk"])
    return invoice


def _content(invoice: Invoice) -> tuple:
    invoice = Invoice.objects.get(pk=invoice.pk)
    lines = sorted(invoice.lines.values_list("contact_id", "amount"))
    return invoice.status, invoice.number, invoice.total, invoice.contact_count, invoice.issue_date, lines


@pytest.fixture
def as_on_a_worker():
    """Eager tasks retried as a worker retries them. Tests (and the embedded setup) propagate an eager task's
    first error to its caller instead (CELERY_TASK_EAGER_PROPAGATES), which leaves Celery no retry to make."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def test_a_pdf_rendering_that_fails_once_is_retried_and_the_invoice_never_changes(
    submitted, make_user, api_as, monkeypatch, django_capture_on_commit_callbacks, caplog, as_on_a_worker
):
    from billing import tasks

    api = api_as(Role.CLERK, "04")
    real_render = tasks.render_invoice_pdf
    seen = []

    def render_failing_once(invoice):
        if not seen:
            # While the first attempt fails: approved and numbered, no PDF yet, and the API says so.
            seen.append((_content(invoice), api.get(f"/api/v1/invoices/{invoice.pk}/pdf/")))
            raise OSError(28, "No space left on device")
        seen.append(None)
        return real_render(invoice)

    monkeypatch.setattr(tasks, "render_invoice_pdf", render_failing_once)
    with django_capture_on_commit_callbacks(execute=True):
        approved = invoice_approve(invoice=submitted, by=make_user(Role.MANAGER, "04"))
    after = _content(approved)

    (during, pending), retried = seen
    assert retried is None and len(seen) == 2
    assert during == after
    assert after[:4] == ("approved", approved.number, Decimal("1340.00"), 4)
    assert (pending.status_code, pending.json()) == (202, {"detail": "PDF:en skapas; försök igen om en stund."})
    approved.refresh_from_db()
    assert approved.pdf.read(5) == b"%PDF-" and approved.specification_pdf.read(5) == b"%PDF-"
    done = api.get(f"/api/v1/invoices/{approved.pk}/pdf/")
    assert (done.status_code, done["Content-Type"]) == (200, "application/pdf")
    assert b"".join(done.streaming_content)[:5] == b"%PDF-"
    assert [r.getMessage() for r in caplog.records if r.name == "billing.tasks"] == [
        f"Rendering the documents of invoice {approved.pk} failed (OSError: [Errno 28] No space left on device); "
        "attempt 2 of 6 follows."
    ]


def test_a_pdf_rendering_that_keeps_failing_leaves_the_invoice_approved_and_can_be_rendered_again(
    submitted, make_user, api_as, client, monkeypatch, django_capture_on_commit_callbacks, caplog, as_on_a_worker
):
    from billing import tasks

    api = api_as(Role.CLERK, "04")
    real_render = tasks.render_invoice_pdf
    attempts = []

    def render_failing(invoice):
        attempts.append(invoice.pk)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(tasks, "render_invoice_pdf", render_failing)
    with django_capture_on_commit_callbacks(execute=True):
        approved = invoice_approve(invoice=submitted, by=make_user(Role.MANAGER, "04"))  # the approval stands
    before = _content(approved)

    assert len(attempts) == 6  # the first and five retries
    assert before[:4] == ("approved", approved.number, Decimal("1340.00"), 4)
    approved.refresh_from_db()
    assert (approved.pdf.name, approved.specification_pdf.name) == ("", "")
    pending = api.get(f"/api/v1/invoices/{approved.pk}/pdf/")
    assert (pending.status_code, pending.json()) == (202, {"detail": "PDF:en skapas; försök igen om en stund."})
    errors = [r.getMessage() for r in caplog.records if r.name == "billing.tasks" and r.levelname == "ERROR"]
    assert errors == [
        f"Rendering the documents of invoice {approved.pk} failed for good (OSError: [Errno 5] Input/output error). "
        "The invoice stays approved and unchanged without its PDFs; render them again with the admin action "
        "'Render the PDFs again'."
    ]

    # The buyer's clerk may not have it rendered; the seller's clerk may, with the admin action.
    monkeypatch.setattr(tasks, "render_invoice_pdf", real_render)
    changelist = reverse("admin:billing_invoice_changelist")
    action = {"action": "render_documents_again", "_selected_action": [approved.pk]}
    client.force_login(make_user(Role.CLERK, "25"))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        refused = client.post(changelist, action, follow=True)
    assert queued == []
    assert [str(m) for m in refused.context["messages"]] == [
        f"{approved.number}: bara säljarens handläggare och chefer får rendera dess PDF igen."
    ]
    seller_clerk = make_user(Role.CLERK, "04")
    client.force_login(seller_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(changelist, action, follow=True)
    assert [str(m) for m in done.context["messages"]] == [f"PDF:erna för {approved.number} renderas igen."]

    approved.refresh_from_db()
    assert approved.pdf.read(5) == b"%PDF-" and approved.specification_pdf.read(5) == b"%PDF-"
    assert _content(approved) == before
    assert api.get(f"/api/v1/invoices/{approved.pk}/pdf/").status_code == 200
    event = InvoiceEvent.objects.filter(invoice=approved).latest("id")
    assert (event.action, event.from_status, event.to_status, event.actor, event.via) == (
        "render_documents",
        "approved",
        "approved",
        seller_clerk,
        "admin",
    )


def test_in_the_embedded_setup_a_failing_rendering_does_not_undo_the_approval(
    submitted, make_user, api_as, monkeypatch, django_capture_on_commit_callbacks
):
    """No broker: the rendering runs in-process after the approval's commit and its error propagates (no retry);
    the approval stands all the same, and the PDF is rendered again from the admin."""
    from billing import tasks

    monkeypatch.setattr(tasks, "render_invoice_pdf", mock.Mock(side_effect=OSError(28, "No space left on device")))
    with django_capture_on_commit_callbacks(execute=True):
        approved = invoice_approve(invoice=submitted, by=make_user(Role.MANAGER, "04"))

    assert _content(approved)[:4] == ("approved", approved.number, Decimal("1340.00"), 4)
    assert api_as(Role.CLERK, "04").get(f"/api/v1/invoices/{approved.pk}/pdf/").status_code == 202


def test_rendering_again_is_refused_for_an_invoice_that_is_not_approved(submitted, make_user):
    from billing.services import invoice_documents_render
    from kernel.errors import StateConflict

    with pytest.raises(StateConflict, match="är inte godkänd"):
        invoice_documents_render(invoice=submitted, by=make_user(Role.CLERK, "04"))
    assert not InvoiceEvent.objects.filter(invoice=submitted, action="render_documents").exists()


@pytest.mark.celery_worker
@needs_worker
@pytest.mark.django_db(transaction=True)
def test_on_a_real_worker_a_pdf_that_cannot_be_stored_is_retried_until_it_can(month, make_user, tmp_path):
    """The worker's media directory has a file where the invoices' directory belongs: storing fails (OSError)
    until the test removes it; the retried task then stores both PDFs."""
    from tests.billing.conftest import run_now

    run_now(period=month["period"], run_date=stockholm_today())
    invoice = Invoice.objects.get(seller_id="04", buyer_id="25")
    invoice_submit(invoice=invoice, by=month["clerk"])
    obstacle = tmp_path / "invoices"
    obstacle.write_text("not a directory")
    queue = new_queue()
    env = {"TEST_WORKER_KEYS": f"{queue}-keys", "TEST_WORKER_MEDIA_ROOT": str(tmp_path)}
    with celery_worker(queue, settings_module="tests.worker_settings", env=env) as worker, tasks_sent_to(queue):
        approved = invoice_approve(invoice=invoice, by=make_user(Role.MANAGER, "04"))
        before = _content(approved)
        assert wait_for(lambda: "attempt 2 of 6 follows" in worker.log(), seconds=60), worker.log()
        assert not Invoice.objects.get(pk=invoice.pk).pdf
        obstacle.unlink()
        assert wait_for(lambda: bool(Invoice.objects.get(pk=invoice.pk).specification_pdf), seconds=60), worker.log()

    approved.refresh_from_db()
    assert _content(approved) == before
    assert (tmp_path / approved.pdf.name).read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / approved.specification_pdf.name).read_bytes()[:5] == b"%PDF-"
    assert "failed for good" not in worker.log()


# --- 3. The database unavailable for a moment ------------------------------------------------------------------


def _database_gone(error=OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")):
    return mock.patch.object(connection, "ensure_connection", side_effect=error)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused"),
        InterfaceError("the connection is closed"),
    ],
)
def test_an_api_request_without_a_database_answers_503_with_a_clear_message(month, api_as, caplog, error):
    api = api_as(Role.CLERK, "04")

    with _database_gone(error):
        listed = api.get("/api/v1/contacts/", {"patient_id": "19850312-0015"})
        started = api.post("/api/v1/invoice-runs/", {"billing_region": "04", "period": month["period"]}, format="json")

    for response in (listed, started):
        assert (response.status_code, response["Content-Type"], response["Retry-After"]) == (
            503,
            "application/json",
            "30",
        )
        assert response.json() == {"detail": UNAVAILABLE}
    assert InvoiceRun.objects.count() == 0
    logged = [r.getMessage() for r in caplog.records if r.name == "config.middleware"]
    assert logged == [
        f"Database unavailable: GET /api/v1/contacts/ answered 503 ({type(error).__name__}: {error})",
        f"Database unavailable: POST /api/v1/invoice-runs/ answered 503 ({type(error).__name__}: {error})",
    ]
    assert "19850312" not in caplog.text  # the query string (personal data) is never logged
    # The database back, the same requests work.
    assert api.get("/api/v1/contacts/").status_code == 200


def test_an_admin_page_without_a_database_answers_a_503_page_in_swedish(month, client):
    client.force_login(month["clerk"])

    with _database_gone():
        response = client.get(reverse("admin:billing_invoice_changelist"))

    html = response.content.decode()
    assert (response.status_code, response["Content-Type"], response["Retry-After"]) == (
        503,
        "text/html; charset=utf-8",
        "30",
    )
    assert "<h1>Tillfälligt otillgänglig</h1>" in html
    assert f'<p class="errornote">{UNAVAILABLE}</p>' in html
    assert "Ladda om sidan om 30 sekunder för att försöka igen." in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert client.get(reverse("admin:billing_invoice_changelist")).status_code == 200


def test_a_database_failure_inside_a_middleware_answers_503_too(month, api_as):
    """The identity-read log is written by a middleware after the view: Django makes its failure a 500 before
    any outer middleware sees it; the 503 middleware turns that 500 into the 503."""
    api = api_as(Role.CLERK, "04")
    api.raise_request_exception = False  # Django has handled the exception (as a 500) before we answer 503
    lost = OperationalError("server closed the connection unexpectedly")

    with mock.patch("contacts.audit.middleware.identity_reads_flush", side_effect=lost):
        response = api.get("/api/v1/contacts/")

    assert (response.status_code, response.json(), response["Retry-After"]) == (503, {"detail": UNAVAILABLE}, "30")


def test_errors_that_are_not_about_the_database_are_left_alone(month, api_as):
    api = api_as(Role.CLERK, "04")

    with mock.patch("billing.api.invoice_run_start", side_effect=ZeroDivisionError), pytest.raises(ZeroDivisionError):
        api.post("/api/v1/invoice-runs/", {"billing_region": "04", "period": month["period"]}, format="json")


def test_the_api_schema_documents_the_503_for_every_operation():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    operations = {f"{method.upper()} {path}": op for path, item in paths.items() for method, op in item.items()}

    assert len(operations) > 30
    assert [label for label, op in operations.items() if "503" not in op["responses"]] == []
    assert operations["GET /api/v1/contacts/"]["responses"]["503"]["description"] == (
        "The database is not available right now; retry after the time in the Retry-After header."
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on leaving: nothing listens there


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_real_lost_connection_gives_503_and_the_next_request_after_it_is_back_works(month, api_as, client):
    api = api_as(Role.CLERK, "04")
    client.force_login(month["clerk"])
    connection.close()

    with mock.patch.dict(connection.settings_dict, {"HOST": "127.0.0.1", "PORT": str(_closed_port())}):
        api_answer = api.get("/api/v1/invoices/")
        admin_answer = client.get(reverse("admin:index"))
        connection.close()

    assert (api_answer.status_code, api_answer.json()) == (503, {"detail": UNAVAILABLE})
    assert admin_answer.status_code == 503 and UNAVAILABLE in admin_answer.content.decode()
    assert api.get("/api/v1/invoices/").status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


# --- 4. Tasks are acknowledged late and idempotent -----------------------------------------------------------


def test_every_project_task_is_acknowledged_late_and_requeued_if_its_worker_is_lost():
    celery_app.autodiscover_tasks(force=True)  # every app's tasks module, as a worker imports them
    project = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}

    assert set(project) >= {
        "billing.invoice_run",
        "billing.refresh_reports",
        "billing.render_documents",
        "billing.schedule_monthly_runs",
        "contacts.dispute_deadline_digest",
        "contacts.reevaluate_since",
        "regions.count_regions",
    }
    assert {name: task.acks_late for name, task in project.items()} == dict.fromkeys(project, True)
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1
    assert celery_app.conf.broker_transport_options == {"visibility_timeout": 1800}


def test_an_invoice_run_task_run_again_changes_nothing(month, django_capture_on_commit_callbacks):
    from billing.tasks import invoice_run_task

    with django_capture_on_commit_callbacks(execute=True):
        run = invoice_run_start(billing_region="04", period=month["period"])  # eager: carried out after commit
    run.refresh_from_db()
    snapshot = sorted(InvoiceLine.objects.values_list("pk", "invoice_id", "contact_id"))

    assert invoice_run_task.apply(args=[run.pk]).get() == "succeeded"
    assert sorted(InvoiceLine.objects.values_list("pk", "invoice_id", "contact_id")) == snapshot
    assert InvoiceRun.objects.get(pk=run.pk).finished_at == run.finished_at


def test_the_monthly_schedule_run_again_starts_no_second_run(providers, django_capture_on_commit_callbacks):
    import datetime as dt

    with django_capture_on_commit_callbacks(execute=False):
        first = invoice_runs_start_scheduled(today=dt.date(2026, 2, 5))
        again = invoice_runs_start_scheduled(today=dt.date(2026, 2, 5))
        InvoiceRun.objects.filter(pk=first[0]).update(status="failed")
        after_a_failure = invoice_runs_start_scheduled(today=dt.date(2026, 2, 5))

    assert [InvoiceRun.objects.get(pk=pk).billing_region_id for pk in first] == ["04", "06"]
    assert again == []
    assert [InvoiceRun.objects.get(pk=pk).billing_region_id for pk in after_a_failure] == ["04"]


def test_the_dispute_digest_task_run_again_mails_no_one_twice(month, mailoutbox):
    clerk = month["clerk"]
    clerk.email = "clerk04@region04.example"
    clerk.save(update_fields=["email"])
    dispute = dispute_open(contact=Contact.objects.get(external_id="phone"), by=clerk, reason="Vi bestrider")
    Dispute.objects.filter(pk=dispute.pk).update(deadline=stockholm_today())
    task_id = str(uuid.uuid4())

    first = dispute_deadline_digest.apply(task_id=task_id).get()
    again = dispute_deadline_digest.apply(task_id=task_id).get()  # the same task, handed out again
    next_day = dispute_deadline_digest.apply().get()  # a new task (tomorrow's)

    assert (first, again, next_day) == (1, 0, 1)
    assert [m.to for m in mailoutbox] == [["clerk04@region04.example"]] * 2
