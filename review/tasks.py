from celery import shared_task
from django.conf import settings

from kernel.business_time import stockholm_today
from review.loading import register_retention_purge


@shared_task(name="review.purge_expired_register_entries", acks_late=True)
def purge_expired_register_entries() -> dict[str, int]:
    """Delete register entries whose validity ended more than ``REGISTER_RETENTION_DAYS`` ago. Idempotent."""
    return register_retention_purge(today=stockholm_today(), days=settings.REGISTER_RETENTION_DAYS)
