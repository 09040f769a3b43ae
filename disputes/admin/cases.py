"""The dispute queue for clerks: filters, counts, the case page with the evidence, and its actions."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.admin import InvoiceAdmin as BillingInvoiceAdmin
from billing.display import invoice_label
from billing.models import CreditReason, Invoice, InvoiceKind
from billing.objection_window import objection_deadline
from contacts.disputes.attachments import attachment_response
from contacts.disputes.models import Dispute, DisputeAttachment, DisputeKind, DisputeStatus
from contacts.disputes.selectors import dispute_assignable
from contacts.disputes.services import (
    assign_refused,
    dispute_assign,
    dispute_attachment_download,
    dispute_comment,
    dispute_open,
    dispute_resolve,
)
from contacts.models import Contact
from contacts.permissions import (
    can_assign_dispute,
    can_object_for,
    can_resolve_dispute,
    is_dispute_party,
    opened_dispute,
)
from contacts.reasons import REASON_LABELS
from contacts.services import contact_decision
from kernel.admin_history import change_history_context, person
from kernel.business_time import stockholm_today
from kernel.errors import DomainError
from kernel.forms import CheckedInputForm, NoteField
from kernel.history import Via
from kernel.money import format_sek
from regions.admin_base import ScopedAdmin
from regions.models import Criterion, Region
from regions.selectors import scope_of, visible_to

DISPUTE_ACTIONS = {
    "opened": _("Opened"),
    "commented": _("Commented"),
    "assigned": _("Assigned"),
    "mail_failed": _("E-mail not sent"),
    "downloaded": _("Attachment downloaded"),
    DisputeStatus.ACCEPTED: DisputeStatus.ACCEPTED.label,
    DisputeStatus.DISMISSED: DisputeStatus.DISMISSED.label,
}
DISPUTE_FIELD_LABELS = {
    "status": _("status"),
    "assignee": _("assigned to"),
    "credit_note": _("credit note"),
    "credit_reason": _("credit reason"),
}


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status=DisputeStatus.OPEN, deadline__lt=stockholm_today())
        return queryset


class AssignedToMeFilter(admin.SimpleListFilter):
    title = _("assigned")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", _("To me"))]

    def queryset(self, request, queryset):
        return queryset.filter(assignee=request.user) if self.value() == "yes" else queryset


class _PartyRegionFilter(admin.SimpleListFilter):
    """A region on one side of the case, offered by name."""

    field: str

    def lookups(self, request, model_admin):
        return [(region.code, region.name) for region in Region.objects.order_by("code")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"contact__{self.field}_id": self.value()})
        return queryset


class BillingRegionFilter(_PartyRegionFilter):
    """The billing (selling) region decides the case."""

    title = _("billing region")
    parameter_name = "billing_region"
    field = "billing_region"


class HomeRegionFilter(_PartyRegionFilter):
    """The home (buying) region: the one that objects to an invoiced contact."""

    title = _("home region")
    parameter_name = "home_region"
    field = "home_region"


class OpenDisputeForm(CheckedInputForm, forms.Form):
    reason = NoteField(label=capfirst(_("reason")), widget=forms.Textarea(attrs={"rows": 4}))


class CommentForm(CheckedInputForm, forms.Form):
    text = NoteField(label=capfirst(_("comment")), widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(label=capfirst(_("attachment")), required=False)


class DecideForm(CheckedInputForm, forms.Form):
    outcome = forms.ChoiceField(
        label=capfirst(_("decision")),
        # No default: a decision is made, never preselected.
        choices=[("", "---------"), (DisputeStatus.ACCEPTED, _("Accept")), (DisputeStatus.DISMISSED, _("Dismiss"))],
    )
    note = NoteField(label=capfirst(_("note")), widget=forms.Textarea(attrs={"rows": 3}))
    credit_reason = forms.TypedChoiceField(
        label=capfirst(_("credit reason")),
        choices=[("", "–"), *CreditReason.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )


def stockholm_date_text(moment) -> str:
    return localtime(moment).strftime("%Y-%m-%d %H:%M")


def _history_values(events, credit_notes: dict[int, str], people: dict[str, str]):
    """The history's stored values as read: statuses by their Swedish names, the credit note by its name, the
    credit reason by its text, assignees (stored by user name) by their names (each event's ``changes`` and an
    assignment's note are replaced for display only)."""
    for event in events:
        changes = dict(event.changes)
        if "assignee" in changes:
            changes["assignee"] = [people.get(value, value) for value in changes["assignee"]]
        if event.action == "assigned" and event.note:
            event.note = people.get(event.note, event.note)
        if "status" in changes:
            changes["status"] = [
                DisputeStatus(value).label if value in DisputeStatus.values else value for value in changes["status"]
            ]
        if "credit_note" in changes:
            changes["credit_note"] = [credit_notes.get(value, value) for value in changes["credit_note"]]
        if "credit_reason" in changes:
            changes["credit_reason"] = [
                CreditReason(value).label if value in CreditReason.values else value
                for value in changes["credit_reason"]
            ]
        event.changes = changes
    return events


def _people(events) -> dict[str, str]:
    """The assignees the history names (stored by user name), by the names colleagues know them by (one query)."""
    usernames = {v for e in events for v in e.changes.get("assignee", []) if isinstance(v, str)}
    usernames |= {e.note for e in events if e.action == "assigned" and e.note}
    if not usernames:
        return {}
    users = get_user_model().objects.filter(username__in=usernames)
    return {user.get_username(): person(user) for user in users}


def deadline_text(dispute: Dispute) -> str:
    """The response deadline, marked when an open case has passed it."""
    if dispute.status == DisputeStatus.OPEN and dispute.deadline < stockholm_today():
        return format_html('<span class="overdue">{} – {}</span>', dispute.deadline.isoformat(), gettext("overdue"))
    return dispute.deadline.isoformat()


class DisputeAdmin(ScopedAdmin):
    own_history = True  # the page's history table (id="history")
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
    list_filter = ["status", "kind", OverdueFilter, AssignedToMeFilter, BillingRegionFilter, HomeRegionFilter]
    list_select_related = ["contact__provider", "contact__billing_region", "contact__home_region", "assignee"]
    search_fields = ["=contact__external_id", "contact__provider__name"]
    search_help_text = _("A contact's exact external id, or a care provider's name.")
    change_form_template = "admin/contacts/dispute/change_form.html"
    change_list_template = "admin/contacts/dispute/change_list.html"
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
        return False  # cases are opened from a contact or an invoice line (the "open" view below)

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

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("open/<int:contact_id>/", view(self.open_view), name="contacts_dispute_open"),
            path("<int:pk>/comment/", view(self.comment_view), name="contacts_dispute_comment"),
            path("<int:pk>/assign/", view(self.assign_view), name="contacts_dispute_assign"),
            path("<int:pk>/decide/", view(self.decide_view), name="contacts_dispute_decide"),
            path(
                "<int:pk>/attachments/<int:attachment_id>/",
                view(self.attachment_view),
                name="contacts_dispute_attachment",
            ),
            *super().get_urls(),
        ]

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
                decide_form=DecideForm(),
                assignable=staff,
                is_objection=dispute.kind == DisputeKind.OBJECTION,
                invoice_line_text=self.invoice_line_display(dispute),
            )
            # The history table: admin/includes/history.html, included by the page's template.
            context.update(
                change_history_context(
                    _history_values(events, credit_notes, _people(events)),
                    labels=DISPUTE_FIELD_LABELS,
                    actions=DISPUTE_ACTIONS,
                )
            )
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **context})

    def _dispute(self, request, pk) -> Dispute:
        if request.method != "POST":
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _back(self, pk):
        return HttpResponseRedirect(reverse("admin:contacts_dispute_change", args=[pk]))

    def _run(self, request, action, success: str):
        try:
            action()
        except DomainError as exc:
            errors = getattr(exc, "errors", None)
            self.message_user(
                request, " ".join(m for ms in errors.values() for m in ms) if errors else str(exc), messages.ERROR
            )
            return False
        self.message_user(request, success, messages.SUCCESS)
        return True

    def comment_view(self, request, pk):
        dispute = self._dispute(request, pk)
        form = CommentForm(request.POST, request.FILES)
        if form.is_valid():
            files = [form.cleaned_data["attachment"]] if form.cleaned_data.get("attachment") else []
            self._run(
                request,
                lambda: dispute_comment(
                    dispute=dispute, by=request.user, text=form.cleaned_data["text"], attachments=files, via="admin"
                ),
                gettext("Comment added."),
            )
        else:
            if "text" in form.errors:
                self.message_user(request, gettext("A comment needs text."), messages.ERROR)
            for message in form.errors.get("attachment", []):  # e.g. an empty file, refused by the form itself
                self.message_user(request, message, messages.ERROR)
        return self._back(pk)

    def assign_view(self, request, pk):
        """Assign from the page's list of the billing region's deciders. Anyone else is refused before the chosen
        person is looked at; a person not on the list (or no number at all) gets the one answer for all of them."""
        dispute = self._dispute(request, pk)
        if not can_assign_dispute(request.user, dispute):
            self.message_user(request, str(assign_refused()), messages.ERROR)
            return self._back(pk)
        chosen = request.POST.get("assignee", "")
        number = int(chosen) if chosen.isascii() and chosen.isdigit() and len(chosen) <= 9 else None
        assignee = dispute_assignable(dispute).filter(pk=number).first() if number is not None else None
        self._run(
            request,
            lambda: dispute_assign(dispute=dispute, assignee=assignee, by=request.user, via="admin"),
            gettext("Assigned."),
        )
        return self._back(pk)

    def decide_view(self, request, pk):
        dispute = self._dispute(request, pk)
        form = DecideForm(request.POST)
        if not form.is_valid():
            if "outcome" in form.errors:
                self.message_user(request, gettext("Choose a decision: accept or dismiss."), messages.ERROR)
            if "note" in form.errors:
                self.message_user(request, gettext("A note saying why is required."), messages.ERROR)
            return self._back(pk)
        self._run(
            request,
            lambda: dispute_resolve(
                dispute=dispute,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                credit_reason=form.cleaned_data["credit_reason"],
                via="admin",
            ),
            gettext("Decision recorded."),
        )
        return self._back(pk)

    def attachment_view(self, request, pk, attachment_id):
        """Download an evidence file: the case found through the scoping selector (404 outside it, as the case
        page), the download recorded in the case's history, the file served as a download, never inline."""
        dispute = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            attachment = dispute_attachment_download(
                dispute=dispute, attachment_id=attachment_id, by=request.user, via=Via.ADMIN
            )
        except DisputeAttachment.DoesNotExist:
            raise Http404 from None
        return attachment_response(attachment)

    def open_view(self, request, contact_id):
        """Open a case on a contact: a buyer's objection from an invoice line, or a contested rejection."""
        contact = get_object_or_404(visible_to(request.user, Contact.objects.all()), pk=contact_id)
        if scope_of(request.user).role is None:
            raise PermissionDenied
        form = OpenDisputeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            result = {}

            def open_case():
                result["dispute"] = dispute_open(
                    contact=contact, by=request.user, reason=form.cleaned_data["reason"], via="admin"
                )

            if self._run(request, open_case, gettext("Dispute opened.")):
                return self._back(result["dispute"].pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "contact": contact,
            "title": gettext("Open a dispute"),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/contacts/dispute/open.html", context)


class InvoiceAdmin(BillingInvoiceAdmin):
    """Billing's invoice screen with the buyer's objections: on an approved invoice, within the objection period, the
    buyer's clerks and managers object to a line from the line itself, or open the case already open for it.
    Registered for invoices in place of billing's own screen (below), from above billing."""

    def objection_cases(self, request, invoice: Invoice) -> dict[int, int] | None:
        """Whether the page offers objections, and to which lines: None when it offers none (not an approved invoice,
        the objection period over, or a user who may not object: only the buyer's clerks and managers do); else the
        open cases of its contacts (contact id → dispute id), whose lines link to the case instead."""
        if request is None or not invoice.is_frozen or invoice.kind != InvoiceKind.INVOICE:
            return None
        if not can_object_for(request.user, invoice.buyer_id) or stockholm_today() > objection_deadline(invoice):
            return None
        return dict(
            Dispute.objects.filter(
                status=DisputeStatus.OPEN,
                contact__invoice_lines__invoice=invoice,
                contact__invoice_lines__credit=False,
            ).values_list("contact_id", "pk")
        )

    def _objection_cell(self, line, open_cases: dict[int, int] | None) -> dict | None:
        if open_cases is None:
            return None
        if line.contact_id in open_cases:
            return {
                "url": reverse("admin:contacts_dispute_change", args=[open_cases[line.contact_id]]),
                "action": "open-case",
                "text": gettext("Dispute open"),
            }
        return {
            "url": reverse("admin:contacts_dispute_open", args=[line.contact_id]),
            "action": "object",
            "text": gettext("Object"),
        }


# Registered when the admin site's app config (config.apps) imports this module, after the apps' own admin modules:
# the disputes sit above billing, so neither contacts.admin nor billing.admin, below them, imports them.
admin.site.register(Dispute, DisputeAdmin)
admin.site.unregister(Invoice)
admin.site.register(Invoice, InvoiceAdmin)
