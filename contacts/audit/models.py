from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.formats import localize
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.history import AppendOnlyModel


class ReadVia(models.TextChoices):
    ADMIN_LIST = "admin_list", _("Admin: contact list")
    ADMIN_DETAIL = "admin_detail", _("Admin: contact page")
    API_LIST = "api_list", _("API: contact list")
    API_DETAIL = "api_detail", _("API: one contact")
    API_INVOICE_LINES = "api_lines", _("API: invoice lines")
    CSV_SPECIFICATION = "csv_spec", _("Specification (CSV)")
    XLSX_SPECIFICATION = "xlsx_spec", _("Specification (XLSX)")
    XLSX_CONTACT_LIST = "xlsx_list", _("Admin: contact list (XLSX)")
    PDF_SPECIFICATION = "pdf_spec", _("Specification (PDF)")
    CLAIM_SPECIFICATION = "claim_spec", _("Specification (Inera XML)")
    ADMIN_REGISTER = "admin_reg", _("Admin: register entry")
    API_REGISTER = "api_reg", _("API: register entries")


class IdentityRead(AppendOnlyModel):
    """One contact's full identity number shown to a user, or a whole specification (``invoice``, with the number
    of lines) shown at once: a document of 10 000 lines is one row, a page of 100 contacts is 100 rows.

    The references are kept without database constraints: the log outlives a draft invoice that a later run
    replaces, and a user who is removed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the (user, at) index
        related_name="+",
        verbose_name=_("user"),
    )
    at = models.DateTimeField(_("time"))
    via = models.CharField(_("interface"), max_length=12, choices=ReadVia.choices)
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the (contact, at) index
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
    )
    # A buyer region's register (the review's population extract or listing register): its kind and region, e.g.
    # "population:01", with the number of entries shown in ``contact_count``.
    register = models.CharField(_("register"), max_length=20, blank=True, default="", db_default="")
    contact_count = models.PositiveIntegerField(_("identities shown"), default=1)
    path = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("identity read")
        verbose_name_plural = _("identity reads")
        indexes = [
            models.Index(fields=["contact", "at"], name="identity_read_contact_idx"),
            models.Index(fields=["user", "at"], name="identity_read_user_idx"),
            models.Index(fields=["at"], name="identity_read_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False, invoice__isnull=True, register="")
                | Q(contact__isnull=True, invoice__isnull=False, register="")
                | Q(contact__isnull=True, invoice__isnull=True) & ~Q(register=""),
                name="identity_read_contact_invoice_or_register",
            )
        ]

    def __str__(self) -> str:
        if self.contact_id:
            target = gettext("contact %(id)s") % {"id": self.contact_id}
        elif self.register:
            target = gettext("register %(register)s") % {"register": self.register}
        else:
            target = gettext("invoice %(id)s") % {"id": self.invoice_id}
        return f"{localize(localtime(self.at))} {self.get_via_display()}: {target}"
