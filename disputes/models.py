"""Dispute cases over contacts: a rejection contested by the provider or the billing region, or an objection by
the buyer region to a contact on an approved invoice. One open case per contact, enforced by the database.

The models were the contacts app's until the disputes became an app of their own: their tables kept their names
(``db_table``), so the move touched no data (disputes/migrations/0001_initial.py)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import CreditReason
from kernel.history import AppendOnlyModel, Via


class DisputeKind(models.TextChoices):
    REJECTION = "rejection", _("Contested rejection")
    OBJECTION = "objection", _("Objection to an invoiced contact")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class Dispute(models.Model):
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="disputes", verbose_name=_("contact")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=DisputeKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    reason = models.TextField(_("reason"))
    invoice_line = models.ForeignKey(
        "billing.InvoiceLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes",
        verbose_name=_("invoice line"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("opened by")
    )
    opened_at = models.DateTimeField(_("opened"))
    deadline = models.DateField(_("response deadline"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    credit_reason = models.PositiveSmallIntegerField(_("credit reason"), null=True, blank=True)
    # The credit reason the objecting region proposes (the review's first flag, or the objection's own choice): the
    # seller's bulk decision credits with it unless the seller chooses another. Only an objection has one.
    proposed_credit_reason = models.PositiveSmallIntegerField(
        _("proposed credit reason"), null=True, blank=True, choices=CreditReason.choices
    )
    credit_note = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("credit note"),
    )

    class Meta:
        db_table = "contacts_dispute"
        ordering = ["-opened_at", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(status="open"), name="dispute_one_open_per_contact"
            ),
            models.CheckConstraint(
                condition=Q(kind="rejection", invoice_line__isnull=True)
                | Q(kind="objection", invoice_line__isnull=False),
                name="dispute_objection_has_invoice_line",
            ),
            models.CheckConstraint(
                condition=Q(status="open", decided_at__isnull=True) | ~Q(status="open") & Q(decided_at__isnull=False),
                name="dispute_decided_when_closed",
            ),
            models.CheckConstraint(
                condition=Q(proposed_credit_reason__isnull=True)
                | Q(kind="objection", proposed_credit_reason__gte=1, proposed_credit_reason__lte=9),
                name="dispute_proposed_credit_reason_1_9",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="dispute_status_deadline_idx")]

    class Scoping:
        # Only the parties read a case (disputes.permissions, "The parties of a case"): the billing (seller) and
        # the home (buyer) region, whatever its kind; the contact's provider only in a contested rejection, never
        # in an objection, which is a matter between the two regions about an invoice the provider is not on.
        region_fields = ("contact__billing_region", "contact__home_region")
        provider_field = "contact__provider"
        provider_only = {"kind": DisputeKind.REJECTION}

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class DisputeComment(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="comments", verbose_name=_("dispute"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    at = models.DateTimeField(_("time"))
    text = models.TextField(_("text"))

    class Meta:
        db_table = "contacts_disputecomment"
        ordering = ["dispute", "at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.at:%Y-%m-%d %H:%M}"


def attachment_path(instance, filename: str) -> str:
    """Where an evidence file is stored: a random name under the month, with the extension its checked content
    has (``filename`` is the cleaned name, which ends so). Never the sender's name: it is kept in ``name``."""
    stem, dot, extension = filename.rpartition(".")
    suffix = f".{extension.lower()}" if dot and stem else ""
    return f"disputes/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class DisputeAttachment(models.Model):
    comment = models.ForeignKey(
        DisputeComment, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("comment")
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    # The sender's name, cleaned (disputes.attachments.clean_name); the type is the one its bytes showed.
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=100)

    class Meta:
        db_table = "contacts_disputeattachment"
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class DisputeEvent(AppendOnlyModel):
    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="events", verbose_name=_("dispute"))
    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    # What the step changed, {"field": [before, after]}: the status, the assignee, the credit note.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The evidence file a "downloaded" entry is about (its name is also the entry's note).
    attachment = models.ForeignKey(
        DisputeAttachment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attachment"),
    )

    class Meta:
        db_table = "contacts_disputeevent"
        ordering = ["dispute", "at", "id"]
        verbose_name = _("dispute event")
        verbose_name_plural = _("dispute history")

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.action}"
