"""The buyer's bulk objection from the review: one objection per selected flagged line, with the line's reasons.

The rules of an objection (who may object, the objection period, one open case per contact) are the disputes'
(``disputes.services.dispute_open``); this only chooses the lines, writes their reasons, and does it all in one
transaction: every objection is opened, or none.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from billing.models import CreditReason, Invoice, InvoiceLine
from billing.objection_window import objection_deadline
from disputes.models import Dispute, DisputeKind
from disputes.permissions import can_object_for
from disputes.services import Objection, objections_open
from kernel.business_time import stockholm_today
from kernel.errors import InvalidInput, NotAllowed, StateConflict
from kernel.history import Via
from review.selectors import invoice_review

MAX_BULK_OBJECTIONS = 10_000


@dataclass(frozen=True)
class Skipped:
    line_id: int
    reason: str


@dataclass
class BulkObjections:
    opened: list[Dispute] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        """``3 invändningar öppnade, 2 hoppades över: …`` (each skipped line and why)."""
        text = _("%(opened)d objections opened, %(skipped)d skipped") % {
            "opened": len(self.opened),
            "skipped": len(self.skipped),
        }
        if self.skipped:
            text += ": " + "; ".join(f"{item.line_id}: {item.reason}" for item in self.skipped)
        return text


def objection_reason(flags) -> str:
    """The objection's text: the credit reason of the first flag proposed, then each flag's Swedish explanation."""
    proposed = _("Proposed credit reason: %(code)d %(label)s.") % {
        "code": flags[0].credit_reason,
        "label": CreditReason(flags[0].credit_reason).label,
    }
    return "\n".join([proposed, *(item.explanation for item in flags)])


def objections_open_bulk(*, invoice: Invoice, line_ids, by, via: str = Via.ADMIN) -> BulkObjections:
    """Open an objection to each of ``line_ids`` (debit lines of ``invoice`` that its review flags), in one
    transaction. A line already objected to, or credited, is skipped and reported, as is a line that is not a
    flagged line of the invoice; anything the disputes refuse undoes them all. The objections are opened together
    (``disputes.services.objections_open``: the rules of ``dispute_open``, checked for every line at once)."""
    line_ids = sorted(set(line_ids))
    if len(line_ids) > MAX_BULK_OBJECTIONS:
        raise InvalidInput({"line_ids": [_("At most %(max)d lines at a time.") % {"max": MAX_BULK_OBJECTIONS}]})
    if not can_object_for(by, invoice.buyer_id):
        raise NotAllowed(_("Only the buyer region's clerks and managers may object to an invoiced contact."))
    if not invoice.is_frozen:
        raise StateConflict(_("Only an approved invoice can be objected to."))
    last_day = objection_deadline(invoice)
    if stockholm_today() > last_day:
        raise StateConflict(
            _("The objection period for invoice %(number)s ended on %(date)s.")
            % {"number": invoice.number, "date": last_day.isoformat()}
        )
    review = invoice_review(invoice)
    lines = {
        line.pk: line
        for line in review.flagged_lines()
        .filter(pk__in=line_ids)
        .select_related("invoice")
        .annotate(
            objected=Exists(Dispute.objects.filter(invoice_line=OuterRef("pk"), kind=DisputeKind.OBJECTION)),
            credited=Exists(InvoiceLine.objects.filter(credit=True, credited_line=OuterRef("pk"))),
        )
    }
    result = BulkObjections()
    objections = []
    for line_id in line_ids:
        line = lines.get(line_id)
        if line is None:
            result.skipped.append(Skipped(line_id, _("not a flagged line of the invoice")))
        elif line.objected:
            result.skipped.append(Skipped(line_id, _("already objected to")))
        elif line.credited:
            result.skipped.append(Skipped(line_id, _("already credited")))
        else:
            objections.append(objection_of(line, review.flags_of(line)))
    with transaction.atomic():
        result.opened = objections_open(objections=objections, by=by, via=via) if objections else []
    return result


def objection_of(line: InvoiceLine, flags) -> Objection:
    """The objection to a flagged line: its reason from the line's flags (``objection_reason``) and, for the
    seller's decision by invoice and reason, the credit reason of its first flag as the proposed one."""
    return Objection(line=line, reason=objection_reason(flags), proposed_credit_reason=flags[0].credit_reason)
