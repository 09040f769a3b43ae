import pytest

from regions.identifiers import IdentifierError, normalize_hsa_id, normalize_org_number
from regions.models import Provider, Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "expected"),
    [("SE2321000016-A65H", "SE2321000016-A65H"), (" se2321000016-a65h ", "SE2321000016-A65H")],
)
def test_valid_hsa_ids_are_normalised(value, expected):
    assert normalize_hsa_id(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2321000016-A65H", "ska se ut som SE2321000016-A65H"),
        ("SE232100001-A65H", "ska se ut som SE2321000016-A65H"),
        ("SE2321000016A65H", "ska se ut som SE2321000016-A65H"),
        ("SE2321000016-", "ska se ut som SE2321000016-A65H"),
        ("SE2321000016-A6 5H", "ska se ut som SE2321000016-A65H"),
        ("SE2321000016-A65H-X", "ska se ut som SE2321000016-A65H"),
        ("SE2321000017-A65H", "innehåller inget giltigt organisationsnummer"),
        ("SE2321000016-" + "A" * 19, "högst 31 tecken, fick 32"),
        ("", "ska se ut som SE2321000016-A65H"),
    ],
)
def test_invalid_hsa_ids_are_refused_with_a_clear_message(value, message):
    with pytest.raises(IdentifierError, match=message):
        normalize_hsa_id(value)


@pytest.mark.parametrize(("value", "expected"), [("232100-0016", "2321000016"), ("2321000016", "2321000016")])
def test_valid_org_numbers_are_normalised(value, expected):
    assert normalize_org_number(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("232100-0017", "har fel kontrollsiffra"),
        ("23210000", "ska ha 10 siffror"),
        ("ABCDEF-GHIJ", "ska ha 10 siffror"),
        ("", "ska ha 10 siffror"),
    ],
)
def test_invalid_org_numbers_are_refused_with_a_clear_message(value, message):
    with pytest.raises(IdentifierError, match=message):
        normalize_org_number(value)


def test_api_refuses_a_provider_with_bad_identifiers_and_stores_nothing(api_as, reference):
    api = api_as(Role.ADMIN)

    response = api.post(
        "/api/v1/providers/",
        {"hsa_id": "SE2321000017-X1", "name": "Fel AB", "org_number": "556000-0000", "region": "99"},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["hsa_id"] == ["HSA-id 'SE2321000017-X1' innehåller inget giltigt organisationsnummer (kontrollsiffra)."]
    assert body["org_number"] == ["Organisationsnumret '556000-0000' har fel kontrollsiffra."]
    assert body["region"] == ["Okänd region '99'; ange en länskod som '04'."]
    assert Provider.objects.count() == 0


def test_admin_form_refuses_bad_identifiers(client, make_user, reference):
    client.force_login(make_user(Role.ADMIN))

    response = client.post(
        "/admin/regions/provider/add/",
        {"hsa_id": "XX123", "name": "Fel AB", "org_number": "1234", "region": "04", "active": "on"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "ska se ut som SE2321000016-A65H" in errors["hsa_id"][0]
    assert "ska ha 10 siffror" in errors["org_number"][0]
    assert Provider.objects.count() == 0


def test_errors_are_in_english_when_the_client_asks_for_english(api_as, reference):
    response = api_as(Role.ADMIN).post(
        "/api/v1/providers/",
        {"hsa_id": "SE2321000016-X1", "name": "Fel AB", "org_number": "556000-0000", "region": "04"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {"org_number": ["Organisation number '556000-0000' has a wrong check digit."]}
