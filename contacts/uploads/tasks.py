from celery import shared_task

from contacts.uploads.models import ContactUpload
from contacts.uploads.services import contact_upload_process


@shared_task(name="contacts.upload_process", acks_late=True)
def contact_upload_task(upload_id: int) -> str:
    """Store a queued CSV upload. Safe to run again: a finished upload is left as it is, a lost one goes on after its
    last stored part (``contact_upload_process``)."""
    upload = ContactUpload.objects.get(pk=upload_id)
    return contact_upload_process(upload=upload).status
