import datetime as dt
import json
from decimal import Decimal
from unittest import mock

import psycopg
import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum
from django.urls import reverse

from billing.models import Invoice, InvoiceLine, InvoiceRun
from billing.selectors import invoice_totals
from billing.services import invoice_run_start, invoice_submit
from config.celery import app as celery_app
from contacts.intake import contacts_upsert
from contacts.models import Contact, ContactEvent
from kernel.business_time import add_months, stockholm_today
from regions.models import Role
from tests.billing.conftest import run_now
from tests.conftest import BUYERS
from tests.factories import contact_item, on_postgresql
from tests.worker import (
    celery_worker,
    needs_worker,
    new_queue,
    tasks_sent_to,
    wait_for,
    worker_database_url,
)

pytestmark = pytest.mark.django_db

D = Decimal


def _invoice(buyer):
    return Invoice.objects.get(seller_id="04", buyer_id=buyer, period="2026-01", status="draft")


def test_a_run_builds_one_draft_per_buyer_with_exact_totals(january):
    run = run_now()

    assert (run.status, run.progress, run.error) == ("succeeded", 100, "")
    to25, to01 = _invoice("25"), _invoice("01")
    assert sorted(run.invoices.values_list("pk", flat=True)) == sorted([to25.pk, to01.pk])
    assert (to25.contact_count, to25.total) == (4, D("1140.00"))
    assert (to01.contact_count, to01.total) == (1, D("500.00"))
    assert [(t.category, t.count, t.rate, t.gross, t.patient_fees, t.net) for t in invoice_totals(to25)] == [
        ("physician", 1, D("500.00"), D("500.00"), D("100.00"), D("400.00")),
        ("physician", 1, D("435.00"), D("435.00"), D("100.00"), D("335.00")),
        ("psychologist", 1, D("405.00"), D("405.00"), D("0.00"), D("405.00")),
        ("other_licensed", 1, D("235.00"), D("235.00"), D("235.00"), D("0.00")),
    ]
    assert sum(t.net for t in invoice_totals(to25)) == to25.total
    assert not InvoiceLine.objects.filter(contact__external_id__in=["phone", "feb"]).exists()


def test_running_again_refreshes_without_duplicating(january):
    first = run_now()
    lines_before = sorted(InvoiceLine.objects.values_list("contact_id", "amount"))

    second = run_now()

    assert sorted(second.invoices.values_list("pk", flat=True)) == sorted(first.invoices.values_list("pk", flat=True))
    assert sorted(InvoiceLine.objects.values_list("contact_id", "amount")) == lines_before
    assert Invoice.objects.count() == 2


def test_a_changed_contact_is_repriced_by_the_next_run(january, staff, providers):
    run_now()
    contacts_upsert(
        items=[
            contact_item(
                provider=providers["04a"].hsa_id,
                external_id="lk-30",
                started_at="2026-01-30T10:00:00+01:00",
                patient_fee="35.00",
            )
        ],
        user=staff["clerk04"],
        channel="api",
    )

    run_now()

    assert _invoice("25").total == D("1205.00")  # 400 + 400 + 405 + 0


def test_contacts_on_a_submitted_invoice_stay_and_late_ones_go_on_a_new_invoice(january, staff, providers):
    run_now()
    submitted = invoice_submit(invoice=_invoice("25"), by=staff["clerk04"])
    contacts_upsert(
        items=[
            contact_item(provider=providers["04a"].hsa_id, external_id="late", started_at="2026-01-25T09:00:00+01:00")
        ],
        user=staff["clerk04"],
        channel="api",
    )

    run_now()

    submitted.refresh_from_db()
    assert (submitted.status, submitted.contact_count, submitted.total) == ("submitted", 4, D("1140.00"))
    new = _invoice("25")
    assert new.pk != submitted.pk
    assert list(new.lines.values_list("contact__external_id", flat=True)) == ["late"]
    assert new.total == D("400.00")  # 25 January: the 2019 rate, 500 − 100


def test_the_invoicing_deadline_rejects_contacts_older_than_six_months(january):
    # On 30 July 2026 the deadline is 30 January 2026 00:00 in Stockholm.
    run = run_now(run_date=dt.date(2026, 7, 30))

    late = Contact.objects.get(external_id="lk-29")
    assert (late.status, late.reasons, late.amount) == ("rejected", "invoicing_deadline_passed", D("0.00"))
    event = ContactEvent.objects.get(contact=late)
    assert event.kind == "deadline" and event.result_before["status"] == "eligible"
    assert Contact.objects.get(external_id="lk-30").status == "eligible"
    to25 = Invoice.objects.get(pk__in=run.invoices.all(), buyer_id="25")
    assert sorted(to25.lines.values_list("contact__external_id", flat=True)) == ["lk-30", "ps-30", "sj-31"]
    assert not Invoice.objects.filter(buyer_id="01").exists()  # its only contact (15 January) is past the deadline


def test_a_run_for_another_region_bills_nothing_of_this_one(january):
    run = run_now(region="06")

    assert (run.status, list(run.invoices.all())) == ("succeeded", [])
    assert Invoice.objects.count() == 0


def test_an_empty_draft_disappears_when_its_contacts_are_gone(january, staff):
    run_now()
    Contact.objects.filter(home_region_id="01").update(status="rejected", reasons="rejected_by_clerk", amount=0)

    run_now()

    assert not Invoice.objects.filter(buyer_id="01").exists()


def test_the_monthly_schedule_starts_last_months_run_for_every_region_with_providers(
    january, django_capture_on_commit_callbacks
):
    from django.conf import settings

    from billing.models import InvoiceRun
    from billing.services import invoice_runs_start_scheduled

    with django_capture_on_commit_callbacks(execute=False) as queued:
        run_ids = invoice_runs_start_scheduled(today=dt.date(2026, 2, 5))

    runs = InvoiceRun.objects.filter(pk__in=run_ids).order_by("billing_region_id")
    assert [(run.billing_region_id, run.period, run.started_via) for run in runs] == [
        ("04", "2026-01", "schedule"),
        ("06", "2026-01", "schedule"),
    ]
    assert len(queued) == 2
    schedule = settings.CELERY_BEAT_SCHEDULE["monthly-invoice-runs"]
    assert schedule["task"] == "billing.schedule_monthly_runs"
    assert (schedule["schedule"].day_of_month, schedule["schedule"].hour) == ({5}, {2})


INTERRUPTED = (
    "Körningen avbröts: processen som utförde den stoppades innan den var klar (omstartad eller avbruten). "
    "Inga av dess ändringar av fakturor sparades; starta körningen igen."
)


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
