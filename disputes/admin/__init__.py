"""Admin for the parties of a case: the dispute queue and the case page (``cases``, its page's own views in
``case_views``, its forms in ``forms``, what it calls things in ``labels``, the queue's filters in ``filters``), and
billing's invoice screen with the buyer's objections (``invoices``). Importing the package (the admin's
autodiscovery, after billing's admin: the app comes after billing in INSTALLED_APPS) registers the queue and puts
that invoice screen in place of billing's own; the names stay importable from ``disputes.admin``."""

from django.contrib import admin

from billing.models import Invoice
from disputes.admin.case_views import CaseViews
from disputes.admin.cases import DisputeAdmin
from disputes.admin.filters import AssignedToMeFilter, BillingRegionFilter, HomeRegionFilter, OverdueFilter
from disputes.admin.forms import CommentForm, DecideForm, OpenDisputeForm
from disputes.admin.invoices import InvoiceAdmin
from disputes.admin.labels import DISPUTE_ACTIONS, DISPUTE_FIELD_LABELS, deadline_text
from disputes.models import Dispute

admin.site.register(Dispute, DisputeAdmin)
admin.site.unregister(Invoice)
admin.site.register(Invoice, InvoiceAdmin)

__all__ = [
    "DISPUTE_ACTIONS",
    "DISPUTE_FIELD_LABELS",
    "AssignedToMeFilter",
    "BillingRegionFilter",
    "CaseViews",
    "CommentForm",
    "DecideForm",
    "DisputeAdmin",
    "HomeRegionFilter",
    "InvoiceAdmin",
    "OpenDisputeForm",
    "OverdueFilter",
    "deadline_text",
]
