"""The one presenter of a history in the admin: every page's history table (an invoice's, a contact's, a dispute
case's, reference data's) is ``templates/admin/includes/history.html`` fed by ``history_context``. The change events
(``kernel.history.ChangeEvent``: invoices, disputes, reference data) are put in rows by ``change_history_table``; a
contact's history, with its evaluation before and after each event, by the contact's admin.

The apps say what their events mean (their actions, fields and values in the reader's words) and hand over rows of
cells; this module and its template decide how a history looks. A cell is a text, or a list of changed fields
(``changes_cell``: each field's label, value before and value after, one line each; "–" when nothing changed).
"""

from collections.abc import Iterable, Mapping, Sequence

from django.template.loader import render_to_string
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.history import Via

TEMPLATE = "admin/includes/history.html"


def text_cell(text) -> dict:
    """A cell that reads as ``text`` (escaped unless already safe HTML)."""
    return {"text": text}


def changes_cell(changes: Iterable[tuple[str, str, str]]) -> dict:
    """A cell listing changed fields as ``(label, before, after)``; "–" when none."""
    changes = list(changes)
    return {"changes": changes} if changes else {"text": "–"}


def history_context(
    rows: Sequence[Sequence],
    *,
    headers: Sequence[str],
    css_class: str = "change-history",
    events: bool | None = None,
    no_events_class: str = "",
) -> dict:
    """The template's context: ``rows`` of cells (a text, or a ``text_cell``/``changes_cell``) under ``headers``.

    With no row at all the table gives way to a paragraph saying no change was recorded (``css_class``, the page's
    ``id="history"``). A history that always has a row (a contact's creation) says ``events=False`` when nothing
    happened since: the table, then that paragraph in ``no_events_class``."""
    return {
        "history_css_class": css_class,
        "history_headers": list(headers),
        "history_rows": [[cell if isinstance(cell, dict) else text_cell(cell) for cell in row] for row in rows],
        "history_no_events": (not rows) if events is None else not events,
        "history_no_events_class": no_events_class,
        "history_empty_text": gettext("No changes recorded."),
    }


def history_table(rows: Sequence[Sequence], **options) -> SafeString:
    """The history rendered (see ``history_context``): for a read-only field of an admin page."""
    return included(TEMPLATE, history_context(rows, **options))


def included(template: str, context: dict) -> SafeString:
    """An included template (a table of an admin page) rendered with ``context``, for a read-only field: the same
    HTML as ``{% include %}`` with that context gives, less the file's surrounding blank space."""
    return mark_safe(render_to_string(template, context).strip())  # noqa: S308 - a template's own, escaped output


# --- The change events (kernel.history.ChangeEvent: invoices, disputes, reference data) ---------------------------


def person(user) -> str:
    """A user as colleagues know them: the full name, or the user name when no name is recorded."""
    if user is None:
        return "–"
    return user.get_full_name() or user.get_username()


def change_history_context(
    events,
    labels: Mapping[str, str] | None = None,
    actions: Mapping[str, str] | None = None,
    vias: Mapping[str, str] | None = None,
) -> dict:
    """An aggregate's history for the template: when, what, who, through which interface, and each changed field
    before and after. ``events`` have ``at``, ``action``, ``actor``, ``via``, ``changes`` and ``note`` (the change
    events of reference data, invoices and disputes); ``labels``, ``actions`` and ``vias`` name fields, actions and
    interfaces for the reader (reference data's own by default)."""
    labels = labels or {}
    actions = {**ACTIONS, **(actions or {})}
    vias = {**dict(Via.choices), **(vias or {})}
    rows = [
        (
            localize(localtime(event.at)),
            actions.get(event.action, event.action),
            person(event.actor) if event.actor else gettext("System"),
            vias.get(event.via, event.via),
            changes_cell(
                (labels.get(name, name), _value(before), _value(after))
                for name, (before, after) in _in_order(event.changes, labels)
            ),
            event.note or "–",
        )
        for event in events
    ]
    headers = (gettext("Time"), gettext("Event"), gettext("By"), gettext("Via"), gettext("Changes"), gettext("Note"))
    return history_context(rows, headers=headers)


def change_history_table(
    events,
    labels: Mapping[str, str] | None = None,
    actions: Mapping[str, str] | None = None,
    vias: Mapping[str, str] | None = None,
) -> SafeString:
    """``change_history_context`` rendered, for a read-only field."""
    return included(TEMPLATE, change_history_context(events, labels, actions, vias))


ACTIONS = {
    "created": _("Created"),
    "changed": _("Changed"),
    "published": _("Published"),
    "deleted": _("Deleted"),
}


def _value(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "–"
    return str(value)


def _in_order(changes: Mapping[str, list], labels: Mapping[str, str]) -> list[tuple[str, list]]:
    """The changed fields in the order of ``labels`` (the form's order), then the others by name: the same order
    whatever the database kept the JSON keys in (PostgreSQL's jsonb sorts them by length)."""
    position = {name: index for index, name in enumerate(labels)}
    return sorted(changes.items(), key=lambda item: (position.get(item[0], len(position)), item[0]))
