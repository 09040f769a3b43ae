"""The invoice list's own filters: awaiting my approval (the four-eyes rule, ``billing.permissions``), past the
due date and not paid, received and still open to objection."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.models import (
    InvoiceStatus,
)
from billing.permissions import (
    awaiting_approval_of,
)
from billing.selectors import open_to_objection
from kernel.business_time import stockholm_today
from regions.selectors import scope_of


class AwaitingMyApprovalFilter(admin.SimpleListFilter):
    """For managers: submitted invoices of their region that someone else submitted."""

    title = _("awaiting")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("my-approval", _("my approval"))]

    def queryset(self, request, queryset):
        if self.value() == "my-approval":
            scope = scope_of(request.user)
            return queryset.filter(awaiting_approval_of(request.user), seller_id=scope.region_code)
        return queryset


class PaymentFilter(admin.SimpleListFilter):
    """Sent invoices past their due date and not marked paid: to follow up with the buyer."""

    title = _("payment")
    parameter_name = "payment"

    def lookups(self, request, model_admin):
        return [("overdue", _("Past the due date, not paid"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.filter(status=InvoiceStatus.SENT, due_date__lt=stockholm_today())
        return queryset


class ObjectableFilter(admin.SimpleListFilter):
    """Invoices the user's region received and may still object to (approved, within the objection period)."""

    title = _("received")
    parameter_name = "received"

    def lookups(self, request, model_admin):
        return [("objectable", _("Within the objection period"))]

    def queryset(self, request, queryset):
        if self.value() != "objectable":
            return queryset
        scope = scope_of(request.user)
        received = queryset.filter(open_to_objection(stockholm_today()))
        return received if scope.national else received.filter(buyer_id=scope.region_code)
