"""Invoices: the list with its filters, and the page with its lines, totals, documents, history and workflow buttons."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.admin.filters import AwaitingMyApprovalFilter, ObjectableFilter, PaymentFilter
from billing.display import invoice_label
from billing.documents import render_invoice_pdf
from billing.models import (
    CORRECTABLE_CREDIT_REASONS,
    CreditReason,
    Invoice,
    InvoiceAction,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Transition,
)
from billing.permissions import (
    allowed_transitions,
    can_credit,
    can_render_documents,
    can_transition,
)
from billing.previews.models import PreviewDocument
from billing.previews.views import admin_preview_response
from billing.selectors import invoice_totals, without_drafts_of_others
from billing.services import TRANSITION_SERVICES, invoice_credit, invoice_documents_render
from contacts.audit.models import ReadVia
from contacts.audit.services import specification_shown
from kernel.admin_history import change_history_table, included, person
from kernel.business_time import stockholm_date
from kernel.errors import DomainError, InvalidInput
from kernel.forms import CheckedInputForm, NoteField
from kernel.history import Via
from kernel.money import format_sek
from regions.admin_base import ScopedAdmin
from regions.models import Profession, RateCategory, Region, Role
from regions.selectors import scope_of

INVOICE_ACTIONS = {
    **dict(InvoiceAction.choices),
    InvoiceAction.CREATED: _("Created by an invoice run"),
    InvoiceAction.REFRESHED: _("Refreshed by an invoice run"),
}
# A credit note is never made by a run: an accepted objection or the seller's correction creates it, and each further
# one adds its line.
CREDIT_NOTE_ACTIONS = {
    **INVOICE_ACTIONS,
    InvoiceAction.CREATED: _("Created by an accepted objection"),
    InvoiceAction.REFRESHED: _("Line added by an accepted objection"),
}
INVOICE_VIAS = dict(Via.choices)


def _status_label(status: str) -> str | None:
    return str(InvoiceStatus(status).label) if status in InvoiceStatus.values else (status or None)


INVOICE_FIELD_LABELS = {
    "status": _("status"),
    "total": _("total"),
    "contact_count": _("contacts"),
    "number": _("number"),
    "specification_id": _("specification id"),
    "issue_date": _("issue date"),
    "due_date": _("due date"),
}


class CreditForm(CheckedInputForm, forms.Form):
    """The seller's own correction of approved lines: a reason (no default: it is a decision), why, and whether the
    contacts are invoiced again once the credit note is approved, with the corrected values to apply."""

    credit_reason = forms.TypedChoiceField(
        label=capfirst(_("credit reason")), choices=[("", "---------"), *CreditReason.choices], coerce=int
    )
    note = NoteField(label=capfirst(_("why")), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    rebill = forms.BooleanField(
        label=_("Invoice the contacts again once the credit note is approved"),
        required=False,
        help_text=_("For a wrong home region, price or product, or partial invoicing: the values below are applied."),
    )
    home_region = forms.ModelChoiceField(
        label=capfirst(_("correct home region")), queryset=Region.objects.order_by("code"), required=False
    )
    profession = forms.ModelChoiceField(
        label=capfirst(_("correct profession")), queryset=Profession.objects.order_by("code"), required=False
    )
    patient_fee = forms.DecimalField(
        label=capfirst(_("correct patient fee")), min_value=0, max_digits=7, decimal_places=2, required=False
    )

    def correction(self) -> dict:
        data = self.cleaned_data
        correction = {}
        if data.get("home_region"):
            correction["home_region"] = data["home_region"].code
        if data.get("profession"):
            correction["profession"] = data["profession"].code
        if data.get("patient_fee") is not None:
            correction["patient_fee"] = f"{data['patient_fee']:.2f}"
        return correction


# What each workflow button says, and the question asked before the steps that cannot be taken back.
TRANSITION_BUTTONS = {
    Transition.SUBMIT: _("Submit"),
    Transition.APPROVE: _("Approve"),
    Transition.RETURN: _("Return to draft"),
    Transition.MARK_SENT: _("Mark as sent"),
    Transition.MARK_PAID: _("Mark as paid"),
}
TRANSITION_QUESTIONS = {
    Transition.SUBMIT: _(
        "Submit %(invoice)s (%(total)s) for approval? Its contacts are locked until a manager approves or returns it."
    ),
    Transition.APPROVE: _(
        "Approve %(invoice)s (%(total)s)? It gets its number and can never be changed again: "
        "corrections are made with a credit note."
    ),
    Transition.MARK_SENT: _("Mark %(invoice)s (%(total)s) as sent to the buyer? This cannot be undone."),
    Transition.MARK_PAID: _("Mark %(invoice)s (%(total)s) as paid? This cannot be undone."),
}


@admin.register(Invoice)
class InvoiceAdmin(ScopedAdmin):
    own_history = True  # the page's history table (id="history")
    list_display = [
        "number_display",
        "seller_name",
        "buyer_name",
        "period",
        "status",
        "total_display",
        "contact_count",
        "due_date",
    ]
    list_display_links = ["number_display"]
    list_filter = [
        AwaitingMyApprovalFilter,
        "status",
        "kind",
        "period",
        PaymentFilter,
        ObjectableFilter,
        "seller",
        "buyer",
    ]
    list_select_related = ["seller", "buyer"]
    search_fields = ["=number", "=specification_id", "=period", "seller__name", "buyer__name"]
    search_help_text = _("An invoice number, a specification id, a period (YYYY-MM) or a region's name.")
    readonly_fields = [
        "number",
        "kind",
        "seller",
        "buyer",
        "period_display",
        "status",
        "issue_date",
        "due_date",
        "total_display",
        "contact_count",
        "credited_invoice",
        "credit_reason",
        "specification_id",
        "submitted_by_display",
        "submitted_at",
        "approved_by_display",
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
                    "period_display",
                    "issue_date",
                    "due_date",
                    "specification_id",
                    "credited_invoice",
                    "credit_reason",
                ]
            },
        ),
        (_("Totals"), {"fields": ["total_display", "contact_count", "totals_table"]}),
        (_("Documents"), {"fields": ["documents"]}),
        (_("Lines"), {"fields": ["lines_preview"]}),
        (
            _("Workflow"),
            {
                "fields": [
                    "submitted_by_display",
                    "submitted_at",
                    "approved_by_display",
                    "approved_at",
                    "sent_at",
                    "paid_at",
                ]
            },
        ),
        (_("History"), {"fields": ["history"]}),
    ]

    def get_queryset(self, request):
        # Scoped by ScopedAdmin (visible_to); the screens then hide a draft from its buyer.
        return without_drafts_of_others(request.user, super().get_queryset(request)).select_related("seller", "buyer")

    def object_label(self, obj):
        return invoice_label(obj)

    @admin.display(description=_("invoice"), ordering="number")
    def number_display(self, obj):
        """The invoice named as its page names it: its number once approved (a credit note says so), before that its
        buyer and period ("Faktura till Region Norrbotten, 2026-11", "Kreditfaktura till …"). Never a status word:
        the status column says where it stands."""
        if obj.number and obj.kind == InvoiceKind.CREDIT_NOTE:
            return gettext("%(invoice)s (credit note)") % {"invoice": obj.number}
        return invoice_label(obj)

    @admin.display(description=_("seller"), ordering="seller__name")
    def seller_name(self, obj):
        return obj.seller.name

    @admin.display(description=_("buyer"), ordering="buyer__name")
    def buyer_name(self, obj):
        return obj.buyer.name

    @admin.display(description=_("period"))
    def period_display(self, obj):
        return obj.period

    @admin.display(description=_("credits invoice"))
    def credited_invoice(self, obj):
        if obj.credits_id is None:
            return "–"
        credited = Invoice.objects.select_related("buyer").get(pk=obj.credits_id)
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:billing_invoice_change", args=[credited.pk]), invoice_label(credited)
        )

    @admin.display(description=_("submitted by"))
    def submitted_by_display(self, obj):
        return person(obj.submitted_by) if obj.submitted_by_id else "–"

    @admin.display(description=_("approved by"))
    def approved_by_display(self, obj):
        return person(obj.approved_by) if obj.approved_by_id else "–"

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
        actions = CREDIT_NOTE_ACTIONS if obj.kind == InvoiceKind.CREDIT_NOTE else INVOICE_ACTIONS
        return change_history_table(events, labels=INVOICE_FIELD_LABELS, actions=actions, vias=INVOICE_VIAS)

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
                    % {"invoice": invoice_label(invoice)}
                )
                continue
            try:
                invoice_documents_render(invoice=invoice, by=request.user, via=Via.ADMIN)
            except DomainError as exc:
                refused.append(str(exc))
            else:
                queued.append(invoice_label(invoice))
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
        rows = [
            (
                RateCategory(t.category).label,
                t.count,
                format_sek(t.rate),
                format_sek(t.gross),
                format_sek(t.patient_fees),
                format_sek(t.net),
            )
            for t in invoice_totals(obj)
        ]
        return included("admin/billing/includes/invoice_totals.html", {"rows": rows})

    @admin.display(description=_("documents"))
    def documents(self, obj):
        links = [
            (
                reverse("admin:billing_invoice_pdf", args=[obj.pk]),
                gettext("Invoice PDF") if obj.is_frozen else gettext("Preview PDF"),
            )
        ]
        links.append((reverse("api-v1:invoice-specification-csv", args=[obj.pk]), gettext("Specification (CSV)")))
        links.append(
            (reverse("api-v1:invoice-specification-csv-sv", args=[obj.pk]), gettext("Specification for Excel (CSV)"))
        )
        if obj.specification_pdf:
            links.append(
                (reverse("admin:billing_invoice_specification", args=[obj.pk]), gettext("Specification (PDF)"))
            )
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._request = request  # the lines offer the buyer's objections to those who may make them
        return obj

    def objection_cases(self, request, invoice: Invoice) -> dict[int, int] | None:
        """Whether the page offers objections, and to which lines: None here, no objection column. The disputes,
        above billing, extend this screen with the buyer's objections (``contacts.disputes.admin.InvoiceAdmin``,
        registered in this one's place), so that billing imports nothing of them."""
        return None

    def _objection_cell(self, line, open_cases: dict[int, int] | None) -> dict | None:
        return None  # the disputes' screen fills the column (see objection_cases)

    def credit_lines(self, request, invoice: Invoice) -> dict[int, Invoice] | None:
        """Whether the page offers the seller's credits, and of which lines: None when it offers none (not the
        seller's clerk or manager, or not an approved invoice); else the lines already credited (line id → the credit
        note), which show it instead."""
        if request is None or not invoice.is_frozen or invoice.kind != InvoiceKind.INVOICE:
            return None
        if not can_credit(request.user, invoice):
            return None
        return {
            line.credited_line_id: line.invoice
            for line in InvoiceLine.objects.filter(credited_line__invoice=invoice).select_related("invoice__buyer")
        }

    def _credit_cell(self, line, credited: dict[int, Invoice] | None) -> dict | None:
        """The line's credit cell (a link: ``url``, ``action``, ``text``), None when the page has no such column."""
        if credited is None:
            return None
        if line.pk in credited:
            credit_note = credited[line.pk]
            return {
                "url": reverse("admin:billing_invoice_change", args=[credit_note.pk]),
                "action": "credited",
                "text": invoice_label(credit_note),
            }
        return {
            "url": f"{reverse('admin:billing_invoice_credit', args=[line.invoice_id])}?contact={line.contact_id}",
            "action": "credit",
            "text": gettext("Credit"),
        }

    @admin.display(description=_("lines"))
    def lines_preview(self, obj):
        # The contact as billed (the line's own facts); professions by their names, from the small code list.
        lines = obj.lines.select_related("recommendation").order_by("id")[: self.LINES_SHOWN]
        professions = {profession.code: profession for profession in Profession.objects.all()}
        # On an approved invoice the buyer's clerks and managers object to a line from the line itself.
        open_cases = self.objection_cases(getattr(obj, "_request", None), obj)
        # ... and the seller's clerks and managers credit a line from the line itself.
        credited = self.credit_lines(getattr(obj, "_request", None), obj)
        rows = [
            {
                "contact_url": reverse("admin:contacts_contact_change", args=[line.contact_id]),
                "external_id": line.external_id,
                "date": stockholm_date(line.started_at).isoformat(),
                "profession": professions.get(line.profession, line.profession),
                "recommendation": line.recommendation.code,
                "rate": format_sek(line.rate),
                "fee_deducted": format_sek(line.fee_deducted),
                "amount": format_sek(line.amount),
                "links": [
                    cell
                    for cell in (self._objection_cell(line, open_cases), self._credit_cell(line, credited))
                    if cell is not None
                ],
            }
            for line in lines
        ]
        labels = [
            gettext("Contact"),
            gettext("Date"),
            gettext("Profession"),
            gettext("Recommendation"),
            gettext("Rate"),
            gettext("Patient fee deducted"),
            gettext("Amount"),
        ]
        if open_cases is not None:
            labels.append(gettext("Objection"))
        if credited is not None:
            labels.append(gettext("Credit"))
        more = ""
        if obj.contact_count > self.LINES_SHOWN:
            more = gettext("The first %(shown)d of %(count)d lines; the CSV specification has them all.") % {
                "shown": self.LINES_SHOWN,
                "count": obj.contact_count,
            }
        return included("admin/billing/includes/invoice_lines.html", {"headers": labels, "rows": rows, "more": more})

    def has_change_permission(self, request, obj=None):
        # Every field is read-only: the page shows text and offers the workflow buttons instead of a form.
        return False

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
            path("<int:pk>/credit/", self.admin_site.admin_view(self.credit_view), name="billing_invoice_credit"),
        ]
        return custom + super().get_urls()

    def _invoice(self, request, pk) -> Invoice:
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def pdf_view(self, request, pk):
        invoice = self._invoice(request, pk)
        filename = f"faktura-{invoice.number or invoice.pk}.pdf"
        if not invoice.is_frozen:
            # A draft or submitted invoice is previewed as it stands: rendered once per version in the background, a
            # page saying so (reloading itself) meanwhile.
            context = {**self.admin_site.each_context(request), "opts": self.model._meta, "media": self.media}
            return admin_preview_response(request, invoice, PreviewDocument.INVOICE, filename, context)
        # The stored PDF once approved.
        content = invoice.pdf.open("rb").read() if invoice.pdf else render_invoice_pdf(invoice)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
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
        """Exactly the transitions this user may take now (``billing.permissions.allowed_transitions``)."""
        return allowed_transitions(request.user, invoice)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice = self.get_object(request, object_id)
        buttons = []
        if invoice is not None:
            buttons = [
                {
                    "url": reverse("admin:billing_invoice_transition", args=[invoice.pk, transition]),
                    "label": TRANSITION_BUTTONS[transition],
                    "transition": transition,
                    "confirm": (
                        TRANSITION_QUESTIONS[transition]
                        % {"invoice": invoice_label(invoice), "total": format_sek(invoice.total)}
                        if transition in TRANSITION_QUESTIONS
                        else ""
                    ),
                    "needs_note": transition == Transition.RETURN,
                }
                for transition in self.allowed_transitions(request, invoice)
            ]
        # Every field is read-only: the page offers the workflow buttons instead of "Save".
        context = {
            **(extra_context or {}),
            "transitions": buttons,
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, context)

    def credit_view(self, request, pk):
        """The seller's own correction of lines of its approved invoice: ``?contact=`` names the contacts (from the
        lines table); the credit note it makes or adds to is then submitted and approved like every invoice."""
        invoice = self._invoice(request, pk)
        if not can_credit(request.user, invoice):
            raise PermissionDenied
        given = request.GET.getlist("contact") + request.POST.getlist("contact")
        ids = [int(value) for value in given if value.isascii() and value.isdigit() and len(value) < 19]
        lines = list(invoice.lines.filter(credit=False, contact_id__in=ids).order_by("id"))
        form = CreditForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                credit_note = invoice_credit(
                    invoice=invoice,
                    contact_ids=[line.contact_id for line in lines],
                    reason=form.cleaned_data["credit_reason"],
                    note=form.cleaned_data["note"],
                    rebill=form.cleaned_data["rebill"],
                    correction=form.correction(),
                    by=request.user,
                    via=Via.ADMIN,
                )
            except InvalidInput as exc:
                for field, texts in exc.errors.items():
                    form.add_error(field if field in form.fields else None, texts)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    gettext("%(count)d contacts credited on %(credit_note)s; submit it for approval.")
                    % {"count": len(lines), "credit_note": invoice_label(credit_note)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[credit_note.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "invoice": invoice,
            "invoice_label": invoice_label(invoice),
            "lines": lines,
            "correctable": sorted(CORRECTABLE_CREDIT_REASONS),
            "title": gettext("Credit contacts of %(invoice)s") % {"invoice": invoice_label(invoice)},
            "media": self.media,
        }
        return TemplateResponse(request, "admin/billing/invoice/credit.html", context)

    def transition_view(self, request, pk, transition):
        if request.method != "POST" or transition not in TRANSITION_SERVICES:
            raise PermissionDenied
        invoice = self._invoice(request, pk)
        if not can_transition(request.user, invoice, transition):
            raise PermissionDenied
        kwargs = {"note": request.POST.get("note", "")} if transition == Transition.RETURN else {}
        try:
            invoice = TRANSITION_SERVICES[transition](invoice=invoice, by=request.user, via=Via.ADMIN, **kwargs)
        except DomainError as exc:
            errors = getattr(exc, "errors", None)
            text = " ".join(m for ms in errors.values() for m in ms) if errors else str(exc)
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("%(action)s of %(invoice)s done.")
                % {"action": Transition(transition).label, "invoice": invoice_label(invoice)},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[pk]))
