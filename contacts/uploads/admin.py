"""The admin's side of CSV uploads: the upload page's view (``upload_csv_view``, hooked into the contact admin), the
upload's own page with its progress and report, the list of the scope's uploads, and the contact list's "upload"
filter. Every screen is scoped by the one scoping selector: another region's or provider's upload is a 404."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contacts.csv_columns import upload_columns
from contacts.csv_upload import ParsedCsv, parse_contacts_csv
from contacts.forms import CsvUploadForm
from contacts.uploads import dry_run as dry_runs
from contacts.uploads import services
from contacts.uploads.models import ContactUpload
from contacts.uploads.selectors import refused_rows_csv, upload_report, uploads_recent, uploads_visible
from contacts.uploads.services import UploadRefused, contact_upload_process, contact_upload_start
from kernel.admin_history import person
from regions.admin_base import ScopedAdmin, ViewOnlyAdmin
from regions.selectors import scope_of

CHANGELIST = "admin:contacts_contact_changelist"
UPLOAD = "admin:contacts_contact_upload_csv"
UPLOADS = "admin:contacts_contactupload_changelist"
UPLOAD_REFUSED = "admin:contacts_contactupload_refused"
CHECKED_REFUSED = "admin:contacts_contact_upload_csv_checked_refused"


def upload_page_url(upload: ContactUpload) -> str:
    return reverse("admin:contacts_contactupload_change", args=[upload.pk])


def upload_label(upload: ContactUpload) -> str:
    """An upload in the filter: its file, when, and its number (the same file is often uploaded more than once)."""
    return f"{upload.file_name[:60]} {localtime(upload.created_at):%Y-%m-%d %H:%M} #{upload.pk}"


class ContactUploadFilter(admin.SimpleListFilter):
    """The contacts one upload stored (created, updated or unchanged), offered for the scope's recent uploads. An
    upload the user may not see, or none at all, shows no contacts."""

    title = _("upload")
    parameter_name = "upload"

    def lookups(self, request, model_admin):
        return [(str(upload.pk), upload_label(upload)) for upload in uploads_recent(request.user)]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdecimal() or not uploads_visible(request.user).filter(pk=int(value)).exists():
            return queryset.none()
        return queryset.filter(upload_links__upload_id=int(value))


def parse_upload(file_name: str, content: bytes) -> ParsedCsv:
    """The uploaded file read into items: the one entry point of the upload, its check and the storing of a checked
    file."""
    return parse_contacts_csv(content, file_name=file_name)


def upload_csv_view(model_admin, request):
    """The contact admin's "Upload contacts (CSV)" page. A readable file of at most ``SYNC_MAX_ROWS`` rows is stored
    at once and its report shown here; a larger one is queued and the clerk is sent to the upload's own page.

    "Check without saving" (``dry_run`` in the form) runs the same upload and rolls it back
    (``contact_upload_dry_run``), shows what it would store and keeps the file in the session; "Save" (``store``
    with the kept file's token) then uploads that file as if it were sent again."""
    if not model_admin.has_upload_permission(request):
        raise PermissionDenied
    store = request.method == "POST" and "store" in request.POST
    form = CsvUploadForm(None if store else request.POST or None, None if store else request.FILES or None)
    report = None
    upload = None
    running = None
    dry_run = None
    checked_token = None
    file_errors: list[str] = []
    changelist_url = reverse(CHANGELIST)
    file_name = content = None
    if store:
        kept = dry_runs.kept_file_take(request.session, user=request.user, token=request.POST.get("token", ""))
        if kept is None:
            file_errors = [
                gettext(
                    "The checked file is no longer kept (it is kept for %(minutes)d minutes, until it is saved or "
                    "another file is checked). Choose it again."
                )
                % {"minutes": dry_runs.KEPT_FOR.seconds // 60}
            ]
        else:
            file_name, content = kept["file_name"], kept["content"]
    elif request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        file_name, content = file.name, file.read()
    if content is not None:
        parsed = parse_upload(file_name, content)
        file_errors = parsed.errors
        if not file_errors and not parsed.items:
            file_errors = [gettext("The file has a header row but no contacts.")]
        if not file_errors and not store and "dry_run" in request.POST:
            try:
                dry_run = dry_runs.contact_upload_dry_run(
                    user=request.user, file_name=file_name, content=content, parsed=parsed
                )
            except dry_runs.DryRunRefused as exc:
                file_errors = [str(exc)]
            except UploadRefused as exc:
                file_errors, running = [str(exc)], exc.running
            else:
                checked_token = dry_runs.kept_file_put(
                    request.session, user=request.user, file_name=file_name, content=content, refused=dry_run.rejected
                )
        elif not file_errors:
            try:
                upload = contact_upload_start(user=request.user, file_name=file_name, content=content, parsed=parsed)
            except UploadRefused as exc:
                file_errors, running = [str(exc)], exc.running
            else:
                if services.upload_in_background(upload):
                    return redirect(upload_page_url(upload))
                upload = contact_upload_process(upload=upload, parsed=parsed)
                report = upload_report(upload, changelist_url=changelist_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Upload contacts (CSV)"),
        "opts": model_admin.opts,
        "form": form,
        "file_errors": file_errors,
        "report": report,
        "upload": upload,
        "upload_url": upload_page_url(upload) if upload else None,
        "refused_csv_url": reverse(UPLOAD_REFUSED, args=[upload.pk]) if upload else None,
        "dry_run": dry_run,
        "checked_file_name": file_name if dry_run else None,
        "checked_token": checked_token,
        "checked_refused_url": reverse(CHECKED_REFUSED, args=[checked_token]) if checked_token else None,
        "kept_minutes": dry_runs.KEPT_FOR.seconds // 60,
        "running_url": upload_page_url(running) if running else None,
        "uploads_url": reverse(UPLOADS),
        "changelist_url": changelist_url,
        "template_url": reverse("admin:contacts_contact_upload_csv_template"),
        "columns": upload_columns(request.user),
        "sync_max_rows": services.count_text(services.SYNC_MAX_ROWS),
        "max_rows": services.count_text(services.MAX_ROWS),
        "dry_run_max_rows": services.count_text(dry_runs.DRY_RUN_MAX_ROWS),
    }
    return TemplateResponse(request, "admin/contacts/contact/upload_csv.html", context)


def refused_csv_response(rows: list[dict], file_name: str) -> HttpResponse:
    response = HttpResponse(refused_rows_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "no-store"  # personal identity numbers
    return response


def checked_refused_csv_view(model_admin, request, token: str):
    """The refused rows of the file checked last (kept in the session under that token), as CSV; 404 once it is no
    longer kept."""
    if not model_admin.has_upload_permission(request):
        raise PermissionDenied
    kept = dry_runs.kept_file(request.session, user=request.user, token=token)
    if kept is None:
        raise Http404(gettext("The checked file is no longer kept."))
    return refused_csv_response(kept["refused"], "avvisade-rader.csv")


@admin.register(ContactUpload)
class ContactUploadAdmin(ViewOnlyAdmin, ScopedAdmin):
    """The scope's uploads (newest first) and each upload's own page; read-only, seen by whoever may see contacts."""

    list_display = [
        "created_at",
        "file_name",
        "uploaded_by_display",
        "status",
        "progress_display",
        "row_count",
        "created",
        "updated",
        "unchanged",
        "rejected",
    ]
    list_display_links = ["created_at", "file_name"]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("contacts.view_contact") and scope_of(request.user).role is not None

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content", "report")

    @admin.display(description=_("uploaded by"))
    def uploaded_by_display(self, obj):
        return person(obj.uploaded_by)

    @admin.display(description=_("progress"))
    def progress_display(self, obj):
        return format_html(
            '<progress max="100" value="{}">{} %</progress> {} %', obj.progress, obj.progress, obj.progress
        )

    def get_urls(self):
        return [
            path(
                "<int:upload_id>/refused.csv",
                self.admin_site.admin_view(self.refused_csv_view),
                name="contacts_contactupload_refused",
            ),
            *super().get_urls(),
        ]

    def refused_csv_view(self, request, upload_id: int):
        """The upload's refused rows as CSV, for whoever may see the upload (another scope's upload is a 404)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        upload = uploads_visible(request.user).only("report").filter(pk=upload_id).first()
        if upload is None:
            raise Http404(gettext("No such upload."))
        return refused_csv_response(upload.report, f"avvisade-rader-{upload.pk}.csv")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The upload's own page: status and progress while it runs (the page reloads itself), then the report."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        upload = None
        if object_id.isdecimal():
            upload = (
                uploads_visible(request.user)
                .defer("content")
                .select_related("uploaded_by")
                .filter(pk=int(object_id))
                .first()
            )
        if upload is None:
            raise Http404(gettext("No such upload."))
        changelist_url = reverse(CHANGELIST)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Upload of %(file)s") % {"file": upload.file_name},
            "opts": self.opts,
            "upload": upload,
            "uploaded_by": person(upload.uploaded_by),
            "uploaded_at": localize(localtime(upload.created_at)),
            "report": upload_report(upload, changelist_url=changelist_url) if upload.finished else None,
            "refresh": not upload.finished,
            "changelist_url": changelist_url,
            "uploads_url": reverse(UPLOADS),
            "upload_csv_url": reverse(UPLOAD),
            "refused_csv_url": reverse(UPLOAD_REFUSED, args=[upload.pk]),
        }
        return TemplateResponse(request, "admin/contacts/contactupload/upload.html", context)
