"""A real Celery worker process runs a task through the configured broker (Redis on CI) against the test database."""

from pathlib import Path

import pytest
from django.urls import reverse

from billing.models import Invoice, InvoiceRun
from billing.services import invoice_approve, invoice_submit
from contacts.intake import contacts_upsert
from kernel.business_time import add_months, stockholm_today
from regions.models import Role
from regions.tasks import count_regions
from tests.factories import contact_item
from tests.worker import celery_worker, new_queue, real_worker_possible, tasks_sent_to, wait_for

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not real_worker_possible(), reason="needs CELERY_BROKER_URL (a real broker) and PostgreSQL (shared with it)"
    ),
]


@pytest.fixture
def worker_queue():
    queue = new_queue()
    with celery_worker(queue):
        yield queue


@pytest.fixture
def through_broker(worker_queue):
    """Tests run tasks eagerly; these send them through the broker for real, to the test worker's queue."""
    with tasks_sent_to(worker_queue):
        yield


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
            contact_item(
                provider=providers["04a"].hsa_id,
                external_id="w2",
                started_at=f"{last_month:%Y-%m}-02T11:00:00+01:00",  # another contact, not w1 a second time
                home_region="01",
            ),
        ],
        user=clerk,
        channel="api",
    )
    client.force_login(clerk)

    client.post(reverse("admin:billing_invoicerun_add"), {"billing_region": "04", "period": f"{last_month:%Y-%m}"})

    run = InvoiceRun.objects.get()
    assert wait_for(lambda: InvoiceRun.objects.get(pk=run.pk).status in ("succeeded", "failed"))
    run.refresh_from_db()
    assert (run.status, run.progress, run.invoices.count()) == ("succeeded", 100, 2)
    invoice = run.invoices.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=clerk)
    invoice_approve(invoice=invoice, by=manager)
    assert wait_for(lambda: bool(Invoice.objects.get(pk=invoice.pk).specification_pdf))
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert Path(invoice.specification_pdf.path).stat().st_size > 1000
