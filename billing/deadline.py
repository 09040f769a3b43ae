"""The invoicing deadline (Riksavtalet: the right to payment lapses when no invoice is sent within six months of the
contact), as plain functions of Stockholm dates. No ORM: runs, approval, the schedule and the start page ask these.

A contact of Stockholm day ``D`` may be invoiced (its invoice approved) up to and including ``last_billable_day(D)``,
``D`` plus ``INVOICING_DEADLINE_MONTHS`` (clamped to the month's end: a contact of 31 August lapses after the last day
of February). On any later day it has lapsed.
"""

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import ngettext

from kernel.business_time import add_months, start_of_day, stockholm_date


def deadline_cutoff(on: dt.date) -> dt.datetime:
    """Contacts that started before this moment have lapsed on ``on``."""
    return start_of_day(add_months(on, -settings.INVOICING_DEADLINE_MONTHS))


def last_billable_day(started_at: dt.datetime | dt.date) -> dt.date:
    """The last Stockholm day on which a contact that started at ``started_at`` may still be invoiced."""
    return add_months(stockholm_date(started_at), settings.INVOICING_DEADLINE_MONTHS)


def has_lapsed(started_at: dt.datetime, on: dt.date) -> bool:
    return started_at < deadline_cutoff(on)


def lapsed_note(external_ids: list[str], *, on: dt.date) -> str:
    """The history's words for contacts removed because their invoicing deadline passed: how many, when, and which
    (the first 20 by external id)."""
    shown = ", ".join(external_ids[:20]) + (" …" if len(external_ids) > 20 else "")
    with translation.override(settings.LANGUAGE_CODE):  # a note kept for every reader: in the product's language
        return ngettext(
            "%(count)d contact past the invoicing deadline on %(date)s removed: %(contacts)s",
            "%(count)d contacts past the invoicing deadline on %(date)s removed: %(contacts)s",
            len(external_ids),
        ) % {"count": len(external_ids), "date": on.isoformat(), "contacts": shown}
