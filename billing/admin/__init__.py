"""Admin for clerks and managers: invoice runs with live progress (``runs``), invoices with their workflow buttons
(``invoices``, its page's own views in ``invoice_views``, the credit form in ``forms``, what it calls things in
``labels``) and the invoice list's filters (``filters``). Importing the package registers both screens; the names
stay importable from ``billing.admin``."""

from billing.admin.filters import AwaitingMyApprovalFilter, ObjectableFilter, PaymentFilter
from billing.admin.forms import CreditForm
from billing.admin.invoice_views import InvoiceViews
from billing.admin.invoices import InvoiceAdmin
from billing.admin.labels import (
    CREDIT_NOTE_ACTIONS,
    INVOICE_ACTIONS,
    INVOICE_FIELD_LABELS,
    INVOICE_VIAS,
    TRANSITION_BUTTONS,
    TRANSITION_QUESTIONS,
)
from billing.admin.runs import RUN_VIAS, InvoiceRunAdmin, StartRunForm, run_started_by

__all__ = [
    "CREDIT_NOTE_ACTIONS",
    "INVOICE_ACTIONS",
    "INVOICE_FIELD_LABELS",
    "INVOICE_VIAS",
    "RUN_VIAS",
    "TRANSITION_BUTTONS",
    "TRANSITION_QUESTIONS",
    "AwaitingMyApprovalFilter",
    "CreditForm",
    "InvoiceAdmin",
    "InvoiceRunAdmin",
    "InvoiceViews",
    "ObjectableFilter",
    "PaymentFilter",
    "StartRunForm",
    "run_started_by",
]
