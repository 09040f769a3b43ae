"""Excel as Swedish clerks use it: a file saved as "CSV (semikolonavgränsad)" (Windows-1252) is read, a file-level
error names a line, never a byte offset; a time without an offset is Swedish time; re-uploading is never an error;
the result links to the contacts the rules rejected; the page offers a template file and lists what every column
accepts."""

import codecs
import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from contacts.csv_upload import NonexistentLocalTime, local_time_with_offset, parse_contacts_csv
from contacts.models import Contact
from contacts.services import contacts_credited
from contacts.uploads.models import ContactUpload
from kernel.business_time import STOCKHOLM
from kernel.history import Via
from regions.models import Profession, Region, Role
from tests.contacts.test_csv_upload import FIELDS, UPLOAD, row, semicolons, upload
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

TEMPLATE = reverse("admin:contacts_contact_upload_csv_template")
CHANGELIST = reverse("admin:contacts_contact_changelist")
# The clock of these tests: after every contact date they use, so none is in the future.
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM)


@pytest.fixture
def clerk04(make_user):
    user = make_user(Role.CLERK, "04")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="contacts", codename__in=("view_contact", "change_contact", "add_contact")
        )
    )
    return user


@pytest.fixture(autouse=True)
def _december():
    with time_machine.travel(NOW, tick=False):
        yield


def excel_1252(*rows: str) -> bytes:
    """A file as Swedish Excel saves "CSV (semikolonavgränsad)": Windows-1252, semicolons, CRLF, no byte-order mark."""
    return ("\r\n".join([";".join(FIELDS), *rows]) + "\r\n").encode("cp1252")


def stockholm(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STOCKHOLM)


def minute(n: int) -> str:
    """Distinct start minutes (the same patient at the same minute would be a possible duplicate)."""
    return f"2026-11-20T10:{n:02d}:00+01:00"


# --- 1. Encodings: Windows-1252 is read; what cannot be read names its line --------------------------------------


def test_a_windows_1252_file_with_semicolons_is_read_with_its_swedish_letters(client, clerk04, providers):
    hsa = providers["04a"].hsa_id
    content = excel_1252(
        row(hsa, "Vårdcentral Åby-1", started_at=minute(1), patient_fee="100,00"),
        row(hsa, "Östergötland-2", started_at=minute(2), patient_fee="1 234,50"),
        row(hsa, "Väst-3", started_at=minute(3), mode="fax"),  # line 4: refused on its own
    )
    client.force_login(clerk04)

    parsed = parse_contacts_csv(content)
    response = upload(client, content)

    assert (parsed.encoding, parsed.errors) == ("cp1252", [])
    report = response.context["report"]
    assert response.context["file_errors"] == []
    assert (report["created"], report["updated"], report["unchanged"]) == (2, 0, 0)
    assert [(r["line"], r["external_id"], r["errors"]) for r in report["rejected"]] == [
        (4, "Väst-3", [("mode", ["Ska vara något av: video, chat, phone."])])
    ]
    assert sorted(Contact.objects.values_list("external_id", "status")) == [
        ("Vårdcentral Åby-1", "eligible"),
        ("Östergötland-2", "eligible"),
    ]


def test_a_utf8_file_without_a_byte_order_mark_is_still_read_as_utf8(client, clerk04, providers):
    content = ("\r\n".join([";".join(FIELDS), row(providers["04a"].hsa_id, "Växjö-Å")]) + "\r\n").encode()
    client.force_login(clerk04)

    response = upload(client, content)

    assert parse_contacts_csv(content).encoding == "utf-8"
    assert (response.context["report"]["created"], response.context["report"]["rejected"]) == (1, [])
    assert list(Contact.objects.values_list("external_id", flat=True)) == ["Växjö-Å"]


FILES_THAT_NAME_A_LINE = {
    # 0x81 is no character in Windows-1252 either.
    "neither UTF-8 nor Windows-1252": (
        excel_1252("x;y", "z") + b"\x81\r\n",
        "Filen är varken UTF-8 eller Windows-1252: rad 4 går inte att läsa. Spara den som CSV UTF-8 och försök igen.",
    ),
    "UTF-8 with a byte-order mark, then Windows-1252": (
        codecs.BOM_UTF8 + ";".join(FIELDS).encode() + "\r\nVäxjö\r\n".encode() + b"V\xe4xj\xf6\r\n",
        "Filen börjar som UTF-8 (med byte-ordningsmärke), men rad 3 är inte UTF-8. Spara den igen som CSV UTF-8 och "
        "försök igen.",
    ),
    "UTF-8 and Windows-1252 mixed": (
        ";".join(FIELDS).encode() + "\r\nVäxjö\r\n".encode() + b"x\r\nV\xe4xj\xf6\r\n",
        "Filen blandar teckenkodningar: den har UTF-8-tecken, men rad 4 är inte UTF-8. Spara den igen som CSV UTF-8 "
        "och försök igen.",
    ),
    "damaged UTF-16": (
        codecs.BOM_UTF16_LE + (";".join(FIELDS) + "\r\nx\r\n").encode("utf-16-le") + b"\x00\xd8",
        "Filen är skadad UTF-16: rad 3 går inte att läsa. Spara den som UTF-8.",
    ),
    "NUL on line 2": (
        (";".join(FIELDS) + "\r\nab\x00c\r\n").encode(),
        "Filen innehåller NUL-tecken (från rad 2): den är inte en CSV-textfil. Spara den som UTF-8 och försök igen.",
    ),
    "UTF-16 without a byte-order mark": (
        ";".join(FIELDS).encode("utf-16-le"),
        "Filen innehåller NUL-tecken (från rad 1): den är inte en CSV-textfil. Spara den som UTF-8 och försök igen.",
    ),
}


@pytest.mark.parametrize(("content", "error"), FILES_THAT_NAME_A_LINE.values(), ids=FILES_THAT_NAME_A_LINE.keys())
def test_a_file_that_cannot_be_read_names_the_line_never_a_byte_offset(client, clerk04, content, error):
    client.force_login(clerk04)

    response = upload(client, content)

    assert response.context["file_errors"] == [error]
    assert response.context["report"] is None
    assert "position" not in response.content.decode()
    assert Contact.objects.count() == 0


# --- 2. Times without an offset are Swedish time (CSV only) ----------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "iso"),
    [
        ("2026-11-20 14:30", "2026-11-20T14:30:00+01:00"),  # Excel's "CSV UTF-8": winter time
        ("2026-11-20 14:30:00", "2026-11-20T14:30:00+01:00"),
        ("2026-11-20T14:30", "2026-11-20T14:30:00+01:00"),
        ("2026-07-01 9:05", "2026-07-01T09:05:00+02:00"),  # summer time, an hour of one digit
        ("2026-10-25 02:30", "2026-10-25T02:30:00+02:00"),  # occurs twice: the first, summer time (fold 0)
        ("2026-10-25 03:30", "2026-10-25T03:30:00+01:00"),  # after the change: winter time
        ("2026-11-20T14:30:00+02:00", "2026-11-20T14:30:00+02:00"),  # an offset is kept as written
        ("2026-11-20T14:30:00Z", "2026-11-20T14:30:00Z"),
        ("2026-11-20", "2026-11-20"),  # no time: left for validation to refuse
        ("2026-02-30 10:00", "2026-02-30 10:00"),  # no such date: likewise
        ("i går", "i går"),
    ],
)
def test_a_time_without_an_offset_gets_stockholms_offset_and_anything_else_is_left_as_it_is(cell, iso):
    assert local_time_with_offset(cell) == iso


def test_a_time_in_the_skipped_spring_hour_does_not_exist():
    with pytest.raises(NonexistentLocalTime) as raised:
        local_time_with_offset("2026-03-29 02:30")

    assert str(raised.value) == (
        "2026-03-29 02:30 finns inte i svensk tid: klockan ställdes fram en timme den natten (sommartid började). "
        "Rätta tiden eller skriv den med sin tidszon, t.ex. 2026-03-29T02:30:00+01:00."
    )


def test_excels_local_times_are_stored_as_stockholm_time_and_a_nonexistent_one_refuses_its_row(
    client, clerk04, providers
):
    hsa = providers["04a"].hsa_id
    client.force_login(clerk04)

    response = upload(
        client,
        semicolons(
            row(hsa, "space", started_at="2026-11-20 14:30"),  # line 2
            row(hsa, "seconds", started_at="2026-11-20 14:31:00"),  # line 3
            row(hsa, "t", started_at="2026-11-20T14:32"),  # line 4
            row(hsa, "autumn", started_at="2026-10-25 02:30"),  # line 5: the first 02:30
            row(hsa, "spring", started_at="2026-03-29 02:30"),  # line 6: does not exist
            row(hsa, "offset", started_at="2026-11-20T14:33:00+01:00"),  # line 7
            row(hsa, "date-only", started_at="2026-11-20"),  # line 8
        ),
    )

    report = response.context["report"]
    assert (report["created"], report["updated"], report["unchanged"]) == (5, 0, 0)
    assert [(r["line"], r["external_id"], r["errors"]) for r in report["rejected"]] == [
        (
            6,
            "spring",
            [
                (
                    "started_at",
                    [
                        "2026-03-29 02:30 finns inte i svensk tid: klockan ställdes fram en timme den natten "
                        "(sommartid började). Rätta tiden eller skriv den med sin tidszon, t.ex. "
                        "2026-03-29T02:30:00+01:00."
                    ],
                )
            ],
        ),
        (8, "date-only", [("started_at", ["Tiden behöver en tidszon (t.ex. +02:00 eller Z)."])]),
    ]
    assert dict(Contact.objects.values_list("external_id", "started_at")) == {
        "space": stockholm(2026, 11, 20, 14, 30),
        "seconds": stockholm(2026, 11, 20, 14, 31),
        "t": stockholm(2026, 11, 20, 14, 32),
        "autumn": dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),  # 02:30 +02:00
        "offset": stockholm(2026, 11, 20, 14, 33),
    }


def test_the_api_still_requires_an_offset(api_as, providers):
    system04 = api_as(Role.PROVIDER, provider=providers["04a"])

    response = system04.post("/api/v1/contacts/", contact_item(started_at="2026-11-20 14:30"), format="json")

    assert (response.status_code, response.json()) == (
        400,
        {"started_at": ["Tiden behöver en tidszon (t.ex. +02:00 eller Z)."]},
    )
    assert Contact.objects.count() == 0


def test_the_upload_page_documents_the_time_rule(client, clerk04):
    client.force_login(clerk04)

    page = client.get(UPLOAD).content.decode()

    assert (
        "started_at med tidszon (2026-11-20T14:30:00+01:00), eller utan, som Excel skriver den (2026-11-20 14:30): "
        "då är den svensk tid; under höstens timme som inträffar två gånger avses den första (sommartid), och en tid "
        "under vårens timme som inte finns avvisas."
    ) in page


# --- 3. Re-uploading is never an error ----------------------------------------------------------------------


@pytest.mark.parametrize("correctable", [False, True], ids=["credited for good (locked)", "credited, correctable"])
def test_re_uploading_a_credited_contact_counts_it_unchanged_and_a_real_change_is_only_refused_if_locked(
    client, clerk04, providers, correctable
):
    hsa = providers["04a"].hsa_id
    line = row(hsa, "k-1", started_at="2026-11-20 14:30", patient_fee="100,00")
    client.force_login(clerk04)
    upload(client, semicolons(line))
    contact = Contact.objects.get()
    contacts_credited(contact_ids=[contact.pk], correctable=correctable, note="Kredit 1", via=Via.ADMIN)

    again = upload(client, semicolons(line))
    changed = upload(client, semicolons(row(hsa, "k-1", started_at="2026-11-20 14:30", patient_fee="0")))

    assert (again.context["report"]["unchanged"], again.context["report"]["rejected"]) == (1, [])
    contact.refresh_from_db()
    if correctable:
        assert (changed.context["report"]["updated"], changed.context["report"]["rejected"]) == (1, [])
        assert contact.patient_fee == 0
    else:
        assert changed.context["report"]["updated"] == 0
        assert [(r["line"], r["errors"]) for r in changed.context["report"]["rejected"]] == [
            (2, [("", ["Kontakten finns på en inskickad eller godkänd faktura och kan inte längre ändras."])])
        ]
        assert (contact.patient_fee, contact.status) == (100, "credited")


def test_cells_beyond_the_header_are_reported_under_a_swedish_label(client, clerk04, providers):
    client.force_login(clerk04)

    response = upload(client, semicolons(row(providers["04a"].hsa_id, "extra") + ";överblivet"))

    page = response.content.decode()
    assert "<li>Celler utanför rubrikradens kolumner: Okänt fält.</li>" in page
    assert "cells_without_column" not in page


# --- 4. The contacts the rules rejected; the template file; the columns ------------------------------------------


def test_the_result_links_to_exactly_the_files_stored_contacts_the_rules_rejected(client, clerk04, providers):
    """The link is a filter on the upload batch and the rejected status (it was a key into the uploader's session
    before uploads were stored): it still works after a logout."""
    hsa = providers["04a"].hsa_id
    client.force_login(clerk04)
    upload(client, semicolons(row(hsa, "old-phone", started_at=minute(1), mode="phone")))
    upload(client, semicolons(row(hsa, "elsewhere", started_at=minute(9), mode="phone")))  # not in the next file

    response = upload(
        client,
        semicolons(
            row(hsa, "old-phone", started_at=minute(1), mode="phone"),  # unchanged, still rejected
            row(hsa, "new-ok", started_at=minute(2)),
            row(hsa, "new-same-region", started_at=minute(3), home_region="04"),  # not out-of-county
            row(hsa, "bad", started_at=minute(4), mode="fax"),  # not stored
        ),
    )
    report = response.context["report"]
    batch = ContactUpload.objects.latest("id")
    client.logout()
    client.force_login(clerk04)
    listed = client.get(report["rules_rejected_url"])
    unknown = client.get(CHANGELIST, {"upload": "999999"})

    assert (report["created"], report["unchanged"], report["rules_rejected"]) == (2, 1, 2)
    assert report["rules_rejected_url"] == f"{CHANGELIST}?upload={batch.pk}&status__exact=rejected"
    assert '<span id="rules-rejected">2</span>' in response.content.decode()
    assert sorted(c.external_id for c in listed.context["cl"].result_list) == ["new-same-region", "old-phone"]
    assert list(unknown.context["cl"].result_list) == []


def test_a_file_the_rules_reject_nothing_of_says_so_and_links_nowhere(client, clerk04, providers):
    client.force_login(clerk04)

    response = upload(client, semicolons(row(providers["04a"].hsa_id, "ok")))

    assert (response.context["report"]["rules_rejected"], response.context["report"]["rules_rejected_url"]) == (0, None)
    assert "Inga av filens sparade kontakter avvisades av reglerna." in response.content.decode()


def test_the_template_file_is_the_header_and_an_example_row_that_uploads_as_one_billable_contact(
    client, clerk04, providers
):
    client.force_login(clerk04)

    response = client.get(TEMPLATE)
    hsa = sorted([providers["04a"], providers["04b"]], key=lambda p: p.name)[0].hsa_id
    stored = upload(client, response.content)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="kontakter-mall.csv"'
    assert (
        response.content
        == (
            "\ufeff"
            "external_id;provider;patient_id;home_region;profession;started_at;mode;strong_authentication;triage;"
            "documented;content;patient_fee;listing_unit;care_unit\r\n"
            f"exempel-1;{hsa};19121212-1212;01;LK;2026-11-20 14:30;video;SANT;SANT;SANT;assessment;100,00;;\r\n"
        ).encode()
    )
    assert (stored.context["report"]["created"], stored.context["report"]["rejected"]) == (1, [])
    contact = Contact.objects.get()
    assert (contact.status, contact.started_at) == ("eligible", stockholm(2026, 11, 20, 14, 30))
    assert contact.patient_fee == 100


def test_the_template_is_for_those_who_may_upload(client, make_user):
    viewer = make_user(Role.CLERK, "04")
    viewer.groups.first().permissions.remove(*Permission.objects.filter(codename="add_contact"))
    viewer.user_permissions.add(*Permission.objects.filter(content_type__app_label="contacts", codename="view_contact"))

    anonymous = client.get(TEMPLATE)
    client.force_login(viewer)
    refused = client.get(TEMPLATE)

    assert (anonymous.status_code, anonymous["Location"].split("?")[0]) == (302, reverse("admin:login"))
    assert refused.status_code == 403


def test_the_upload_page_offers_the_template_and_lists_every_columns_allowed_values(client, clerk04, providers):
    client.force_login(clerk04)

    page = client.get(UPLOAD).content.decode()

    assert f'href="{TEMPLATE}"' in page
    for name in FIELDS:
        assert f'<tr id="column-{name}">' in page
    for code, name in Profession.objects.values_list("code", "name"):
        assert f"<li><code>{code}</code> {name}</li>" in page
    assert "<li><code>video</code> Video</li>" in page and "<li><code>phone</code> Telefon</li>" in page
    assert "<li><code>assessment</code> Medicinsk bedömning</li>" in page
    for code, name in Region.objects.values_list("code", "name"):
        assert f"<li><code>{code}</code> {name}</li>" in page
    assert f"<li><code>{providers['04a'].hsa_id}</code> {providers['04a'].name}</li>" in page
    assert providers["06"].hsa_id not in page  # another region's provider: not one to report for
    assert "Ja eller nej: SANT/FALSKT, ja/nej, true/false, yes/no, 1/0 (oavsett skiftläge)." in page


def test_the_personnummer_of_the_example_is_valid():
    assert personnummer("19121212", "121") == "19121212-1212"
