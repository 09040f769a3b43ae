import uuid

from contacts.models import Contact
from disputes.models import Dispute
from disputes.services import dispute_open
from disputes.tasks import dispute_deadline_digest
from kernel.business_time import stockholm_today


def test_the_dispute_digest_task_run_again_mails_no_one_twice(month, mailoutbox):
    clerk = month["clerk"]
    clerk.email = "clerk04@region04.example"
    clerk.save(update_fields=["email"])
    dispute = dispute_open(contact=Contact.objects.get(external_id="phone"), by=clerk, reason="Vi bestrider")
    Dispute.objects.filter(pk=dispute.pk).update(deadline=stockholm_today())
    task_id = str(uuid.uuid4())

    first = dispute_deadline_digest.apply(task_id=task_id).get()
    again = dispute_deadline_digest.apply(task_id=task_id).get()  # the same task, handed out again
    next_day = dispute_deadline_digest.apply().get()  # a new task (tomorrow's)

    assert (first, again, next_day) == (1, 0, 1)
    assert [m.to for m in mailoutbox] == [["clerk04@region04.example"]] * 2
