"""The buyer's objection window as a range of invoice dates (pure: no ORM).

The buyer may object until the invoice date plus ``OBJECTION_PERIOD_MONTHS`` (``contacts.disputes.services.
objection_deadline``). Lists that show the invoices still open to objection need the reverse: the earliest invoice
date whose deadline has not passed. ``add_months`` clamps to the month's end (30 November + 3 months is 28 February),
so going back the same number of months is not exact at month ends; the answer is adjusted by days until it is.
"""

import datetime as dt

from kernel.business_time import add_months


def first_objectable_issue_date(today: dt.date, months: int) -> dt.date:
    """The earliest invoice date ``d`` with ``add_months(d, months) >= today`` (objections still allowed today)."""
    day = add_months(today, -months)
    while add_months(day, months) < today:
        day += dt.timedelta(days=1)
    while add_months(day - dt.timedelta(days=1), months) >= today:
        day -= dt.timedelta(days=1)
    return day
