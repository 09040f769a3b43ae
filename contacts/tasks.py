import datetime as dt

from celery import shared_task

from config.business_time import STOCKHOLM
from contacts.services import contacts_reevaluate


@shared_task(name="contacts.reevaluate_since", acks_late=True)
def reevaluate_since(day: str) -> int:
    """Re-evaluate every unlocked contact dated on or after ``day`` (ISO date, Stockholm). Idempotent."""
    since = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=STOCKHOLM)
    return contacts_reevaluate(since=since)
