"""Celery tasks of the disputes. Celery's autodiscovery reads each app's ``tasks`` module only, and
``contacts.tasks``, below billing, may not import the disputes above it: the admin site's app config
(``config.apps``) imports this module instead, in every process."""

from celery import shared_task

from contacts.disputes.notifications import deadline_digest


@shared_task(bind=True, name="contacts.dispute_deadline_digest", acks_late=True)
def dispute_deadline_digest(self) -> int:
    """Daily (celery beat): each billing region hears of its open disputes near or past their deadline. Handed out
    again (after a lost worker), it mails no region twice: the task's id is the digest's idempotency key."""
    return deadline_digest(once=self.request.id)
