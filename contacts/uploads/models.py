from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from regions.models import Provider, Region


class UploadStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class UploadOutcome(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    UNCHANGED = "unchanged", _("Unchanged")


class ContactUpload(models.Model):
    """One CSV file uploaded through the admin: who, in which scope, its progress and what became of each row.

    The scope is the uploader's: their region (region staff) or their provider (a provider's users); a national
    admin's upload has neither and is seen by national admins only. The file's bytes are kept only until it has
    been processed (they hold personal identity numbers), then emptied."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("region")
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("care provider")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"))
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    content = models.BinaryField(_("file content"), blank=True, default=b"", editable=False)
    row_count = models.PositiveIntegerField(_("rows"))
    status = models.CharField(_("status"), max_length=10, choices=UploadStatus.choices, default=UploadStatus.QUEUED)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected rows"), default=0)
    # The rows that were not stored, in file order: [{"line": 4, "external_id": "x", "errors": [[field, [msg]]]}].
    report = models.JSONField(_("rejected rows"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    contacts = models.ManyToManyField(
        "contacts.Contact", through="ContactUploadContact", related_name="uploads", verbose_name=_("contacts")
    )

    class Meta:
        app_label = "contacts"
        ordering = ["-created_at", "-id"]
        verbose_name = _("contact upload")
        verbose_name_plural = _("contact uploads")
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=models.F("row_count")), name="upload_processed_le_rows"
            ),
            models.CheckConstraint(
                condition=Q(region__isnull=True) | Q(provider__isnull=True), name="upload_region_or_provider"
            ),
        ]
        indexes = [
            models.Index(fields=["region", "-created_at"], name="upload_region_created_idx"),
            models.Index(fields=["provider", "-created_at"], name="upload_provider_created_idx"),
        ]

    class Scoping:
        region_fields = ("region",)
        provider_field = "provider"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else self.file_name

    @property
    def progress(self) -> int:
        """Processed rows in percent (0-100)."""
        if not self.row_count:
            return 100 if self.status == UploadStatus.DONE else 0
        return min(100, self.processed_rows * 100 // self.row_count)

    @property
    def finished(self) -> bool:
        return self.status in (UploadStatus.DONE, UploadStatus.FAILED)


class ContactUploadContact(models.Model):
    """A contact an upload stored: created, updated or left unchanged by one of its rows (bulk-inserted per part)."""

    upload = models.ForeignKey(ContactUpload, on_delete=models.CASCADE, related_name="links")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="upload_links")
    outcome = models.CharField(_("outcome"), max_length=10, choices=UploadOutcome.choices)

    class Meta:
        app_label = "contacts"
        verbose_name = _("contact of an upload")
        verbose_name_plural = _("contacts of uploads")
        constraints = [models.UniqueConstraint(fields=["upload", "contact"], name="upload_contact_unique")]

    def __str__(self) -> str:
        return f"{self.upload_id} {self.contact_id} {self.outcome}"
