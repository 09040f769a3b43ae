"""A draft's stored preview: one row per invoice and document, naming the version it shows (or is rendering)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PreviewDocument(models.TextChoices):
    INVOICE = "invoice", _("Invoice PDF")
    SPECIFICATION = "specification", _("Specification PDF")


class PreviewStatus(models.TextChoices):
    RENDERING = "rendering", _("Rendering")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class InvoicePreview(models.Model):
    """The preview of one document of a draft or submitted invoice.

    ``version`` is what the row is about: while ``rendering``, the version a task is rendering (``file`` may still
    hold the previous version's document, replaced when the new one is stored); once ``ready``, the version
    ``file`` shows. Written only by ``billing.previews.services``."""

    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.CASCADE, related_name="previews", verbose_name=_("invoice")
    )
    document = models.CharField(_("document"), max_length=20, choices=PreviewDocument.choices)
    version = models.CharField(_("version"), max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=PreviewStatus.choices)
    file = models.FileField(_("file"), upload_to="previews/", blank=True)
    requested_at = models.DateTimeField(_("requested"))
    rendered_at = models.DateTimeField(_("rendered"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("invoice preview")
        verbose_name_plural = _("invoice previews")
        constraints = [
            # One row per invoice and document: concurrent requests claim its render with one conditional UPDATE.
            models.UniqueConstraint(fields=["invoice", "document"], name="preview_one_per_invoice_document"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.document} {self.version[:12]} ({self.status})"
