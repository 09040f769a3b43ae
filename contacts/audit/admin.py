"""The identity-read log in the admin: read-only, for national admins only (nobody else sees it exists)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contacts.identifiers import PersonalIdentityError, parse_personal_identity
from contacts.models import Contact
from kernel.business_time import stockholm_today
from kernel.paginators import CappedCountPaginator  # the changelist of a table that only grows
from kernel.text import is_ascii_digits
from regions.admin_base import ViewOnlyAdmin
from regions.selectors import scope_of


def _audits(user) -> bool:
    return scope_of(user).national


class IdentityReadAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["at", "user", "via", "contact_link", "invoice_link", "register", "contact_count", "path"]
    list_filter = ["via", ("at", admin.DateFieldListFilter), "user"]
    list_select_related = ["user"]
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_per_page = 100
    search_fields = ["=contact__id"]  # matched in get_search_results
    search_help_text = _(
        "A contact id or a full personal identity number: every read of that contact, its specifications included."
    )
    fields = ["at", "user", "via", "contact_link", "invoice_link", "register", "contact_count", "path"]
    readonly_fields = fields

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        self.paginator = CappedCountPaginator

    # --- only national admins, and only to read -----------------------------------------------------------

    def has_module_permission(self, request):
        return _audits(request.user)

    def has_view_permission(self, request, obj=None):
        return _audits(request.user)

    # --- columns -----------------------------------------------------------------------------------------

    @admin.display(description=_("contact"), ordering="contact")
    def contact_link(self, obj):
        if obj.contact_id is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:contacts_contact_change", args=[obj.contact_id]), obj.contact_id
        )

    @admin.display(description=_("invoice"))
    def invoice_link(self, obj):
        # The invoice may be gone (a draft a later run replaced): its id stays.
        if obj.invoice_id is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:billing_invoice_change", args=[obj.invoice_id]), obj.invoice_id
        )

    # --- search: a contact, directly or on a specification -----------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        contact_ids = self._contacts_of(term)
        if not contact_ids:
            return queryset.none(), False
        invoice_lines = Contact.invoice_lines.rel.related_model.objects
        invoices = invoice_lines.filter(contact_id__in=contact_ids).values("invoice_id")
        return queryset.filter(contact_id__in=contact_ids) | queryset.filter(invoice_id__in=invoices), False

    @staticmethod
    def _contacts_of(term: str) -> list[int]:
        try:
            identity = parse_personal_identity(term, today=stockholm_today())
        except PersonalIdentityError:
            pass
        else:
            return list(Contact.objects.filter(patient_id=identity.number).values_list("pk", flat=True)[:1000])
        return [int(term)] if is_ascii_digits(term) and len(term) < 19 else []


class PseudonymisationBatchAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    """The retention's history (contacts.retention): one row per batch, counts only, read-only, national admins."""

    list_display = [
        "at",
        "via",
        "before",
        "contacts",
        "invoice_lines",
        "texts",
        "dispute_attachments",
        "documents",
        "identity_reads",
        "uploads",
    ]
    list_filter = [("at", admin.DateFieldListFilter)]
    show_facets = admin.ShowFacets.NEVER
    fields = list_display
    readonly_fields = fields

    def has_module_permission(self, request):
        return _audits(request.user)

    def has_view_permission(self, request, obj=None):
        return _audits(request.user)
