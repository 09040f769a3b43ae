import pytest

from regions.models import Provider, Role

pytestmark = pytest.mark.django_db


def test_regions_list_and_detail(api_as, reference):
    api = api_as(Role.CLERK, "25")

    listing = api.get("/api/v1/regions/")
    detail = api.get("/api/v1/regions/04/")

    body = listing.json()
    assert set(body) == {"next", "previous", "results"}
    assert [r["code"] for r in body["results"]] == [
        "01",
        "03",
        "04",
        "05",
        "06",
        "07",
        "08",
        "09",
        "10",
        "12",
        "13",
        "14",
        "17",
        "18",
        "19",
        "20",
        "21",
        "22",
        "23",
        "24",
        "25",
    ]
    assert detail.json() == {
        "code": "04",
        "name": "Region Sörmland",
        "healthcare_region": "Mellansverige",
        "org_number": "232100-0032",
    }
    assert api.get("/api/v1/regions/11/").status_code == 404


def test_recommendations_list_shows_rates_as_strings(api_as, reference):
    body = api_as(Role.CLERK, "04").get("/api/v1/recommendations/").json()

    assert [r["code"] for r in body["results"]] == ["SKL-2019", "SKR-2026-01", "SKR-2026-04"]
    april = body["results"][2]
    assert april["rates"] == {"physician": "435.00", "psychologist": "405.00", "other_licensed": "235.00"}
    assert april["decided_on"] == "2026-04-22"
    assert april["effective_from"] == "2026-04-22"
    assert april["includes_patient_fee"] is True
    assert april["supersedes"] == "SKR-2026-01"
    assert len(april["criteria"]) == 13 and april["criteria"][-1] == "not_renewal_without_assessment"
    assert body["results"][0]["rates"] == {"physician": "500.00", "psychologist": "425.00", "other_licensed": "275.00"}
    assert len(body["results"][0]["criteria"]) == 6


def test_professions_list_gives_each_code_its_category(api_as, reference):
    body = api_as(Role.CLERK, "04").get("/api/v1/professions/?page_size=100").json()
    categories = {p["code"]: p["category"] for p in body["results"]}

    assert categories["LK"] == "physician"
    assert categories["TP"] == "physician"
    assert categories["HK"] == "psychologist"
    assert categories["FT"] == "other_licensed"
    assert categories["US"] is None
    assert len(categories) == 27


def test_admin_creates_a_provider_through_the_api(api_as, reference):
    response = api_as(Role.ADMIN).post(
        "/api/v1/providers/",
        {"hsa_id": "se5561234005-x1", "name": "Ny Vård AB", "org_number": "5561234005", "region": "06"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {
        "hsa_id": "SE5561234005-X1",
        "name": "Ny Vård AB",
        "org_number": "556123-4005",
        "region": "06",
        "active": True,
        "ended_on": None,
    }


def test_a_duplicate_hsa_id_is_a_400(api_as, providers):
    response = api_as(Role.ADMIN).post(
        "/api/v1/providers/",
        {"hsa_id": providers["04a"].hsa_id, "name": "Kopia", "org_number": "5561234005", "region": "04"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"hsa_id": [f"Det finns redan en vårdgivare med HSA-id {providers['04a'].hsa_id}."]}


@pytest.mark.parametrize(("role", "region"), [(Role.CLERK, "04"), (Role.MANAGER, "04")])
def test_only_admins_create_providers_through_the_api(api_as, reference, role, region):
    response = api_as(role, region).post(
        "/api/v1/providers/",
        {"hsa_id": "SE5561234005-X1", "name": "Ny", "org_number": "5561234005", "region": "04"},
        format="json",
    )

    assert response.status_code == 403
    assert Provider.objects.count() == 0


def test_a_non_json_body_is_a_400_not_a_500(api_as, reference):
    response = api_as(Role.ADMIN).post("/api/v1/providers/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert Provider.objects.count() == 0


def test_schema_and_docs_are_served_without_login(client, reference):
    schema = client.get("/api/v1/schema/?format=json")
    docs = client.get("/api/v1/docs/")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in [
        "/api/v1/regions/",
        "/api/v1/regions/{code}/",
        "/api/v1/providers/",
        "/api/v1/providers/{hsa_id}/",
        "/api/v1/recommendations/",
    ]:
        assert path in paths
    assert "post" in paths["/api/v1/providers/"]
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn." not in docs.content  # served from the project's own static files


def test_health_endpoint(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_openapi_schema_generates_without_warnings(db):
    from django.core.management import call_command

    # --fail-on-warn turns any schema warning or error into a SystemExit
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_every_operation_has_a_summary_and_no_description_shows_the_codes_internals(client, reference):
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    operations = {(method, path): operation for path, methods in paths.items() for method, operation in methods.items()}

    assert [key for key, operation in operations.items() if not operation.get("summary")] == []
    internal = ("visible_to", "scope_filters", "queryset", "``")
    assert [
        key
        for key, operation in operations.items()
        if any(word in operation.get("description", "") for word in internal)
    ] == []
    assert operations[("post", "/api/v1/invoices/{id}/return/")]["summary"] == "Return an invoice to draft"
    assert operations[("get", "/api/v1/invoices/")]["summary"] == "List invoices"
