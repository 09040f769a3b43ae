"""The Celery app: every task acknowledged late; a real worker process runs tasks through the configured broker
(Redis on CI) against the test database."""

from pathlib import Path

import pytest
from django.urls import reverse

from billing.models import Invoice, InvoiceRun
from billing.services import invoice_approve, invoice_submit
from config.celery import app as celery_app
from contacts.intake import contacts_upsert
from kernel.business_time import add_months, stockholm_today
from regions.models import Role
from regions.tasks import count_regions
from tests.factories import contact_item
from tests.worker import celery_worker, needs_worker, new_queue, tasks_sent_to, wait_for


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


# --- A real worker process, through the broker --------------------------------------------------------------


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


@pytest.mark.celery_worker
@needs_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_a_task_through_the_broker(reference, worker_queue, through_broker):
    result = count_regions.apply_async(queue=worker_queue)

    assert result.get(timeout=60) == 21
    assert result.successful()


@pytest.mark.celery_worker
@needs_worker
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
