from celery import shared_task

from regions.models import Region


@shared_task(name="regions.count_regions", acks_late=True)
def count_regions() -> int:
    """A read-only probe used by operations (and CI) to prove a worker reaches the broker and the database."""
    return Region.objects.count()
