"""Demo invoices (``seed_demo``): last month invoiced for the demo sellers, one invoice approved with its PDFs
(billing comes after contacts, so they build on the demo contacts; the disputes' demo, after billing, cites the
approved invoice)."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from billing.models import Invoice, InvoiceKind, InvoiceRun, InvoiceStatus
from billing.reports.refresh import summaries_refresh
from billing.runs import invoice_run_execute
from billing.services import invoice_approve, invoice_submit
from kernel.business_time import add_months, stockholm_today
from kernel.history import Via

DEMO_SELLERS = ("04", "06")
# The invoice taken through the four-eyes workflow: the first of last month's invoices from 04 to 25.
DEMO_APPROVED = {"seller_id": "04", "buyer_id": "25"}


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)


def demo_load(*, password: str) -> DemoReport:
    report = DemoReport()
    if Invoice.objects.exists():
        return report
    users = get_user_model().objects
    period = _demo_period()
    for seller in DEMO_SELLERS:
        run = InvoiceRun.objects.create(billing_region_id=seller, period=period, started_via=Via.SYSTEM)
        run = invoice_run_execute(run=run)
        report.created.append(f"{run.invoices.count()} draft invoices of {seller} for {period}")
    # One invoice through the four-eyes workflow, so the demo shows a number and its PDFs.
    first = Invoice.objects.filter(**DEMO_APPROVED, period=period).first()
    if first is not None:
        invoice_submit(invoice=first, by=users.get(username="clerk04"), via=Via.SYSTEM)
        approved = invoice_approve(invoice=first, by=users.get(username="manager04"), via=Via.SYSTEM)
        report.created.append(f"invoice {approved.number} approved")
    refreshed = summaries_refresh()
    report.created.append(f"report figures ({refreshed.summary_rows} rollup rows)")
    return report


def _demo_period() -> str:
    return f"{add_months(stockholm_today(), -1):%Y-%m}"


def demo_approved_invoice() -> Invoice | None:
    """The invoice the demo approved (last month's, from 04 to 25), for the apps above billing to build on."""
    return (
        Invoice.objects.filter(
            **DEMO_APPROVED, period=_demo_period(), kind=InvoiceKind.INVOICE, status=InvoiceStatus.APPROVED
        )
        .order_by("pk")
        .first()
    )
