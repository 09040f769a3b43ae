"""Rollups of contacts for the reports: one row per month and combination of the dimensions reported on.

A dashboard reads thousands of rollup rows instead of a million contacts. The rollups are derived data:
``billing.reports.refresh`` rebuilds them set-based (INSERT … SELECT … GROUP BY) and records when.
Contacts whose patient lives in the billing region are not out-of-county care and are left out.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from regions.models import Profession, Provider, Region


class AgeGroup(models.IntegerChoices):
    """Region Norrbotten's age groups; age in whole years on the Stockholm date of the contact."""

    AGE_0_6 = 0, "0–6"
    AGE_7_18 = 1, "7–18"
    AGE_19_39 = 2, "19–39"
    AGE_40_64 = 3, "40–64"
    AGE_65_74 = 4, "65–74"
    AGE_75_84 = 5, "75–84"
    AGE_85_PLUS = 6, "85+"


# The lowest age of each group, in AgeGroup order.
AGE_GROUP_FLOORS = (0, 7, 19, 40, 65, 75, 85)


class ContactSummary(models.Model):
    """Contacts and their net amount per month, regions, provider, profession, age group, sex, status,
    reasons and patient fee (the fee lets a what-if price the contacts exactly under another version)."""

    month = models.DateField(_("month"), help_text=_("First day of the month (Stockholm time)."))
    billing_region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("billing region"), db_index=False
    )
    home_region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("home region"), db_index=False
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="+", verbose_name=_("care provider"), db_index=False
    )
    profession = models.ForeignKey(
        Profession, on_delete=models.CASCADE, related_name="+", verbose_name=_("profession"), db_index=False
    )
    age_group = models.PositiveSmallIntegerField(_("age group"), choices=AgeGroup.choices)
    sex = models.CharField(_("sex"), max_length=1)
    status = models.CharField(_("status"), max_length=10)
    reasons = models.CharField(_("reasons"), max_length=400, blank=True)
    patient_fee = models.DecimalField(_("patient fee"), max_digits=8, decimal_places=2)
    contacts = models.PositiveIntegerField(_("contacts"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("contact summary")
        verbose_name_plural = _("contact summaries")
        indexes = [
            models.Index(fields=["billing_region", "month"], name="summary_billing_month_idx"),
            models.Index(fields=["home_region", "month"], name="summary_home_month_idx"),
            models.Index(fields=["month"], name="summary_month_idx"),
        ]

    class Scoping:
        region_fields = ("billing_region", "home_region")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.billing_region_id}→{self.home_region_id}: {self.contacts}"


class ListingUnitSummary(models.Model):
    """Billable contacts and their net amount per month, regions, provider, profession and listing unit."""

    month = models.DateField(_("month"))
    billing_region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("billing region"), db_index=False
    )
    home_region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("home region"), db_index=False
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="+", verbose_name=_("care provider"), db_index=False
    )
    profession = models.ForeignKey(
        Profession, on_delete=models.CASCADE, related_name="+", verbose_name=_("profession"), db_index=False
    )
    listing_unit = models.CharField(_("listing unit (HSA-id)"), max_length=31)
    contacts = models.PositiveIntegerField(_("contacts"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("listing unit summary")
        verbose_name_plural = _("listing unit summaries")
        indexes = [
            models.Index(fields=["billing_region", "month"], name="listing_billing_month_idx"),
            models.Index(fields=["home_region", "month"], name="listing_home_month_idx"),
        ]

    class Scoping:
        region_fields = ("billing_region", "home_region")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.listing_unit}: {self.contacts}"


class SummaryRefresh(models.Model):
    """The last rebuild of the rollups: one row, locked while a rebuild runs so two never interleave."""

    refreshed_at = models.DateTimeField(_("refreshed"), null=True, blank=True)
    since = models.DateField(_("rebuilt from month"), null=True, blank=True)
    summary_rows = models.PositiveIntegerField(_("rows"), default=0)
    seconds = models.DecimalField(_("seconds"), max_digits=8, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("report refresh")
        verbose_name_plural = _("report refreshes")

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M}" if self.refreshed_at else "-"
