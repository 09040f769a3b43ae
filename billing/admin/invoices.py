"""Invoices: the list with its filters, and the page with its lines, totals, documents, history and workflow buttons."""

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from billing.admin.filters import AwaitingMyApprovalFilter, ObjectableFilter, PaymentFilter
from billing.admin.invoice_views import InvoiceViews
from billing.admin.labels import (
    CREDIT_NOTE_ACTIONS,
    INVOICE_ACTIONS,
    INVOICE_FIELD_LABELS,
    INVOICE_VIAS,
    TRANSITION_BUTTONS,
    status_label,
)
from billing.bulk import (
    MAX_BULK_INVOICES,
    InvoiceOutcome,
    invoices_approve_bulk,
    invoices_bulk_preview,
    invoices_submit_bulk,
    outcomes_total,
)
from billing.display import invoice_label
from billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Transition,
)
from billing.permissions import (
    can_credit,
    can_render_documents,
    can_transition_in_bulk,
    sees_full_identity_on_invoice,
)
from billing.selectors import invoice_totals, without_drafts_of_others
from billing.services import invoice_documents_render
from kernel import xlsx
from kernel.admin_history import change_history_table, included, person
from kernel.business_time import stockholm_date
from kernel.errors import DomainError
from kernel.history import Via
from kernel.money import format_sek
from regions.admin_base import ScopedAdmin
from regions.models import Profession, RateCategory, Role
from regions.selectors import scope_of

# The month close's actions by their step.
BULK_ACTION_NAMES = {Transition.SUBMIT: "submit_selected", Transition.APPROVE: "approve_selected"}


@admin.register(Invoice)
class InvoiceAdmin(InvoiceViews, ScopedAdmin):
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
                changes = {"status": [status_label(event.from_status), status_label(event.to_status)], **changes}
            if "total" in changes:
                changes["total"] = [format_sek(Decimal(v)) if v is not None else None for v in changes["total"]]
            event.changes = changes
        actions = CREDIT_NOTE_ACTIONS if obj.kind == InvoiceKind.CREDIT_NOTE else INVOICE_ACTIONS
        return change_history_table(events, labels=INVOICE_FIELD_LABELS, actions=actions, vias=INVOICE_VIAS)

    change_form_template = "admin/billing/invoice/change_form.html"
    actions = ["submit_selected", "approve_selected", "render_documents_again"]
    change_list_template = "admin/billing/invoice/change_list.html"

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export_xlsx"
        return [
            path("export.xlsx", self.admin_site.admin_view(self.export_xlsx_view), name=name),
            *super().get_urls(),
        ]

    def export_xlsx_view(self, request):
        """The list as it is filtered, searched and ordered (the same query string) as an XLSX workbook, every
        invoice of it (not one page), in the list's scope: one row per invoice, the total a number, the dates date
        cells. Linked beside the list's title."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._xlsx(changelist.queryset)

    def _xlsx(self, queryset):
        kinds, statuses = dict(InvoiceKind.choices), dict(InvoiceStatus.choices)
        columns = [
            xlsx.XlsxColumn(gettext("number")),
            xlsx.XlsxColumn(gettext("kind")),
            xlsx.XlsxColumn(gettext("seller")),
            xlsx.XlsxColumn(gettext("buyer")),
            xlsx.XlsxColumn(gettext("period")),
            xlsx.XlsxColumn(gettext("status")),
            xlsx.XlsxColumn(gettext("contacts"), xlsx.INT),
            xlsx.XlsxColumn(gettext("total"), xlsx.MONEY),
            xlsx.XlsxColumn(gettext("issue date"), xlsx.DATE),
            xlsx.XlsxColumn(gettext("due date"), xlsx.DATE),
            xlsx.XlsxColumn(gettext("approved"), xlsx.DATETIME),
        ]
        values = (
            queryset.order_by("-period", "seller_id", "buyer_id", "id")
            .values_list(
                "number", "kind", "seller__name", "buyer__name", "period", "status", "contact_count", "total",
                "issue_date", "due_date", "approved_at",
            )
            .iterator(chunk_size=2_000)
        )  # fmt: skip
        rows = (
            [number, str(kinds.get(kind, kind)), seller, buyer, period, str(statuses.get(status, status)), *rest]
            for number, kind, seller, buyer, period, status, *rest in values
        )
        response, _count = xlsx.xlsx_response(
            filename=f"fakturor-{timezone.localtime():%Y-%m-%d-%H%M}.xlsx",
            title=gettext("Invoices"),
            columns=columns,
            rows=rows,
        )
        return response

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

    # --- The month close: submit and approve the selected invoices (billing.bulk) -------------------------------

    @admin.action(description=_("Submit selected for approval"), permissions=["submit"])
    def submit_selected(self, request, queryset):
        return self._bulk_step(request, queryset, Transition.SUBMIT)

    @admin.action(description=_("Approve selected"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        return self._bulk_step(request, queryset, Transition.APPROVE)

    BULK_BUTTONS = tuple(BULK_ACTION_NAMES.values())

    def changelist_view(self, request, extra_context=None):
        """The month close's actions as buttons of their own beside the action list ("select all", the button,
        confirm: three clicks), each offered as its action is (``templates/admin/billing/invoice/actions.html``)."""
        offered = self.get_actions(request)
        buttons = [(name, offered[name].description) for name in self.BULK_BUTTONS if name in offered]
        return super().changelist_view(request, {**(extra_context or {}), "bulk_buttons": buttons})

    def has_submit_permission(self, request):
        return can_transition_in_bulk(request.user, Transition.SUBMIT)

    def has_approve_permission(self, request):
        return can_transition_in_bulk(request.user, Transition.APPROVE)

    def _bulk_step(self, request, queryset, transition: str):
        """The confirmation page (the count and total of what would be done, and which would be refused and why);
        on confirming, the step for each invoice and a message per outcome."""
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: MAX_BULK_INVOICES + 1])
        if len(ids) > MAX_BULK_INVOICES:
            self.message_user(
                request,
                gettext("Select at most %(max)d invoices at a time.") % {"max": MAX_BULK_INVOICES},
                messages.ERROR,
            )
            return None
        nothing = {
            Transition.SUBMIT: gettext("None of the selected invoices can be submitted for approval."),
            Transition.APPROVE: gettext("None of the selected invoices can be approved by you."),
        }[transition]
        if not ids:  # none of the selected is on the user's list (``get_queryset``'s scope)
            self.message_user(request, nothing, messages.WARNING)
            return None
        if request.POST.get("confirm") == "yes":
            step = invoices_submit_bulk if transition == Transition.SUBMIT else invoices_approve_bulk
            self._bulk_report(request, transition, step(ids=ids, by=request.user, via=Via.ADMIN))
            return None
        outcomes = invoices_bulk_preview(transition=transition, ids=ids, by=request.user)
        done = [outcome for outcome in outcomes if outcome.done]
        refused = [outcome for outcome in outcomes if not outcome.done]
        total = format_sek(outcomes_total(done))
        questions = {
            Transition.SUBMIT: ngettext(
                "Submit %(count)d invoice (%(total)s) for approval? Its contacts are locked until a manager approves "
                "or returns it.",
                "Submit %(count)d invoices (%(total)s) for approval? Their contacts are locked until a manager "
                "approves or returns them.",
                len(done),
            ),
            Transition.APPROVE: ngettext(
                "Approve %(count)d invoice (%(total)s)? It gets its number and can never be changed again: "
                "corrections are made with a credit note.",
                "Approve %(count)d invoices (%(total)s)? They get their numbers and can never be changed again: "
                "corrections are made with credit notes.",
                len(done),
            ),
        }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": TRANSITION_BUTTONS[transition],
            # The action confirmed is this step's (the list's form posts several "action" fields: the buttons').
            "action": BULK_ACTION_NAMES[transition],
            "question": questions[transition] % {"count": len(done), "total": total},
            "done": [(invoice_label(o.invoice), format_sek(o.invoice.total)) for o in done],
            "refused": [(_outcome_label(o), o.refused.detail) for o in refused],
            "refused_heading": ngettext(
                "%(count)d of the selected invoices would be refused:",
                "%(count)d of the selected invoices would be refused:",
                len(refused),
            )
            % {"count": len(refused)},
            "nothing": nothing,
            "confirm_label": TRANSITION_BUTTONS[transition],
            "cancel_url": request.get_full_path(),
            "selected_ids": ids,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/billing/invoice/bulk_confirmation.html", context)

    def _bulk_report(self, request, transition: str, outcomes) -> None:
        done = [outcome for outcome in outcomes if outcome.done]
        refused = [outcome for outcome in outcomes if not outcome.done]
        if done:
            texts = {
                Transition.SUBMIT: ngettext(
                    "%(count)d invoice submitted for approval (%(total)s).",
                    "%(count)d invoices submitted for approval (%(total)s).",
                    len(done),
                ),
                Transition.APPROVE: ngettext(
                    "%(count)d invoice approved (%(total)s).", "%(count)d invoices approved (%(total)s).", len(done)
                ),
            }
            total = format_sek(outcomes_total(done))
            self.message_user(request, texts[transition] % {"count": len(done), "total": total}, messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                ngettext("%(count)d invoice refused:", "%(count)d invoices refused:", len(refused))
                % {"count": len(refused)},
                messages.WARNING,
            )
        for outcome in refused:
            text = outcome.refused.detail
            if outcome.invoice is None:
                text = f"{_outcome_label(outcome)}: {text}"
            self.message_user(request, text, messages.ERROR)

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
        links.append((reverse("api-v1:invoice-specification-xlsx", args=[obj.pk]), gettext("Specification (XLSX)")))
        if obj.specification_pdf:
            links.append(
                (reverse("admin:billing_invoice_specification", args=[obj.pk]), gettext("Specification (PDF)"))
            )
        if obj.ubl:  # the e-invoice (Peppol BIS Billing 3.0), served by the API as the finance systems fetch it
            links.append((reverse("api-v1:invoice-ubl", args=[obj.pk]), gettext("E-invoice (UBL)")))
        request = getattr(obj, "_request", None)
        if obj.claim_specification and request is not None and sees_full_identity_on_invoice(request.user, obj):
            # The API's download (session authentication): one place decides, serves and records the read.
            links.append(
                (
                    reverse("api-v1:invoice-claim-specification", args=[obj.pk]),
                    gettext("Specification for the buyer's system (Inera XML)"),
                )
            )
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._request = request  # the lines offer the buyer's objections to those who may make them
        return obj

    def objection_cases(self, request, invoice: Invoice) -> dict[int, int] | None:
        """Whether the page offers objections, and to which lines: None here, no objection column. The disputes,
        above billing, extend this screen with the buyer's objections (``disputes.admin.InvoiceAdmin``,
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


def _outcome_label(outcome: InvoiceOutcome) -> str:
    if outcome.invoice is None:
        return gettext("Invoice %(id)d") % {"id": outcome.id}
    return invoice_label(outcome.invoice)
