import pytest

from contacts.models import Contact, ContactEvent
from regions.models import Role
from tests.factories import contact_item

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
