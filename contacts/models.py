"""Contacts: one digital contact a provider reports, its evaluation, and its append-only history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contacts.identifiers import mask_personal_identity
from contacts.reasons import REASON_LABELS, Reason
from kernel.history import AppendOnlyModel, Via
from regions.models import Profession, Provider, RateRecommendation, Region


class Mode(models.TextChoices):
    VIDEO = "video", _("Video")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Telephone")


class Content(models.TextChoices):
    ASSESSMENT = "assessment", _("Medical assessment")
    REFERRAL = "referral", _("Referral to a new contact only")
    PREPARATION = "preparation", _("Information or preparation only")
    SELF_CARE_ADVICE = "self_care_advice", _("Self-care advice only")
    ONE_WAY_MESSAGE = "one_way_message", _("One-way message")
    RESULTS = "results", _("Results only")
    ADMINISTRATIVE = "administrative", _("Administration only")
    RENEWAL_WITHOUT_ASSESSMENT = "renewal_without_assessment", _("Renewal without assessment")


class Status(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    REJECTED = "rejected", _("Rejected")
    INVOICED = "invoiced", _("Invoiced")
    CREDITED = "credited", _("Credited")


REASON_CHOICES = [(reason.value, REASON_LABELS[reason]) for reason in Reason]


class Contact(models.Model):
    # --- what the provider reports -----------------------------------------------------------------
    # Indexed through the (provider, started_at, id) index below. The provider, home region and profession are
    # checked by PostgreSQL once per statement, set-based, instead of by a foreign key's check per row (migration
    # 0015: a third of a bulk request's database time); the ORM protects them as any foreign key.
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("care provider"),
        db_index=False,
        db_constraint=False,
    )
    external_id = models.CharField(_("external id"), max_length=64)
    # 12 digits; after the retention period a pseudonym (contacts.retention, PSEUDONYM_LENGTH characters).
    patient_id = models.CharField(_("personal identity number"), max_length=32)
    patient_birth_date = models.DateField(_("birth date"))
    patient_sex = models.CharField(_("sex"), max_length=1, choices=[("F", _("Female")), ("M", _("Male"))])
    home_region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("home region"),
        db_index=False,
        db_constraint=False,
    )
    profession = models.ForeignKey(
        Profession,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("profession"),
        db_index=False,
        db_constraint=False,
    )
    started_at = models.DateTimeField(_("started at"))
    mode = models.CharField(_("mode"), max_length=5, choices=Mode.choices)
    strong_authentication = models.BooleanField(_("strong authentication"))
    triage = models.BooleanField(_("triage"))
    documented = models.BooleanField(_("documented"))
    content = models.CharField(_("content"), max_length=30, choices=Content.choices)
    patient_fee = models.DecimalField(_("patient fee"), max_digits=8, decimal_places=2)
    listing_unit = models.CharField(_("listing unit (HSA-id)"), max_length=31, blank=True)
    care_unit = models.CharField(_("care unit (HSA-id)"), max_length=31, blank=True)
    # SCB's kommunkod of the patient's home municipality, when the provider reports it: four digits beginning with
    # the home region's län code (a constraint). Inera's fakturaunderlag carries it next to the län.
    # A database default as well: rows written by SQL that names no such column (bench fills) stay valid.
    home_municipality = models.CharField(
        _("home municipality (kommun code)"), max_length=4, blank=True, default="", db_default=""
    )

    # --- derived and decided -------------------------------------------------------------------------
    # Copied from the provider's contracting region at intake (the provider's own foreign key guards it),
    # so no second database check per row on the hot intake path.
    billing_region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("billing region"),
        db_index=False,
        db_constraint=False,
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # Reason codes separated by single spaces, in the documented order; empty when eligible.
    reasons = models.CharField(_("reasons"), max_length=400, blank=True)
    # Reasons set by people or invoice runs (rejected_by_clerk, invoicing_deadline_passed), kept across
    # re-evaluations; the engine adds them to what it derives from the facts.
    manual_reasons = models.CharField(_("manual reasons"), max_length=100, blank=True)
    overridden = models.BooleanField(
        _("rejection overridden"), default=False, help_text=_("An accepted dispute made this contact billable.")
    )
    recommendation = models.ForeignKey(
        RateRecommendation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recommendation"),
        # Contacts only ever point at published versions, which the database itself refuses to delete
        # (regions migration 0002) and the ORM protects; no per-row foreign-key check on bulk intake, and
        # no lookups by version on the big table that would need an index.
        db_index=False,
        db_constraint=False,
    )
    rate = models.DecimalField(_("rate"), max_digits=10, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, default=0)

    # --- provenance ------------------------------------------------------------------------------------
    # Users are deactivated, never deleted (PROTECT); the user columns carry no database foreign key so that
    # bulk intake pays for no per-row check on them.
    created_at = models.DateTimeField(_("created"))
    created_via = models.CharField(_("created via"), max_length=10, choices=Via.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("created by"),
    )
    updated_at = models.DateTimeField(_("last changed"))
    updated_via = models.CharField(_("last changed via"), max_length=10, choices=Via.choices)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("last changed by"),
    )
    evaluated_at = models.DateTimeField(_("evaluated"))
    locked = models.BooleanField(
        _("locked"), default=False, help_text=_("On a submitted or approved invoice: no longer changeable.")
    )
    # The round of billing the contact's next invoice line belongs to (billing.InvoiceLine.billing_round): 0 until a
    # credit of the contact is approved, which opens the next. A database default, so bulk intake (COPY) never writes
    # it.
    billing_round = models.PositiveSmallIntegerField(_("billing round"), db_default=0)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            # external_id first: the same index serves intake's (provider, external_id) lookups and a clerk's
            # search by external id alone.
            models.UniqueConstraint(fields=["external_id", "provider"], name="contact_unique_per_provider"),
            models.CheckConstraint(condition=Q(patient_fee__gte=0), name="contact_fee_not_negative"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="contact_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(home_municipality="")
                | Q(home_municipality__regex=r"^[0-9]{4}$", home_municipality__startswith=models.F("home_region")),
                name="contact_municipality_in_home_region",
            ),
            models.CheckConstraint(
                condition=Q(status="rejected", amount=0) | ~Q(status="rejected"), name="contact_rejected_amount_zero"
            ),
            models.CheckConstraint(
                condition=~Q(home_region=models.F("billing_region")) | ~Q(status="eligible"),
                name="contact_eligible_is_out_of_county",
            ),
            # ``locked`` mirrors the billing: a contact on a submitted or approved invoice is invoiced and locked
            # (submitting locks, returning unlocks, a lapse releases it rejected); a credited one stays locked when
            # its credit's reason ends its billing and is released otherwise; an eligible or rejected one is never
            # locked.
            models.CheckConstraint(
                condition=Q(locked=True, status__in=["invoiced", "credited"])
                | Q(locked=False, status__in=["eligible", "rejected", "credited"]),
                name="contact_locked_mirrors_status",
            ),
        ]
        indexes = [
            # The clerk's and the API's lists: a region's contacts in a period, newest first.
            models.Index(fields=["billing_region", "started_at", "id"], name="contact_billing_started_idx"),
            models.Index(fields=["home_region", "started_at", "id"], name="contact_home_started_idx"),
            models.Index(fields=["provider", "started_at", "id"], name="contact_provider_started_idx"),
            models.Index(fields=["started_at", "id"], name="contact_started_idx"),
            # A patient's contacts (the lists' search by personal identity number), and intake's probe for another
            # contact of the same patient within an item's start minute (possible duplicates) in one index look-up.
            models.Index(fields=["patient_id", "started_at"], name="contact_patient_started_idx"),
        ]

    class Scoping:
        region_fields = ("billing_region", "home_region")
        provider_field = "provider"

    def __str__(self) -> str:
        return f"{self.provider_id}/{self.external_id}"

    @property
    def masked_patient_id(self) -> str:
        return mask_personal_identity(self.patient_id)

    @property
    def reason_list(self) -> list[str]:
        return self.reasons.split() if self.reasons else []

    @property
    def manual_reason_list(self) -> list[str]:
        return self.manual_reasons.split() if self.manual_reasons else []


class EventKind(models.TextChoices):
    UPDATED = "updated", _("Changed")
    EVALUATED = "evaluated", _("Re-evaluated")
    REJECTED = "rejected", _("Rejected by clerk")
    OVERRIDDEN = "overridden", _("Rejection overridden")
    DEADLINE = "deadline", _("Invoicing deadline passed")
    CREDITED = "credited", _("Credited")


class ContactEvent(AppendOnlyModel):
    """One entry of a contact's history: what changed, the result before and after, who, when and how.

    A contact's creation is recorded on the contact itself (``created_at``, ``created_via``, ``created_by``);
    every later change, evaluation, rejection or override adds an event here, whose ``result_before`` keeps
    what the contact was before. So the history is complete without an event per new row, which keeps bulk
    intake to one write per contact.
    """

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="events", verbose_name=_("contact"))
    at = models.DateTimeField(_("time"))
    kind = models.CharField(_("event"), max_length=12, choices=EventKind.choices)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,  # as the contact's provenance columns
        verbose_name=_("by"),
    )
    # Field changes {"field": [before, after]} (patient ids masked), and the evaluation before and after:
    # {"status", "reasons", "recommendation", "rate", "amount"}.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    result_before = models.JSONField(_("result before"), null=True, blank=True)
    result_after = models.JSONField(_("result after"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["contact", "at", "id"]
        verbose_name = _("contact event")
        verbose_name_plural = _("contact history")
        indexes = [models.Index(fields=["contact", "at"], name="contact_event_contact_idx")]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class PseudonymisationBatch(AppendOnlyModel):
    """One batch of the retention of personal data (contacts.retention): when, by whom (``via``: the schedule or a
    command, no user), up to which date, and how many rows of each kind lost their identity numbers. Counts only:
    no identity number, no contact id."""

    at = models.DateTimeField(_("time"))
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    before = models.DateField(_("cut-off date"))
    contacts = models.PositiveIntegerField(_("contacts"), default=0)
    invoice_lines = models.PositiveIntegerField(_("invoice lines"), default=0)
    texts = models.PositiveIntegerField(_("texts rewritten"), default=0)
    dispute_attachments = models.PositiveIntegerField(_("dispute attachments removed"), default=0)
    documents = models.PositiveIntegerField(_("documents rendered again"), default=0)
    identity_reads = models.PositiveIntegerField(_("identity reads removed"), default=0)
    uploads = models.PositiveIntegerField(_("uploads removed"), default=0)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("pseudonymisation batch")
        verbose_name_plural = _("pseudonymisation batches")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} < {self.before}: {self.contacts}"


__all__ = [
    "Contact",
    "ContactEvent",
    "Content",
    "EventKind",
    "Mode",
    "PseudonymisationBatch",
    "Status",
]

# The log of reads of full identity numbers lives in its own module of this app, registered here so Django finds it.
from contacts.audit.models import IdentityRead, ReadVia  # noqa: E402

__all__ += ["IdentityRead", "ReadVia"]

# CSV uploads as persisted batches, and the contacts each stored, in their own module of this app likewise.
from contacts.uploads.models import ContactUpload, ContactUploadContact, UploadOutcome, UploadStatus  # noqa: E402

__all__ += ["ContactUpload", "ContactUploadContact", "UploadOutcome", "UploadStatus"]
