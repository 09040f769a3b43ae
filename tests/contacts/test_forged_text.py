"""Issue 16: invisible characters and look-alike digits at contact intake, through each way in (API, bulk API, the
admin's CSV upload), in the API's query parameters and in the contacts admin (kernel/text.py)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Contact, ContactEvent
from contacts.validation import INPUT_FIELDS
from regions.models import Role
from tests.factories import contact_item

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"
BULK = "/api/v1/contacts/bulk/"
UPLOAD = reverse("admin:contacts_contact_upload_csv")

# One or more characters of each refused category.
FORBIDDEN = {
    "Cc line feed": "\n",
    "Cc escape": "\x1b",
    "Cc next line (C1)": "\x85",
    "Cf right-to-left override": "\u202e",
    "Cf left-to-right embedding": "\u202a",
    "Cf first strong isolate": "\u2068",
    "Cf pop directional isolate": "\u2069",
    "Cf right-to-left mark": "\u200f",
    "Cf zero-width space": "\u200b",
    "Cf zero-width joiner": "\u200d",
    "Cf byte-order mark": "\ufeff",
    "Cf soft hyphen": "\u00ad",
    "Cf tag letter A": "\U000e0041",
    "Zl line separator": "\u2028",
    "Zp paragraph separator": "\u2029",
}
NOT_AN_AMOUNT = 'Ska vara ett belopp, t.ex. "100.00".'


def refused(char: str) -> str:
    return (
        "Får inte innehålla styrtecken eller osynliga formateringstecken (som radbrytningar, tabbar, "
        f"textriktningstecken eller nollbreddsmellanslag); hittade U+{ord(char):04X}."
    )


def digits(char: str) -> str:
    return f"Skriv tal med siffrorna 0-9; hittade U+{ord(char):04X}."


@pytest.fixture
def system04(api_as, providers):
    return api_as(Role.PROVIDER, provider=providers["04a"])


@pytest.fixture
def clerk04_api(api_as):
    return api_as(Role.CLERK, "04")


@pytest.fixture
def clerk04_admin(client, make_user):
    client.force_login(make_user(Role.CLERK, "04"))
    return client


def csv_file(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(INPUT_FIELDS)
    for row in rows:
        writer.writerow([row.get(name, "") for name in INPUT_FIELDS])
    return out.getvalue().encode("utf-8")


def csv_item(hsa: str, **overrides) -> dict:
    item = contact_item(provider=hsa, patient_fee="100,00")
    item.update(strong_authentication="ja", triage="ja", documented="ja", **overrides)
    return item


def upload_errors(client, rows: list[dict]) -> list[dict]:
    """Each rejected row's errors, as the upload report shows them ({field: [messages]})."""
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("k.csv", csv_file(rows), content_type="text/csv")})
    assert response.status_code == 200
    assert response.context["file_errors"] == []
    return [dict(row["errors"]) for row in response.context["report"]["rejected"]]


def through(path: str, client, providers, item: dict) -> dict:
    """Send one contact through ``path``; its errors ({} when stored)."""
    if path == "api":
        response = client.post(CONTACTS, item, format="json")
        return {} if response.status_code == 201 else response.json()
    if path == "bulk":
        response = client.post(BULK, [item], format="json")
        assert response.status_code == 200
        errors = response.json()["errors"]
        return errors[0]["errors"] if errors else {}
    rows = upload_errors(client, [item])
    return rows[0] if rows else {}


PATHS = ["api", "bulk", "csv"]


@pytest.fixture
def sender(request, system04, clerk04_admin, providers):
    """The client and the item shape of one way in."""
    path = request.param
    if path == "csv":
        return path, clerk04_admin, lambda **o: csv_item(providers["04a"].hsa_id, **o)
    return path, system04, lambda **o: contact_item(**o)


# --- Every refused category × every way in ----------------------------------------------------------------


@pytest.mark.parametrize("sender", PATHS, indirect=True)
@pytest.mark.parametrize("char", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_an_external_id_with_an_invisible_character_is_refused_naming_it(sender, providers, char):
    path, client, item = sender

    errors = through(path, client, providers, item(external_id=f"999999{char}FORGED LINE"))

    assert errors == {"external_id": [refused(char)]}
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("sender", PATHS, indirect=True)
@pytest.mark.parametrize(
    ("field", "value", "char"),
    [
        ("patient_id", "19850312\u202e-2387", "\u202e"),
        ("home_region", "2\u200b5", "\u200b"),
        ("profession", "L\u2028K", "\u2028"),
        ("profession", "\u202eK", "\u202e"),
        ("started_at", "2026-10-05T14:30:00\u202e+02:00", "\u202e"),
        ("listing_unit", "SE2321000032-\u2066A1", "\u2066"),
        ("care_unit", "SE2321000032-A\ufeff1", "\ufeff"),
    ],
)
def test_other_identifiers_refuse_them_too(sender, providers, field, value, char):
    path, client, item = sender

    errors = through(path, client, providers, item(**{field: value}))

    assert errors == {field: [refused(char)]}
    assert Contact.objects.count() == 0


def test_a_clerk_naming_a_provider_with_an_invisible_character_is_refused(clerk04_api, providers):
    item = contact_item(provider=f"{providers['04a'].hsa_id}\u200d")

    response = clerk04_api.post(CONTACTS, item, format="json")

    assert (response.status_code, response.json()) == (400, {"provider": [refused("\u200d")]})


def test_a_valid_contact_beside_a_forged_one_is_stored(system04):
    body = [contact_item(external_id="ok-1"), contact_item(external_id="c\u20281"), contact_item(external_id="ok-2")]

    response = system04.post(BULK, body, format="json")

    assert response.json()["created"] == 2
    assert response.json()["errors"] == [
        {"index": 1, "external_id": "c\u20281", "errors": {"external_id": [refused("\u2028")]}}
    ]
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["ok-1", "ok-2"]


# --- Look-alike digits ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sender", PATHS, indirect=True)
@pytest.mark.parametrize(
    ("field", "value", "char"),
    [
        ("external_id", "c-\u0663", "\u0663"),  # "c-٣" would look like "c-3"
        ("patient_fee", "\u0663\u0660\u0660", "\u0663"),  # Arabic-Indic 300
        ("patient_fee", "\uff13\uff10\uff10", "\uff13"),  # fullwidth 300
        ("home_region", "\u0662\u0665", "\u0662"),
        ("patient_id", "19850312-\u0662387", "\u0662"),
        ("started_at", "\u0662026-10-05T14:30:00+02:00", "\u0662"),
        ("care_unit", "SE\u0662321000032-A1", "\u0662"),
    ],
)
def test_numbers_dates_codes_and_ids_take_the_digits_0_to_9_only(sender, providers, field, value, char):
    path, client, item = sender

    errors = through(path, client, providers, item(**{field: value}))

    assert errors == {field: [digits(char)]}
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("fee", ["1e2", "1E2", "1_000", "0x10", "100.", ".5", "10 0"])
def test_a_patient_fee_as_text_is_digits_and_one_decimal_point(system04, fee):
    response = system04.post(CONTACTS, contact_item(patient_fee=fee), format="json")

    assert (response.status_code, response.json()) == (400, {"patient_fee": [NOT_AN_AMOUNT]})


def test_a_csv_patient_fee_in_exponent_form_is_no_amount(clerk04_admin, providers):
    rows = upload_errors(clerk04_admin, [csv_item(providers["04a"].hsa_id, patient_fee="1e2")])

    assert rows == [{"patient_fee": ["Ska vara ett belopp i kronor, t.ex. 100,00 eller 1 234,50."]}]


def test_ascii_amounts_are_still_read_in_both_ways(system04, clerk04_admin, providers):
    api = system04.post(CONTACTS, contact_item(external_id="api", patient_fee="250.5"), format="json")
    rows = upload_errors(clerk04_admin, [csv_item(providers["04a"].hsa_id, external_id="csv", patient_fee="1 234,50")])

    assert (api.status_code, rows) == (201, [])
    assert {c.external_id: str(c.patient_fee) for c in Contact.objects.all()} == {"api": "250.50", "csv": "1234.50"}


# --- The API's query parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "parameter", "char"),
    [
        ("/api/v1/contacts/?period=2026-0\u0668", "period", "\u0668"),
        ("/api/v1/contacts/?started_after=\u0662\u0660\u0662\u0666-01-01T00:00:00Z", "started_after", "\u0662"),
        ("/api/v1/contacts/?home_region=\uff12\uff15", "home_region", "\uff12"),
        ("/api/v1/contacts/?provider=SE2321000032-A\u202e1", "provider", "\u202e"),
        ("/api/v1/invoices/?seller=0\u0664&period=2026-01", "seller", "\u0664"),
        ("/api/v1/disputes/?region=\u0660\u0664", "region", "\u0660"),
        ("/api/v1/providers/?region=0\u200b4", "region", "\u200b"),
        ("/api/v1/reports/?period_from=2026-0\u0661", "period_from", "\u0661"),
        ("/api/v1/contacts/?cursor=\u2028", "cursor", "\u2028"),
    ],
)
def test_a_query_parameter_with_a_look_alike_digit_or_invisible_character_is_a_400(clerk04_api, url, parameter, char):
    response = clerk04_api.get(url)

    message = refused(char) if char in "\u202e\u200b\u2028" else digits(char)
    assert (response.status_code, response.json()) == (400, {parameter: [message]})


def test_ascii_query_parameters_are_read_as_before(clerk04_api, system04):
    system04.post(CONTACTS, contact_item(started_at="2026-08-05T14:30:00+02:00"), format="json")

    response = clerk04_api.get("/api/v1/contacts/?period=2026-08&home_region=25")

    assert response.status_code == 200
    assert [c["external_id"] for c in response.json()["results"]] == ["c-1"]


# --- The contacts admin -----------------------------------------------------------------------------------------


def test_a_rejection_note_in_the_admin_keeps_its_lines_and_loses_its_invisible_characters(clerk04_admin, system04):
    pk = system04.post(CONTACTS, contact_item(), format="json").json()["id"]

    response = clerk04_admin.post(
        reverse("admin:contacts_contact_changelist"),
        {
            "action": "reject",
            "_selected_action": [pk],
            "apply": "1",
            "note": "Dubbel\u200b\u202eregistrering\r\nse\u2028journalen",
        },
    )

    assert response.status_code == 302
    assert ContactEvent.objects.get(contact_id=pk).note == "Dubbelregistrering\nse\njournalen"


def test_a_rejection_note_of_nothing_but_invisible_characters_is_required(clerk04_admin, system04):
    pk = system04.post(CONTACTS, contact_item(), format="json").json()["id"]

    response = clerk04_admin.post(
        reverse("admin:contacts_contact_changelist"),
        {"action": "reject", "_selected_action": [pk], "apply": "1", "note": "\u200b\u202e"},
    )

    assert response.context["form"].errors == {"note": ["Fältet är obligatoriskt."]}
    assert ContactEvent.objects.count() == 0


def test_the_provider_filter_of_the_contact_list_takes_ascii_digits_only(clerk04_admin, api_as, system04, providers):
    system04.post(CONTACTS, contact_item(external_id="a-1"), format="json")
    api_as(Role.PROVIDER, provider=providers["04b"]).post(CONTACTS, contact_item(external_id="b-1"), format="json")
    pk = providers["04a"].pk
    look_alike = "".join(chr(0x0660 + int(d)) for d in str(pk))  # int() would read it as the same id
    changelist = reverse("admin:contacts_contact_changelist")

    ascii_list = clerk04_admin.get(changelist, {"provider": str(pk)}).context["cl"].result_list
    arabic_list = clerk04_admin.get(changelist, {"provider": look_alike}).context["cl"].result_list

    assert [c.external_id for c in ascii_list] == ["a-1"]
    assert sorted(c.external_id for c in arabic_list) == ["a-1", "b-1"]  # not a provider id: no filter


def test_an_id_in_an_address_written_with_look_alike_digits_names_nothing(system04, clerk04_admin):
    pk = system04.post(CONTACTS, contact_item(), format="json").json()["id"]
    look_alike = "".join(chr(0x0660 + int(d)) for d in str(pk))  # int() reads it as the same id

    answers = [
        system04.get(f"{CONTACTS}{look_alike}/"),
        system04.get(f"{CONTACTS}{pk}\u200b/"),
        clerk04_admin.get(f"/admin/contacts/contact/{look_alike}/change/"),
    ]

    assert [r.status_code for r in answers] == [404, 404, 404]
    assert answers[0].json() == answers[1].json() == {"detail": "Hittades inte."}
    assert system04.get(f"{CONTACTS}{pk}/").status_code == 200
