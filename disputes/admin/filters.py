"""The dispute queue's filters: overdue, assigned to me, and the region on either side of the case."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from disputes.models import DisputeStatus
from kernel.business_time import stockholm_today
from regions.models import Region


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
