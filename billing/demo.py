"""Demo invoices and disputes (``seed_demo``): last month invoiced for the demo sellers, one invoice approved
with its PDFs, and dispute cases of every state (billing is the last app, so both build on the contacts)."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from billing.models import Invoice, InvoiceRun
from billing.reports.refresh import summaries_refresh
from billing.runs import invoice_run_execute
from billing.services import invoice_approve, invoice_submit
from contacts.disputes.models import Dispute
from contacts.disputes.services import dispute_open, dispute_resolve
from contacts.models import Contact, Status
from kernel.business_time import add_months, stockholm_today
from kernel.history import Via

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
        run = InvoiceRun.objects.create(billing_region_id=seller, period=period, started_via=Via.SYSTEM)
        run = invoice_run_execute(run=run)
        report.created.append(f"{run.invoices.count()} draft invoices of {seller} for {period}")
    # One invoice through the four-eyes workflow, so the demo shows a number and its PDFs.
    first = Invoice.objects.filter(seller_id="04", buyer_id="25", period=period).first()
    if first is not None:
        invoice_submit(invoice=first, by=users.get(username="clerk04"), via=Via.SYSTEM)
        approved = invoice_approve(invoice=first, by=users.get(username="manager04"), via=Via.SYSTEM)
        report.created.append(f"invoice {approved.number} approved")
        report.created.extend(_demo_disputes(approved))
    refreshed = summaries_refresh()
    report.created.append(f"report figures ({refreshed.summary_rows} rollup rows)")
    return report


def _demo_disputes(approved: Invoice) -> list[str]:
    """Open, overdue and decided cases, so the dispute queue is not empty in the demo."""
    users = get_user_model().objects
    clerk04, clerk25 = users.get(username="clerk04"), users.get(username="clerk25")
    rejected = list(
        Contact.objects.filter(billing_region_id="04", status=Status.REJECTED, reasons="not_digital").order_by("pk")[:3]
    )
    lines = list(approved.lines.filter(credit=False).select_related("contact").order_by("pk")[:2])
    created = []
    if len(rejected) == 3:
        dispute_open(contact=rejected[0], by=clerk04, reason="Videon bröts och samtalet fortsatte i telefon.")
        late = dispute_open(contact=rejected[1], by=clerk04, reason="Patienten valde chatt, felaktigt registrerat.")
        Dispute.objects.filter(pk=late.pk).update(deadline=stockholm_today() - dt.timedelta(days=3))
        decided = dispute_open(contact=rejected[2], by=clerk04, reason="Journalen visar videobesök.")
        dispute_resolve(
            dispute=decided, by=users.get(username="manager04"), outcome="accepted", note="Journalen bekräftar video."
        )
        created.append("3 rejection disputes (open, overdue, accepted)")
    if len(lines) == 2:
        dispute_open(contact=lines[0].contact, by=clerk25, reason="Patienten är listad hos oss sedan tidigare.")
        objection = dispute_open(contact=lines[1].contact, by=clerk25, reason="Dubbelregistrerad kontakt.")
        dispute_resolve(dispute=objection, by=clerk04, outcome="accepted", note="Dubblett bekräftad.", credit_reason=7)
        created.append("2 objections (open, accepted with a credit note draft)")
    return created
