"""Invoice runs, invoices, their lines and history, and the gap-free number sequences."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact
from kernel.errors import ImmutableObject
from kernel.history import AppendOnlyModel, Via
from kernel.money import format_sek
from regions.models import RateCategory, RateRecommendation, Region


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class InvoiceRun(models.Model):
    """One run of invoicing for a billing region and a period (a Celery job); status and progress as it goes."""

    billing_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("billing region")
    )
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-MM"))
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_via = models.CharField(_("started via"), max_length=10, choices=Via.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    invoices = models.ManyToManyField("Invoice", blank=True, related_name="runs", verbose_name=_("invoices"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice run")
        verbose_name_plural = _("invoice runs")
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="run_progress_at_most_100"),
        ]
        indexes = [models.Index(fields=["billing_region", "period"], name="run_region_period_idx")]

    class Scoping:
        region_fields = ("billing_region",)

    def __str__(self) -> str:
        return f"{self.billing_region_id} {self.period} ({self.get_status_display()})"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent")
    PAID = "paid", _("Paid")


class Transition(models.TextChoices):
    SUBMIT = "submit", _("Submission")
    APPROVE = "approve", _("Approval")
    RETURN = "return", _("Return to draft")
    MARK_SENT = "mark_sent", _("Marking as sent")
    MARK_PAID = "mark_paid", _("Marking as paid")


class InvoiceAction(models.TextChoices):
    """What an invoice event records: the workflow's transitions and the ledger's other changes."""

    CREATED = "created", _("Created")
    REFRESHED = "refreshed", _("Refreshed")
    CORRECTION_CREATED = "correction_created", _("Created by the seller's correction")
    CORRECTION_ADDED = "correction_added", _("Line added by the seller's correction")
    SUBMIT = "submit", _("Submission")
    APPROVE = "approve", _("Approval")
    RETURN = "return", _("Return to draft")
    MARK_SENT = "mark_sent", _("Marking as sent")
    MARK_PAID = "mark_paid", _("Marking as paid")
    RENDER_DOCUMENTS = "render_documents", _("PDFs rendered again")
    LAPSED_REMOVED = "lapsed_removed", _("Contacts past the invoicing deadline removed")
    PSEUDONYMISED = "pseudonymised", _("Identity numbers pseudonymised after the retention period")


# The workflow as data: transition → (allowed from, to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Transition.SUBMIT: (frozenset({InvoiceStatus.DRAFT}), InvoiceStatus.SUBMITTED),
    Transition.APPROVE: (frozenset({InvoiceStatus.SUBMITTED}), InvoiceStatus.APPROVED),
    Transition.RETURN: (frozenset({InvoiceStatus.SUBMITTED}), InvoiceStatus.DRAFT),
    Transition.MARK_SENT: (frozenset({InvoiceStatus.APPROVED}), InvoiceStatus.SENT),
    Transition.MARK_PAID: (frozenset({InvoiceStatus.SENT}), InvoiceStatus.PAID),
}
# From approval on, an invoice is a legal document: its lines and amounts never change again.
FROZEN_STATUSES = frozenset({InvoiceStatus.APPROVED, InvoiceStatus.SENT, InvoiceStatus.PAID})
# Contacts on these invoices are locked (API.md: "a submitted or approved invoice").
LOCKING_STATUSES = frozenset({InvoiceStatus.SUBMITTED, *FROZEN_STATUSES})
# What may still change once an invoice is approved: its later steps and its rendered documents.
FROZEN_MUTABLE_FIELDS = frozenset(
    {"status", "sent_at", "paid_at", "pdf", "specification_pdf", "ubl", "claim_specification"}
)


class CreditReason(models.IntegerChoices):
    """Inera's credit reasons for out-of-county invoices."""

    WRONG_HOME_REGION = 1, _("Wrong home region")
    WRONG_PRICE = 2, _("Wrong price")
    WRONG_PRODUCT = 3, _("Wrong product")
    PARTIAL_INVOICING = 4, _("Partial invoicing")
    NO_VALID_REFERRAL = 5, _("No valid referral")
    INVOICED_LATE = 6, _("Invoiced more than six months after care")
    DOUBLE_INVOICING = 7, _("Double invoicing")
    CARE_AFTER_INVOICE = 8, _("Care date after invoice date")
    NOT_BILLABLE = 9, _("Not billable")


# Inera's flow for these: a credit note, then the contact corrected and invoiced again on a new invoice. The others
# (no referral, late, double, care after the invoice, not billable) end the contact's billing for good.
CORRECTABLE_CREDIT_REASONS = frozenset(
    {
        CreditReason.WRONG_HOME_REGION,
        CreditReason.WRONG_PRICE,
        CreditReason.WRONG_PRODUCT,
        CreditReason.PARTIAL_INVOICING,
    }
)


class Invoice(models.Model):
    """An invoice (or credit note) from a seller region to a buyer region for one period."""

    seller = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("seller"))
    buyer = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("buyer"))
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-MM"))
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    status = models.CharField(_("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    number = models.CharField(_("number"), max_length=20, null=True, blank=True, unique=True)
    specification_id = models.CharField(_("specification id"), max_length=30, null=True, blank=True, unique=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    contact_count = models.PositiveIntegerField(_("contacts"), default=0)
    credits = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("credits invoice"),
    )
    credit_reason = models.PositiveSmallIntegerField(
        _("credit reason"), choices=CreditReason.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="invoices/", blank=True)
    specification_pdf = models.FileField(_("specification PDF"), upload_to="invoices/", blank=True)
    # The e-invoice (Peppol BIS Billing 3.0 UBL, billing.einvoice.ubl), rendered with the PDFs once approved.
    ubl = models.FileField(_("e-invoice (UBL)"), upload_to="invoices/", blank=True, default="", db_default="")
    # Inera's fakturaunderlag (ProcessClaimSpecification XML, billing.einvoice.claim), rendered with the PDFs.
    claim_specification = models.FileField(
        _("specification (Inera XML)"), upload_to="invoices/", blank=True, default="", db_default=""
    )
    # Bumped by ``billing.ledger.invoice_totals_refresh``, with which every change of the lines ends: a draft's
    # previews (``billing.previews``) are rendered once per version of its content.
    content_version = models.PositiveIntegerField(_("content version"), default=0, editable=False)

    class Meta:
        ordering = ["-period", "seller", "buyer", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            # One draft invoice per seller, buyer and period at a time: runs refresh it.
            models.UniqueConstraint(
                fields=["seller", "buyer", "period"],
                condition=Q(status="draft", kind="invoice"),
                name="invoice_one_draft_per_parties_period",
            ),
            models.CheckConstraint(condition=~Q(seller=models.F("buyer")), name="invoice_seller_is_not_buyer"),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(status__in=["approved", "sent", "paid"]),
                name="invoice_number_only_when_approved",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"]) | Q(number__isnull=False),
                name="invoice_approved_has_number",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", credits__isnull=True, total__gte=0)
                | Q(kind="credit_note", credits__isnull=False, total__lte=0, credit_reason__isnull=False),
                name="invoice_kind_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["seller", "period"], name="invoice_seller_period_idx"),
            models.Index(fields=["buyer", "period"], name="invoice_buyer_period_idx"),
            models.Index(fields=["status"], name="invoice_status_idx"),
        ]

    class Scoping:
        region_fields = ("seller", "buyer")

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()} {self.seller_id}→{self.buyer_id} {self.period} (#{self.pk})"

    def save(self, *args, **kwargs):
        # An invariant guard, not business logic: an approved invoice's content never changes, by any path.
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            fields = kwargs.get("update_fields")
            if stored in FROZEN_STATUSES and (fields is None or not FROZEN_MUTABLE_FIELDS.issuperset(fields)):
                raise ImmutableObject(
                    _("Invoice %(invoice)s is approved and cannot be changed; issue a credit note.") % {"invoice": self}
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        # Only a draft that was never submitted may disappear (an empty one, after a run); the rest is record.
        stored = type(self).objects.filter(pk=self.pk).values_list("status", "submitted_at").first()
        if stored and (stored[0] != InvoiceStatus.DRAFT or stored[1] is not None):
            raise ImmutableObject(_("Invoice %(invoice)s cannot be deleted.") % {"invoice": self})
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES


class InvoiceLineQuerySet(models.QuerySet):
    def _frozen(self) -> bool:
        return self.filter(invoice__status__in=FROZEN_STATUSES).exists()

    def update(self, **kwargs):
        if self._frozen():
            raise ImmutableObject(_("The lines of an approved invoice cannot be changed; issue a credit note."))
        return super().update(**kwargs)

    def delete(self):
        if self._frozen():
            raise ImmutableObject(_("The lines of an approved invoice cannot be changed; issue a credit note."))
        return super().delete()


class InvoiceLine(models.Model):
    """One contact on an invoice, with the price and what the specification shows of the contact frozen at
    invoicing (negative on a credit note, which copies the line it credits).

    A contact is billed in rounds: its first debit line is round 0; an approved credit of it opens round 1, in which
    the corrected contact may be billed again, and so on. The database allows one debit and one credit per contact
    and round, and a credit line always names the debit line it credits (on PostgreSQL a trigger also checks that it
    credits exactly that line's amount, of the same contact and round)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice"))
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="invoice_lines", verbose_name=_("contact"), db_index=False
    )
    credit = models.BooleanField(_("credit line"), default=False)
    billing_round = models.PositiveSmallIntegerField(
        _("billing round"),
        default=0,
        help_text=_("0 for the contact's first billing; each approved credit of the contact opens the next."),
    )
    credited_line = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_lines",
        verbose_name=_("credits line"),
        db_index=False,  # the unique index below serves it
    )
    rebill = models.BooleanField(
        _("invoice again"), default=False, help_text=_("Once the credit is approved, the contact is invoiced again.")
    )
    correction = models.JSONField(
        _("correction"),
        default=dict,
        blank=True,
        help_text=_("The corrected values applied to the contact when the credit is approved."),
    )
    category = models.CharField(_("rate category"), max_length=20, choices=RateCategory.choices)
    # As on contacts: published versions cannot be deleted (database trigger), so no per-line key check.
    recommendation = models.ForeignKey(
        RateRecommendation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recommendation"),
        db_index=False,
        db_constraint=False,
    )
    rate = models.DecimalField(_("rate"), max_digits=10, decimal_places=2)
    patient_fee = models.DecimalField(_("patient fee paid"), max_digits=8, decimal_places=2)
    fee_deducted = models.DecimalField(_("patient fee deducted"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)

    # The contact as billed: what the specification, the lines API and the invoice page show. A credited contact may
    # be corrected and billed again; its earlier invoices keep showing what they billed.
    external_id = models.CharField(_("external id"), max_length=64)
    started_at = models.DateTimeField(_("started at"))
    profession = models.CharField(_("profession"), max_length=2)
    patient_id = models.CharField(_("personal identity number"), max_length=32)  # or a pseudonym: Contact's
    patient_sex = models.CharField(_("sex"), max_length=1)
    listing_unit = models.CharField(_("listing unit (HSA-id)"), max_length=31, blank=True)
    care_unit = models.CharField(_("care unit (HSA-id)"), max_length=31, blank=True)
    # A database default as well: rows written by SQL that names no such column (bench fills) stay valid.
    home_municipality = models.CharField(
        _("home municipality (kommun code)"), max_length=4, blank=True, default="", db_default=""
    )
    overridden = models.BooleanField(_("rejection overridden"), default=False)

    objects = InvoiceLineQuerySet.as_manager()

    class Meta:
        ordering = ["invoice", "id"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            # A contact is billed once per round: at most one debit line, whatever runs at once. Re-billing after an
            # approved credit is the next round.
            models.UniqueConstraint(
                fields=["contact", "billing_round"],
                condition=Q(credit=False),
                name="line_contact_billed_once_per_round",
            ),
            # ... and credited at most once per round: a billed line is credited once, in full, never twice. Only a
            # credit line names a line (the check below), so the condition is the credit lines; it is written as "names
            # one" because that is what PostgreSQL's foreign-key check can prove from its "credited_line_id = $1":
            # deleting a draft's lines probes this index per line instead of reading the whole table per line.
            models.UniqueConstraint(
                fields=["credited_line"], condition=Q(credited_line__isnull=False), name="line_credited_once"
            ),
            models.CheckConstraint(
                condition=Q(credit=False, credited_line__isnull=True, rebill=False)
                | Q(credit=True, credited_line__isnull=False),
                name="line_credit_names_its_debit",
            ),
            models.CheckConstraint(
                condition=Q(credit=False, amount__gte=0, fee_deducted__gte=0)
                | Q(credit=True, amount__lte=0, fee_deducted__lte=0),
                name="line_sign_matches_kind",
            ),
            # amount = rate − fee deducted; a credit line is the same with both signs turned.
            models.CheckConstraint(
                condition=Q(credit=False, amount=models.F("rate") - models.F("fee_deducted"))
                | Q(credit=True, amount=-models.F("rate") - models.F("fee_deducted")),
                name="line_amount_is_rate_minus_fee",
            ),
        ]
        indexes = [
            models.Index(fields=["invoice", "category", "rate"], name="line_invoice_category_idx"),
            # The review's duplicate check (review.selectors): the other lines of the same patient, for each line.
            models.Index(fields=["patient_id", "started_at"], name="line_patient_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.contact_id} {format_sek(self.amount)}"


class InvoiceEvent(AppendOnlyModel):
    """Who did what to an invoice, when, from which status to which, and why."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events", verbose_name=_("invoice"))
    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=20, choices=InvoiceAction.choices)
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    # What else the step changed, {"field": [before, after]}: the number and dates an approval assigns, the
    # total and count a run's refresh or a return changes.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["invoice", "at", "id"]
        verbose_name = _("invoice event")
        verbose_name_plural = _("invoice history")

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class NumberSequence(models.Model):
    """The last invoice number used by a seller in a year; incremented under a row lock at approval."""

    seller = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seller", "year"], name="sequence_one_per_seller_year")]

    def __str__(self) -> str:
        return f"{self.seller_id}-{self.year}: {self.last_number}"


class SpecificationSequence(models.Model):
    """The last specification serial a seller used. Unlike invoice numbers it never restarts: the specification id
    (Inera's ``ZVF`` + organisation number + the period's YYMM + 6 digits) carries the period, not the year of
    approval, so a serial restarting each year would give a 2026-10 invoice approved in January 2027 the id of the
    one approved in 2026."""

    seller = models.OneToOneField(Region, on_delete=models.PROTECT, primary_key=True, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.seller_id}: {self.last_number}"


# The reports' rollups live in their own module of this app; imported here so Django registers them.
# ... and so are the drafts' stored previews.
from billing.previews.models import InvoicePreview  # noqa: E402, F401
from billing.reports.models import ContactSummary, ListingUnitSummary, SummaryRefresh  # noqa: E402, F401
