"""What the contact screens call things: reasons by their labels, yes/no facts, and a stored change or evaluation
of the contact's history as clerks read it."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext

from contacts.models import Contact, Content, Mode, Status
from contacts.reasons import REASON_LABELS, Reason
from kernel.money import format_sek


def current_result(contact: Contact) -> dict:
    """The contact's evaluation as its history stores one (``ContactEvent.result_after``)."""
    return {
        "status": contact.status,
        "reasons": contact.reason_list,
        "amount": f"{contact.amount:.2f}",
    }


def reason_labels(codes) -> list[str]:
    return [str(REASON_LABELS[Reason(code)]) if code in Reason else code for code in codes]


def yes_no(value: bool, explanation: str = "") -> str:
    """A yes/no fact as text (the admin draws a read-only boolean as an icon under the field's help text, which reads
    as if the contact were what the help text describes); the explanation only with "yes", where it says what it
    means."""
    if not value:
        return gettext("No")
    if not explanation:
        return gettext("Yes")
    return format_html('{}<div class="help">{}</div>', gettext("Yes"), explanation)


def field_label(column: str) -> str:
    """A stored change's field (``home_region_id``, ``mode``) by its label."""
    name = column.removesuffix("_id")
    try:
        return str(Contact._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return column


def change_value(column: str, value) -> str:
    """A stored change's value as read: choices by their labels, yes/no, kronor, Stockholm time."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    choices = {"mode": Mode, "content": Content}.get(column)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    if column == "patient_fee":
        return format_sek(Decimal(str(value)))
    if column == "started_at":
        try:
            return localize(localtime(dt.datetime.fromisoformat(value)))
        except (TypeError, ValueError):
            return str(value)
    return str(value)


_FIELD_ORDER = {field.name: index for index, field in enumerate(Contact._meta.fields)}


def changes_text(changes: dict) -> str:
    # In the contact's field order, whatever order the database kept the JSON keys in (jsonb sorts them by length).
    ordered = sorted(changes.items(), key=lambda item: (_FIELD_ORDER.get(item[0], len(_FIELD_ORDER)), item[0]))
    return (
        "; ".join(
            f"{field_label(name)}: {change_value(name, before)} → {change_value(name, after)}"
            for name, (before, after) in ordered
        )
        or "–"
    )


def result_text(result: dict | None) -> str:
    """A stored evaluation (``ContactEvent.result_before/after``) as clerks read it."""
    if not result:
        return "–"
    parts = [str(Status(result["status"]).label) if result.get("status") in Status else str(result.get("status"))]
    if result.get("reasons"):
        parts.append("; ".join(reason_labels(result["reasons"])))
    amount = result.get("amount")
    parts.append(format_sek(Decimal(str(amount))) if amount not in (None, "") else "–")
    return " – ".join(parts)
