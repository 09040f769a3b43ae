"""The upload's dry run (issue 20, item 2): "Kontrollera utan att spara" runs the real upload and rolls it back, shows
exactly what it would store (counts, the rules' decisions, the refused rows by line), writes nothing (no row in any
table, no job queued), keeps the file so that "Spara" stores that very file through the normal upload, and offers
the refused rows as a CSV file to correct, for a check and for a real upload alike."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from contacts.intake import contacts_upsert
from contacts.models import Contact, ContactEvent
from contacts.uploads import dry_run, services
from contacts.uploads.models import ContactUpload, ContactUploadContact
from kernel.business_time import STOCKHOLM
from regions.models import Role
from tests.contacts.test_csv_upload import UPLOAD, row, semicolons
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM)
NOT_A_MODE = "Ska vara något av: video, chat, phone."
REPEATED = "Samma kontakt (vårdgivare och external_id) finns redan på rad 2 i filen."
BOM = "\ufeff".encode()


@pytest.fixture(autouse=True)
def _december():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff(make_user):
    """A user of a role with the contacts admin's permissions (as in test_csv_batches)."""

    def make(role: Role, region: str | None = None):
        user = make_user(role, region)
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="contacts", codename__in=("view_contact", "change_contact", "add_contact")
            )
        )
        return user

    return make


@pytest.fixture
def clerk04(staff):
    return staff(Role.CLERK, "04")


@pytest.fixture
def stored(clerk04, providers):
    """Two contacts stored before the file is checked: "old-1" (the file changes its fee) and "old-2" (the same)."""
    hsa = providers["04a"].hsa_id
    items = [
        contact_item(
            provider=hsa,
            external_id="old-1",
            patient_id=personnummer("19850312", "301"),
            started_at="2026-11-10T10:00:00+01:00",
            patient_fee="0.00",
        ),
        contact_item(
            provider=hsa,
            external_id="old-2",
            patient_id=personnummer("19850312", "302"),
            started_at="2026-11-11T10:00:00+01:00",
            patient_fee="0.00",
        ),
    ]
    assert contacts_upsert(items=items, user=clerk04, channel="api").errors == []
    return hsa


def the_file(hsa: str) -> bytes:
    return semicolons(
        row(hsa, "new-1", patient_id=personnummer("19850312", "201"), started_at="2026-11-20 10:00"),  # 2: created
        row(hsa, "new-2", patient_id=personnummer("19850312", "202"), started_at="2026-11-20 11:00", mode="phone"),
        row(  # 4: updated (the fee)
            hsa, "old-1", patient_id=personnummer("19850312", "301"), started_at="2026-11-10 10:00", patient_fee="100"
        ),
        row(hsa, "old-2", patient_id=personnummer("19850312", "302"), started_at="2026-11-11 10:00"),  # 5: unchanged
        row(hsa, "bad-1", patient_id=personnummer("19850312", "203"), started_at="2026-11-20 12:00", mode="fax"),
        row(hsa, "new-1", patient_id=personnummer("19850312", "204"), started_at="2026-11-20 13:00"),  # 7: repeated
    )


def post(client, content: bytes, **extra):
    file = SimpleUploadedFile("kontakter.csv", content, content_type="text/csv")
    return client.post(UPLOAD, {"file": file, **extra})


def check(client, content: bytes):
    return post(client, content, dry_run="1")


def rows_in_every_table() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def stored_state() -> list[tuple]:
    return list(Contact.objects.order_by("external_id").values_list("external_id", "patient_fee", "status", "amount"))


def test_a_check_shows_exactly_what_an_upload_would_store_and_writes_nothing(
    client, clerk04, stored, django_capture_on_commit_callbacks
):
    client.force_login(clerk04)
    before, state = rows_in_every_table(), stored_state()

    with django_capture_on_commit_callbacks() as callbacks:
        response = check(client, the_file(stored))

    result = response.context["dry_run"]
    page = response.content.decode()
    assert response.status_code == 200
    assert (result.created, result.updated, result.unchanged, len(result.rejected)) == (2, 1, 1, 2)
    assert [
        (d["line"], d["external_id"], d["outcome"], d["status"], d["reasons"], d["amount"]) for d in result.decisions
    ] == [
        (2, "new-1", "created", "eligible", [], Decimal("435.00")),
        (3, "new-2", "created", "rejected", ["not_digital"], Decimal("0.00")),
        (4, "old-1", "updated", "eligible", [], Decimal("335.00")),
    ]
    assert [(r["line"], r["external_id"], r["errors"]) for r in result.rejected] == [
        (6, "bad-1", [["mode", [NOT_A_MODE]]]),
        (7, "new-1", [["external_id", [REPEATED]]]),
    ]
    assert '<span id="dry-created">2</span>' in page
    assert '<span id="dry-updated">1</span>' in page
    assert '<span id="dry-unchanged">1</span>' in page
    assert '<span id="dry-rejected">2</span>' in page
    assert "Inte en digital kontakt (telefon)" in page
    assert "Kontroll av kontakter.csv: ingenting sparades" in page
    # Nothing written: not a row in any table, no job queued; the contacts as they were.
    assert rows_in_every_table() == before
    assert callbacks == []
    assert stored_state() == state
    assert (ContactUpload.objects.count(), ContactUploadContact.objects.count(), ContactEvent.objects.count()) == (
        0,
        0,
        0,
    )


def test_save_stores_the_checked_file_through_the_normal_upload_once(client, clerk04, stored):
    client.force_login(clerk04)
    checked = check(client, the_file(stored))
    token = checked.context["checked_token"]

    saved = client.post(UPLOAD, {"store": "1", "token": token})
    again = client.post(UPLOAD, {"store": "1", "token": token})

    report = saved.context["report"]
    upload = ContactUpload.objects.get()
    assert (report["created"], report["updated"], report["unchanged"]) == (2, 1, 1)
    assert [(r["line"], r["external_id"]) for r in report["rejected"]] == [(6, "bad-1"), (7, "new-1")]
    assert (upload.file_name, upload.row_count, upload.created, upload.updated, upload.unchanged, upload.rejected) == (
        "kontakter.csv",
        6,
        2,
        1,
        1,
        2,
    )
    assert stored_state() == [
        ("new-1", Decimal("0.00"), "eligible", Decimal("435.00")),
        ("new-2", Decimal("0.00"), "rejected", Decimal("0.00")),
        ("old-1", Decimal("100.00"), "eligible", Decimal("335.00")),
        ("old-2", Decimal("0.00"), "eligible", Decimal("435.00")),
    ]
    # Stored once: the kept file is gone after saving.
    assert again.context["file_errors"] == [
        "Den kontrollerade filen finns inte kvar (den sparas i 30 minuter, tills den sparas eller en annan fil "
        "kontrolleras). Välj den igen."
    ]
    assert ContactUpload.objects.count() == 1


def test_when_contacts_change_between_the_check_and_save_the_uploads_own_result_counts(client, clerk04, stored):
    client.force_login(clerk04)
    checked = check(client, the_file(stored))
    post(client, the_file(stored))  # the same file uploaded in the meantime

    saved = client.post(UPLOAD, {"store": "1", "token": checked.context["checked_token"]})

    report = saved.context["report"]
    assert (checked.context["dry_run"].created, checked.context["dry_run"].updated) == (2, 1)
    assert (report["created"], report["updated"], report["unchanged"], len(report["rejected"])) == (0, 0, 4, 2)
    assert "Om kontakter ändras under tiden är det uppladdningens eget resultat som gäller" in checked.content.decode()


def test_a_kept_file_is_bound_to_its_user_and_expires(client, clerk04, staff, stored):
    client.force_login(clerk04)
    token = check(client, the_file(stored)).context["checked_token"]
    session = client.session

    colleague = staff(Role.CLERK, "04")
    assert dry_run.kept_file(session, user=colleague, token=token) is None
    assert dry_run.kept_file(session, user=clerk04, token="not-the-token") is None
    assert dry_run.kept_file(session, user=clerk04, token=token)["file_name"] == "kontakter.csv"
    with time_machine.travel(NOW + dry_run.KEPT_FOR, tick=False):
        assert dry_run.kept_file(session, user=clerk04, token=token) is None
        expired = client.post(UPLOAD, {"store": "1", "token": token})
    assert expired.context["report"] is None
    assert ContactUpload.objects.count() == 0


def test_the_refused_rows_file_of_a_check_has_the_files_columns_the_line_and_the_errors(client, clerk04, stored):
    client.force_login(clerk04)
    checked = check(client, the_file(stored))

    response = client.get(checked.context["checked_refused_url"])

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="avvisade-rader.csv"'
    assert (
        response.content
        == BOM
        + (
            "external_id;provider;patient_id;home_region;profession;started_at;mode;strong_authentication;triage;"
            "documented;content;patient_fee;Rad;Fel\r\n"
            f"bad-1;{stored};{personnummer('19850312', '203')};25;LK;2026-11-20T12:00:00+01:00;fax;SANT;SANT;SANT;"
            f"assessment;0;6;mode: {NOT_A_MODE}\r\n"
            f"new-1;{stored};{personnummer('19850312', '204')};25;LK;2026-11-20T13:00:00+01:00;video;SANT;SANT;SANT;"
            f"assessment;0;7;external_id: {REPEATED}\r\n"
        ).encode()
    )


def test_the_refused_rows_file_of_an_upload_is_the_same_and_scoped_to_who_may_see_the_upload(
    client,
    clerk04,
    staff,
    stored,
):
    client.force_login(clerk04)
    checked_file = client.get(check(client, the_file(stored)).context["checked_refused_url"]).content
    uploaded = post(client, the_file(stored))
    url = reverse("admin:contacts_contactupload_refused", args=[ContactUpload.objects.get().pk])

    own = client.get(url)
    client.force_login(staff(Role.CLERK, "06"))
    other_region = client.get(url)

    assert f'href="{url}"' in uploaded.content.decode()
    assert own.status_code == 200
    assert own.content == checked_file
    assert other_region.status_code == 404


def test_a_cell_that_reads_as_a_formula_starts_with_an_apostrophe_in_the_refused_rows_file(client, clerk04, stored):
    client.force_login(clerk04)
    checked = check(client, semicolons(row(stored, "=HYPERLINK(1)", mode="fax")))

    lines = client.get(checked.context["checked_refused_url"]).content.decode("utf-8-sig").split("\r\n")

    assert lines[1].startswith(f"'=HYPERLINK(1);{stored};")
    assert lines[1].endswith(f";2;mode: {NOT_A_MODE}")


def test_a_file_above_the_synchronous_limit_is_checked_in_the_request_in_the_uploads_parts_and_queues_nothing(
    client, clerk04, stored, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "SYNC_MAX_ROWS", 2)
    monkeypatch.setattr(services, "PART_ROWS", 2)
    client.force_login(clerk04)
    before = rows_in_every_table()

    with django_capture_on_commit_callbacks() as callbacks:
        response = check(client, the_file(stored))

    result = response.context["dry_run"]
    assert (result.created, result.updated, result.unchanged, len(result.rejected)) == (2, 1, 1, 2)
    assert callbacks == []
    assert rows_in_every_table() == before


def test_a_file_above_the_checks_cap_is_refused_with_a_message(client, clerk04, stored, monkeypatch):
    monkeypatch.setattr(dry_run, "DRY_RUN_MAX_ROWS", 5)
    client.force_login(clerk04)

    response = check(client, the_file(stored))

    assert response.context["dry_run"] is None
    assert response.context["file_errors"] == [
        "Filen har 6 rader; en kontroll utan att spara tar högst 5 rader. Dela upp filen, eller ladda upp den "
        "direkt: dess egen sida visar resultatet."
    ]
    assert ContactUpload.objects.count() == 0


def test_the_check_cap_is_ten_thousand_rows_and_the_page_says_so(client, clerk04):
    client.force_login(clerk04)

    page = client.get(UPLOAD).content.decode()

    assert dry_run.DRY_RUN_MAX_ROWS == 10_000
    assert (
        '<button type="submit" name="dry_run" value="1" class="button" id="dry-run" data-disable-on-submit>'
        "Kontrollera utan att spara</button>" in page
    )
    assert "den tar filer på upp till 10\u00a0000 rader" in page


def test_the_refused_rows_file_of_an_upload_stored_before_the_cells_were_kept_has_the_external_id(client, clerk04):
    upload = ContactUpload.objects.create(
        uploaded_by=clerk04,
        region_id="04",
        file_name="gammal.csv",
        file_size=10,
        sha256="0" * 64,
        row_count=1,
        report=[{"line": 2, "external_id": "x-1", "errors": [["mode", [NOT_A_MODE]]]}],
    )
    client.force_login(clerk04)

    response = client.get(reverse("admin:contacts_contactupload_refused", args=[upload.pk]))

    assert response["Content-Disposition"] == f'attachment; filename="avvisade-rader-{upload.pk}.csv"'
    assert response.content == BOM + f"external_id;Rad;Fel\r\nx-1;2;mode: {NOT_A_MODE}\r\n".encode()
