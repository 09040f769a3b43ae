"""Celery tasks of the disputes, found by Celery's autodiscovery (each app's ``tasks`` module) and imported by the
app's config in every process. The task keeps the name it had while the disputes were a package of contacts
(``contacts.dispute_deadline_digest``): the beat schedule and messages already queued use it."""

from celery import shared_task

from disputes.notifications import deadline_digest
from disputes.retention import personal_data_retention_run


@shared_task(bind=True, name="contacts.dispute_deadline_digest", acks_late=True)
def dispute_deadline_digest(self) -> int:
    """Daily (celery beat): each billing region hears of its open disputes near or past their deadline. Handed out
    again (after a lost worker), it mails no region twice: the task's id is the digest's idempotency key."""
    return deadline_digest(once=self.request.id)


@shared_task(name="disputes.personal_data_retention", acks_late=True)
def personal_data_retention() -> dict[str, int]:
    """Nightly (celery beat): pseudonymise the identity numbers past the retention period (disputes.retention).
    Idempotent and resumable: handed out again, it finds done what was done. Returns the counts (no identities)."""
    return personal_data_retention_run()
