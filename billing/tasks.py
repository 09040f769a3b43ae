from celery import shared_task

from billing.models import InvoiceRun, RunStatus
from billing.runs import invoice_run_execute


@shared_task(name="billing.invoice_run", acks_late=True)
def invoice_run_task(run_id: int) -> str:
    """Carry out an invoice run. Safe to run again (after a lost worker): a run refreshes the drafts."""
    run = InvoiceRun.objects.get(pk=run_id)
    if run.status == RunStatus.SUCCEEDED:
        return run.status
    return invoice_run_execute(run=run).status
