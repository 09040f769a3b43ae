"""The rollup rebuilds as Celery tasks: the recent months often (beat), everything nightly."""

from celery import shared_task
from django.conf import settings

from billing.reports.refresh import summaries_refresh
from kernel.business_time import add_months, stockholm_today


@shared_task(name="billing.refresh_reports", acks_late=True)
def refresh_reports(full: bool = False) -> int:
    """Rebuild the report rollups: all months, or the last ``REPORTS_RECENT_MONTHS`` (where contacts still
    arrive, get invoiced, credited or disputed). Idempotent: a rebuild replaces what it covers."""
    since = None
    if not full:
        since = add_months(stockholm_today().replace(day=1), -settings.REPORTS_RECENT_MONTHS)
    return summaries_refresh(since=since).summary_rows
