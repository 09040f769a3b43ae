"""The buyer's objection window, in one place (pure: no ORM): the last day to object to an invoice, and the
window as a range of invoice dates.

The buyer may object until the invoice date plus ``OBJECTION_PERIOD_MONTHS`` (``objection_deadline``, which the
disputes above billing read, for a case and for the invoice screen's objection column). Lists that show the invoices
still open to objection need the reverse: the earliest invoice date whose deadline has not passed. ``add_months``
clamps to the month's end (30 November + 3 months is 28 February), so going back the same number of months is not
exact at month ends; the answer is adjusted by days until it is.
"""

import datetime as dt

from django.conf import settings

from kernel.business_time import add_months


def objection_deadline(invoice) -> dt.date:
    """The last day the buyer may object: the invoice date plus the objection period."""
    return add_months(invoice.issue_date, settings.OBJECTION_PERIOD_MONTHS)


def first_objectable_issue_date(today: dt.date, months: int) -> dt.date:
    """The earliest invoice date ``d`` with ``add_months(d, months) >= today`` (objections still allowed today)."""
    day = add_months(today, -months)
    while add_months(day, months) < today:
        day += dt.timedelta(days=1)
    while add_months(day - dt.timedelta(days=1), months) >= today:
        day -= dt.timedelta(days=1)
    return day
