import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from config.business_time import period_bounds
from contacts.models import Contact, Status
from contacts.reasons import Reason


def reason_condition(code: str) -> Q:
    """Contacts whose space-separated ``reasons`` include ``code`` as a whole word."""
    return (
        Q(reasons=code)
        | Q(reasons__startswith=f"{code} ")
        | Q(reasons__endswith=f" {code}")
        | Q(reasons__contains=f" {code} ")
    )


class ContactFilter(django_filters.FilterSet):
    period = django_filters.CharFilter(method="filter_period", help_text="YYYY-MM, in Europe/Stockholm time.")
    provider = django_filters.CharFilter(field_name="provider__hsa_id", help_text="HSA-id of the provider.")
    home_region = django_filters.CharFilter(field_name="home_region_id", help_text="Län code.")
    billing_region = django_filters.CharFilter(field_name="billing_region_id", help_text="Län code.")
    status = django_filters.ChoiceFilter(choices=Status.choices)
    reason = django_filters.ChoiceFilter(choices=[(r.value, r.value) for r in Reason], method="filter_reason")
    profession = django_filters.CharFilter(field_name="profession_id", help_text="Kv yrkeskod.")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Contact
        fields = []

    def filter_period(self, queryset, name, value):
        try:
            start, end = period_bounds(value)
        except ValueError:
            raise ValidationError({"period": [_("Must look like YYYY-MM.")]}) from None
        return queryset.filter(started_at__gte=start, started_at__lt=end)

    def filter_reason(self, queryset, name, value):
        return queryset.filter(reason_condition(value))
