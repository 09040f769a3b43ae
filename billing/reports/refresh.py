"""Rebuild the report rollups from the contacts, set-based: one INSERT … SELECT … GROUP BY per rollup.

The SELECT is the ORM's own aggregate query, compiled for the database in use (PostgreSQL or SQLite), with
every column named; the INSERT takes its columns by those names. Only months from ``since`` are rebuilt:
the periodic job rebuilds the recent months (where contacts still arrive, are invoiced, credited or
disputed), a nightly job everything. One transaction: readers see the old figures until it commits.
"""

import datetime as dt
import time
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear, TruncMonth
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from billing.reports.models import AGE_GROUP_FLOORS, ContactSummary, ListingUnitSummary, SummaryRefresh
from contacts.models import Contact, Status
from kernel.business_time import STOCKHOLM, start_of_day

# Contacts that cost the buyer: approved, whether or not invoiced yet. Credited contacts were paid back.
BILLABLE = (Status.ELIGIBLE, Status.INVOICED)


class AgeGroupOf(Func):
    """The ``AgeGroup`` of an age key (YYYYMMDD of the day − YYYYMMDD of the birth, see ``with_age_group``).

    PostgreSQL computes the key once and buckets it (``width_bucket`` counts the floors it has reached);
    elsewhere one CASE branch per group.
    """

    output_field = IntegerField()
    arity = 1
    FLOORS = [floor * 10000 for floor in AGE_GROUP_FLOORS[1:]]

    def as_sql(self, compiler, connection, **extra_context):
        whens = [
            When(GreaterThanOrEqual(self.source_expressions[0], Value(floor)), then=Value(group))
            for group, floor in enumerate(self.FLOORS, start=1)
        ]
        case = Case(*reversed(whens), default=Value(0), output_field=IntegerField())
        return compiler.compile(case.resolve_expression(compiler.query))

    def as_postgresql(self, compiler, connection, **extra_context):
        key_sql, key_params = compiler.compile(self.source_expressions[0])
        floors = ", ".join(str(floor) for floor in self.FLOORS)
        return f"width_bucket(({key_sql})::integer, ARRAY[{floors}])", key_params


def with_age_group(queryset: QuerySet) -> QuerySet:
    """Annotate ``s_age_group`` (``AgeGroup``): the patient's age in whole years on the Stockholm date of the
    contact. A birthday counts from its own day: born 2019-03-12, the patient is 7 on 2026-03-12 and 6 the
    day before. Born on 29 February, the birthday in other years is reached on 1 March.

    The age is ``(YYYYMMDD of the contact − YYYYMMDD of the birth) // 10 000``, so reaching an age is one
    integer comparison of that difference with the age × 10 000.
    """
    day = (
        ExtractYear("started_at", tzinfo=STOCKHOLM) * 10000
        + ExtractMonth("started_at", tzinfo=STOCKHOLM) * 100
        + ExtractDay("started_at", tzinfo=STOCKHOLM)
    )
    born = (
        ExtractYear("patient_birth_date") * 10000
        + ExtractMonth("patient_birth_date") * 100
        + ExtractDay("patient_birth_date")
    )
    return queryset.annotate(s_age_group=AgeGroupOf(ExpressionWrapper(day - born, output_field=IntegerField())))


def _out_of_county(since: dt.date | None) -> QuerySet:
    queryset = Contact.objects.exclude(home_region=F("billing_region")).order_by()
    if since is not None:
        queryset = queryset.filter(started_at__gte=start_of_day(since))
    return queryset.annotate(
        s_month=TruncMonth("started_at", tzinfo=STOCKHOLM, output_field=DateField()),
        s_billing=F("billing_region"),
        s_home=F("home_region"),
        s_provider=F("provider"),
        s_profession=F("profession"),
    )


def contact_summary_select(since: dt.date | None) -> QuerySet:
    columns = ("s_month", "s_billing", "s_home", "s_provider", "s_profession", "s_age_group")
    return (
        with_age_group(_out_of_county(since))
        .annotate(s_sex=F("patient_sex"), s_status=F("status"), s_reasons=F("reasons"), s_fee=F("patient_fee"))
        .values(*columns, "s_sex", "s_status", "s_reasons", "s_fee")
        .annotate(s_contacts=Count("id"), s_amount=Sum("amount"))
    )


def listing_unit_summary_select(since: dt.date | None) -> QuerySet:
    return (
        _out_of_county(since)
        .filter(status__in=BILLABLE)
        .exclude(listing_unit="")
        .annotate(s_listing_unit=F("listing_unit"))
        .values("s_month", "s_billing", "s_home", "s_provider", "s_profession", "s_listing_unit")
        .annotate(s_contacts=Count("id"), s_amount=Sum("amount"))
    )


# Rollup column ← name in the SELECT.
CONTACT_COLUMNS = {
    "month": "s_month",
    "billing_region_id": "s_billing",
    "home_region_id": "s_home",
    "provider_id": "s_provider",
    "profession_id": "s_profession",
    "age_group": "s_age_group",
    "sex": "s_sex",
    "status": "s_status",
    "reasons": "s_reasons",
    "patient_fee": "s_fee",
    "contacts": "s_contacts",
    "amount": "s_amount",
}
LISTING_COLUMNS = {
    "month": "s_month",
    "billing_region_id": "s_billing",
    "home_region_id": "s_home",
    "provider_id": "s_provider",
    "profession_id": "s_profession",
    "listing_unit": "s_listing_unit",
    "contacts": "s_contacts",
    "amount": "s_amount",
}


def _insert_select(model, columns: dict[str, str], select: QuerySet) -> int:
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    target = ", ".join(quote(column) for column in columns)
    source = ", ".join(f"rollup.{quote(name)}" for name in columns.values())
    statement = f"INSERT INTO {quote(model._meta.db_table)} ({target}) SELECT {source} FROM ({sql}) rollup"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def summaries_refresh(*, since: dt.date | None = None) -> SummaryRefresh:
    """Rebuild the rollups for the months from ``since`` (a first of month; None: all months)."""
    if since is not None and since.day != 1:
        raise ValueError("since must be the first day of a month")
    began = time.monotonic()
    with transaction.atomic():
        state, _created = SummaryRefresh.objects.select_for_update().get_or_create(pk=1)
        for model in (ContactSummary, ListingUnitSummary):
            stale = model.objects.all() if since is None else model.objects.filter(month__gte=since)
            stale._raw_delete(stale.db)  # derived rows: no signals, no cascades, one DELETE
        rows = _insert_select(ContactSummary, CONTACT_COLUMNS, contact_summary_select(since))
        rows += _insert_select(ListingUnitSummary, LISTING_COLUMNS, listing_unit_summary_select(since))
        state.refreshed_at = timezone.now()
        state.since = since
        state.summary_rows = rows
        state.seconds = Decimal(f"{time.monotonic() - began:.2f}")
        state.save()
    return state


def last_refresh() -> SummaryRefresh | None:
    return SummaryRefresh.objects.filter(refreshed_at__isnull=False).first()
