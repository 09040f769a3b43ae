"""Demo dispute cases (``seed_demo``, which runs each app's demo module in INSTALLED_APPS order): open, overdue and
decided cases of both kinds, so the dispute queue is not empty in the demo. The disputes come after billing: the
objections are to lines of the invoice billing's demo approved (``billing.demo.demo_approved_invoice``)."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from billing.demo import demo_approved_invoice
from billing.models import Invoice
from billing.reports.refresh import summaries_refresh
from contacts.models import Contact, Status
from disputes.models import Dispute
from disputes.services import dispute_open, dispute_resolve
from kernel.business_time import stockholm_today


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)


def demo_load(*, password: str) -> DemoReport:
    report = DemoReport()
    if Dispute.objects.exists():
        return report
    approved = demo_approved_invoice()
    if approved is None:
        return report
    report.created.extend(_demo_disputes(approved))
    # The report figures again (billing's demo refreshed them before the cases): an accepted case changes them.
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
