"""The patient's home kommun (optional ``home_municipality``, issue 17): four digits beginning with the home region's
län code, through the API, the CSV upload and the database."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from contacts.models import Contact
from regions.models import Role
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"
NOT_FOUR_DIGITS = "Måste vara en kommunkod med 4 siffror, t.ex. 2580."


def wrong_lan(code: str, region: str) -> str:
    return f"Kommun {code} ligger inte i hemregion {region}: en kommunkod börjar med sin länskod."


@pytest.fixture
def system04(api_as, providers):
    return api_as(Role.PROVIDER, provider=providers["04a"])


def test_a_kommun_of_the_home_region_is_stored_and_shown(system04):
    response = system04.post(CONTACTS, contact_item(home_municipality="2580"), format="json")

    assert response.status_code == 201
    assert response.json()["home_municipality"] == "2580"
    assert Contact.objects.get().home_municipality == "2580"


def test_without_a_kommun_the_contact_is_as_before(system04):
    response = system04.post(CONTACTS, contact_item(), format="json")

    assert response.status_code == 201
    assert response.json()["home_municipality"] == ""
    assert Contact.objects.get().home_municipality == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0180", wrong_lan("0180", "25")),  # Stockholm's kommun for a patient of Norrbotten
        ("258", NOT_FOUR_DIGITS),
        ("25801", NOT_FOUR_DIGITS),
        ("25a0", NOT_FOUR_DIGITS),
        ("٢٥٨٠", "Skriv tal med siffrorna 0-9; hittade U+0662."),  # Arabic-Indic digits that look like 2580
    ],
)
def test_a_kommun_of_another_lan_or_not_four_digits_is_a_400_on_that_field(system04, value, message):
    response = system04.post(CONTACTS, contact_item(home_municipality=value), format="json")

    assert response.status_code == 400
    assert response.json() == {"home_municipality": [message]}
    assert Contact.objects.count() == 0


def test_a_kommun_that_is_not_text_is_a_400(system04):
    response = system04.post(CONTACTS, contact_item(home_municipality=2580), format="json")

    assert response.status_code == 400
    assert response.json() == {"home_municipality": ["Ska vara en textsträng."]}


def test_in_a_bulk_upload_only_the_wrong_kommun_is_refused(system04):
    items = [
        contact_item(external_id="ok", home_municipality="2580"),
        contact_item(external_id="other-lan", home_municipality="0680"),
    ]

    response = system04.post(f"{CONTACTS}bulk/", items, format="json")

    assert response.json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {"index": 1, "external_id": "other-lan", "errors": {"home_municipality": [wrong_lan("0680", "25")]}}
        ],
    }


def test_a_changed_kommun_is_an_update_and_the_same_is_unchanged(system04):
    system04.post(CONTACTS, contact_item(home_municipality="2580"), format="json")

    same = system04.post(f"{CONTACTS}bulk/", [contact_item(home_municipality="2580")], format="json")
    changed = system04.post(f"{CONTACTS}bulk/", [contact_item(home_municipality="2581")], format="json")

    assert (same.json()["unchanged"], changed.json()["updated"]) == (1, 1)
    assert Contact.objects.get().home_municipality == "2581"


def test_the_database_refuses_a_kommun_outside_the_home_region(system04):
    system04.post(CONTACTS, contact_item(home_municipality="2580"), format="json")

    for value in ("0180", "25a0", "258"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Contact.objects.update(home_municipality=value)
    assert Contact.objects.get().home_municipality == "2580"


# --- The CSV upload ------------------------------------------------------------------------------------------------

UPLOAD = reverse("admin:contacts_contact_upload_csv")
HEADER = (
    "external_id;provider;patient_id;home_region;profession;started_at;mode;strong_authentication;triage;documented;"
    "content;patient_fee;home_municipality"
)


@pytest.fixture
def clerk04(client, make_user):
    user = make_user(Role.CLERK, "04")
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="contacts", codename__in=("view_contact", "add_contact"))
    )
    client.force_login(user)
    return client


def csv_row(hsa: str, external_id: str, municipality: str) -> str:
    return (
        f"{external_id};{hsa};{personnummer()};25;LK;2026-10-05 14:30;video;SANT;SANT;SANT;assessment;0,00;"
        f"{municipality}"
    )


def test_the_csv_upload_reads_the_optional_column_and_refuses_wrong_kommuner_with_their_line(clerk04, providers):
    hsa = providers["04a"].hsa_id
    content = "\r\n".join(
        [
            HEADER,
            csv_row(hsa, "good", "2580"),  # line 2
            csv_row(hsa, "empty", ""),  # line 3: no kommun, as when the column is left out
            csv_row(hsa, "other-lan", "1280"),  # line 4
            csv_row(hsa, "three", "258"),  # line 5
            csv_row(hsa, "five", "25800"),  # line 6
        ]
    ).encode("utf-8-sig")

    response = clerk04.post(UPLOAD, {"file": SimpleUploadedFile("k.csv", content, content_type="text/csv")})

    report = response.context["report"]
    assert report["created"] == 2
    assert [(r["line"], r["external_id"], r["errors"]) for r in report["rejected"]] == [
        (4, "other-lan", [("home_municipality", [wrong_lan("1280", "25")])]),
        (5, "three", [("home_municipality", [NOT_FOUR_DIGITS])]),
        (6, "five", [("home_municipality", [NOT_FOUR_DIGITS])]),
    ]
    assert dict(Contact.objects.values_list("external_id", "home_municipality")) == {"good": "2580", "empty": ""}


def test_the_upload_page_lists_the_optional_column(clerk04):
    page = clerk04.get(UPLOAD).content.decode()

    assert "home_municipality" in page
    assert "Kommunkoden (4 siffror) för patientens hemkommun" in page
