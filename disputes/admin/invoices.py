"""Billing's invoice screen with the buyer's objections: the disputes, above billing, extend it (registered in
place of billing's own by ``disputes.admin``)."""

from django.urls import reverse
from django.utils.translation import gettext

from billing.admin import InvoiceAdmin as BillingInvoiceAdmin
from billing.models import Invoice, InvoiceKind
from billing.objection_window import objection_deadline
from disputes.models import Dispute, DisputeStatus
from disputes.permissions import can_object_for
from kernel.business_time import stockholm_today


class InvoiceAdmin(BillingInvoiceAdmin):
    """Billing's invoice screen with the buyer's objections: on an approved invoice, within the objection period, the
    buyer's clerks and managers object to a line from the line itself, or open the case already open for it.
    Registered for invoices in place of billing's own screen (``disputes.admin``), from above billing."""

    def objection_cases(self, request, invoice: Invoice) -> dict[int, int] | None:
        """Whether the page offers objections, and to which lines: None when it offers none (not an approved invoice,
        the objection period over, or a user who may not object: only the buyer's clerks and managers do); else the
        open cases of its contacts (contact id → dispute id), whose lines link to the case instead."""
        if request is None or not invoice.is_frozen or invoice.kind != InvoiceKind.INVOICE:
            return None
        if not can_object_for(request.user, invoice.buyer_id) or stockholm_today() > objection_deadline(invoice):
            return None
        return dict(
            Dispute.objects.filter(
                status=DisputeStatus.OPEN,
                contact__invoice_lines__invoice=invoice,
                contact__invoice_lines__credit=False,
            ).values_list("contact_id", "pk")
        )

    def _objection_cell(self, line, open_cases: dict[int, int] | None) -> dict | None:
        if open_cases is None:
            return None
        if line.contact_id in open_cases:
            return {
                "url": reverse("admin:disputes_dispute_change", args=[open_cases[line.contact_id]]),
                "action": "open-case",
                "text": gettext("Dispute open"),
            }
        return {
            "url": reverse("admin:disputes_dispute_open", args=[line.contact_id]),
            "action": "object",
            "text": gettext("Object"),
        }
