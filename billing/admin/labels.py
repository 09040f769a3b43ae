"""What the invoice screen calls things: its history's actions, interfaces and fields, and its workflow buttons
with the questions asked before the steps that cannot be taken back."""

from django.utils.translation import gettext_lazy as _

from billing.models import (
    InvoiceAction,
    InvoiceStatus,
    Transition,
)
from kernel.history import Via

INVOICE_ACTIONS = {
    **dict(InvoiceAction.choices),
    InvoiceAction.CREATED: _("Created by an invoice run"),
    InvoiceAction.REFRESHED: _("Refreshed by an invoice run"),
}
# A credit note is never made by a run: an accepted objection or the seller's correction creates it, and each further
# one adds its line.
CREDIT_NOTE_ACTIONS = {
    **INVOICE_ACTIONS,
    InvoiceAction.CREATED: _("Created by an accepted objection"),
    InvoiceAction.REFRESHED: _("Line added by an accepted objection"),
}
INVOICE_VIAS = dict(Via.choices)


def status_label(status: str) -> str | None:
    return str(InvoiceStatus(status).label) if status in InvoiceStatus.values else (status or None)


INVOICE_FIELD_LABELS = {
    "status": _("status"),
    "total": _("total"),
    "contact_count": _("contacts"),
    "number": _("number"),
    "specification_id": _("specification id"),
    "issue_date": _("issue date"),
    "due_date": _("due date"),
}


# What each workflow button says, and the question asked before the steps that cannot be taken back.
TRANSITION_BUTTONS = {
    Transition.SUBMIT: _("Submit"),
    Transition.APPROVE: _("Approve"),
    Transition.RETURN: _("Return to draft"),
    Transition.MARK_SENT: _("Mark as sent"),
    Transition.MARK_PAID: _("Mark as paid"),
}
TRANSITION_QUESTIONS = {
    Transition.SUBMIT: _(
        "Submit %(invoice)s (%(total)s) for approval? Its contacts are locked until a manager approves or returns it."
    ),
    Transition.APPROVE: _(
        "Approve %(invoice)s (%(total)s)? It gets its number and can never be changed again: "
        "corrections are made with a credit note."
    ),
    Transition.MARK_SENT: _("Mark %(invoice)s (%(total)s) as sent to the buyer? This cannot be undone."),
    Transition.MARK_PAID: _("Mark %(invoice)s (%(total)s) as paid? This cannot be undone."),
}
