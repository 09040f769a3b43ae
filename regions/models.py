"""Reference data: regions, populations, providers, professions, rate recommendations; organisations.

Rate recommendations are versioned. A published version is immutable: the model refuses to save,
update or delete it (and its rates and criteria), so no screen or script can change what invoices
were priced with. A correction is a new version.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kernel.errors import ImmutableObject
from kernel.history import ChangeEvent
from regions.validators import (
    validate_bankgiro,
    validate_hsa_id,
    validate_lan_code,
    validate_org_number,
    validate_postal_code,
)


class ListingRule(models.TextChoices):
    """Which listing in its own register a buyer region holds against a contact billed to it (the review's check)."""

    SAME_ORGANISATION = "same_organisation", _("Listed at a unit of the provider's own organisation")
    ANYWHERE_IN_REGION = "anywhere_in_region", _("Listed anywhere in the region")


class Region(models.Model):
    """A Swedish region, identified by its län code everywhere (input, output, filters)."""

    code = models.CharField(_("län code"), max_length=2, primary_key=True, validators=[validate_lan_code])
    name = models.CharField(_("name"), max_length=100, unique=True)
    healthcare_region = models.CharField(_("healthcare region"), max_length=50)
    org_number = models.CharField(
        _("organisation number"),
        max_length=10,
        blank=True,
        validators=[validate_org_number],
        help_text=_("10 digits; blank until known."),
    )
    # What its invoices need to be payable: where to pay, where to send them, whom to ask. The region's own admin
    # keeps them (regions.services.region_billing_details_update, with their history); approval refuses an invoice
    # whose seller has no bankgiro or whose parties have no organisation number.
    bankgiro = models.CharField(
        _("bankgiro"),
        max_length=12,
        blank=True,
        validators=[validate_bankgiro],
        help_text=_("Where buyers pay this region's invoices (NNNN-NNNN); required to approve them."),
    )
    address = models.CharField(_("postal address"), max_length=100, blank=True, help_text=_("Street or box."))
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True, validators=[validate_postal_code])
    city = models.CharField(_("city"), max_length=50, blank=True)
    invoice_reference = models.CharField(
        _("invoice reference"),
        max_length=60,
        blank=True,
        help_text=_(
            'Who answers for the region\'s out-of-county invoices: "Our reference" on those it sends, "Your '
            'reference" on those it receives.'
        ),
    )
    listing_rule = models.CharField(
        _("listing rule"),
        max_length=20,
        choices=ListingRule.choices,
        default=ListingRule.SAME_ORGANISATION,
        db_default=ListingRule.SAME_ORGANISATION,
        help_text=_(
            "When the review of a received invoice flags a patient listed in the region's own listing register: "
            "listed at a unit of the provider's own organisation, or listed anywhere in the region."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    class Scoping:
        public = True

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def postal_lines(self) -> list[str]:
        """The postal address as printed: the street or box, then the postal code and city."""
        town = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.address, town) if line]


class RegionPopulation(models.Model):
    """Population of a region at the end of a year; statistics never mix years."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="populations", verbose_name=_("region"))
    year = models.PositiveSmallIntegerField(_("year"))
    population = models.PositiveIntegerField(_("population"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["region", "-year"]
        verbose_name = _("population")
        verbose_name_plural = _("populations")
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="population_one_per_region_year"),
        ]

    class Scoping:
        public = True

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}: {self.population}"


class Provider(models.Model):
    """A digital care provider, contracted by one region (the billing region of its contacts)."""

    hsa_id = models.CharField(_("HSA-id"), max_length=31, unique=True, validators=[validate_hsa_id])
    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(_("organisation number"), max_length=10, validators=[validate_org_number])
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="providers",
        verbose_name=_("contracting region"),
    )
    active = models.BooleanField(_("active"), default=True)
    # The date of ``active``: set when the provider is made inactive, cleared when it is made active again (the
    # services keep the two together; ``active`` stays for the API). No check constraint ties them: what intake
    # enforces is the date, and a provider whose contract ends on a known day may be ended ahead of it.
    ended_on = models.DateField(
        _("last day of the contract"),
        null=True,
        blank=True,
        help_text=_(
            "The last day the provider's contract covers: contacts dated after it (Stockholm time) are refused, "
            "those on or before it are still accepted. Set when the provider is made inactive (today if left "
            "empty); cleared when it is made active again."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("care provider")
        verbose_name_plural = _("care providers")

    class Scoping:
        region_fields = ("region",)
        provider_field = "pk"

    def __str__(self) -> str:
        return f"{self.name} ({self.hsa_id})"


class RegionEvent(ChangeEvent):
    """A region's history of its billing details (bankgiro, address, reference, organisation number): who changed
    what, when. A bankgiro change redirects payments, so each is kept."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="events", verbose_name=_("region"))

    class Meta:
        ordering = ["region", "at", "id"]
        verbose_name = _("region event")
        verbose_name_plural = _("region history")
        indexes = [models.Index(fields=["region", "at"], name="region_event_region_idx")]

    class Scoping:
        public = True

    def __str__(self) -> str:
        return f"{self.region_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class ProviderEvent(ChangeEvent):
    """A provider's history: its creation and every later change (providers are deactivated, never deleted)."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="events", verbose_name=_("care provider")
    )

    class Meta:
        ordering = ["provider", "at", "id"]
        verbose_name = _("provider event")
        verbose_name_plural = _("provider history")
        indexes = [models.Index(fields=["provider", "at"], name="provider_event_provider_idx")]

    class Scoping:
        region_fields = ("provider__region",)
        provider_field = "provider"

    def __str__(self) -> str:
        return f"{self.provider_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class RateCategory(models.TextChoices):
    PHYSICIAN = "physician", _("Physician")
    PSYCHOLOGIST = "psychologist", _("Psychologist, counsellor or psychotherapist")
    OTHER_LICENSED = "other_licensed", _("Other licensed staff")


class Profession(models.Model):
    """A code of the Kv yrkeskod list, with the rate category it is paid at (none: not licensed)."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(
        _("rate category"),
        max_length=20,
        choices=RateCategory.choices,
        blank=True,
        help_text=_("Blank: not licensed, not reimbursable."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("profession")
        verbose_name_plural = _("professions")

    class Scoping:
        public = True

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_licensed(self) -> bool:
        return bool(self.category)


class Criterion(models.TextChoices):
    """The criteria a recommendation version may apply; each failed criterion gives one reason code.

    The eligibility engine implements each of these; a version lists the ones it applies.
    """

    OUT_OF_COUNTY = "out_of_county", _("The patient lives in another region than the billing region")
    DIGITAL_CONTACT = "digital_contact", _("The contact is digital (chat or video), not telephone")
    LICENSED_PROFESSION = "licensed_profession", _("Licensed healthcare staff made the assessment")
    STRONG_AUTHENTICATION = "strong_authentication", _("The patient's identity was checked by strong authentication")
    TRIAGE = "triage", _("The medical assessment was preceded by triage")
    DOCUMENTED = "documented", _("The contact meets the region's record-keeping and reporting requirements")
    NOT_REFERRAL_ONLY = "not_referral_only", _("Not only a referral to a new contact")
    NOT_PREPARATION_ONLY = "not_preparation_only", _("Not only information about or preparation for a coming contact")
    NOT_SELF_CARE_ADVICE_ONLY = "not_self_care_advice_only", _("Not only self-care advice equal to 1177")
    NOT_ONE_WAY_MESSAGE = "not_one_way_message", _("Not a mailing without two-way communication")
    NOT_RESULTS_ONLY = "not_results_only", _("Not only information on results (tests, referral answers)")
    NOT_ADMINISTRATIVE_ONLY = (
        "not_administrative_only",
        _("Not only booking, rebooking, cancelling or other administration"),
    )
    NOT_RENEWAL_WITHOUT_ASSESSMENT = (
        "not_renewal_without_assessment",
        _("Not only a prescription renewal or sick-leave extension without a new documented medical assessment"),
    )


class RecommendationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class RecommendationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=RecommendationStatus.PUBLISHED)

    def update(self, **kwargs):
        if self.filter(status=RecommendationStatus.PUBLISHED).exists():
            raise ImmutableObject(_("A published recommendation cannot be changed; publish a new version."))
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status=RecommendationStatus.PUBLISHED).exists():
            raise ImmutableObject(_("A published recommendation cannot be deleted."))
        return super().delete()


class RateRecommendation(models.Model):
    """One version of SKR's recommended per-contact rates and the criteria it applies."""

    code = models.CharField(_("code"), max_length=32, unique=True, help_text=_("E.g. SKR-2026-04."))
    title = models.CharField(_("title"), max_length=300)
    decided_on = models.DateField(_("decided on"))
    effective_from = models.DateField(
        _("effective from"), help_text=_("First contact date (Europe/Stockholm) priced by this version.")
    )
    includes_patient_fee = models.BooleanField(
        _("rate includes patient fee"),
        default=True,
        help_text=_("If set, the home region pays the rate minus the patient fee paid."),
    )
    source_reference = models.CharField(_("source reference"), max_length=300)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
        help_text=_("The version this one replaces or corrects."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RecommendationStatus.choices, default=RecommendationStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        ordering = ["effective_from", "published_at"]
        verbose_name = _("rate recommendation")
        verbose_name_plural = _("rate recommendations")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", published_at__isnull=True)
                | Q(status="published", published_at__isnull=False),
                name="recommendation_published_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "effective_from"], name="recommendation_effective_idx")]

    class Scoping:
        public = True

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        # An invariant guard, not business logic: whatever path tries, a published row never changes.
        if self._stored_status() == RecommendationStatus.PUBLISHED:
            raise ImmutableObject(
                _("Recommendation %(code)s is published and cannot be changed; publish a new version.")
                % {"code": self.code}
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() == RecommendationStatus.PUBLISHED:
            raise ImmutableObject(
                _("Recommendation %(code)s is published and cannot be deleted.") % {"code": self.code}
            )
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == RecommendationStatus.PUBLISHED

    def _stored_status(self) -> str | None:
        if self.pk is None:
            return None
        return type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()


class RecommendationPartQuerySet(models.QuerySet):
    """Rates and criteria of a published recommendation are as frozen as the recommendation."""

    def _touches_published(self) -> bool:
        return self.filter(recommendation__status=RecommendationStatus.PUBLISHED).exists()

    def update(self, **kwargs):
        if self._touches_published():
            raise ImmutableObject(_("A published recommendation cannot be changed; publish a new version."))
        return super().update(**kwargs)

    def delete(self):
        if self._touches_published():
            raise ImmutableObject(_("A published recommendation cannot be changed; publish a new version."))
        return super().delete()


class RecommendationPart(models.Model):
    recommendation = models.ForeignKey(RateRecommendation, on_delete=models.CASCADE, verbose_name=_("recommendation"))

    objects = RecommendationPartQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)

    def _guard(self) -> None:
        parent_published = RateRecommendation.objects.filter(
            pk=self.recommendation_id, status=RecommendationStatus.PUBLISHED
        ).exists()
        if parent_published:
            raise ImmutableObject(
                _("Recommendation %(code)s is published and cannot be changed; publish a new version.")
                % {"code": self.recommendation.code}
            )


class RecommendationRate(RecommendationPart):
    """The per-contact amount (SEK, patient fee included if the version says so) of one category."""

    category = models.CharField(_("rate category"), max_length=20, choices=RateCategory.choices)
    amount = models.DecimalField(_("amount (SEK)"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["recommendation", "category"]
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        default_related_name = "rates"
        constraints = [
            models.UniqueConstraint(fields=["recommendation", "category"], name="rate_one_per_category"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="rate_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation_id} {self.category} {self.amount}"


class RecommendationCriterion(RecommendationPart):
    """A criterion a recommendation version applies (the engine checks exactly these)."""

    criterion = models.CharField(_("criterion"), max_length=40, choices=Criterion.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["recommendation", "position"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        default_related_name = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["recommendation", "criterion"], name="criterion_once_per_recommendation"),
        ]

    def __str__(self) -> str:
        return self.criterion


class RecommendationEvent(ChangeEvent):
    """A recommendation version's history: creation, changes while a draft (fields, rates, criteria), publication,
    and the removal of a draft. ``code`` keeps the version's code, so the history of a removed draft stays readable;
    the reference therefore has no database constraint."""

    recommendation = models.ForeignKey(
        RateRecommendation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="events",
        verbose_name=_("recommendation"),
    )
    code = models.CharField(_("code"), max_length=32)

    class Meta:
        ordering = ["recommendation", "at", "id"]
        verbose_name = _("recommendation event")
        verbose_name_plural = _("recommendation history")
        indexes = [models.Index(fields=["recommendation", "at"], name="recommendation_event_idx")]

    class Scoping:
        public = True

    def __str__(self) -> str:
        return f"{self.code} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Role(models.TextChoices):
    """Roles are Django groups of the same names; the group gives the model permissions."""

    PROVIDER = "provider", _("Provider system")
    CLERK = "clerk", _("Billing clerk")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


class Membership(models.Model):
    """The organisation a user belongs to: a region (staff) or a provider (a provider's system)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("user")
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="members", verbose_name=_("region")
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("care provider"),
    )

    class Meta:
        verbose_name = _("organisation membership")
        verbose_name_plural = _("organisation memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=True) | Q(provider__isnull=True),
                name="membership_region_or_provider",
            ),
        ]

    def __str__(self) -> str:
        return str(self.region or self.provider or "-")


class ApiClient(models.Model):
    """An external system's credentials. The key is stored only as a SHA-256 hash; revocable."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_client", verbose_name=_("user")
    )
    key_prefix = models.CharField(_("key prefix"), max_length=8, help_text=_("First characters, to recognise a key."))
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name
