"""The registers in the admin: the upload page, the history of loads, and the entries (identity numbers masked in
the lists; the full number on an entry's own page, recorded in the identity-read log). Only the buyer region's own
staff see any of it (``registers_visible_to``); anything else is a 404."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contacts.audit.models import ReadVia
from contacts.audit.services import register_entries_shown
from contacts.identifiers import PersonalIdentityError, parse_personal_identity
from kernel.business_time import stockholm_today
from regions.admin_base import ScopedAdmin
from review.forms import RegisterUploadForm
from review.loading import RegisterLoadError, register_load
from review.models import ListingEntry, LoadVia, PopulationEntry, RegisterLoad
from review.permissions import register_region
from review.selectors import registers_visible_to


class RegisterAdminBase(ScopedAdmin):
    def get_queryset(self, request):
        return registers_visible_to(request.user, super(ScopedAdmin, self).get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryAdmin(RegisterAdminBase):
    """Entries: the list shows masked numbers; a full number is searched for exactly and shown on the entry's page."""

    kind = ""
    search_fields = ("personal_identity",)
    search_help_text = _("A full personal identity number (12 digits, or YYYYMMDD-NNNN).")
    list_filter = ("valid_to",)
    show_full_result_count = False

    @admin.display(description=_("personal identity number"), ordering="personal_identity")
    def masked_identity(self, obj):
        return obj.masked_identity

    @admin.display(description=_("personal identity number"))
    def full_identity(self, obj):
        return obj.personal_identity

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            number = parse_personal_identity(term, today=stockholm_today()).number
        except PersonalIdentityError:
            return queryset.none(), False
        return queryset.filter(personal_identity=number), False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        region = register_region(request.user)
        if response.status_code == 200 and region:
            register_entries_shown(request, register=f"{self.kind}:{region}", count=1, via=ReadVia.ADMIN_REGISTER)
        return response


@admin.register(PopulationEntry)
class PopulationEntryAdmin(EntryAdmin):
    kind = "population"
    list_display = ("masked_identity", "lan_code", "municipality_code", "valid_from", "valid_to")
    fields = ("full_identity", "region", "lan_code", "municipality_code", "valid_from", "valid_to")
    readonly_fields = fields


@admin.register(ListingEntry)
class ListingEntryAdmin(EntryAdmin):
    kind = "listing"
    list_display = ("masked_identity", "unit_hsa_id", "unit_org_number", "valid_from", "valid_to")
    fields = ("full_identity", "region", "unit_hsa_id", "unit_org_number", "valid_from", "valid_to")
    readonly_fields = fields


@admin.register(RegisterLoad)
class RegisterLoadAdmin(RegisterAdminBase):
    list_display = (
        "loaded_at",
        "kind",
        "mode",
        "file_name",
        "loaded_by",
        "rows",
        "inserted",
        "updated",
        "deleted",
        "refused",
    )
    list_filter = ("kind", "mode")
    fields = (
        "region",
        "kind",
        "mode",
        "via",
        "file_name",
        "loaded_by",
        "loaded_at",
        "period_from",
        "period_to",
        "rows",
        "inserted",
        "updated",
        "deleted",
        "refused",
        "error_lines",
        "seconds",
    )
    readonly_fields = fields

    @admin.display(description=_("errors"))
    def error_lines(self, obj):
        rows = []
        for error in obj.errors:
            problems = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in error["errors"].items())
            if error["line"]:
                rows.append((gettext("Line %(line)d: %(problems)s") % {"line": error["line"], "problems": problems},))
            else:
                rows.append((gettext("The file: %(problems)s") % {"problems": problems},))
        return format_html_join("", "<p>{}</p>", rows)

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="review_registerload_upload"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = (extra_context or {}) | {"upload_url": reverse("admin:review_registerload_upload")}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request):
        region = register_region(request.user)
        if region is None or not request.user.has_perm("review.add_registerload"):
            raise PermissionDenied
        form = RegisterUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.REGISTER_MAX_UPLOAD_BYTES:
                form.add_error("file", gettext("The file is too large."))
            else:
                try:
                    load = register_load(
                        region_code=region,
                        kind=form.cleaned_data["kind"],
                        mode=form.cleaned_data["mode"],
                        period_from=form.cleaned_data["period_from"],
                        period_to=form.cleaned_data["period_to"],
                        data=upload.read(),
                        user=request.user,
                        via=LoadVia.ADMIN,
                        file_name=upload.name or "",
                    )
                except RegisterLoadError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.info(
                        request,
                        gettext(
                            "%(rows)d rows: %(inserted)d inserted, %(updated)d updated, %(deleted)d deleted, "
                            "%(refused)d refused."
                        )
                        % {
                            "rows": load.rows,
                            "inserted": load.inserted,
                            "updated": load.updated,
                            "deleted": load.deleted,
                            "refused": load.refused,
                        },
                    )
                    return redirect(reverse("admin:review_registerload_change", args=[load.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Load a register file"),
            "form": form,
            "changelist_url": reverse("admin:review_registerload_changelist"),
        }
        return TemplateResponse(request, "admin/review/registerload/upload.html", context)
