"""The contact screen for billing clerks: a changelist that stays fast over millions of rows (its filters in
``filters``), a read-only page (``contact_page``), re-evaluation and manual rejection (``actions``), and a CSV upload
that goes through the one intake path (``upload``, then ``contacts.uploads``: uploads as persisted batches).

Permissions are Django model permissions, like every admin screen (``regions/roles.py`` grants them per role):
``contacts.view_contact`` to see, ``contacts.change_contact`` for the actions, ``contacts.add_contact`` to upload.
What a user sees inside is decided by the scoping selector (``ScopedAdmin``); who may reject a contact and who
sees full identity numbers by ``contacts.permissions``.
"""

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from contacts.admin.actions import ContactActions, ContactExport
from contacts.admin.contact_page import ContactPage
from contacts.admin.filters import OutOfCountyFilter, PeriodFilter, ProviderFilter, ReasonFilter, StartedRangeFilter
from contacts.admin.labels import reason_labels
from contacts.admin.upload import ContactUpload
from contacts.audit.models import ReadVia
from contacts.audit.services import identity_shown
from contacts.identifiers import PersonalIdentityError, mask_personal_identity, parse_personal_identity
from contacts.models import Contact
from contacts.permissions import sees_full_identity
from contacts.uploads.admin import ContactUploadFilter
from kernel.admin_history import person
from kernel.business_time import stockholm_today
from kernel.money import format_sek
from kernel.paginators import COUNT_CAP, CappedCountPaginator
from regions.admin_base import ScopedAdmin
from regions.identifiers import IdentifierError, normalize_hsa_id

# A search term ending with this is the beginning of external ids (never of identity numbers), at least MIN_PREFIX long.
PREFIX_MARK = "*"
MIN_PREFIX = 2


@admin.register(Contact)
class ContactAdmin(ContactActions, ContactExport, ContactUpload, ContactPage, ScopedAdmin):
    """The list (its columns, filters and search) and what the screen allows; its page, its actions and the
    upload are the mixins'."""

    own_history = True  # the page's history table (id="history")
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facets count every filter choice over the whole list
    list_per_page = 100
    ordering = ["-started_at", "-id"]  # the (…, started_at, id) indexes
    sortable_by = ["started_at"]
    list_filter = [
        PeriodFilter,
        StartedRangeFilter,
        "status",
        ReasonFilter,
        OutOfCountyFilter,
        "billing_region",
        "home_region",
        ProviderFilter,
        "profession",
        ContactUploadFilter,
    ]
    list_select_related = ["provider", "home_region", "billing_region", "profession"]
    # Matched exactly in get_search_results (never icontains): a full personal identity number or an external id.
    search_fields = ["=external_id", "=patient_id"]
    search_help_text = _(
        "A full personal identity number (YYYYMMDD-NNNN), a care provider's HSA-id, an exact external id, or the "
        "beginning of external ids followed by * (lk-2*)."
    )
    actions = ["reevaluate", "reject", "export_xlsx"]
    fieldsets = [
        (
            _("Reported facts"),
            {
                "fields": [
                    "provider",
                    "external_id",
                    "patient_identity",
                    "home_region",
                    "home_municipality",
                    "profession",
                    "started_at",
                    "mode",
                    "strong_authentication_display",
                    "triage_display",
                    "documented_display",
                    "content",
                    "patient_fee_display",
                    "listing_unit",
                    "care_unit",
                ]
            },
        ),
        (
            _("Evaluation"),
            {
                "fields": [
                    "billing_region",
                    "status",
                    "reason_list_display",
                    "recommendation",
                    "rate_display",
                    "amount_display",
                    "overridden_display",
                    "locked_display",
                    "evaluated_at",
                ]
            },
        ),
        (_("Criteria of the recommendation version"), {"fields": ["criteria_table"]}),
        (_("History"), {"fields": ["history_table"]}),
        (
            _("Provenance"),
            {
                "fields": [
                    "created_at",
                    "created_via",
                    "created_by_display",
                    "updated_at",
                    "updated_via",
                    "updated_by_display",
                ]
            },
        ),
    ]
    change_list_template = "admin/contacts/contact/change_list.html"

    # --- permissions: read-only detail, no add form, no delete -------------------------------------------

    def has_add_permission(self, request):
        # Contacts arrive through the API or the CSV upload (the intake path), never through an admin form.
        return False

    def has_change_permission(self, request, obj=None):
        # A contact's facts come from its provider and its result from the engine: the detail page is
        # read-only. Without an object this is the permission the actions check.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    # --- changelist --------------------------------------------------------------------------------------

    def get_list_display(self, request):
        @admin.display(description=_("personal identity number"))
        def patient(obj):
            if not sees_full_identity(request.user, obj):
                return mask_personal_identity(obj.patient_id)
            identity_shown(request, contact_id=obj.pk, via=ReadVia.ADMIN_LIST)
            return obj.patient_id

        # Nine columns that fit a 1280 px screen beside the sidebar (issue 15): the regions and the profession by
        # their codes, each naming itself on hover (<abbr title>), long names and reasons wrapped (utomlans/layout.css).
        return [
            "started_at",
            "external_id",
            "provider_name",
            patient,
            "regions_display",
            "profession_display",
            "status",
            "reasons_display",
            "amount_display",
        ]

    def get_list_display_links(self, request, list_display):
        return ["started_at", "external_id"]

    @admin.display(description=_("care provider"))
    def provider_name(self, obj):
        return obj.provider.name

    @admin.display(description=_("regions (billing → home)"))
    def regions_display(self, obj):
        return format_html(
            '<abbr title="{}">{}</abbr>&nbsp;→ <abbr title="{}">{}</abbr>',
            obj.billing_region.name,
            obj.billing_region_id,
            obj.home_region.name,
            obj.home_region_id,
        )

    @admin.display(description=_("profession"))
    def profession_display(self, obj):
        return format_html('<abbr title="{}">{}</abbr>', obj.profession.name, obj.profession_id)

    @admin.display(description=_("amount"))
    def amount_display(self, obj):
        return format_sek(obj.amount)

    @admin.display(description=_("rate"))
    def rate_display(self, obj):
        return format_sek(obj.rate) if obj.rate is not None else "–"

    @admin.display(description=_("patient fee"))
    def patient_fee_display(self, obj):
        return format_sek(obj.patient_fee)

    @admin.display(description=_("created by"))
    def created_by_display(self, obj):
        return person(obj.created_by) if obj.created_by_id else "–"

    @admin.display(description=_("last changed by"))
    def updated_by_display(self, obj):
        return person(obj.updated_by) if obj.updated_by_id else "–"

    def object_label(self, obj):
        return f"{obj.external_id} ({obj.provider.name})"

    @admin.display(description=_("reasons"))
    def reasons_display(self, obj):
        return format_html_join("", "<div>{}</div>", ((label,) for label in reason_labels(obj.reason_list))) or "–"

    def get_search_results(self, request, queryset, search_term):
        """One term: a full personal identity number (exactly that patient: never a prefix or part of a number),
        a provider's HSA-id, an external id exactly, or the beginning of external ids followed by ``*``
        (``lk-2*``). The search box posts the term; an identity number never reaches the address
        (``config.admin_lists``)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            identity = parse_personal_identity(term, today=stockholm_today())
        except PersonalIdentityError:
            pass
        else:
            if _autocomplete(request):
                # The admin's autocomplete endpoint takes its term in the address: an identity number must never
                # be there (nor in the access log), so it finds nothing through it.
                return queryset.none(), False
            return queryset.filter(patient_id=identity.number), False
        if term.endswith(PREFIX_MARK):
            prefix = term.rstrip(PREFIX_MARK)
            if len(prefix) < MIN_PREFIX:
                return queryset.none(), False
            return queryset.filter(external_id__startswith=prefix), False
        try:
            hsa_id = normalize_hsa_id(term)
        except IdentifierError:
            return queryset.filter(external_id=term), False
        return queryset.filter(Q(provider__hsa_id=hsa_id) | Q(external_id=term)), False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_upload_csv": self.has_upload_permission(request),
            "count_cap": COUNT_CAP,
        }
        return super().changelist_view(request, extra_context)


def _autocomplete(request) -> bool:
    """Whether the request is the admin's autocomplete endpoint (``/admin/autocomplete/?term=…``)."""
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "autocomplete"
