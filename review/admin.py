"""The registers in the admin: the upload page, the history of loads, and the entries (identity numbers masked in
the lists; the full number on an entry's own page, recorded in the identity-read log). Only the buyer region's own
staff see any of it (``registers_visible_to``); anything else is a 404."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.display import invoice_label
from billing.models import Invoice
from contacts.audit.models import ReadVia
from contacts.audit.services import register_entries_shown
from contacts.identifiers import PersonalIdentityError, parse_personal_identity
from disputes.admin import InvoiceAdmin as DisputesInvoiceAdmin
from kernel.business_time import stockholm_today
from kernel.errors import DomainError
from kernel.history import Via
from regions.admin_base import ScopedAdmin, ViewOnlyAdmin
from review import screen
from review.forms import RegisterUploadForm
from review.loading import RegisterLoadError, register_load
from review.models import ListingEntry, LoadVia, PopulationEntry, RegisterLoad
from review.permissions import register_region
from review.selectors import InvoiceReview, invoice_review, registers_visible_to, reviewable_invoices
from review.services import objections_open_bulk


class RegisterAdminBase(ViewOnlyAdmin, ScopedAdmin):
    def get_queryset(self, request):
        return registers_visible_to(request.user, super(ScopedAdmin, self).get_queryset(request))


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


# ---------------------------------------------------------------------------------------------------
# The review of a received invoice, from the invoice's page
# ---------------------------------------------------------------------------------------------------


class InvoiceAdmin(DisputesInvoiceAdmin):
    """The invoice screen with the buyer's review: a link "Granska" on an invoice the user's region received, and
    the review's page (totals per flag, the flagged lines with their reasons, CSV and XLSX exports). Registered in
    place of the disputes' screen, from above them."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:invoice_id>/review/", view(self.review_view), name="billing_invoice_review"),
            path("<int:invoice_id>/review/export.csv", view(self.review_csv_view), name="billing_invoice_review_csv"),
            path(
                "<int:invoice_id>/review/export.xlsx", view(self.review_xlsx_view), name="billing_invoice_review_xlsx"
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("documents"))
    def documents(self, obj):
        links = super().documents(obj)
        request = getattr(obj, "_request", None)
        if request is None or not reviewable_invoices(request.user).filter(pk=obj.pk).exists():
            return links
        review = format_html(
            '<a href="{}" data-action="review">{}</a>',
            reverse("admin:billing_invoice_review", args=[obj.pk]),
            gettext("Review"),
        )
        return format_html("{} · {}", links, review)

    def _review(self, request, invoice_id: int) -> InvoiceReview:
        """The review of an invoice the user's region received; a 404 for anything else."""
        return invoice_review(get_object_or_404(reviewable_invoices(request.user), pk=invoice_id))

    def review_view(self, request, invoice_id: int):
        review = self._review(request, invoice_id)
        invoice = review.invoice
        flag = screen.selected_flag(request.GET.get("flag"))
        may_object = screen.may_object(request.user, invoice)
        if request.method == "POST":
            if not may_object:
                raise PermissionDenied
            return self._object_to_selected(request, invoice)
        totals = review.totals()
        paginator = Paginator(screen.flagged_lines(review, flag), screen.LINES_PER_PAGE)
        # The count from the totals' pass (the flag's lines, or the lines with any flag), not a second pass.
        paginator.count = next(total.lines for total in totals if total.flag == flag) if flag else review.flagged_count
        page = paginator.get_page(request.GET.get("p"))
        query = f"?flag={flag}" if flag else ""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Review of %(invoice)s") % {"invoice": invoice_label(invoice)},
            "invoice": invoice,
            "invoice_url": reverse("admin:billing_invoice_change", args=[invoice.pk]),
            "totals": [
                {
                    "flag": total.flag,
                    "label": total.flag.label,
                    "credit_reason": screen.credit_reason_label(total.credit_reason),
                    "lines": total.lines,
                    "amount": total.amount,
                    "selected": total.flag == flag,
                }
                for total in totals
            ],
            "flag": flag,
            "page": page,
            "rows": screen.review_rows(review, page.object_list),
            "csv_url": reverse("admin:billing_invoice_review_csv", args=[invoice.pk]) + query,
            "xlsx_url": reverse("admin:billing_invoice_review_xlsx", args=[invoice.pk]) + query,
            "query": f"flag={flag}&" if flag else "",
            "may_object": may_object,
        }
        return TemplateResponse(request, "admin/review/invoice/review.html", context)

    def _object_to_selected(self, request, invoice):
        """The action "object to the selected lines": one objection per selected line, all in one transaction."""
        try:
            line_ids = [int(value) for value in request.POST.getlist("line")]
        except ValueError:
            line_ids = []
        if not line_ids:
            messages.error(request, gettext("Select the lines to object to."))
        else:
            try:
                result = objections_open_bulk(invoice=invoice, line_ids=line_ids, by=request.user, via=Via.ADMIN)
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                level = messages.SUCCESS if result.opened else messages.WARNING
                messages.add_message(request, level, result.summary())
        return redirect(request.get_full_path())

    def review_csv_view(self, request, invoice_id: int):
        review = self._review(request, invoice_id)
        rows = screen.review_csv(request, review, screen.selected_flag(request.GET.get("flag")))
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        name = f"granskning-{review.invoice.number or review.invoice.pk}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def review_xlsx_view(self, request, invoice_id: int):
        review = self._review(request, invoice_id)
        return screen.review_xlsx(request, review, screen.selected_flag(request.GET.get("flag")))


admin.site.unregister(Invoice)
admin.site.register(Invoice, InvoiceAdmin)
