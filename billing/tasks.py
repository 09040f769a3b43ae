from celery import shared_task
from django.core.files.base import ContentFile
from django.db import transaction

from billing.documents import render_invoice_pdf, render_specification_pdf
from billing.models import FROZEN_STATUSES, Invoice, InvoiceRun, RunStatus
from billing.runs import invoice_run_execute


@shared_task(name="billing.invoice_run", acks_late=True)
def invoice_run_task(run_id: int) -> str:
    """Carry out an invoice run. Safe to run again (after a lost worker): a run refreshes the drafts."""
    run = InvoiceRun.objects.get(pk=run_id)
    if run.status == RunStatus.SUCCEEDED:
        return run.status
    return invoice_run_execute(run=run).status


@shared_task(
    name="billing.render_documents",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def render_documents_task(invoice_id: int) -> str:
    """Render and store an approved invoice's PDF and specification PDF. Idempotent: re-rendering replaces them."""
    invoice = Invoice.objects.select_related("seller", "buyer", "credits").get(pk=invoice_id)
    if invoice.status not in FROZEN_STATUSES:
        return "not approved"
    invoice_pdf = render_invoice_pdf(invoice)
    # Invoices are only readable by the seller's and the buyer's staff, who see full identity numbers.
    specification_pdf = render_specification_pdf(invoice, full_identity=True)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(invoice_pdf), save=False)
        invoice.specification_pdf.save(f"{invoice.number}-underlag.pdf", ContentFile(specification_pdf), save=False)
        invoice.save(update_fields=["pdf", "specification_pdf"])
    return "rendered"


@shared_task(name="billing.schedule_monthly_runs")
def schedule_monthly_runs() -> list[int]:
    """Celery beat, monthly: start last month's run for every region that has active providers."""
    from billing.services import invoice_runs_start_scheduled  # services import this module's tasks

    return invoice_runs_start_scheduled()


# Registered with Celery from here (autodiscovery reads each app's ``tasks`` module).
from billing.reports.tasks import refresh_reports  # noqa: E402, F401
