"""Invoice runs: started from the admin for a billing region and a period, followed live until they finish."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.display import invoice_label, progress_bar
from billing.models import (
    InvoiceRun,
    RunStatus,
)
from billing.permissions import (
    can_start_run,
)
from billing.runs import invoice_runs_fail_abandoned
from billing.services import invoice_run_start
from kernel.admin_history import person
from kernel.business_time import add_months, stockholm_today
from kernel.errors import DomainError
from kernel.forms import CheckedInputForm
from kernel.history import Via
from kernel.money import format_sek
from regions.admin_base import ScopedAdmin
from regions.models import Region
from regions.selectors import scope_of

# --- Runs ------------------------------------------------------------------------------------------


class StartRunForm(CheckedInputForm, forms.Form):
    code_fields = ("period",)
    billing_region = forms.ModelChoiceField(queryset=Region.objects.none(), label=capfirst(_("billing region")))
    period = forms.CharField(label=capfirst(_("period")), max_length=7, help_text=_("YYYY-MM"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_of(user)
        regions = Region.objects.all() if scope.national else Region.objects.filter(code=scope.region_code)
        self.fields["billing_region"].queryset = regions
        if regions.count() == 1:
            self.fields["billing_region"].initial = regions.first()
        self.fields["period"].initial = f"{add_months(stockholm_today(), -1):%Y-%m}"


RUN_VIAS = {
    "admin": _("Admin"),
    "api": _("API"),
    "schedule": _("Schedule"),
    "demo": _("Demo data"),
}


def run_started_by(run: InvoiceRun) -> str:
    """Who started a run: the person, or the schedule (or the interface) when no one did."""
    if run.started_by_id is not None:
        return person(run.started_by)
    return str(RUN_VIAS.get(run.started_via, run.started_via))


@admin.register(InvoiceRun)
class InvoiceRunAdmin(ScopedAdmin):
    list_display = ["created_at", "billing_region", "period", "status", "progress_bar", "invoice_count", "started"]
    list_filter = ["status", "period"]
    list_select_related = ["billing_region", "started_by"]
    readonly_fields = [
        "billing_region",
        "period_display",
        "status",
        "progress_bar",
        "error",
        "started",
        "via",
        "created_at",
        "started_at",
        "finished_at",
        "invoice_links",
    ]
    fields = readonly_fields
    change_list_template = "admin/billing/invoicerun/change_list.html"
    change_form_template = "admin/billing/invoicerun/change_form.html"

    def get_queryset(self, request):
        # The invoices of every run of the page in the same query (no count per row).
        return super().get_queryset(request).annotate(invoice_total=Count("invoices"))

    def get_list_filter(self, request):
        # Region staff see their own region's runs only; a national admin filters by region.
        return [*self.list_filter, "billing_region"] if scope_of(request.user).national else self.list_filter

    def object_label(self, obj):
        return gettext("%(region)s, %(period)s") % {"region": obj.billing_region.name, "period": obj.period}

    @admin.display(description=_("progress"))
    def progress_bar(self, obj):
        return progress_bar(obj)

    @admin.display(description=_("invoices"), ordering="invoice_total")
    def invoice_count(self, obj):
        return obj.invoice_total

    @admin.display(description=_("period"))
    def period_display(self, obj):
        return obj.period

    @admin.display(description=_("started by"))
    def started(self, obj):
        return run_started_by(obj)

    @admin.display(description=_("started via"))
    def via(self, obj):
        return RUN_VIAS.get(obj.started_via, obj.started_via)

    @admin.display(description=_("invoices"))
    def invoice_links(self, obj):
        """The invoices the run made or refreshed, each with its status and total; once it has finished, a link to
        them in the invoice list."""
        invoices = obj.invoices.select_related("buyer").order_by("buyer_id", "pk")
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> – {}, {}</li>',
            (
                (
                    reverse("admin:billing_invoice_change", args=[invoice.pk]),
                    invoice_label(invoice),
                    invoice.get_status_display(),
                    format_sek(invoice.total),
                )
                for invoice in invoices
            ),
        )
        if obj.status in (RunStatus.QUEUED, RunStatus.RUNNING):
            return gettext("The run has not finished: this page updates itself until it has.")
        if not items:
            return gettext("No invoices: there was nothing to invoice for the period.")
        listing = reverse("admin:billing_invoice_changelist") + (
            f"?seller__code__exact={obj.billing_region_id}&period={obj.period}"
        )
        return format_html(
            '<ul class="run-invoices">{}</ul><p><a href="{}" class="run-invoice-list">{}</a></p>',
            items,
            listing,
            gettext("Show the invoices of %(region)s for %(period)s in the invoice list")
            % {"region": obj.billing_region.name, "period": obj.period},
        )

    def has_change_permission(self, request, obj=None):
        return False  # runs are records; they are started, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return super().has_add_permission(request) and scope_of(request.user).role is not None

    def add_view(self, request, form_url="", extra_context=None):
        """Start a run: the billing region (the clerk's own) and the period, then the run's page shows its progress."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StartRunForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            region = form.cleaned_data["billing_region"]
            if not can_start_run(request.user, region.code):
                raise PermissionDenied
            try:
                run = invoice_run_start(
                    billing_region=region.code, period=form.cleaned_data["period"], by=request.user, via=Via.ADMIN
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
                return HttpResponseRedirect(reverse("admin:billing_invoicerun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": gettext("Start an invoice run"),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/billing/invoicerun/start.html", context)

    def changelist_view(self, request, extra_context=None):
        # A run whose worker died is shown failed, with why, instead of "running" (and refreshing) forever.
        invoice_runs_fail_abandoned(runs=self.get_queryset(request))
        active = self.get_queryset(request).filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists()
        return super().changelist_view(request, {**(extra_context or {}), "refresh": active})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice_runs_fail_abandoned(runs=self.get_queryset(request))
        run = self.get_object(request, object_id)
        # A queued or running run's page reloads itself (a meta refresh: no script) until the run has finished.
        active = run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "refresh": active})
