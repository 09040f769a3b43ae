"""The buyer region's own registers (population extract, listing register) and the history of their loads.

They hold personal data: each row belongs to the region that loaded it, and only that region's own staff see it
(``review.selectors.registers_visible_to``). Entries are keyed by (region, personal identity number, valid from):
the key of an upsert, and the index every review walks.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from contacts.identifiers import mask_personal_identity
from regions.models import Region


class RegisterKind(models.TextChoices):
    POPULATION = "population", _("Population extract")
    LISTING = "listing", _("Listing register")


class LoadMode(models.TextChoices):
    UPSERT = "upsert", _("Add and update")
    REPLACE_PERIOD = "replace_period", _("Replace a period")


class LoadVia(models.TextChoices):
    ADMIN = "admin", _("Admin upload")
    API = "api", _("API")


class RegisterEntry(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    personal_identity = models.CharField(_("personal identity number"), max_length=12)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("Empty: still valid."))

    class Meta:
        abstract = True

    class Scoping:
        region_fields = ("region",)

    @property
    def masked_identity(self) -> str:
        return mask_personal_identity(self.personal_identity)


class PopulationEntry(RegisterEntry):
    """A person registered (folkbokförd) in a län and kommun from one date to another, as the region's extract says."""

    lan_code = models.CharField(_("län code"), max_length=2)
    municipality_code = models.CharField(_("kommun code"), max_length=4)

    class Meta:
        ordering = ["region", "personal_identity", "valid_from"]
        verbose_name = _("population entry")
        verbose_name_plural = _("population extract")
        constraints = [
            # The upsert's key, and the index of every review's lookup (region, identity, valid from).
            models.UniqueConstraint(
                fields=["region", "personal_identity", "valid_from"], name="population_region_identity_from"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="population_from_to"
            ),
        ]
        indexes = [models.Index(fields=["region", "valid_to"], name="population_region_to_idx")]

    class Scoping:
        region_fields = ("region",)

    def __str__(self) -> str:
        return f"{self.masked_identity} {self.municipality_code} {self.valid_from}–{self.valid_to or ''}"


class ListingEntry(RegisterEntry):
    """A person listed at a unit (HSA-id, with the unit's organisation number) from one date to another."""

    unit_hsa_id = models.CharField(_("listing unit (HSA-id)"), max_length=31)
    unit_org_number = models.CharField(_("unit's organisation number"), max_length=10)

    class Meta:
        ordering = ["region", "personal_identity", "valid_from"]
        verbose_name = _("listing entry")
        verbose_name_plural = _("listing register")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "personal_identity", "valid_from"], name="listing_region_identity_from"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="listing_from_to"
            ),
        ]
        indexes = [models.Index(fields=["region", "valid_to"], name="listing_region_to_idx")]

    class Scoping:
        region_fields = ("region",)

    def __str__(self) -> str:
        return f"{self.masked_identity} {self.unit_hsa_id} {self.valid_from}–{self.valid_to or ''}"


class RegisterLoad(models.Model):
    """One load of a register file: who, when, what, how, and what came of each row."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    kind = models.CharField(_("register"), max_length=10, choices=RegisterKind.choices)
    mode = models.CharField(_("mode"), max_length=14, choices=LoadMode.choices)
    via = models.CharField(_("via"), max_length=5, choices=LoadVia.choices)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("loaded by")
    )
    loaded_at = models.DateTimeField(_("loaded"))
    period_from = models.DateField(_("period from"), null=True, blank=True)
    period_to = models.DateField(_("period to"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    inserted = models.PositiveIntegerField(_("inserted"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    # [{"line": 7, "errors": {"field": ["message"]}}]; line 0 for the file as a whole. Never a full identity number.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    seconds = models.DecimalField(_("seconds"), max_digits=8, decimal_places=2, default=0)

    class Meta:
        ordering = ["-loaded_at", "-id"]
        verbose_name = _("register load")
        verbose_name_plural = _("register loads")
        indexes = [models.Index(fields=["region", "loaded_at"], name="register_load_region_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode="upsert", period_from__isnull=True, period_to__isnull=True)
                | Q(mode="replace_period", period_from__isnull=False, period_to__isnull=False)
                & Q(period_to__gte=F("period_from")),
                name="register_load_period_with_replace",
            )
        ]

    class Scoping:
        region_fields = ("region",)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region_id} {self.loaded_at:%Y-%m-%d %H:%M}"
