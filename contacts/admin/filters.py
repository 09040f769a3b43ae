"""The contact list's filters: the billing period, a range of Stockholm dates, the reason, out-of-county care or
not, and the care providers the user may see. None of them counts rows: the list stays fast over millions."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from contacts.filters import parse_admin_date, reason_condition, stockholm_day_range
from contacts.reasons import REASON_LABELS, Reason
from kernel.business_time import period_bounds, stockholm_today
from kernel.text import is_ascii_digits
from regions.models import Provider
from regions.selectors import visible_to


class PeriodFilter(admin.SimpleListFilter):
    """The billing period (month, Europe/Stockholm), offered from the calendar without querying the table.

    Used instead of ``date_hierarchy``, whose drill-down runs a DISTINCT over every visible row (about half a
    second per page view on a million contacts); a period is an indexed range on ``started_at``.
    """

    title = _("period")
    parameter_name = "period"
    months = 24

    def lookups(self, request, model_admin):
        today = stockholm_today()
        year, month = today.year, today.month
        choices = []
        for _step in range(self.months):
            choices.append((f"{year:04d}-{month:02d}", f"{year:04d}-{month:02d}"))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            start, end = period_bounds(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(started_at__gte=start, started_at__lt=end)


class StartedRangeFilter(admin.ListFilter):
    """Contacts that started from one Stockholm date to another, both included (either may be left open): two date
    fields in the filter panel, ``?started_from=2026-03-01&started_to=2026-03-15``. A date that is not a date
    (``YYYY-MM-DD``, 1900-2999) is a wrong parameter: the admin shows the unfiltered list (``?e=1``)."""

    title = _("started (Stockholm dates)")
    template = "admin/contacts/contact/started_range_filter.html"
    parameters = ("started_from", "started_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.used_parameters = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)[-1].strip()
                if value:
                    self.used_parameters[name] = value
        try:
            self.first, self.last = (
                parse_admin_date(self.used_parameters[name]) if name in self.used_parameters else None
                for name in self.parameters
            )
        except ValueError as exc:
            raise IncorrectLookupParameters(exc) from exc

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        if self.first is None and self.last is None:
            return queryset
        return queryset.filter(stockholm_day_range(self.first, self.last))

    def choices(self, changelist):
        # The list's other filters and its search go along as hidden fields.
        others = {name: values for name, values in changelist.filter_params.items() if name not in self.parameters}
        yield {
            "selected": bool(self.used_parameters),
            "first": self.used_parameters.get("started_from", ""),
            "last": self.used_parameters.get("started_to", ""),
            "hidden": [(name, value) for name, values in others.items() for value in values],
            "clear_query_string": changelist.get_query_string(remove=list(self.parameters)),
        }


class ReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [(reason.value, REASON_LABELS[reason]) for reason in Reason]

    def queryset(self, request, queryset):
        if self.value() in Reason:
            return queryset.filter(reason_condition(self.value()))
        return queryset


class OutOfCountyFilter(admin.SimpleListFilter):
    """Out-of-county care or not: a contact whose patient lives in the billing region is none (rejected as not
    out-of-county, with nothing to contest); the start page's review of rejected contacts leaves those out."""

    title = _("out-of-county care")
    parameter_name = "out_of_county"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No: the patient lives in the billing region"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(home_region_id=F("billing_region_id"))
        if self.value() == "no":
            return queryset.filter(home_region_id=F("billing_region_id"))
        return queryset


class ProviderFilter(admin.SimpleListFilter):
    """Providers the user may see (the scoping selector), not every provider in the country."""

    title = _("care provider")
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        providers = visible_to(request.user, Provider.objects.order_by("name")).values_list("id", "name", "hsa_id")
        return [(str(pk), f"{name} ({hsa_id})") for pk, name, hsa_id in providers]

    def queryset(self, request, queryset):
        value = self.value()
        if is_ascii_digits(value):  # "٣".isdecimal() too, and int() reads it as 3
            return queryset.filter(provider_id=int(value))
        return queryset
