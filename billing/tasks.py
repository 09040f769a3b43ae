"""Celery tasks of billing. Each takes ids, calls one function, is idempotent and is acknowledged late: a task whose
worker dies before it finishes is handed out again (``CELERY_BROKER_TRANSPORT_OPTIONS``) and must do no harm."""

import logging
import tempfile

from celery import Task, shared_task
from django.core.files.base import ContentFile, File
from django.db import transaction

from billing.documents import (
    render_invoice_pdf,
    render_specification_pdf,
    specification_pdf_filename,
    ubl_filename,
)
from billing.einvoice.claim import claim_specification_filename, write_claim_specification
from billing.einvoice.ubl import render_ubl
from billing.models import FROZEN_STATUSES, Invoice, InvoiceRun
from billing.previews.services import invoice_previews_discard
from billing.runs import invoice_run_execute
from billing.services import invoice_runs_start_scheduled
from kernel.metrics import DOCUMENTS_RENDERED

logger = logging.getLogger(__name__)


@shared_task(name="billing.invoice_run", acks_late=True)
def invoice_run_task(run_id: int) -> str:
    """Carry out an invoice run. Safe to run again: a run handed out again after its worker was lost completes
    (its drafts are rebuilt in one transaction, so nothing of the lost attempt remains); a finished one is left."""
    run = InvoiceRun.objects.get(pk=run_id)
    return invoice_run_execute(run=run).status


class RenderDocumentsTask(Task):
    """Logs each failed attempt of a rendering, and clearly when it has given up."""

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        logger.warning(
            "Rendering the documents of invoice %s failed (%s: %s); attempt %d of %d follows.",
            args[0] if args else kwargs.get("invoice_id"),
            type(exc).__name__,
            exc,
            self.request.retries + 2,
            self.max_retries + 1,
        )

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        logger.error(
            "Rendering the documents of invoice %s failed for good (%s: %s). The invoice stays approved and "
            "unchanged without its PDFs; render them again with the admin action 'Render the PDFs again'.",
            args[0] if args else kwargs.get("invoice_id"),
            type(exc).__name__,
            exc,
        )


@shared_task(
    base=RenderDocumentsTask,
    name="billing.render_documents",
    acks_late=True,
    # Transient: a full disk, a file share or a font not reachable for a moment. Waits of up to 1, 2, 4, 8, 16 s.
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def render_documents_task(invoice_id: int) -> str:
    """Render and store an approved invoice's e-invoice (UBL), its PDF (PDF/A-3b, the UBL embedded), its
    specification PDF and Inera's fakturaunderlag (XML). Idempotent: re-rendering replaces them, and nothing but
    the document fields is ever written (an approved invoice refuses any other change)."""
    invoice = Invoice.objects.select_related("seller", "buyer", "credits").get(pk=invoice_id)
    if invoice.status not in FROZEN_STATUSES:
        return "not approved"
    ubl = render_ubl(invoice)
    invoice_pdf = render_invoice_pdf(invoice)  # embeds the same e-invoice, rendered from the same frozen lines
    # Invoices are only readable by the seller's and the buyer's staff, who see full identity numbers.
    specification_pdf = render_specification_pdf(invoice, full_identity=True)
    # The XML streams to a temporary file as its lines are read (constant memory), and is copied to storage in chunks.
    with tempfile.TemporaryFile() as claim:
        write_claim_specification(invoice, claim)
        claim.seek(0)
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
            invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(invoice_pdf), save=False)
            invoice.specification_pdf.save(
                specification_pdf_filename(invoice), ContentFile(specification_pdf), save=False
            )
            invoice.ubl.save(ubl_filename(invoice), ContentFile(ubl), save=False)
            invoice.claim_specification.save(claim_specification_filename(invoice), File(claim), save=False)
            invoice.save(update_fields=["pdf", "specification_pdf", "ubl", "claim_specification"])
    DOCUMENTS_RENDERED.labels(document="ubl").inc()
    DOCUMENTS_RENDERED.labels(document="claim_specification").inc()
    invoice_previews_discard(invoice_id=invoice_id)  # its final documents replace the draft's previews
    return "rendered"


@shared_task(name="billing.schedule_monthly_runs", acks_late=True)
def schedule_monthly_runs() -> list[int]:
    """Celery beat, monthly: start last month's run for every region that has active providers. Idempotent: a
    region whose scheduled run for the month is already queued, running or done gets no second one."""
    return invoice_runs_start_scheduled()


# Registered with Celery from here (autodiscovery reads each app's ``tasks`` module).
from billing.previews.tasks import render_preview_task  # noqa: E402, F401
from billing.reports.tasks import refresh_reports  # noqa: E402, F401
