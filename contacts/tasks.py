import datetime as dt

from celery import shared_task

from config.business_time import STOCKHOLM
from contacts.disputes.notifications import deadline_digest
from contacts.services import contacts_reevaluate


@shared_task(name="contacts.reevaluate_since", acks_late=True)
def reevaluate_since(day: str) -> int:
    """Re-evaluate every unlocked contact dated on or after ``day`` (ISO date, Stockholm). Idempotent."""
    since = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=STOCKHOLM)
    return contacts_reevaluate(since=since)


@shared_task(name="contacts.dispute_deadline_digest")
def dispute_deadline_digest() -> int:
    """Daily (celery beat): each billing region hears of its open disputes near or past their deadline."""
    return deadline_digest()
