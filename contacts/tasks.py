import datetime as dt

from celery import shared_task

from contacts.services import contacts_reevaluate
from kernel.business_time import STOCKHOLM


@shared_task(name="contacts.reevaluate_since", acks_late=True)
def reevaluate_since(day: str) -> int:
    """Re-evaluate every unlocked contact dated on or after ``day`` (ISO date, Stockholm). Idempotent."""
    since = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=STOCKHOLM)
    return contacts_reevaluate(since=since)


# The CSV upload's task lives with the uploads; imported here so the workers' autodiscovery registers it.
from contacts.uploads.tasks import contact_upload_task  # noqa: E402, F401
