"""The registers' API: a CSV body or a multipart file, per-row errors with lines, scope (404 elsewhere), reads
logged."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.audit.models import IdentityRead, ReadVia
from regions.models import Role
from review.models import PopulationEntry, RegisterLoad
from tests.factories import personnummer

P1 = personnummer("19850312", "238")
P2 = personnummer("19900101", "123")
BODY = (
    "personal_identity;lan_code;municipality_code;valid_from;valid_to\n"
    f"{P1};01;0180;2020-01-01;\n"
    f"{P2};01;0180;2020-01-01;2019-01-01\n"
).encode()
POPULATION = "/api/v1/registers/population/"


@pytest.fixture
def clerk01(make_user):
    return make_user(Role.CLERK, "01")


def test_a_csv_body_is_loaded_with_per_row_errors(api_as):
    client = api_as(Role.CLERK, "01")
    response = client.post(POPULATION, BODY, content_type="text/csv")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["region"], body["kind"], body["mode"], body["via"]) == ("01", "population", "upsert", "api")
    assert (body["rows"], body["inserted"], body["updated"], body["refused"]) == (2, 1, 0, 1)
    assert [error["line"] for error in body["errors"]] == [3]
    assert list(body["errors"][0]["errors"]) == ["valid_to"]
    assert PopulationEntry.objects.get().region_id == "01"


def test_a_multipart_file_replaces_a_period(signed_in, clerk01):
    client = signed_in(clerk01)
    client.post(POPULATION, BODY, content_type="text/csv")
    upload = SimpleUploadedFile(
        "folk.csv",
        f"personal_identity,lan_code,municipality_code,valid_from,valid_to\n{P2},01,0114,2020-01-01,\n".encode(),
    )
    response = client.post(
        f"{POPULATION}?mode=replace_period&period_from=2019-01-01&period_to=2026-12-31",
        {"file": upload},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["file_name"], body["deleted"], body["inserted"], body["period_to"]) == ("folk.csv", 1, 1, "2026-12-31")
    assert list(PopulationEntry.objects.values_list("municipality_code", flat=True)) == ["0114"]


def test_replace_without_a_period_is_refused(api_as):
    response = api_as(Role.CLERK, "01").post(f"{POPULATION}?mode=replace_period", BODY, content_type="text/csv")
    assert response.status_code == 400
    assert RegisterLoad.objects.count() == 0


def test_a_file_refused_as_a_whole_is_400_and_recorded(api_as):
    response = api_as(Role.CLERK, "01").post(POPULATION, b"name;age\nx;1\n", content_type="text/csv")
    assert response.status_code == 400
    body = response.json()
    assert body["load"]["errors"][0]["line"] == 0
    assert body["file"] and all(isinstance(message, str) for message in body["file"])
    assert body["load"]["id"] == RegisterLoad.objects.get().pk
    assert RegisterLoad.objects.get().refused == 0


@pytest.mark.parametrize(
    ("role", "region"), [(Role.CLERK, "03"), (Role.ADMIN, "03"), (Role.ADMIN, None), (Role.PROVIDER, None)]
)
def test_nobody_else_sees_a_register_or_its_loads(api_as, providers, role, region):
    owner = api_as(Role.CLERK, "01")
    load_id = owner.post(POPULATION, BODY, content_type="text/csv").json()["id"]
    other = api_as(role, region, providers["04a"] if role == Role.PROVIDER else None)
    assert other.get(f"/api/v1/registers/loads/{load_id}/").status_code == 404
    assert other.get("/api/v1/registers/loads/").json()["results"] == []
    assert other.get(POPULATION).json()["results"] == []
    if region is None:  # national admins and providers have no register of their own to load
        assert other.post(POPULATION, BODY, content_type="text/csv").status_code == 403
    else:  # a region's staff load their own region's register, never another's
        assert other.post(POPULATION, BODY, content_type="text/csv").json()["region"] == region
        assert PopulationEntry.objects.filter(region_id="01").count() == 1
    assert owner.get(f"/api/v1/registers/loads/{load_id}/").status_code == 200


def test_reading_entries_is_logged_as_identity_reads(api_as):
    client = api_as(Role.MANAGER, "01")
    client.post(POPULATION, BODY, content_type="text/csv")
    response = client.get(POPULATION, {"personal_identity": P1})
    assert [row["personal_identity"] for row in response.json()["results"]] == [P1.replace("-", "")]
    read = IdentityRead.objects.get()
    assert (read.via, read.register, read.contact_count, read.contact_id, read.invoice_id) == (
        ReadVia.API_REGISTER,
        "population:01",
        1,
        None,
        None,
    )
