"""What the case page calls things: its history's actions and fields, the stored values of its history as read,
the deadline and the times."""

from django.contrib.auth import get_user_model
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.models import CreditReason
from disputes.models import Dispute, DisputeStatus
from kernel.admin_history import person
from kernel.business_time import stockholm_today

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


def stockholm_date_text(moment) -> str:
    return localtime(moment).strftime("%Y-%m-%d %H:%M")


def deadline_text(dispute: Dispute) -> str:
    """The response deadline, marked when an open case has passed it."""
    if dispute.status == DisputeStatus.OPEN and dispute.deadline < stockholm_today():
        return format_html('<span class="overdue">{} – {}</span>', dispute.deadline.isoformat(), gettext("overdue"))
    return dispute.deadline.isoformat()


def history_values(events, credit_notes: dict[int, str], people: dict[str, str]):
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


def people_named(events) -> dict[str, str]:
    """The assignees the history names (stored by user name), by the names colleagues know them by (one query)."""
    usernames = {v for e in events for v in e.changes.get("assignee", []) if isinstance(v, str)}
    usernames |= {e.note for e in events if e.action == "assigned" and e.note}
    if not usernames:
        return {}
    users = get_user_model().objects.filter(username__in=usernames)
    return {user.get_username(): person(user) for user in users}
