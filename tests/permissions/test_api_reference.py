"""The matrix over the reference data API: regions, professions and recommendations (public to every scoped
caller), and providers (scoped: a region's staff see the providers it contracts; admins create them)."""

import pytest

from regions.models import Provider
from tests.factories import valid_org_number
from tests.permissions.conftest import matrix, snapshot

PUBLIC = matrix(
    anonymous=401,
    provider=200,
    clerk_seller=200,
    manager_seller=200,
    clerk_buyer=200,
    manager_buyer=200,
    clerk_third=200,
    manager_third=200,
    admin=200,
)


@pytest.mark.parametrize(("actor", "expected"), PUBLIC)
def test_regions_list_and_detail(world, actor, expected):
    api = world.api(actor)

    listing = api.get("/api/v1/regions/")
    detail = api.get("/api/v1/regions/04/")

    assert (listing.status_code, detail.status_code) == (expected, expected)
    if expected == 200:
        assert len(listing.json()["results"]) == 21
        assert (detail.json()["code"], detail.json()["org_number"]) == ("04", "232100-0032")


@pytest.mark.parametrize(("actor", "expected"), PUBLIC)
def test_professions_list_and_detail(world, actor, expected):
    api = world.api(actor)

    listing = api.get("/api/v1/professions/")
    detail = api.get("/api/v1/professions/LK/")

    assert (listing.status_code, detail.status_code) == (expected, expected)
    if expected == 200:
        assert detail.json() == {"code": "LK", "name": detail.json()["name"], "category": "physician"}
        assert "LK" in [row["code"] for row in listing.json()["results"]]


@pytest.mark.parametrize(("actor", "expected"), PUBLIC)
def test_recommendations_list_and_detail(world, actor, expected):
    api = world.api(actor)

    listing = api.get("/api/v1/recommendations/")
    detail = api.get("/api/v1/recommendations/SKR-2026-04/")

    assert (listing.status_code, detail.status_code) == (expected, expected)
    if expected == 200:
        assert [row["code"] for row in listing.json()["results"]] == ["SKL-2019", "SKR-2026-01", "SKR-2026-04"]
        assert detail.json()["rates"] == {"physician": "435.00", "psychologist": "405.00", "other_licensed": "235.00"}


# Which providers each actor sees: P and P2 are contracted by the seller (04), Q by the third region (06).
PROVIDERS_SEEN = {
    "provider": ["P"],
    "clerk-seller": ["P", "P2"],
    "manager-seller": ["P", "P2"],
    "clerk-buyer": [],
    "manager-buyer": [],
    "clerk-third": ["Q"],
    "manager-third": ["Q"],
    "admin": ["P", "P2", "Q"],
}


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=200,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=200,
        manager_third=200,
        admin=200,
    ),
)
def test_providers_list_shows_only_the_providers_in_scope(world, actor, expected):
    names = {world.provider.hsa_id: "P", world.other_provider.hsa_id: "P2", world.foreign_provider.hsa_id: "Q"}

    response = world.api(actor).get("/api/v1/providers/")

    assert response.status_code == expected
    if expected == 200:
        assert sorted(names[row["hsa_id"]] for row in response.json()["results"]) == PROVIDERS_SEEN[actor]


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=200,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=404,
        manager_buyer=404,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
)
def test_provider_detail(world, actor, expected):
    response = world.api(actor).get(f"/api/v1/providers/{world.provider.hsa_id}/")

    assert response.status_code == expected
    if expected == 200:
        assert (response.json()["hsa_id"], response.json()["region"]) == (world.provider.hsa_id, "04")


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=403,
        clerk_seller=403,
        manager_seller=403,
        clerk_buyer=403,
        manager_buyer=403,
        clerk_third=403,
        manager_third=403,
        admin=201,
    ),
)
def test_providers_create_is_for_admins(world, actor, expected):
    org_number = valid_org_number(990001)
    body = {"hsa_id": f"SE{org_number}-NEW1", "name": "Ny vårdgivare AB", "org_number": org_number, "region": "04"}
    before = snapshot()

    response = world.api(actor).post("/api/v1/providers/", body, format="json")

    assert response.status_code == expected
    if expected == 201:
        assert Provider.objects.get(hsa_id=body["hsa_id"]).region_id == "04"
    else:
        assert snapshot() == before
