"""The report filters: one form for the dashboard, the CSV exports and the API's query parameters."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.reports.figures import Perspective, ReportFilters
from billing.reports.models import ContactSummary
from kernel.business_time import add_months, parse_period, stockholm_today
from kernel.forms import CheckedInputForm
from regions.models import Profession, Provider, RateRecommendation, Region
from regions.selectors import Scope, visible_to

# The longest range one report covers (ten years of months).
MAX_MONTHS = 120


def default_period() -> tuple[str, str]:
    """The twelve months up to and including the current one."""
    this_month = stockholm_today().replace(day=1)
    return f"{add_months(this_month, -11):%Y-%m}", f"{this_month:%Y-%m}"


class PeriodField(forms.Field):
    """A ``YYYY-MM`` month, cleaned to its first day."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": _("YYYY-MM"), "size": 8, "maxlength": 7}))
        super().__init__(**kwargs)

    def to_python(self, value) -> dt.date | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            year, month = parse_period(text)
        except ValueError:
            raise forms.ValidationError(_("Give a month as YYYY-MM."), code="invalid") from None
        return dt.date(year, month, 1)


class ReportFilterForm(CheckedInputForm, forms.Form):
    """Which months, region, side, provider and profession a report covers, within what the user may see.

    Region staff report on their own region only; a national admin may pick any region or the whole
    country. The provider choices are the providers in the user's reports (those who served the region's
    residents or are contracted by it), so the list itself shows nothing outside the user's scope.
    """

    period_from = PeriodField(label=_("From month"), required=False)
    period_to = PeriodField(label=_("To month"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    perspective = forms.ChoiceField(
        label=_("Seen as"), choices=Perspective.CHOICES, required=False, widget=forms.RadioSelect
    )
    provider = forms.TypedChoiceField(label=_("Care provider"), required=False, coerce=int, empty_value=None)
    profession = forms.ChoiceField(label=_("Profession"), required=False)

    def __init__(self, data=None, *, user, scope: Scope, **kwargs):
        if data is not None:
            # Unset filters take their defaults, shown in the form as if chosen.
            period_from, period_to = default_period()
            data = data.copy()
            for name, value in (
                ("period_from", period_from),
                ("period_to", period_to),
                ("perspective", Perspective.BUYER),
            ):
                if not data.get(name):
                    data[name] = value
        super().__init__(data, **kwargs)
        self.user = user
        self.scope = scope
        if scope.national:
            self.fields["region"].choices = [("", _("Whole country"))] + [
                (r.code, str(r)) for r in Region.objects.order_by("code")
            ]
        else:
            region = Region.objects.filter(code=scope.region_code).first()
            self.fields["region"].choices = [(region.code, str(region))] if region else []
        provider_ids = visible_to(user, ContactSummary.objects.order_by()).values("provider").distinct()
        self.fields["provider"].choices = [("", _("All"))] + [
            (p.pk, f"{p.name} ({p.hsa_id})") for p in Provider.objects.filter(pk__in=provider_ids).order_by("name")
        ]
        self.fields["profession"].choices = [("", _("All"))] + [(p.code, str(p)) for p in Profession.objects.all()]

    def clean(self):
        cleaned = super().clean()
        default_from, default_to = default_period()
        first = cleaned.get("period_from") or dt.date(*parse_period(default_from), 1)
        last = cleaned.get("period_to") or dt.date(*parse_period(default_to), 1)
        if self.errors:
            return cleaned
        if first > last:
            raise forms.ValidationError(_("The first month comes after the last."), code="order")
        if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
            raise forms.ValidationError(
                _("A report covers at most %(months)s months.") % {"months": MAX_MONTHS}, code="range"
            )
        cleaned["period_from"], cleaned["period_to"] = first, last
        if not self.scope.national:
            cleaned["region"] = self.scope.region_code
        cleaned["perspective"] = cleaned.get("perspective") or Perspective.BUYER
        return cleaned

    def filters(self) -> ReportFilters:
        cleaned = self.cleaned_data
        return ReportFilters(
            first_month=cleaned["period_from"],
            last_month=cleaned["period_to"],
            region=cleaned.get("region") or None,
            perspective=cleaned["perspective"],
            provider=cleaned.get("provider"),
            profession=cleaned.get("profession") or None,
        )


class WhatIfForm(CheckedInputForm, forms.Form):
    """The version to price the contacts under."""

    recommendation = forms.ModelChoiceField(
        label=_("Price under"),
        queryset=RateRecommendation.objects.published().order_by("effective_from"),
        to_field_name="code",
        required=False,
    )

    def __init__(self, data=None, **kwargs):
        if data is not None and not data.get("recommendation"):
            # Unset, the latest version is priced: shown in the form as if chosen.
            latest = self.base_fields["recommendation"].queryset.last()
            if latest is not None:
                data = data.copy()
                data["recommendation"] = latest.code
        super().__init__(data, **kwargs)

    def clean_recommendation(self):
        chosen = self.cleaned_data.get("recommendation")
        return chosen or self.fields["recommendation"].queryset.last()
