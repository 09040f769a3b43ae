"""The API's public pages and the answers Django gives before or around an API view (issue 16, item 12).

- The schema is generated once per process and language, and the public pages (schema, Swagger UI, ReDoc) have a
  budget per address for requests without credentials: eight anonymous clients fetching the schema in a loop
  slowed everyone's requests fourfold.
- A form body past Django's limits (10 000 fields) is the API's JSON 400, not Django's HTML page.
- Under DEBUG=1 an address no route matches is the API's JSON 404, not Django's technical page; a request Django
  refuses itself (a Host it does not serve) is JSON too.
"""

from unittest import mock

import pytest
from django.core.cache import cache
from django.test.client import BOUNDARY, encode_multipart
from drf_spectacular.generators import SchemaGenerator

from contacts.disputes.models import DisputeComment
from contacts.disputes.services import dispute_open
from contacts.models import Contact
from kernel.api import docs, throttling
from regions.models import Role
from tests.billing.conftest import january, staff  # noqa: F401 (shared fixtures)

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Hittades inte."}


@pytest.fixture
def fresh_schema():
    docs._schemas.clear()
    docs._rendered.clear()


def test_the_schema_is_generated_once_per_language_and_served_from_memory(client, reference, fresh_schema):
    with mock.patch.object(
        SchemaGenerator, "get_schema", autospec=True, side_effect=SchemaGenerator.get_schema
    ) as made:
        yaml = [client.get("/api/v1/schema/") for _ in range(3)]
        json = [client.get("/api/v1/schema/?format=json") for _ in range(3)]
        english = client.get("/api/v1/schema/?format=json", HTTP_ACCEPT_LANGUAGE="en")

    assert made.call_count == 2  # Swedish once (both formats), English once
    assert [r.status_code for r in (*yaml, *json, english)] == [200] * 7
    assert {r.content for r in yaml} == {yaml[0].content} and {r.content for r in json} == {json[0].content}
    assert yaml[0]["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    assert json[0]["Content-Type"] == "application/vnd.oai.openapi+json"
    assert json[0].json()["paths"].keys() == english.json()["paths"].keys()
    assert "/api/v1/contacts/" in json[0].json()["paths"]


def test_anonymous_requests_to_the_public_pages_have_a_budget_per_address(client, reference, settings, api_as):
    settings.API_ANONYMOUS_THROTTLE_RATE = "3/min"
    cache.clear()
    with mock.patch.object(throttling.time, "time", return_value=1_800_000_015.0):
        answers = [client.get(page) for page in ("/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/")]
        refused = client.get("/api/v1/schema/?format=json")
        elsewhere = client.get("/api/v1/schema/?format=json", REMOTE_ADDR="192.0.2.7")
        with_a_key = api_as(Role.CLERK, "04").get("/api/v1/schema/?format=json")

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert (refused.status_code, refused["Retry-After"]) == (429, "45")
    assert refused.json() == {"detail": "För många anrop från den här API-klienten. Försök igen om 45 sekunder."}
    assert (elsewhere.status_code, with_a_key.status_code) == (200, 200)


def test_the_anonymous_budget_is_a_setting_empty_for_none(client, reference, settings):
    settings.API_ANONYMOUS_THROTTLE_RATE = ""

    assert {client.get("/api/v1/redoc/").status_code for _ in range(5)} == {200}


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


def test_under_debug_the_api_still_redirects_a_missing_slash_and_other_pages_keep_their_html(client, settings):
    settings.DEBUG = True

    assert (client.get("/api/v1/regions").status_code, client.get("/api/v1/regions")["Location"]) == (
        301,
        "/api/v1/regions/",
    )
    admin_page = client.get("/no-such-page/")
    assert (admin_page.status_code, admin_page["Content-Type"]) == (404, "text/html; charset=utf-8")


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_request_django_refuses_itself_is_json_under_the_api(client, reference, settings, debug):
    settings.DEBUG = debug
    settings.ALLOWED_HOSTS = ["utomlans.example.se"]

    answer = client.get("/api/v1/regions/", HTTP_HOST="attacker.example")

    assert (answer.status_code, answer["Content-Type"]) == (400, "application/json")
    assert answer.json() == {"detail": "Anropet kunde inte läsas."}


# --- Schema and code agree (schemathesis' ST201 and ST202) ------------------------------------------------------
# tests/test_api_fuzz.py checks ST201 (data outside the schema is refused) on every operation; these are the cases
# it found, and the two ST202 cases (valid data refused), which the schema now excludes.


@pytest.fixture
def schema_parameters(client, reference, fresh_schema):
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]

    def of(path: str) -> dict[str, dict]:
        return {parameter["name"]: parameter for parameter in paths[path]["get"]["parameters"]}

    return of


def test_an_empty_filter_is_documented_and_read_as_left_out(api_as, schema_parameters, january):  # noqa: F811
    api = api_as(Role.CLERK, "04")
    every = api.get("/api/v1/contacts/").json()["results"]

    assert api.get("/api/v1/contacts/?started_before=&started_after=&status=").json()["results"] == every
    assert len(every) == 7  # the January world's contacts billed by 04
    contacts = schema_parameters("/api/v1/contacts/")
    assert contacts["started_before"]["schema"] == {"type": "string", "format": "date-time"}
    assert contacts["started_before"]["allowEmptyValue"] is True
    report = api.get("/api/v1/reports/monthly/?perspective=")
    assert (report.status_code, report.json()["filters"]["perspective"]) == (200, "buyer")
    assert schema_parameters("/api/v1/reports/monthly/")["perspective"]["allowEmptyValue"] is True


@pytest.mark.parametrize("value", ["null", "abc", "0", "-3", "1.5"])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_a_400(api_as, reference, schema_parameters, value):
    answer = api_as(Role.CLERK, "04").get(f"/api/v1/regions/?page_size={value}")

    assert (answer.status_code, answer.json()) == (400, {"page_size": ["Ett heltal från 1 (högst 1000 ges)."]})
    assert schema_parameters("/api/v1/regions/")["page_size"]["schema"] == {"type": "integer", "minimum": 1}


def test_a_page_size_left_empty_or_above_the_maximum_is_read(api_as, reference):
    api = api_as(Role.CLERK, "04")

    assert len(api.get("/api/v1/regions/?page_size=").json()["results"]) == 21
    assert len(api.get("/api/v1/regions/?page_size=5000").json()["results"]) == 21
    two = api.get("/api/v1/regions/?page_size=2").json()
    assert (len(two["results"]), two["next"] is not None) == (2, True)


def test_a_yes_no_filter_refuses_other_values(api_as, providers):
    api = api_as(Role.ADMIN)

    refused = api.get("/api/v1/providers/?active=-58800")

    assert (refused.status_code, refused.json()) == (400, {"active": ["Ange true eller false."]})
    assert len(api.get("/api/v1/providers/?active=true").json()["results"]) == len(providers)
    assert api.get("/api/v1/providers/?active=false").json()["results"] == []


@pytest.mark.parametrize("body", [{"note": 5}, {"note": 1.5}, {"note": True}, {"note": ["Fel period"]}])
def test_a_note_that_is_not_text_is_a_400_and_changes_nothing(api_as, staff, january, body):  # noqa: F811
    from billing.models import Invoice, InvoiceStatus
    from billing.services import invoice_submit
    from tests.billing.conftest import run_now

    run_now()
    invoice = invoice_submit(invoice=Invoice.objects.get(buyer_id="25"), by=staff["clerk04"])

    answer = api_as(Role.MANAGER, "04").post(f"/api/v1/invoices/{invoice.pk}/return/", body, format="json")

    assert (answer.status_code, answer.json()) == (400, {"note": ["Måste vara text (en JSON-sträng)."]})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SUBMITTED


def test_a_cursor_with_nul_is_refused_and_the_schema_says_so(api_as, reference, schema_parameters):
    import re

    answer = api_as(Role.CLERK, "04").get("/api/v1/regions/?cursor=%00")
    cursor = schema_parameters("/api/v1/regions/")["cursor"]["schema"]

    assert (answer.status_code, answer.json()) == (400, {"detail": "Adressen innehåller ett NUL-tecken."})
    assert cursor == {"type": "string", "pattern": "^[^\\x00]*$"}
    assert re.search(cursor["pattern"], "\x00") is None and re.search(cursor["pattern"], "cD0xMjM=") is not None


def test_the_reports_provider_filter_is_an_id_from_1(api_as, reference, schema_parameters):
    answer = api_as(Role.CLERK, "04").get("/api/v1/reports/monthly/?provider=0")

    assert answer.status_code == 400 and list(answer.json()) == ["provider"]
    assert schema_parameters("/api/v1/reports/monthly/")["provider"]["schema"] == {"type": "integer", "minimum": 1}
