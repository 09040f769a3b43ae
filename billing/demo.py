"""Demo invoices (``seed_demo``): last month invoiced for the demo sellers, one invoice approved with its PDFs."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from billing.models import Invoice, InvoiceRun
from billing.runs import invoice_run_execute
from billing.services import invoice_approve, invoice_submit
from config.business_time import add_months, stockholm_today

DEMO_SELLERS = ("04", "06")


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)


def demo_load(*, password: str) -> DemoReport:
    report = DemoReport()
    if Invoice.objects.exists():
        return report
    users = get_user_model().objects
    period = f"{add_months(stockholm_today(), -1):%Y-%m}"
    for seller in DEMO_SELLERS:
        run = InvoiceRun.objects.create(billing_region_id=seller, period=period, started_via="demo")
        run = invoice_run_execute(run=run)
        report.created.append(f"{run.invoices.count()} draft invoices of {seller} for {period}")
    # One invoice through the four-eyes workflow, so the demo shows a number and its PDFs.
    first = Invoice.objects.filter(seller_id="04", period=period).order_by("-total").first()
    if first is not None:
        invoice_submit(invoice=first, by=users.get(username="clerk04"), via="demo")
        approved = invoice_approve(invoice=first, by=users.get(username="manager04"), via="demo")
        report.created.append(f"invoice {approved.number} approved")
    return report
