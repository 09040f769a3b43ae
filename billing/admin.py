"""Admin for clerks and managers: invoice runs with live progress, invoices with their workflow buttons."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.documents import render_invoice_pdf
from billing.models import TRANSITIONS, Invoice, InvoiceRun, InvoiceStatus, RunStatus, Transition
from billing.permissions import can_render_documents, can_start_run, can_transition
from billing.runs import invoice_runs_fail_abandoned
from billing.selectors import invoice_totals
from billing.services import TRANSITION_SERVICES, invoice_documents_render, invoice_run_start
from config.business_time import add_months, stockholm_today
from config.errors import DomainError
from config.money import format_sek
from contacts.audit.models import ReadVia
from contacts.audit.services import specification_shown
from regions.admin_base import ScopedAdmin, change_history_table
from regions.models import RateCategory, Region, Role
from regions.selectors import scope_of

# --- Runs ------------------------------------------------------------------------------------------


class StartRunForm(forms.Form):
    billing_region = forms.ModelChoiceField(queryset=Region.objects.none(), label=_("billing region"))
    period = forms.CharField(label=_("period"), max_length=7, help_text="YYYY-MM")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_of(user)
        regions = Region.objects.all() if scope.national else Region.objects.filter(code=scope.region_code)
        self.fields["billing_region"].queryset = regions
        if regions.count() == 1:
            self.fields["billing_region"].initial = regions.first()
        self.fields["period"].initial = f"{add_months(stockholm_today(), -1):%Y-%m}"


@admin.register(InvoiceRun)
class InvoiceRunAdmin(ScopedAdmin):
    list_display = ["created_at", "billing_region", "period", "status", "progress_bar", "invoice_count", "started_by"]
    list_filter = ["status", "period"]
    list_select_related = ["billing_region", "started_by"]
    readonly_fields = [
        "billing_region",
        "period",
        "status",
        "progress_bar",
        "error",
        "started_by",
        "started_via",
        "created_at",
        "started_at",
        "finished_at",
        "invoice_links",
    ]
    exclude = ["invoices", "progress"]
    change_list_template = "admin/billing/invoicerun/change_list.html"

    @admin.display(description=_("progress"))
    def progress_bar(self, obj):
        return format_html(
            '<progress max="100" value="{}">{} %</progress> {} %', obj.progress, obj.progress, obj.progress
        )

    @admin.display(description=_("invoices"))
    def invoice_count(self, obj):
        return obj.invoices.count()

    @admin.display(description=_("invoices"))
    def invoice_links(self, obj):
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                ((reverse("admin:billing_invoice_change", args=[i.pk]), str(i)) for i in obj.invoices.all()),
            )
            or "–"
        )

    def has_change_permission(self, request, obj=None):
        return False  # runs are records; they are started, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return super().has_add_permission(request) and scope_of(request.user).role is not None

    def add_view(self, request, form_url="", extra_context=None):
        """Start a run: the billing region (the clerk's own) and the period, then the run list shows its progress."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StartRunForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            region = form.cleaned_data["billing_region"]
            if not can_start_run(request.user, region.code):
                raise PermissionDenied
            try:
                run = invoice_run_start(
                    billing_region=region.code, period=form.cleaned_data["period"], by=request.user, via="admin"
                )
            except DomainError as exc:
                for field, errors in getattr(exc, "errors", {"period": [str(exc)]}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                self.message_user(
                    request,
                    gettext("Invoice run for %(region)s %(period)s started.")
                    % {"region": region, "period": run.period},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:billing_invoicerun_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": gettext("Start an invoice run"),
        }
        return TemplateResponse(request, "admin/billing/invoicerun/start.html", context)

    def changelist_view(self, request, extra_context=None):
        # A run whose worker died is shown failed, with why, instead of "running" (and refreshing) forever.
        invoice_runs_fail_abandoned(runs=self.get_queryset(request))
        active = self.get_queryset(request).filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists()
        return super().changelist_view(request, {**(extra_context or {}), "refresh": active})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice_runs_fail_abandoned(runs=self.get_queryset(request))
        return super().change_view(request, object_id, form_url, extra_context)


# --- Invoices --------------------------------------------------------------------------------------


class AwaitingMyApprovalFilter(admin.SimpleListFilter):
    """For managers: submitted invoices of their region that someone else submitted."""

    title = _("awaiting")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("my-approval", _("my approval"))]

    def queryset(self, request, queryset):
        if self.value() == "my-approval":
            scope = scope_of(request.user)
            return queryset.filter(status=InvoiceStatus.SUBMITTED, seller_id=scope.region_code).exclude(
                submitted_by=request.user
            )
        return queryset


INVOICE_ACTIONS = {
    **dict(Transition.choices),
    "created": _("Created by an invoice run"),
    "refreshed": _("Refreshed by an invoice run"),
    "render_documents": _("PDFs rendered again"),
}
INVOICE_VIAS = {"run": _("Invoice run"), "schedule": _("Schedule")}


def _status_label(status: str) -> str | None:
    return str(InvoiceStatus(status).label) if status in InvoiceStatus.values else (status or None)


INVOICE_FIELD_LABELS = {
    "total": _("total"),
    "contact_count": _("contacts"),
    "number": _("number"),
    "specification_id": _("specification id"),
    "issue_date": _("issue date"),
    "due_date": _("due date"),
    "status": _("status"),
}


@admin.register(Invoice)
class InvoiceAdmin(ScopedAdmin):
    list_display = [
        "__str__",
        "kind",
        "seller",
        "buyer",
        "period",
        "status",
        "total_display",
        "contact_count",
        "issue_date",
        "due_date",
    ]
    list_filter = [AwaitingMyApprovalFilter, "status", "kind", "period", "seller", "buyer"]
    list_select_related = ["seller", "buyer"]
    search_fields = ["=number", "=specification_id"]
    readonly_fields = [
        "number",
        "kind",
        "seller",
        "buyer",
        "period",
        "status",
        "issue_date",
        "due_date",
        "total_display",
        "contact_count",
        "credits",
        "credit_reason",
        "specification_id",
        "submitted_by",
        "submitted_at",
        "approved_by",
        "approved_at",
        "sent_at",
        "paid_at",
        "totals_table",
        "documents",
        "lines_preview",
        "history",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "kind",
                    "status",
                    "seller",
                    "buyer",
                    "period",
                    "issue_date",
                    "due_date",
                    "specification_id",
                    "credits",
                    "credit_reason",
                ]
            },
        ),
        (_("Totals"), {"fields": ["total_display", "contact_count", "totals_table"]}),
        (_("Documents"), {"fields": ["documents"]}),
        (_("Lines"), {"fields": ["lines_preview"]}),
        (
            _("Workflow"),
            {"fields": ["submitted_by", "submitted_at", "approved_by", "approved_at", "sent_at", "paid_at"]},
        ),
        (_("History"), {"fields": ["history"]}),
    ]

    @admin.display(description=_("history"))
    def history(self, obj):
        events = list(obj.events.select_related("actor").order_by("at", "id"))
        for event in events:  # as read: the status step is part of what changed, amounts in kronor
            changes = dict(event.changes)
            if event.from_status != event.to_status:
                changes = {"status": [_status_label(event.from_status), _status_label(event.to_status)], **changes}
            if "total" in changes:
                changes["total"] = [format_sek(Decimal(v)) if v is not None else None for v in changes["total"]]
            event.changes = changes
        return change_history_table(events, labels=INVOICE_FIELD_LABELS, actions=INVOICE_ACTIONS, vias=INVOICE_VIAS)

    change_form_template = "admin/billing/invoice/change_form.html"
    actions = ["render_documents_again"]
    LINES_SHOWN = 100

    @admin.action(description=_("Render the PDFs again"), permissions=["render_documents"])
    def render_documents_again(self, request, queryset):
        """For approved invoices whose PDFs are missing (rendering failed for good) or need rendering anew."""
        queued, refused = [], []
        for invoice in queryset.order_by("pk"):
            if not can_render_documents(request.user, invoice):
                refused.append(
                    gettext("%(invoice)s: only the seller's clerks and managers may render its PDFs again.")
                    % {"invoice": invoice}
                )
                continue
            try:
                invoice_documents_render(invoice=invoice, by=request.user, via="admin")
            except DomainError as exc:
                refused.append(str(exc))
            else:
                queued.append(str(invoice))
        if queued:
            self.message_user(
                request,
                gettext("The PDFs of %(invoices)s are being rendered again.") % {"invoices": ", ".join(queued)},
                messages.SUCCESS,
            )
        for text in refused:
            self.message_user(request, text, messages.ERROR)

    def has_render_documents_permission(self, request):
        return scope_of(request.user).role in (Role.CLERK, Role.MANAGER)

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, obj):
        return format_sek(obj.total)

    @admin.display(description=_("totals per category"))
    def totals_table(self, obj):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    RateCategory(t.category).label,
                    t.count,
                    format_sek(t.rate),
                    format_sek(t.gross),
                    format_sek(t.patient_fees),
                    format_sek(t.net),
                )
                for t in invoice_totals(obj)
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            gettext("Category"),
            gettext("Count"),
            gettext("Rate"),
            gettext("Gross"),
            gettext("Patient fees"),
            gettext("Net"),
            rows,
        )

    @admin.display(description=_("documents"))
    def documents(self, obj):
        links = [
            (
                reverse("admin:billing_invoice_pdf", args=[obj.pk]),
                gettext("Invoice PDF") if obj.is_frozen else gettext("Preview PDF"),
            )
        ]
        links.append((reverse("api-v1:invoice-specification-csv", args=[obj.pk]), gettext("Specification (CSV)")))
        if obj.specification_pdf:
            links.append(
                (reverse("admin:billing_invoice_specification", args=[obj.pk]), gettext("Specification (PDF)"))
            )
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.display(description=_("lines"))
    def lines_preview(self, obj):
        lines = obj.lines.select_related("contact", "recommendation").order_by("id")[: self.LINES_SHOWN]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    line.contact.external_id,
                    line.contact.started_at.date().isoformat(),
                    line.contact.profession_id,
                    line.recommendation.code,
                    format_sek(line.rate),
                    format_sek(line.amount),
                )
                for line in lines
            ),
        )
        more = ""
        if obj.contact_count > self.LINES_SHOWN:
            more = gettext("The first %(shown)d of %(count)d lines; the CSV specification has them all.") % {
                "shown": self.LINES_SHOWN,
                "count": obj.contact_count,
            }
        return format_html("<table><tbody>{}</tbody></table><p>{}</p>", rows, more)

    def has_add_permission(self, request):
        return False  # invoices come from runs (and credit notes from disputes)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        custom = [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_invoice_pdf"),
            path(
                "<int:pk>/specification/",
                self.admin_site.admin_view(self.specification_view),
                name="billing_invoice_specification",
            ),
            path(
                "<int:pk>/transition/<str:transition>/",
                self.admin_site.admin_view(self.transition_view),
                name="billing_invoice_transition",
            ),
        ]
        return custom + super().get_urls()

    def _invoice(self, request, pk) -> Invoice:
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def pdf_view(self, request, pk):
        invoice = self._invoice(request, pk)
        # The stored PDF once approved; a draft or submitted invoice is previewed as it stands.
        stored = invoice.is_frozen and invoice.pdf
        content = invoice.pdf.open("rb").read() if stored else render_invoice_pdf(invoice)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="faktura-{invoice.number or invoice.pk}.pdf"'
        return response

    def specification_view(self, request, pk):
        invoice = self._invoice(request, pk)
        if not invoice.specification_pdf:
            raise PermissionDenied
        response = HttpResponse(invoice.specification_pdf.open("rb").read(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="fakturaunderlag-{invoice.number}.pdf"'
        specification_shown(request, invoice=invoice, via=ReadVia.PDF_SPECIFICATION)
        return response

    def allowed_transitions(self, request, invoice: Invoice) -> list[str]:
        """Exactly the transitions this user may take now (status, role, and the four-eyes rule)."""
        allowed = []
        for transition, (sources, _target) in TRANSITIONS.items():
            if invoice.status not in sources or not can_transition(request.user, invoice, transition):
                continue
            if transition == Transition.APPROVE and invoice.submitted_by_id == request.user.pk:
                continue
            allowed.append(transition)
        return allowed

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice = self.get_object(request, object_id)
        buttons = []
        if invoice is not None:
            buttons = [
                {
                    "url": reverse("admin:billing_invoice_transition", args=[invoice.pk, transition]),
                    "label": Transition(transition).label,
                    "transition": transition,
                    "confirm": transition in (Transition.APPROVE, Transition.MARK_PAID),
                    "needs_note": transition == Transition.RETURN,
                }
                for transition in self.allowed_transitions(request, invoice)
            ]
        # The buyer's staff open objections from the lines of an approved invoice.
        objectable = []
        if invoice is not None and invoice.is_frozen and scope_of(request.user).region_code == invoice.buyer_id:
            lines = invoice.lines.filter(credit=False).select_related("contact").order_by("id")[: self.LINES_SHOWN]
            objectable = [
                (
                    line.contact.external_id,
                    format_sek(line.amount),
                    reverse("admin:contacts_dispute_open", args=[line.contact_id]),
                )
                for line in lines
            ]
        # Every field is read-only: the page offers the workflow buttons instead of "Save".
        context = {
            **(extra_context or {}),
            "objectable": objectable,
            "transitions": buttons,
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, context)

    def transition_view(self, request, pk, transition):
        if request.method != "POST" or transition not in TRANSITION_SERVICES:
            raise PermissionDenied
        invoice = self._invoice(request, pk)
        if not can_transition(request.user, invoice, transition):
            raise PermissionDenied
        kwargs = {"note": request.POST.get("note", "")} if transition == Transition.RETURN else {}
        try:
            invoice = TRANSITION_SERVICES[transition](invoice=invoice, by=request.user, via="admin", **kwargs)
        except DomainError as exc:
            errors = getattr(exc, "errors", None)
            text = " ".join(m for ms in errors.values() for m in ms) if errors else str(exc)
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("%(action)s of %(invoice)s done.")
                % {"action": Transition(transition).label, "invoice": invoice},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[pk]))
