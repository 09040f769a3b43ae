"""Contacts on the clerks' and managers' start page: billable contacts whose right to payment is about to lapse, and
the rejected contacts of the last months to review. Each counted by the same conditions as the contact list its
links open."""

import datetime as dt

from django.db.models import Count, F, Min, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext

from billing.deadline import deadline_cutoff, last_billable_day
from contacts.models import Contact, Status
from kernel.business_time import STOCKHOLM, add_months, period_bounds, stockholm_date
from kernel.money import ZERO
from regions.selectors import Scope, visible_to
from start.tasks import Detail, Task, admin_url, or_zero

# Rejected contacts are counted for this many months (the current one included), each up to this many.
REJECTED_MONTHS = 3
REJECTED_CAP = 1_000
# Contacts whose invoicing deadline falls within this many days are shown as a task.
LAPSE_WARNING_DAYS = 30


def lapsing_contacts_task(user, scope: Scope, today: dt.date) -> Task | None:
    """Billable contacts of the region not yet on a submitted or approved invoice whose right to payment lapses within
    ``LAPSE_WARNING_DAYS`` (the invoicing deadline, ``billing.deadline``): how many, how much, the oldest and its last
    day, per period, each linking the contact list filtered to exactly them. One aggregate over the (billing region,
    started at) index: the contacts of a month-wide slice."""
    region = scope.region_code
    start, end = deadline_cutoff(today), deadline_cutoff(today + dt.timedelta(days=LAPSE_WARNING_DAYS))
    lapsing = visible_to(
        user,
        Contact.objects.filter(
            billing_region_id=region, status=Status.ELIGIBLE, locked=False, started_at__gte=start, started_at__lt=end
        ),
        pinned={"billing_region": region},
    )
    rows = list(
        lapsing.annotate(month=TruncMonth("started_at", tzinfo=STOCKHOLM))
        .values("month")
        .annotate(count=Count("pk"), amount=Sum("amount"), oldest=Min("started_at"))
        .order_by("month")
    )
    if not rows:
        return None
    oldest = min(row["oldest"] for row in rows)

    def listed(first: dt.datetime, last: dt.datetime) -> str:
        params = {
            "billing_region__code__exact": region,
            "status__exact": Status.ELIGIBLE,
            # The contact list's date range (Stockholm days, both included): the bounds are Stockholm midnights.
            "started_from": stockholm_date(first).isoformat(),
            "started_to": (stockholm_date(last) - dt.timedelta(days=1)).isoformat(),
        }
        return admin_url("admin:contacts_contact_changelist", params)

    details = []
    for row in rows:
        period = f"{row['month']:%Y-%m}"
        period_start, period_end = period_bounds(period)
        details.append(
            Detail(
                text=period,
                count=row["count"],
                amount=or_zero(row["amount"]),
                note=gettext("the oldest lapses after %(date)s") % {"date": last_billable_day(row["oldest"])},
                url=listed(max(start, period_start), min(end, period_end)),
            )
        )
    return Task(
        key="lapsing",
        text=gettext(
            "Invoice the contacts whose right to payment lapses within %(days)d days: run invoicing for their "
            "periods and have the invoices approved (the oldest, of %(oldest)s, lapses after %(last)s)"
        )
        % {
            "days": LAPSE_WARNING_DAYS,
            "oldest": stockholm_date(oldest).isoformat(),
            "last": last_billable_day(oldest).isoformat(),
        },
        count=sum(row["count"] for row in rows),
        amount=sum((or_zero(row["amount"]) for row in rows), ZERO),
        url=listed(start, end),
        details=tuple(details),
    )


# The rejected contacts to review: those of out-of-county care. A contact whose patient lives in the billing region
# is no out-of-county care; rejected as such, it has nothing to correct or contest.
REJECTED_LIST = {"status__exact": Status.REJECTED, "out_of_county": "yes"}


def rejected_contacts_task(user, scope: Scope, today: dt.date) -> Task | None:
    """Rejected contacts of out-of-county care the region bills, per month of the last months, each counted up to a
    cap: a count over a LIMIT walks the (billing region, started at) index and stops (as the contact list's count
    does). Counted by the same filter as the list its links open."""
    region = scope.region_code
    month = today.replace(day=1)
    details, total, capped = [], 0, False
    for step in range(REJECTED_MONTHS):
        period = f"{add_months(month, -step):%Y-%m}"
        start, end = period_bounds(period)
        rejected = visible_to(
            user,
            Contact.objects.filter(
                billing_region_id=region, status=Status.REJECTED, started_at__gte=start, started_at__lt=end
            ).exclude(home_region_id=F("billing_region_id")),  # the list's out_of_county=yes (OutOfCountyFilter)
            pinned={"billing_region": region},
        )
        counted = rejected.order_by().values("pk")[: REJECTED_CAP + 1].count()
        if not counted:
            continue
        capped = capped or counted > REJECTED_CAP
        total += min(counted, REJECTED_CAP)
        params = {**REJECTED_LIST, "billing_region__code__exact": region, "period": period}
        details.append(
            Detail(
                text=period,
                count=min(counted, REJECTED_CAP),
                capped=counted > REJECTED_CAP,
                url=admin_url("admin:contacts_contact_changelist", params),
            )
        )
    if not details:
        return None
    return Task(
        key="rejected",
        text=gettext("Review the rejected contacts of the last months: have them corrected, or contest them"),
        count=total,
        capped=capped,
        url=admin_url("admin:contacts_contact_changelist", {**REJECTED_LIST, "billing_region__code__exact": region}),
        details=tuple(details),
    )
