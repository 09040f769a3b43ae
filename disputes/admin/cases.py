"""The dispute queue for clerks: its list with counts and filters, and the case page with the evidence (its
actions in ``case_views``)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.display import invoice_label
from billing.models import CreditReason, Invoice
from contacts.reasons import REASON_LABELS
from contacts.services import contact_decision
from disputes.admin.case_views import CaseViews
from disputes.admin.decisions import DecisionActions
from disputes.admin.filters import (
    AssignedToMeFilter,
    BillingRegionFilter,
    HomeRegionFilter,
    ObjectedInvoiceFilter,
    OverdueFilter,
    ProposedCreditReasonFilter,
)
from disputes.admin.forms import CommentForm, DecideForm
from disputes.admin.labels import (
    DISPUTE_ACTIONS,
    DISPUTE_FIELD_LABELS,
    deadline_text,
    history_values,
    people_named,
    stockholm_date_text,
)
from disputes.models import DisputeKind, DisputeStatus
from disputes.permissions import can_assign_dispute, can_resolve_dispute, is_dispute_party, opened_dispute
from disputes.selectors import dispute_assignable
from kernel.admin_history import change_history_context, person
from kernel.business_time import stockholm_today
from kernel.money import format_sek
from regions.admin_base import ScopedAdmin
from regions.models import Criterion


class DisputeAdmin(DecisionActions, CaseViews, ScopedAdmin):
    own_history = True  # the page's history table (id="history")
    actions = ["accept_objections", "dismiss_objections"]
    list_display = [
        "contact_external_id",
        "provider",
        "kind",
        "status",
        "billing_region",
        "home_region",
        "deadline_display",
        "assigned_to",
    ]
    list_display_links = ["contact_external_id"]
    list_filter = [
        "status",
        "kind",
        OverdueFilter,
        AssignedToMeFilter,
        BillingRegionFilter,
        HomeRegionFilter,
        ObjectedInvoiceFilter,
        ProposedCreditReasonFilter,
    ]
    list_select_related = ["contact__provider", "contact__billing_region", "contact__home_region", "assignee"]
    search_fields = ["=contact__external_id", "contact__provider__name"]
    search_help_text = _("A contact's exact external id, or a care provider's name.")
    change_form_template = "admin/disputes/dispute/change_form.html"
    change_list_template = "admin/disputes/dispute/change_list.html"
    fields = [
        "kind",
        "status",
        "contact_display",
        "reason",
        "invoice_line_display",
        "opened_by_display",
        "opened_at",
        "deadline_display",
        "assigned_to",
        "decided_by_display",
        "decided_at",
        "decision_note",
        "proposed_credit_reason_display",
        "credit_reason_display",
        "credit_note_display",
    ]
    readonly_fields = fields

    def object_label(self, obj):
        return gettext("%(kind)s: %(contact)s (%(provider)s)") % {
            "kind": obj.get_kind_display(),
            "contact": obj.contact.external_id,
            "provider": obj.contact.provider.name,
        }

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description=_("contact"), ordering="contact__external_id")
    def contact_external_id(self, obj):
        return obj.contact.external_id

    @admin.display(description=_("care provider"), ordering="contact__provider__name")
    def provider(self, obj):
        return obj.contact.provider.name

    @admin.display(description=_("billing region"), ordering="contact__billing_region__name")
    def billing_region(self, obj):
        return obj.contact.billing_region.name

    @admin.display(description=_("home region"), ordering="contact__home_region__name")
    def home_region(self, obj):
        return obj.contact.home_region.name

    @admin.display(description=_("response deadline"), ordering="deadline")
    def deadline_display(self, obj):
        return deadline_text(obj)

    @admin.display(description=_("assigned to"), ordering="assignee__username")
    def assigned_to(self, obj):
        return person(obj.assignee) if obj.assignee_id else "–"

    @admin.display(description=_("contact"))
    def contact_display(self, obj):
        contact = obj.contact
        return format_html(
            '<a href="{}">{}</a> ({}, {})',
            reverse("admin:contacts_contact_change", args=[contact.pk]),
            contact.external_id,
            contact.provider.name,
            stockholm_date_text(contact.started_at),
        )

    @admin.display(description=_("invoice line"))
    def invoice_line_display(self, obj):
        if obj.invoice_line_id is None:
            return "–"
        line = obj.invoice_line
        return format_html(
            '<a href="{}">{}</a>: {}',
            reverse("admin:billing_invoice_change", args=[line.invoice_id]),
            invoice_label(line.invoice),
            format_sek(line.amount),
        )

    @admin.display(description=_("opened by"))
    def opened_by_display(self, obj):
        return person(obj.opened_by)

    @admin.display(description=_("decided by"))
    def decided_by_display(self, obj):
        return person(obj.decided_by) if obj.decided_by_id else "–"

    @admin.display(description=_("credit reason"))
    def credit_reason_display(self, obj):
        return CreditReason(obj.credit_reason).label if obj.credit_reason in CreditReason.values else "–"

    @admin.display(description=_("proposed credit reason"))
    def proposed_credit_reason_display(self, obj):
        if obj.proposed_credit_reason not in CreditReason.values:
            return "–"
        return f"{obj.proposed_credit_reason} {CreditReason(obj.proposed_credit_reason).label}"

    @admin.display(description=_("credit note"))
    def credit_note_display(self, obj):
        if obj.credit_note_id is None:
            return "–"
        note = obj.credit_note
        return format_html(
            '<a href="{}">{}</a> ({})',
            reverse("admin:billing_invoice_change", args=[note.pk]),
            invoice_label(note),
            note.get_status_display(),
        )

    def has_add_permission(self, request):
        return False  # cases are opened from a contact or an invoice line (the "open" view, case_views)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The case page is read: comments, assignment and the decision have forms (and checks) of their own.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        visible = self.get_queryset(request).filter(status=DisputeStatus.OPEN)
        counts = {"open": visible.count(), "overdue": visible.filter(deadline__lt=stockholm_today()).count()}
        return super().changelist_view(request, {**(extra_context or {}), "counts": counts})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        dispute = self.get_object(request, object_id)
        context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        if dispute is not None:
            decision = contact_decision(dispute.contact)
            events = list(dispute.events.select_related("actor").order_by("at", "id"))
            noted = {v for e in events for v in e.changes.get("credit_note", []) if isinstance(v, int)}
            credit_notes = {
                invoice.pk: invoice_label(invoice)
                for invoice in Invoice.objects.filter(pk__in=noted).select_related("buyer")
            }
            staff = dispute_assignable(dispute)  # never the one who opened the case: a colleague decides it
            is_open = dispute.status == DisputeStatus.OPEN
            can_decide = is_open and can_resolve_dispute(request.user, dispute)
            opener_may_not = is_open and not can_decide and opened_dispute(request.user, dispute)
            context.update(
                dispute=dispute,
                criteria=[
                    {"label": Criterion(r.criterion).label, "passed": r.passed, "reason": REASON_LABELS.get(r.reason)}
                    for r in decision.criteria
                ],
                reasons=[REASON_LABELS[r] for r in dispute.contact.reason_list if r in REASON_LABELS],
                comments=dispute.comments.select_related("author").prefetch_related("attachments"),
                comment_form=CommentForm() if is_dispute_party(request.user, dispute) else None,
                can_decide=can_decide,
                can_assign=is_open and can_assign_dispute(request.user, dispute),
                decider_note=(
                    gettext("You opened this dispute, so a colleague decides it: assign it to one above.")
                    if opener_may_not and can_assign_dispute(request.user, dispute)
                    else ""
                ),
                decide_form=DecideForm(initial={"credit_reason": dispute.proposed_credit_reason}),
                assignable=staff,
                is_objection=dispute.kind == DisputeKind.OBJECTION,
                invoice_line_text=self.invoice_line_display(dispute),
            )
            # The history table: admin/includes/history.html, included by the page's template.
            context.update(
                change_history_context(
                    history_values(events, credit_notes, people_named(events)),
                    labels=DISPUTE_FIELD_LABELS,
                    actions=DISPUTE_ACTIONS,
                )
            )
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **context})
