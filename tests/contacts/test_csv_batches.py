"""CSV uploads as persisted batches (issue 15): a large file is queued and stored in parts with progress, each upload
has its own scoped page, the contact list filters on an upload, the rules-rejected link is a plain filter URL, a file
has a row cap, a failure keeps (and counts) what was stored, and the submit button is disabled once sent."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from kombu.exceptions import OperationalError as KombuOperationalError

from contacts.csv_upload import parse_contacts_csv
from contacts.models import Contact
from contacts.uploads import services
from contacts.uploads.models import ContactUpload, ContactUploadContact, UploadStatus
from contacts.uploads.selectors import uploads_visible
from contacts.uploads.tasks import contact_upload_task
from kernel.business_time import STOCKHOLM
from regions.models import Role
from tests.contacts.test_csv_upload import UPLOAD, row, semicolons, upload

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:contacts_contact_changelist")
UPLOADS = reverse("admin:contacts_contactupload_changelist")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM)
DUPLICATE = "Samma kontakt (vårdgivare och external_id) finns redan på rad 2 i filen."
NOT_A_MODE = "Ska vara något av: video, chat, phone."
PERMISSIONS = ("view_contact", "change_contact", "add_contact")


def page_of(upload_: ContactUpload) -> str:
    return reverse("admin:contacts_contactupload_change", args=[upload_.pk])


@pytest.fixture(autouse=True)
def _december():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff(make_user):
    """A user of a role with the contacts admin's permissions (regions/roles.py does not grant them all yet)."""

    def make(role: Role, region: str | None = None, provider=None):
        user = make_user(role, region, provider)
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="contacts", codename__in=PERMISSIONS)
        )
        return user

    return make


@pytest.fixture
def clerk04(staff):
    return staff(Role.CLERK, "04")


@pytest.fixture
def small_parts(monkeypatch):
    """Files of more than 2 rows go to the background, stored 2 rows a part."""
    monkeypatch.setattr(services, "SYNC_MAX_ROWS", 2)
    monkeypatch.setattr(services, "PART_ROWS", 2)


def five_rows(hsa: str, prefix: str = "") -> bytes:
    return semicolons(
        row(hsa, f"{prefix}a", started_at="2026-11-20 10:01"),  # line 2
        row(hsa, f"{prefix}b", started_at="2026-11-20 10:02"),  # line 3
        row(hsa, f"{prefix}c", started_at="2026-11-20 10:03", mode="phone"),  # line 4: stored, the rules reject it
        row(hsa, f"{prefix}a", started_at="2026-11-20 10:04"),  # line 5: in the next part, repeats line 2
        row(hsa, f"{prefix}d", started_at="2026-11-20 10:05", mode="fax"),  # line 6: refused
    )


def rejected_rows(upload_: ContactUpload) -> list:
    return [(r["line"], r["external_id"], r["errors"]) for r in upload_.report]


# --- the queued path: exact counts and progress ------------------------------------------------------------------


def test_a_large_file_is_queued_then_stored_part_by_part_with_its_progress(
    client, clerk04, providers, small_parts, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(clerk04)
    progress_seen = []
    upsert = services.contacts_upsert

    def spying_upsert(**kwargs):
        progress_seen.append(ContactUpload.objects.get().processed_rows)
        return upsert(**kwargs)

    monkeypatch.setattr(services, "contacts_upsert", spying_upsert)

    with django_capture_on_commit_callbacks() as queued_jobs:
        response = upload(client, five_rows(providers["04a"].hsa_id))
    queued = ContactUpload.objects.get()
    waiting = client.get(page_of(queued)).content.decode()
    assert (queued.status, queued.processed_rows, queued.row_count, Contact.objects.count()) == ("queued", 0, 5, 0)
    for job in queued_jobs:
        job()  # the Celery task (eager in tests)
    done = ContactUpload.objects.get()
    page = client.get(page_of(done))

    assert (response.status_code, response["Location"]) == (302, page_of(queued))
    assert '<meta http-equiv="refresh" content="3">' in waiting
    assert '<dd id="upload-status" class="status-queued">I kö</dd>' in waiting
    assert '<span id="upload-progress">0 %</span>' in waiting
    assert progress_seen == [0, 2, 4]
    assert (done.status, done.processed_rows, done.created, done.updated, done.unchanged, done.rejected) == (
        "done",
        5,
        3,
        0,
        0,
        2,
    )
    assert rejected_rows(done) == [(5, "a", [["external_id", [DUPLICATE]]]), (6, "d", [["mode", [NOT_A_MODE]]])]
    assert (bytes(done.content), done.started_at, done.finished_at, done.region_id, done.provider_id) == (
        b"",
        NOW,
        NOW,
        "04",
        None,
    )
    assert sorted(done.links.values_list("contact__external_id", "outcome")) == [
        ("a", "created"),
        ("b", "created"),
        ("c", "created"),
    ]
    assert page.context["report"]["rules_rejected"] == 1
    assert [(r["line"], r["errors"]) for r in page.context["report"]["rejected"]] == [
        (5, [("external_id", [DUPLICATE])]),
        (6, [("mode", [NOT_A_MODE])]),
    ]
    text = page.content.decode()
    assert 'http-equiv="refresh"' not in text
    assert '<span id="upload-progress">100 %</span>' in text
    assert '<span id="created">3</span>' in text and '<span id="rejected">2</span>' in text


def test_the_same_large_file_uploaded_again_is_all_unchanged_with_the_same_refused_rows(
    client, clerk04, providers, small_parts, django_capture_on_commit_callbacks
):
    client.force_login(clerk04)
    content = five_rows(providers["04a"].hsa_id)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content)

    first, again = ContactUpload.objects.order_by("id")
    assert (again.status, again.created, again.updated, again.unchanged, again.rejected) == ("done", 0, 0, 3, 2)
    assert rejected_rows(again) == rejected_rows(first)
    assert sorted(again.links.values_list("contact__external_id", "outcome")) == [
        ("a", "unchanged"),
        ("b", "unchanged"),
        ("c", "unchanged"),
    ]
    assert Contact.objects.count() == 3


def test_a_small_file_is_stored_within_the_request_as_a_batch_of_its_own(client, clerk04, providers):
    client.force_login(clerk04)

    content = semicolons(row(providers["04a"].hsa_id, "x"), row(providers["04a"].hsa_id, "y"))

    response = upload(client, content)

    stored = ContactUpload.objects.get()
    assert response.status_code == 200
    assert (stored.status, stored.row_count, stored.processed_rows, stored.created, bytes(stored.content)) == (
        "done",
        2,
        2,
        2,
        b"",
    )
    assert (stored.file_name, stored.file_size, stored.uploaded_by) == ("kontakter.csv", len(content), clerk04)
    assert f'<a href="{page_of(stored)}" id="upload-page">' in response.content.decode()
    assert stored.links.count() == 2


# --- a second submission while the first is running ----------------------------------------------------------


def test_the_same_file_sent_again_while_it_is_being_uploaded_is_refused_with_a_link_to_it(
    client, clerk04, providers, small_parts, django_capture_on_commit_callbacks
):
    client.force_login(clerk04)
    content = five_rows(providers["04a"].hsa_id)
    with django_capture_on_commit_callbacks():  # queued, not run yet
        upload(client, content)
    running = ContactUpload.objects.get()
    ContactUpload.objects.filter(pk=running.pk).update(status=UploadStatus.RUNNING)

    with django_capture_on_commit_callbacks() as jobs:
        again = upload(client, content)
        other = upload(client, five_rows(providers["04a"].hsa_id, prefix="other-"))  # another file: taken

    assert again.status_code == 200
    assert again.context["file_errors"] == [
        "Den här filen laddas redan upp (sedan 2026-12-01 09:00). Vänta tills den är klar: dess sida visar hur "
        "långt den har kommit."
    ]
    assert f'<a href="{page_of(running)}" id="running-upload">' in again.content.decode()
    assert other.status_code == 302
    assert (ContactUpload.objects.count(), len(jobs)) == (2, 1)


def test_an_upload_left_running_for_over_half_an_hour_no_longer_blocks_the_same_file(
    client, clerk04, providers, small_parts, django_capture_on_commit_callbacks
):
    client.force_login(clerk04)
    content = five_rows(providers["04a"].hsa_id)
    with django_capture_on_commit_callbacks():  # queued, never run: its process was killed
        upload(client, content)
    ContactUpload.objects.update(status=UploadStatus.RUNNING, created_at=NOW - dt.timedelta(minutes=31))

    with django_capture_on_commit_callbacks(execute=True):
        again = upload(client, content)

    latest = ContactUpload.objects.latest("id")
    assert (again.status_code, again["Location"]) == (302, page_of(latest))
    assert (latest.status, latest.created, ContactUpload.objects.count()) == ("done", 3, 2)


# --- the row cap -------------------------------------------------------------------------------------------------


def test_a_file_over_the_row_cap_is_refused_whole_with_a_swedish_message(client, clerk04, providers, monkeypatch):
    monkeypatch.setattr(services, "MAX_ROWS", 3)
    client.force_login(clerk04)
    hsa = providers["04a"].hsa_id

    response = upload(client, semicolons(*(row(hsa, f"r{n}", started_at=f"2026-11-20 10:0{n}") for n in range(4))))

    assert services.MAX_ROWS == 3 and (response.status_code, response.context["report"]) == (200, None)
    assert response.context["file_errors"] == [
        "Filen har 4 rader; högst 3 rader kan laddas upp i en fil. Dela upp den i mindre filer och ladda upp dem en "
        "i taget."
    ]
    assert "Ingenting sparades." in response.content.decode()
    assert (ContactUpload.objects.count(), Contact.objects.count()) == (0, 0)


def test_the_row_cap_is_a_hundred_thousand_rows_and_the_page_says_so(client, clerk04):
    client.force_login(clerk04)

    page = client.get(UPLOAD).content.decode()

    assert (services.MAX_ROWS, services.SYNC_MAX_ROWS) == (100_000, 2_000)
    assert "En fil med upp till 2\xa0000 rader sparas direkt" in page
    assert "En fil får ha högst 100\xa0000 rader." in page


# --- a failure mid-way ---------------------------------------------------------------------------------------------


def test_an_upload_that_fails_mid_way_is_failed_with_a_message_and_keeps_and_counts_what_it_stored(
    client, clerk04, providers, small_parts, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(clerk04)
    upsert = services.contacts_upsert
    calls = []

    def failing_second_part(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return upsert(**kwargs)

    monkeypatch.setattr(services, "contacts_upsert", failing_second_part)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, five_rows(providers["04a"].hsa_id))

    failed = ContactUpload.objects.get()
    page = client.get(page_of(failed)).content.decode()
    message = (
        "Avbröts på rad 4 av ett oväntat fel (RuntimeError). Kontakterna på raderna före den är sparade och räknade "
        "här. Ladda upp filen igen för att spara resten: det som redan är sparat räknas då som oförändrat."
    )
    assert (failed.status, failed.error, failed.processed_rows, failed.created, failed.rejected) == (
        "failed",
        message,
        2,
        2,
        0,
    )
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["a", "b"]
    assert sorted(failed.links.values_list("contact__external_id", flat=True)) == ["a", "b"]
    assert (bytes(failed.content), failed.finished_at) == (b"", NOW)
    assert f'<p class="errornote upload-error">{message}</p>' in page
    assert '<dd id="upload-status" class="status-failed">Misslyckades</dd>' in page
    assert 'http-equiv="refresh"' not in page


def test_a_finished_upload_handed_out_again_is_left_as_it_is(client, clerk04, providers, small_parts):
    client.force_login(clerk04)
    upload(client, semicolons(row(providers["04a"].hsa_id, "x")))
    done = ContactUpload.objects.get()

    again = services.contact_upload_process(upload=done)

    assert (again.status, again.created, again.unchanged, Contact.objects.count()) == ("done", 1, 0, 1)


def test_an_upload_whose_worker_was_lost_goes_on_after_its_last_stored_part_when_handed_out_again(
    client, clerk04, providers, small_parts, monkeypatch, django_capture_on_commit_callbacks
):
    class WorkerLost(BaseException):
        """What a killed worker looks like from inside: nothing the service catches."""

    client.force_login(clerk04)
    upsert = services.contacts_upsert
    calls = []

    def killed_in_second_part(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerLost
        return upsert(**kwargs)

    monkeypatch.setattr(services, "contacts_upsert", killed_in_second_part)
    with django_capture_on_commit_callbacks() as jobs:
        upload(client, five_rows(providers["04a"].hsa_id))
    with pytest.raises(WorkerLost):
        jobs[0]()
    lost = ContactUpload.objects.get()
    lost_state = (lost.status, lost.processed_rows, lost.created)

    assert contact_upload_task.apply(args=[lost.pk]).get() == "done"  # handed out again
    again = ContactUpload.objects.get()

    assert lost_state == ("running", 2, 2)
    # Line 5 repeats line 2, stored before the break: refused as repeated, as in an upload without a break.
    assert (again.status, again.processed_rows, again.created, again.updated, again.rejected) == (
        "done",
        5,
        3,
        0,
        2,
    )
    assert rejected_rows(again) == [(5, "a", [["external_id", [DUPLICATE]]]), (6, "d", [["mode", [NOT_A_MODE]]])]
    assert sorted(again.links.values_list("contact__external_id", "outcome")) == [
        ("a", "created"),
        ("b", "created"),
        ("c", "created"),
    ]


# --- scoping of the upload pages -----------------------------------------------------------------------------------


def test_an_uploads_page_and_the_list_of_uploads_are_seen_only_in_the_uploaders_scope(client, staff, providers):
    uploader = staff(Role.CLERK, "04")
    provider_user = staff(Role.PROVIDER, provider=providers["04a"])
    client.force_login(uploader)
    upload(client, semicolons(row(providers["04a"].hsa_id, "region")))
    by_region = ContactUpload.objects.get()
    # Provider users have no admin (they report through the API); their uploads are scoped to their provider.
    content = semicolons(row(providers["04a"].hsa_id, "own"))
    by_provider = services.contact_upload_start(
        user=provider_user, file_name="egen.csv", content=content, parsed=parse_contacts_csv(content)
    )
    viewers = {
        "uploader": uploader,
        "colleague": staff(Role.MANAGER, "04"),
        "other region": staff(Role.CLERK, "06"),
        "national admin": staff(Role.ADMIN),
    }

    seen = {}
    for name, viewer in viewers.items():
        web = Client()
        web.force_login(viewer)
        listed = web.get(UPLOADS)
        seen[name] = (
            web.get(page_of(by_region)).status_code,
            web.get(page_of(by_provider)).status_code,
            sorted(u.file_name for u in listed.context["cl"].result_list),
        )
    anonymous = Client().get(page_of(by_region))
    provider_web = Client()
    provider_web.force_login(provider_user)

    assert (by_region.region_id, by_region.provider_id, by_provider.region_id, by_provider.provider_id) == (
        "04",
        None,
        None,
        providers["04a"].pk,
    )
    assert seen == {
        "uploader": (200, 404, ["kontakter.csv"]),
        "colleague": (200, 404, ["kontakter.csv"]),
        "other region": (404, 404, []),
        "national admin": (200, 200, ["egen.csv", "kontakter.csv"]),
    }
    assert list(uploads_visible(provider_user)) == [by_provider]
    assert list(uploads_visible(staff(Role.PROVIDER, provider=providers["04b"]))) == []
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("admin:login"))
    assert provider_web.get(page_of(by_provider)).status_code == 302  # no admin for provider users: to the login


def test_an_unknown_or_malformed_upload_is_404(client, clerk04):
    client.force_login(clerk04)

    assert client.get(reverse("admin:contacts_contactupload_change", args=[999])).status_code == 404
    assert client.get(reverse("admin:contacts_contactupload_change", args=["x"])).status_code == 404


# --- the contact list's upload filter and the rules-rejected link -------------------------------------------------


def test_the_contact_list_filters_on_an_upload_the_user_may_see(client, staff, providers):
    clerk, other = staff(Role.CLERK, "04"), staff(Role.CLERK, "06")
    hsa = providers["04a"].hsa_id
    client.force_login(clerk)
    upload(client, semicolons(row(hsa, "first-1", started_at="2026-11-20 10:01"), row(hsa, "both")))
    upload(client, semicolons(row(hsa, "second-1", started_at="2026-11-20 10:02"), row(hsa, "both")))
    first, second = ContactUpload.objects.order_by("id")

    def listed(user, **params):
        web = Client()
        web.force_login(user)
        response = web.get(CHANGELIST, params)
        return sorted(c.external_id for c in response.context["cl"].result_list), response

    in_first, response = listed(clerk, upload=first.pk)
    in_second, _response = listed(clerk, upload=second.pk)

    assert (in_first, in_second) == (["both", "first-1"], ["both", "second-1"])
    assert listed(clerk, upload="nonsense")[0] == []
    assert listed(other, upload=first.pk)[0] == []  # another region's upload: nothing, not its contacts
    uploads_filter = next(
        s for s in response.context["cl"].filter_specs if getattr(s, "parameter_name", "") == "upload"
    )
    assert uploads_filter.lookup_choices == [
        (str(second.pk), f"kontakter.csv 2026-12-01 09:00 #{second.pk}"),
        (str(first.pk), f"kontakter.csv 2026-12-01 09:00 #{first.pk}"),
    ]
    assert str(uploads_filter.title) == "uppladdning"


def test_the_rules_rejected_link_is_a_filter_url_that_survives_logout_and_works_for_a_colleague(
    client, staff, providers
):
    uploader, colleague, other = staff(Role.CLERK, "04"), staff(Role.CLERK, "04"), staff(Role.CLERK, "06")
    hsa = providers["04a"].hsa_id
    client.force_login(uploader)
    response = upload(
        client,
        semicolons(
            row(hsa, "phone", started_at="2026-11-20 10:01", mode="phone"),
            row(hsa, "same-region", started_at="2026-11-20 10:02", home_region="04"),
            row(hsa, "ok", started_at="2026-11-20 10:03"),
        ),
    )
    batch = ContactUpload.objects.get()
    link = response.context["report"]["rules_rejected_url"]
    client.logout()

    def listed(user):
        web = Client()
        web.force_login(user)
        return sorted(c.external_id for c in web.get(link).context["cl"].result_list)

    assert link == f"{CHANGELIST}?upload={batch.pk}&status__exact=rejected"
    assert f'<a href="{link.replace("&", "&amp;")}" id="rules-rejected-link">' in response.content.decode()
    assert (listed(uploader), listed(colleague), listed(other)) == (
        ["phone", "same-region"],
        ["phone", "same-region"],
        [],
    )
    assert ContactUploadContact.objects.filter(upload=batch).count() == 3


# --- the submit button ---------------------------------------------------------------------------------------------


def test_the_upload_button_is_disabled_once_the_form_is_sent(client, clerk04):
    client.force_login(clerk04)

    page = client.get(UPLOAD).content.decode()

    assert (
        '<input type="submit" class="default" value="Ladda upp" data-disable-on-submit '
        'data-busy-value="Laddar upp …">' in page
    )
    assert '<script src="/static/utomlans/submit_once.js' in page


def test_a_large_file_the_job_queue_cannot_take_is_failed_with_a_message_and_nothing_stored(
    client, clerk04, providers, small_parts, monkeypatch, django_capture_on_commit_callbacks
):
    def unreachable(*args, **kwargs):
        raise KombuOperationalError("Connection refused")

    monkeypatch.setattr(contact_upload_task, "delay", unreachable)
    client.force_login(clerk04)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, five_rows(providers["04a"].hsa_id))

    failed = ContactUpload.objects.get()
    assert (response.status_code, response["Location"]) == (302, page_of(failed))
    assert (failed.status, failed.error, bytes(failed.content), failed.processed_rows) == (
        "failed",
        "Jobbkön gick inte att nå, så filen bearbetades inte. Ladda upp den igen om en stund.",
        b"",
        0,
    )
    assert Contact.objects.count() == 0
