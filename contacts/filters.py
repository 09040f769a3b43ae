import datetime as dt
import re

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError

from contacts.models import Contact, Status
from contacts.reasons import Reason
from kernel.business_time import period_bounds, start_of_day


def reason_condition(code: str) -> Q:
    """Contacts whose space-separated ``reasons`` include ``code`` as a whole word."""
    return (
        Q(reasons=code)
        | Q(reasons__startswith=f"{code} ")
        | Q(reasons__endswith=f" {code}")
        | Q(reasons__contains=f" {code} ")
    )


class _MomentField(IsoDateTimeField):
    """An ISO 8601 date and time, as the moment it names in UTC. ISO 8601 and Python allow offsets up to ±23:59 but
    PostgreSQL refuses those beyond ±15:59 (``2026-10-05T10:30:00+16:41`` failed the query: a 500); a moment outside
    the years 1-9999 in UTC is a wrong parameter."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(_("The date is out of range."), code="invalid") from None


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = _MomentField


class ContactFilter(django_filters.FilterSet):
    period = django_filters.CharFilter(method="filter_period", help_text="YYYY-MM, in Europe/Stockholm time.")
    provider = django_filters.CharFilter(field_name="provider__hsa_id", help_text="HSA-id of the provider.")
    home_region = django_filters.CharFilter(field_name="home_region_id", help_text="Län code.")
    billing_region = django_filters.CharFilter(field_name="billing_region_id", help_text="Län code.")
    status = django_filters.ChoiceFilter(choices=Status.choices)
    reason = django_filters.ChoiceFilter(choices=[(r.value, r.value) for r in Reason], method="filter_reason")
    profession = django_filters.CharFilter(field_name="profession_id", help_text="Kv yrkeskod.")
    started_after = MomentFilter(field_name="started_at", lookup_expr="gte")
    started_before = MomentFilter(field_name="started_at", lookup_expr="lt")

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


# The admin's date range: Stockholm dates from 1900 to 2999 (outside, a date is a wrong parameter: the UTC conversion
# of year 1 or 10000 overflows).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def stockholm_day_range(first: dt.date | None, last: dt.date | None) -> Q:
    """Contacts that started on Stockholm days ``first`` to ``last``, both included (either may be open)."""
    condition = Q()
    if first is not None:
        condition &= Q(started_at__gte=start_of_day(first))
    if last is not None:
        condition &= Q(started_at__lt=start_of_day(last + dt.timedelta(days=1)))
    return condition


def parse_admin_date(value: str) -> dt.date:
    """A ``YYYY-MM-DD`` date in ASCII digits between 1900 and 2999; ValueError otherwise."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError(f"date must look like YYYY-MM-DD, got {value!r}")
    day = dt.date.fromisoformat(value)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"date out of range: {value!r}")
    return day
