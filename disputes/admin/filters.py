"""The dispute queue's filters: overdue, assigned to me, and the region on either side of the case."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.display import invoice_label
from billing.models import CreditReason, Invoice
from disputes.models import Dispute, DisputeKind, DisputeStatus
from kernel.business_time import stockholm_today
from regions.models import Region
from regions.selectors import visible_to


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status=DisputeStatus.OPEN, deadline__lt=stockholm_today())
        return queryset


class AssignedToMeFilter(admin.SimpleListFilter):
    title = _("assigned")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", _("To me"))]

    def queryset(self, request, queryset):
        return queryset.filter(assignee=request.user) if self.value() == "yes" else queryset


class _PartyRegionFilter(admin.SimpleListFilter):
    """A region on one side of the case, offered by name."""

    field: str

    def lookups(self, request, model_admin):
        return [(region.code, region.name) for region in Region.objects.order_by("code")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"contact__{self.field}_id": self.value()})
        return queryset


class BillingRegionFilter(_PartyRegionFilter):
    """The billing (selling) region decides the case."""

    title = _("billing region")
    parameter_name = "billing_region"
    field = "billing_region"


class HomeRegionFilter(_PartyRegionFilter):
    """The home (buying) region: the one that objects to an invoiced contact."""

    title = _("home region")
    parameter_name = "home_region"
    field = "home_region"


class ObjectedInvoiceFilter(admin.SimpleListFilter):
    """The invoice an objection is about (the seller's screen of objections by invoice and reason links here)."""

    title = _("invoice")
    parameter_name = "invoice"

    def lookups(self, request, model_admin):
        ids = (
            visible_to(request.user, Dispute.objects.filter(kind=DisputeKind.OBJECTION))
            .order_by()
            .values_list("invoice_line__invoice_id", flat=True)
            .distinct()
        )
        invoices = Invoice.objects.filter(pk__in=ids).select_related("buyer").order_by("-pk")
        return [(str(invoice.pk), invoice_label(invoice)) for invoice in invoices]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            return queryset.none()
        return queryset.filter(invoice_line__invoice_id=int(value))


NO_PROPOSED_REASON = "none"


class ProposedCreditReasonFilter(admin.SimpleListFilter):
    """The credit reason an objection proposes (or none)."""

    title = _("proposed credit reason")
    parameter_name = "proposed_reason"

    def lookups(self, request, model_admin):
        return [
            *((str(value), f"{value} {label}") for value, label in CreditReason.choices),
            (NO_PROPOSED_REASON, _("None proposed")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == NO_PROPOSED_REASON:
            return queryset.filter(kind=DisputeKind.OBJECTION, proposed_credit_reason__isnull=True)
        if value in {str(reason) for reason in CreditReason.values}:
            return queryset.filter(proposed_credit_reason=int(value))
        return queryset.none()
