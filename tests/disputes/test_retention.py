"""Retention of personal data, the disputes' part (disputes.retention): an open case holds its contact; once it is
decided, the next run rewrites the numbers in its texts and deletes its evidence files, and its pages still work."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contacts.models import Contact
from contacts.retention import pseudonym
from disputes.models import DisputeAttachment, DisputeComment, DisputeEvent, DisputeStatus
from disputes.retention import contacts_due_for_pseudonymisation, personal_data_pseudonymise
from disputes.services import dispute_comment, dispute_resolve
from regions.models import Role

pytestmark = pytest.mark.django_db

BEFORE = dt.date(2026, 2, 1)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_an_open_case_holds_its_contact_and_a_decided_one_is_pseudonymised(
    contested, staff, media, api_as, django_capture_on_commit_callbacks
):
    phone = Contact.objects.get(external_id="phone")
    number = phone.patient_id
    evidence = SimpleUploadedFile("journal.txt", f"Patient {number}\n".encode(), "text/plain")
    dispute_comment(dispute=contested, by=staff["clerk04"], text=f"Journalen för {number}", attachments=[evidence])
    attachment = DisputeAttachment.objects.get()
    stored = attachment.file.name

    assert "phone" not in set(contacts_due_for_pseudonymisation(before=BEFORE).values_list("external_id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        held = personal_data_pseudonymise(before=BEFORE)
    # January's other contacts were never invoiced (no run): due by their own dates; the contested one is held.
    assert (held["contacts"], held["dispute_attachments"]) == (5, 0)
    assert Contact.objects.get(pk=phone.pk).patient_id == number

    dispute_resolve(dispute=contested, by=staff["manager04"], outcome=DisputeStatus.DISMISSED, note="Telefon")
    with django_capture_on_commit_callbacks(execute=True):
        counts = personal_data_pseudonymise(before=BEFORE)

    alias = pseudonym(number)
    assert Contact.objects.get(pk=phone.pk).patient_id == alias
    assert (counts["contacts"], counts["texts"], counts["dispute_attachments"]) == (1, 1, 1)
    assert DisputeComment.objects.get(dispute=contested).text == f"Journalen för {alias}"
    assert contested.reason == "Video avsedd"  # nothing to rewrite
    attachment.refresh_from_db()
    assert (attachment.file.name, attachment.name, attachment.size) == ("", "journal.txt", len(evidence))
    assert not (media / stored).exists()
    assert not DisputeEvent.objects.filter(note__contains=number).exists()

    seller = api_as(Role.CLERK, "04")
    assert seller.get(f"/api/v1/disputes/{contested.pk}/attachments/{attachment.pk}/").status_code == 404
    assert seller.get(f"/api/v1/disputes/{contested.pk}/").json()["comments"][0]["text"] == f"Journalen för {alias}"
    browser = Client()
    browser.force_login(staff["clerk04"])
    page = browser.get(reverse("admin:disputes_dispute_change", args=[contested.pk]))
    assert page.status_code == 200 and alias in page.content.decode()
    download = browser.get(reverse("admin:disputes_dispute_attachment", args=[contested.pk, attachment.pk]))
    assert download.status_code == 404
    assert not DisputeEvent.objects.filter(dispute=contested, action="downloaded").exists()
