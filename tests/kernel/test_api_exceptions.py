import pytest
from django.test.client import BOUNDARY, encode_multipart

from contacts.models import Contact
from disputes.models import DisputeComment
from disputes.services import dispute_open
from regions.models import Role
from tests.billing.conftest import january, staff  # noqa: F401 (shared fixtures)

pytestmark = pytest.mark.django_db


NOT_FOUND = {"detail": "Hittades inte."}


@pytest.fixture
def dispute(january, staff):  # noqa: F811
    return dispute_open(
        contact=Contact.objects.get(external_id="phone"), by=staff["clerk04"], reason="Videosamtal, se journalen."
    )


FIELDS = {f"field{i}": "x" for i in range(10_000)}


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_a_form_body_with_10000_fields_is_the_apis_400(api_as, client, staff, dispute, settings, debug, encoding):  # noqa: F811
    settings.DEBUG = debug
    client.force_login(staff["clerk04"])
    if encoding == "multipart":
        body, content_type = encode_multipart(BOUNDARY, FIELDS), f"multipart/form-data; boundary={BOUNDARY}"
    else:
        body, content_type = (
            "&".join(f"{name}={value}" for name, value in FIELDS.items()),
            ("application/x-www-form-urlencoded"),
        )
    url = f"/api/v1/disputes/{dispute.pk}/comments/"

    answers = [
        api_as(Role.CLERK, "04").post(url, body, content_type=content_type),
        client.post(url, body, content_type=content_type),  # a session: DRF's CSRF check reads the form first
    ]

    for answer in answers:
        assert (answer.status_code, answer["Content-Type"]) == (400, "application/json")
        assert answer.json() == {"detail": "Anropet har fler fält än API:t läser (högst 1000)."}
    assert DisputeComment.objects.filter(dispute=dispute).count() == 0


def test_a_form_body_of_a_few_fields_is_still_read(api_as, dispute):
    answer = api_as(Role.CLERK, "04").post(
        f"/api/v1/disputes/{dispute.pk}/comments/", {"text": "Journalutdrag bifogas."}, format="multipart"
    )

    assert answer.status_code == 201
    assert list(DisputeComment.objects.filter(dispute=dispute).values_list("text", flat=True)) == [
        "Journalutdrag bifogas."
    ]


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/contacts/1.5/", "/api/v2/contacts/"])
def test_an_api_address_no_route_matches_is_the_json_404_debug_or_not(client, reference, settings, debug, path):
    settings.DEBUG = debug

    answer = client.get(path)

    assert (answer.status_code, answer["Content-Type"], answer.json()) == (404, "application/json", NOT_FOUND)
