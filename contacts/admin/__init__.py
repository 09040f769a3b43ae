"""Admin for billing clerks: the contact screen (``contacts``: its list, its columns and search), the contact's
read-only page (``contact_page``), the list's actions (``actions``), the CSV upload (``upload``), the list's filters
(``filters``) and what the screens call things (``labels``); and the log of reads of full identity numbers
(``contacts.audit.admin``, national admins only). Importing the package registers the screens; the names stay
importable from ``contacts.admin``."""

from django.contrib import admin

from contacts.admin.actions import MAX_LISTED, MAX_REJECT, ContactActions
from contacts.admin.contact_page import ContactPage
from contacts.admin.contacts import MIN_PREFIX, PREFIX_MARK, ContactAdmin
from contacts.admin.filters import OutOfCountyFilter, PeriodFilter, ProviderFilter, ReasonFilter, StartedRangeFilter
from contacts.admin.labels import reason_labels, yes_no
from contacts.admin.upload import ContactUpload
from contacts.audit.admin import IdentityReadAdmin, PseudonymisationBatchAdmin
from contacts.audit.models import IdentityRead
from contacts.models import PseudonymisationBatch
from kernel.paginators import COUNT_CAP, CappedCountPaginator

admin.site.register(IdentityRead, IdentityReadAdmin)
admin.site.register(PseudonymisationBatch, PseudonymisationBatchAdmin)

__all__ = [
    "COUNT_CAP",
    "MAX_LISTED",
    "MAX_REJECT",
    "MIN_PREFIX",
    "PREFIX_MARK",
    "CappedCountPaginator",
    "ContactActions",
    "ContactAdmin",
    "ContactPage",
    "ContactUpload",
    "IdentityReadAdmin",
    "OutOfCountyFilter",
    "PeriodFilter",
    "ProviderFilter",
    "PseudonymisationBatchAdmin",
    "ReasonFilter",
    "StartedRangeFilter",
    "reason_labels",
    "yes_no",
]
