import orjson
import pytest

from contacts.models import Contact, ContactEvent
from contacts.validation import INPUT_FIELDS
from regions.models import Role
from tests.factories import BULK, CONTACTS, contact_item, items, post_raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def system04(api_as, providers):
    return api_as(Role.PROVIDER, provider=providers["04a"])


def test_create_answers_201_with_the_contact_masked_for_a_provider(system04, providers):
    response = system04.post("/api/v1/contacts/", contact_item(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["patient_id"] == "19850312-****"
    assert body["provider"] == providers["04a"].hsa_id
    assert body["billing_region"] == "04"
    assert (body["status"], body["reasons"], body["recommendation"]) == ("eligible", [], "SKR-2026-04")
    assert (body["rate"], body["amount"], body["patient_fee"]) == ("435.00", "335.00", "100.00")
    assert body["invoice"] is None
    assert body["started_at"] == "2026-10-05T14:30:00+02:00"


def test_region_staff_of_billing_or_home_region_see_the_full_number(api_as, system04):
    contact_id = system04.post("/api/v1/contacts/", contact_item(), format="json").json()["id"]

    seller = api_as(Role.CLERK, "04").get(f"/api/v1/contacts/{contact_id}/").json()
    buyer = api_as(Role.MANAGER, "25").get(f"/api/v1/contacts/{contact_id}/").json()
    third = api_as(Role.CLERK, "06").get(f"/api/v1/contacts/{contact_id}/")

    assert seller["patient_id"] == "198503122387"
    assert buyer["patient_id"] == "198503122387"
    assert third.status_code == 404


def test_detail_shows_each_criterion(system04):
    item = contact_item(triage=False, content="results")
    contact_id = system04.post("/api/v1/contacts/", item, format="json").json()["id"]

    body = system04.get(f"/api/v1/contacts/{contact_id}/").json()

    assert body["status"] == "rejected"
    assert body["reasons"] == ["no_triage", "results_only"]
    failed = [c["criterion"] for c in body["criteria"] if not c["passed"]]
    assert failed == ["triage", "not_results_only"]
    assert len(body["criteria"]) == 13


def test_create_with_bad_input_is_a_400_with_field_errors(system04):
    response = system04.post("/api/v1/contacts/", contact_item(patient_fee="-1", mode="fax"), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "mode": ["Ska vara något av: video, chat, phone."],
        "patient_fee": ["Får inte vara negativt."],
    }
    assert Contact.objects.count() == 0


def test_bulk_upsert_reports_per_item_and_is_idempotent(system04):
    items = [contact_item(external_id=f"b-{n}") for n in range(3)] + [contact_item(external_id="bad", home_region="")]

    first = system04.post("/api/v1/contacts/bulk/", items, format="json")
    second = system04.post("/api/v1/contacts/bulk/", items, format="json")

    assert first.status_code == 200
    assert first.json() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "errors": [{"index": 3, "external_id": "bad", "errors": {"home_region": ["Fältet är obligatoriskt."]}}],
    }
    assert second.json()["created"] == 0 and second.json()["unchanged"] == 3
    assert Contact.objects.count() == 3
    assert ContactEvent.objects.count() == 0  # creations are recorded on the rows, not as events


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"external_id": "x"}', "Innehållet ska vara en JSON-lista med kontakter."),
        ("[1, 2", None),
        ("not json", None),
    ],
)
def test_bulk_body_that_is_not_an_array_is_a_400_and_stores_nothing(system04, body, message):
    response = system04.post("/api/v1/contacts/bulk/", body, content_type="application/json")

    assert response.status_code == 400
    if message:
        assert response.json() == {"non_field_errors": [message]}
    assert Contact.objects.count() == 0


def test_bulk_over_the_limit_is_a_400(system04):
    response = system04.post("/api/v1/contacts/bulk/", [{}] * 10_001, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Högst 10000 kontakter per anrop, fick 10001."]}


def test_a_provider_client_never_sees_another_providers_contact(api_as, providers, system04):
    other = api_as(Role.PROVIDER, provider=providers["04b"])
    contact_id = system04.post("/api/v1/contacts/", contact_item(), format="json").json()["id"]

    assert other.get(f"/api/v1/contacts/{contact_id}/").status_code == 404
    assert other.get("/api/v1/contacts/").json()["results"] == []
    assert other.post(f"/api/v1/contacts/{contact_id}/reject/", {"note": "x"}, format="json").status_code == 404


def test_list_filters(api_as, system04):
    system04.post(
        "/api/v1/contacts/bulk/",
        [
            contact_item(external_id="oct", started_at="2026-10-31T23:30:00+01:00"),  # Stockholm: 31 Oct
            contact_item(external_id="nov", started_at="2026-10-31T23:30:00+00:00"),  # Stockholm: 1 Nov 00:30
            contact_item(external_id="phone", mode="phone", started_at="2026-10-10T10:00:00+02:00"),
        ],
        format="json",
    )
    clerk = api_as(Role.CLERK, "04")

    def ids(query):
        return [c["external_id"] for c in clerk.get(f"/api/v1/contacts/?{query}").json()["results"]]

    assert ids("period=2026-10") == ["oct", "phone"]
    assert ids("period=2026-11") == ["nov"]
    assert ids("reason=not_digital") == ["phone"]
    assert ids("status=eligible&billing_region=04") == ["nov", "oct"]
    assert ids("home_region=04") == []
    assert clerk.get("/api/v1/contacts/?period=2026-13").status_code == 400


def test_manual_rejection_by_the_billing_regions_clerk(api_as, system04):
    contact_id = system04.post("/api/v1/contacts/", contact_item(), format="json").json()["id"]
    buyer = api_as(Role.CLERK, "25")
    seller = api_as(Role.CLERK, "04")

    denied = buyer.post(f"/api/v1/contacts/{contact_id}/reject/", {"note": "Listad hos oss"}, format="json")
    by_provider = system04.post(f"/api/v1/contacts/{contact_id}/reject/", {"note": "x"}, format="json")
    allowed = seller.post(f"/api/v1/contacts/{contact_id}/reject/", {"note": "Dubblett"}, format="json")
    again = seller.post(f"/api/v1/contacts/{contact_id}/reject/", {"note": "Dubblett"}, format="json")

    assert denied.status_code == 403 and by_provider.status_code == 403
    assert allowed.status_code == 200
    assert (allowed.json()["status"], allowed.json()["reasons"], allowed.json()["amount"]) == (
        "rejected",
        ["rejected_by_clerk"],
        "0.00",
    )
    assert again.status_code == 409
    event = ContactEvent.objects.get(kind="rejected")
    assert event.note == "Dubblett" and event.result_before["status"] == "eligible"


def test_a_body_over_the_size_limit_is_a_413_and_stores_nothing(system04, settings):
    settings.API_MAX_BODY_BYTES = 1024 * 1024
    items = [contact_item(external_id=f"big-{n}", care_unit="SE2321000016-" + "A" * 18) for n in range(6000)]

    response = system04.post("/api/v1/contacts/bulk/", items, format="json")

    assert response.status_code == 413
    assert response.json() == {"detail": "Innehållet är större än 1 MB; skicka högst 10 000 kontakter per anrop."}
    assert Contact.objects.count() == 0


def test_creating_again_a_contact_on_a_submitted_invoice_is_a_409(system04):
    system04.post("/api/v1/contacts/", contact_item(), format="json")
    Contact.objects.update(locked=True, status="invoiced")

    response = system04.post("/api/v1/contacts/", contact_item(mode="chat"), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Kontakten finns på en inskickad eller godkänd faktura och kan inte längre ändras."
    }
    assert Contact.objects.get().mode == "video"


def test_resending_an_unchanged_contact_answers_200_with_it(system04):
    first = system04.post("/api/v1/contacts/", contact_item(), format="json")
    again = system04.post("/api/v1/contacts/", contact_item(), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Contact.objects.count() == 1


def test_more_than_10_000_contacts_is_a_400_and_stores_nothing(system04):
    body = items(10_001)

    response = system04.post(BULK, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Högst 10000 kontakter per anrop, fick 10001."]}
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("body", [{}, {"external_id": "c-1"}, "c-1", 17, None, True])
def test_a_bulk_body_that_is_not_a_json_array_is_a_400_and_stores_nothing(system04, body):
    response = post_raw(system04, BULK, orjson.dumps(body))

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Innehållet ska vara en JSON-lista med kontakter."]}
    assert Contact.objects.count() == 0


NOT_AN_OBJECT = {"non_field_errors": ["Varje kontakt ska vara ett JSON-objekt."]}


NOT_AN_AMOUNT = 'Ska vara ett belopp, t.ex. "100.00".'


OUT_OF_RANGE = "Datumet ligger utanför det tillåtna intervallet."


def refused(char: str) -> str:
    """The message refusing a control or invisible formatting character in an identifier (kernel/text.py)."""
    return (
        "Får inte innehålla styrtecken eller osynliga formateringstecken (som radbrytningar, tabbar, "
        f"textriktningstecken eller nollbreddsmellanslag); hittade U+{ord(char):04X}."
    )


def test_a_bulk_with_invalid_items_stores_the_valid_ones_and_reports_the_others(system04):
    body = [
        contact_item(external_id="ok-1"),
        "not an object",
        contact_item(external_id="nul-\x00-inside"),
        None,
        contact_item(external_id="ok-2", patient_fee="NaN"),
        [contact_item(external_id="nested")],
        contact_item(external_id="ok-3"),
        contact_item(external_id="ok-4", started_at="0001-01-01T00:00:00+14:00"),
        contact_item(external_id="ok-5", mode={"video": True}, content=["assessment"]),
    ]

    response = system04.post(BULK, body, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {"index": 1, "external_id": None, "errors": NOT_AN_OBJECT},
            {"index": 2, "external_id": "nul-\x00-inside", "errors": {"external_id": [refused("\x00")]}},
            {"index": 3, "external_id": None, "errors": NOT_AN_OBJECT},
            {"index": 4, "external_id": "ok-2", "errors": {"patient_fee": [NOT_AN_AMOUNT]}},
            {"index": 5, "external_id": None, "errors": NOT_AN_OBJECT},
            {"index": 7, "external_id": "ok-4", "errors": {"started_at": [OUT_OF_RANGE]}},
            {
                "index": 8,
                "external_id": "ok-5",
                "errors": {
                    "mode": ["Ska vara något av: video, chat, phone."],
                    "content": [
                        "Ska vara något av: assessment, referral, preparation, self_care_advice, one_way_message, "
                        "results, administrative, renewal_without_assessment."
                    ],
                },
            },
        ],
    }
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["ok-1", "ok-3"]
    assert ContactEvent.objects.count() == 0


TOO_LARGE = "Högst 99999.99."


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        ("NaN", NOT_AN_AMOUNT),
        ("sNaN", NOT_AN_AMOUNT),
        ("Infinity", NOT_AN_AMOUNT),
        ("-Infinity", NOT_AN_AMOUNT),
        (1e308, TOO_LARGE),
        (10**30, TOO_LARGE),  # beyond 64 bits: read as a float
        # Text is an amount written with digits 0-9 and a decimal point; exponents are not (issue 16).
        ("1e999999999", NOT_AN_AMOUNT),
        ("123456789012345678901234567890.123", TOO_LARGE),  # more digits than decimal's precision
        ("1e-999999999", NOT_AN_AMOUNT),
        ("-1e999999999", NOT_AN_AMOUNT),
        ("1e2", NOT_AN_AMOUNT),
        ("1_000", NOT_AN_AMOUNT),
        ("-1", "Får inte vara negativt."),
        ("0.001", "Högst två decimaler (öre)."),
        (True, "Ska vara ett belopp."),
        ("", "Fältet är obligatoriskt."),
        ("12,50", NOT_AN_AMOUNT),
    ],
)
def test_strange_numbers_for_the_patient_fee_are_a_400_on_that_field(system04, fee, message):
    response = system04.post(CONTACTS, contact_item(patient_fee=fee), format="json")

    assert response.status_code == 400
    assert response.json() == {"patient_fee": [message]}
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("fee", [0, 250, 99999.99, 1e2, "99999.99", "-0.00", " 100.5 "])
def test_numbers_within_range_are_accepted_in_any_json_spelling(system04, fee):
    response = system04.post(CONTACTS, contact_item(patient_fee=fee), format="json")

    assert response.status_code == 201
    assert Contact.objects.get().patient_fee == Contact._meta.get_field("patient_fee").to_python(str(fee))


WRONG_TYPES = [[], {}, ["LK"], {"value": "x"}, 17, 1.5, True, False]


RIGHT_TYPES = {"patient_fee": (int, float), "strong_authentication": (bool,), "triage": (bool,), "documented": (bool,)}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (field, value)
        for field in INPUT_FIELDS
        for value in WRONG_TYPES
        if type(value) not in RIGHT_TYPES.get(field, ())  # a JSON number is an amount; booleans are booleans
    ],
    ids=repr,
)
def test_a_value_of_the_wrong_type_is_a_400_on_that_field_only(clerk04_api, providers, field, value):
    item = contact_item(provider=providers["04a"].hsa_id)
    item[field] = value

    response = clerk04_api.post(CONTACTS, item, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert len(errors[field]) == 1 and errors[field][0]  # one message, in Swedish (checked by the next test)
    assert Contact.objects.count() == 0


def test_the_wrong_type_messages_say_what_is_expected(clerk04_api, providers):
    item = contact_item(
        provider=providers["04a"].hsa_id,
        external_id=17,
        started_at=1760000000,
        mode=["video"],
        triage="yes",
        patient_fee={"amount": 100},
        care_unit=True,
    )

    response = clerk04_api.post(CONTACTS, item, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "external_id": ["Ska vara en textsträng."],
        "started_at": ["Ska vara datum och tid enligt ISO 8601 med tidszon, t.ex. 2026-10-05T14:30:00+02:00."],
        "mode": ["Ska vara något av: video, chat, phone."],
        "triage": ["Ska vara true eller false."],  # text booleans are for the CSV upload only
        "patient_fee": ['Ska vara ett belopp, t.ex. "100.00".'],
        "care_unit": ["Ska vara en textsträng."],
    }


def test_an_unknown_field_is_a_400_so_that_a_misspelt_field_is_not_lost(system04):
    item = contact_item()
    item["patient_fe"] = item.pop("patient_fee")

    response = system04.post(CONTACTS, item, format="json")

    assert response.status_code == 400
    assert response.json() == {"patient_fe": ["Okänt fält."], "patient_fee": ["Fältet är obligatoriskt."]}
    assert Contact.objects.count() == 0


def test_output_fields_sent_back_are_ignored(system04):
    item = contact_item(id=999, status="invoiced", amount="1000000.00", invoice=1, billing_region="01")

    response = system04.post(CONTACTS, item, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["amount"], body["invoice"]) == ("eligible", "335.00", None)
    assert body["billing_region"] == "04"


@pytest.mark.parametrize("field", INPUT_FIELDS)
def test_a_nul_character_in_any_field_is_a_400_on_that_field_not_a_database_error(clerk04_api, providers, field):
    item = contact_item(provider=providers["04a"].hsa_id, listing_unit="", care_unit="")
    value = item[field]
    item[field] = f"\x00{value}" if isinstance(value, str) else "\x00"

    response = clerk04_api.post(CONTACTS, item, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Contact.objects.count() == 0


def test_nul_characters_in_names_of_fields_and_inside_identifiers(system04):
    item = contact_item(external_id="c-\x00-1")
    item["mode\x00"] = "video"

    response = system04.post(CONTACTS, item, format="json")

    assert response.status_code == 400
    assert response.json() == {"mode\x00": ["Okänt fält."], "external_id": [refused("\x00")]}


@pytest.mark.parametrize(
    ("external_id", "char"),
    [
        ("line\nbreak", "\n"),
        ("carriage\rreturn", "\r"),
        ("tab\tinside", "\t"),
        ("escape\x1b[31m", "\x1b"),
        ("del\x7f", "\x7f"),
        ("c1\x85control", "\x85"),
    ],
)
def test_control_characters_in_an_external_id_are_refused(system04, external_id, char):
    # Every other category (format characters, line and paragraph separators): tests/contacts/test_forged_text.py.
    response = system04.post(CONTACTS, contact_item(external_id=external_id), format="json")

    assert response.status_code == 400
    assert response.json() == {"external_id": [refused(char)]}


@pytest.mark.parametrize(
    "started_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+23:59"]
)
def test_a_time_whose_offset_leaves_the_calendar_is_a_400(system04, started_at):
    response = system04.post(CONTACTS, contact_item(started_at=started_at), format="json")

    assert response.status_code == 400
    assert response.json() == {"started_at": ["Datumet ligger utanför det tillåtna intervallet."]}
