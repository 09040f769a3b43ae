"""A real Celery worker process runs a task through the configured broker (Redis on CI) against the test database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery.result import allow_join_result
from django.conf import settings
from django.db import connection
from django.urls import reverse

from billing.models import Invoice, InvoiceRun
from billing.services import invoice_approve, invoice_submit
from config.business_time import add_months, stockholm_today
from config.celery import app as celery_app
from contacts.intake import contacts_upsert
from regions.models import Role
from regions.tasks import count_regions
from tests.factories import contact_item

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL (a real broker)"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker must share the test database"),
]


def _test_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue():
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def through_broker(worker_queue):
    """Tests run tasks eagerly; these send them through the broker for real, to the test worker's queue."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = worker_queue
    # Celery's "a task must not wait for a result" flag is one process-wide global that every eager task sets
    # and resets; eager tasks run at once in threads (tests/billing/test_concurrency.py) can leave it set.
    # This test process is not a task: waiting for the worker's results is what it is here to do.
    with allow_join_result():
        yield
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous


def _wait_for(condition, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_a_task_through_the_broker(reference, worker_queue, through_broker):
    result = count_regions.apply_async(queue=worker_queue)

    assert result.get(timeout=60) == 21
    assert result.successful()


@pytest.mark.django_db(transaction=True)
def test_a_run_started_in_the_admin_completes_on_the_worker_and_the_pdfs_are_rendered_there(
    client, make_user, providers, through_broker
):
    clerk = make_user(Role.CLERK, "04")
    manager = make_user(Role.MANAGER, "04")
    last_month = add_months(stockholm_today(), -1)
    started = f"{last_month:%Y-%m}-02T10:00:00+01:00"
    contacts_upsert(
        items=[
            contact_item(provider=providers["04a"].hsa_id, external_id="w1", started_at=started),
            contact_item(provider=providers["04a"].hsa_id, external_id="w2", started_at=started, home_region="01"),
        ],
        user=clerk,
        channel="api",
    )
    client.force_login(clerk)

    client.post(reverse("admin:billing_invoicerun_add"), {"billing_region": "04", "period": f"{last_month:%Y-%m}"})

    run = InvoiceRun.objects.get()
    assert _wait_for(lambda: InvoiceRun.objects.get(pk=run.pk).status in ("succeeded", "failed"))
    run.refresh_from_db()
    assert (run.status, run.progress, run.invoices.count()) == ("succeeded", 100, 2)
    invoice = run.invoices.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=clerk)
    invoice_approve(invoice=invoice, by=manager)
    assert _wait_for(lambda: bool(Invoice.objects.get(pk=invoice.pk).specification_pdf))
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert Path(invoice.specification_pdf.path).stat().st_size > 1000
