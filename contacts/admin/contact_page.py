"""The contact's read-only page: its reported facts, its evaluation, the criteria of its recommendation version and
its history (a mixin of ``ContactAdmin``)."""

from django.contrib import admin
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contacts.admin.labels import changes_text, current_result, reason_labels, result_text, yes_no
from contacts.audit.models import ReadVia
from contacts.audit.services import identity_shown
from contacts.identifiers import mask_personal_identity
from contacts.models import EventKind
from contacts.permissions import sees_full_identity
from contacts.reasons import REASON_LABELS, Reason
from contacts.services import contact_decision
from kernel.admin_history import history_table, included, person
from kernel.history import Via
from regions.models import Criterion


class ContactPage:
    """The fields of the contact's page (``ContactAdmin.fieldsets``); who sees the full identity number is decided
    once per page, when the contact is read."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._sees_full_identity = sees_full_identity(request.user, obj)
            obj._request = request
        return obj

    @admin.display(description=_("personal identity number"))
    def patient_identity(self, obj):
        if getattr(obj, "_sees_full_identity", False):
            identity_shown(obj._request, contact_id=obj.pk, via=ReadVia.ADMIN_DETAIL)
            return obj.patient_id
        return mask_personal_identity(obj.patient_id)

    @admin.display(description=_("reasons"))
    def reason_list_display(self, obj):
        if not obj.reason_list:
            return "–"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((label,) for label in reason_labels(obj.reason_list)))
        )

    @admin.display(description=_("strong authentication"))
    def strong_authentication_display(self, obj):
        return yes_no(obj.strong_authentication)

    @admin.display(description=_("triage"))
    def triage_display(self, obj):
        return yes_no(obj.triage)

    @admin.display(description=_("documented"))
    def documented_display(self, obj):
        return yes_no(obj.documented)

    @admin.display(description=_("rejection overridden"))
    def overridden_display(self, obj):
        return yes_no(obj.overridden, gettext("An accepted dispute made this contact billable."))

    @admin.display(description=_("locked"))
    def locked_display(self, obj):
        return yes_no(obj.locked, gettext("On a submitted or approved invoice: no longer changeable."))

    @admin.display(description=_("criteria"))
    def criteria_table(self, obj):
        decision = contact_decision(obj)
        if not decision.criteria:
            return gettext("No recommendation version was in force on the contact's date: no criteria were applied.")
        rows = [
            {
                "outcome": "passed" if result.passed else "failed",
                "criterion": Criterion(result.criterion).label if result.criterion in Criterion else result.criterion,
                "result": gettext("Met") if result.passed else gettext("Not met"),
                "reason": "" if result.passed else REASON_LABELS[Reason(result.reason)],
            }
            for result in decision.criteria
        ]
        return included(
            "admin/contacts/includes/contact_evaluation.html",
            {
                "rows": rows,
                "version": gettext("Recommendation version: %(code)s") % {"code": decision.recommendation},
            },
        )

    @admin.display(description=_("history"))
    def history_table(self, obj):
        """The contact's history, its creation first. Creation is stored on the contact (when, through which
        interface, by whom); what it was then is the first later event's result before, or the contact as it
        stands when nothing has happened since."""
        events = list(obj.events.select_related("actor").order_by("at", "id"))
        created = (
            gettext("Created"),
            localize(localtime(obj.created_at)),
            Via(obj.created_via).label if obj.created_via in Via else obj.created_via,
            person(obj.created_by) if obj.created_by_id else "–",
            "–",
            "–",
            result_text(events[0].result_before if events else current_result(obj)),
            "–",
        )
        rows = [
            created,
            *(
                (
                    EventKind(event.kind).label if event.kind in EventKind else event.kind,
                    localize(localtime(event.at)),
                    Via(event.via).label if event.via in Via else event.via,
                    person(event.actor) if event.actor else "–",
                    changes_text(event.changes),
                    result_text(event.result_before),
                    result_text(event.result_after),
                    event.note or "–",
                )
                for event in events
            ),
        ]
        headers = (
            gettext("Event"),
            gettext("Time"),
            gettext("Via"),
            gettext("By"),
            gettext("Changes"),
            gettext("Result before"),
            gettext("Result after"),
            gettext("Note"),
        )
        return history_table(
            rows,
            headers=headers,
            css_class="contact-history",
            events=bool(events),
            no_events_class="contact-no-changes",
        )
