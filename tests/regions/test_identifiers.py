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
        ("2321000016-A65H", "must look like SE2321000016-A65H"),
        ("SE232100001-A65H", "must look like SE2321000016-A65H"),
        ("SE2321000016A65H", "must look like SE2321000016-A65H"),
        ("SE2321000016-", "must look like SE2321000016-A65H"),
        ("SE2321000016-A6 5H", "must look like SE2321000016-A65H"),
        ("SE2321000016-A65H-X", "must look like SE2321000016-A65H"),
        ("SE2321000017-A65H", "does not contain a valid organisation number"),
        ("SE2321000016-" + "A" * 19, "at most 31 characters, got 32"),
        ("", "must look like SE2321000016-A65H"),
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
        ("232100-0017", "wrong check digit"),
        ("23210000", "must have 10 digits"),
        ("ABCDEF-GHIJ", "must have 10 digits"),
        ("", "must have 10 digits"),
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
    assert body["hsa_id"] == ["HSA-id 'SE2321000017-X1' does not contain a valid organisation number (check digit)."]
    assert body["org_number"] == ["Organisation number '556000-0000' has a wrong check digit."]
    assert body["region"] == ["Unknown region '99'; use a län code such as '04'."]
    assert Provider.objects.count() == 0


def test_admin_form_refuses_bad_identifiers(client, make_user, reference):
    client.force_login(make_user(Role.ADMIN))

    response = client.post(
        "/admin/regions/provider/add/",
        {"hsa_id": "XX123", "name": "Fel AB", "org_number": "1234", "region": "04", "active": "on"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "must look like SE2321000016-A65H" in errors["hsa_id"][0]
    assert "must have 10 digits" in errors["org_number"][0]
    assert Provider.objects.count() == 0
