"""The matrix over the contacts API: list, detail, create, bulk and reject, and what filters and guessed ids
reveal. Out of scope is 404 (or, for a provider named in a body, "unknown"), never 403."""

from decimal import Decimal

import pytest

from contacts.identifiers import mask_personal_identity
from contacts.models import Contact, ContactEvent
from tests.factories import contact_item
from tests.permissions.conftest import OPEN_PERIOD, matrix, snapshot, started

# The seller's provider P has nine contacts (all of patients living in 25); the third region bills one.
P_CONTACTS = [
    "approved-1",
    "approved-2",
    "draft-1",
    "free",
    "paid-1",
    "phone",
    "phone-2",
    "sent-1",
    "submitted-1",
]
CONTACTS_SEEN = {
    "provider": P_CONTACTS,
    "clerk-seller": P_CONTACTS,
    "manager-seller": P_CONTACTS,
    "clerk-buyer": P_CONTACTS,
    "manager-buyer": P_CONTACTS,
    "clerk-third": ["foreign-1"],
    "manager-third": ["foreign-1"],
    "admin": sorted([*P_CONTACTS, "foreign-1"]),
}
# Who sees full personal identity numbers of P's contacts (billing or home region staff, national admins).
FULL_IDENTITY = {"clerk-seller", "manager-seller", "clerk-buyer", "manager-buyer", "admin"}

READ = matrix(
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


@pytest.mark.parametrize(("actor", "expected"), READ)
def test_contacts_list_shows_exactly_the_contacts_in_scope(world, actor, expected):
    response = world.api(actor).get("/api/v1/contacts/")

    assert response.status_code == expected
    if expected == 200:
        rows = response.json()["results"]
        assert sorted(row["external_id"] for row in rows) == CONTACTS_SEEN[actor]
        free = world.contacts["free"]
        shown = {row["external_id"]: row["patient_id"] for row in rows}
        if "free" in shown:
            masked = actor not in FULL_IDENTITY
            assert shown["free"] == (mask_personal_identity(free.patient_id) if masked else free.patient_id)


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=200,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
)
def test_contact_detail(world, actor, expected):
    free = world.contacts["free"]

    response = world.api(actor).get(f"/api/v1/contacts/{free.pk}/")

    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        masked = actor not in FULL_IDENTITY
        assert (body["external_id"], body["billing_region"], body["home_region"]) == ("free", "04", "25")
        assert body["patient_id"] == (mask_personal_identity(free.patient_id) if masked else free.patient_id)


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=404,
        clerk_seller=404,
        manager_seller=404,
        clerk_buyer=404,
        manager_buyer=404,
        clerk_third=200,
        manager_third=200,
        admin=200,
    ),
)
def test_a_guessed_id_of_another_regions_contact_is_404_like_one_that_does_not_exist(world, actor, expected):
    api = world.api(actor)
    foreign = world.contacts["foreign-1"]

    guessed = api.get(f"/api/v1/contacts/{foreign.pk}/")
    missing = api.get("/api/v1/contacts/999999/")

    assert guessed.status_code == expected
    if expected == 404:
        not_found = {"detail": "Hittades inte."}
        assert (guessed.json(), missing.json()) == (not_found, not_found)


# Filters that name regions or providers outside the caller's scope find nothing (and never widen the scope).
@pytest.mark.parametrize(
    ("actor", "query", "expected"),
    [
        pytest.param("clerk-third", "billing_region=04", [], id="clerk-third-billing_region=04"),
        pytest.param("clerk-third", "home_region=25", [], id="clerk-third-home_region=25"),
        pytest.param("manager-third", "provider={P}", [], id="manager-third-provider=P"),
        pytest.param("clerk-buyer", "billing_region=06", [], id="clerk-buyer-billing_region=06"),
        pytest.param("clerk-buyer", "home_region=01", [], id="clerk-buyer-home_region=01"),
        pytest.param("clerk-seller", "provider={Q}", [], id="clerk-seller-provider=Q"),
        pytest.param("provider", "provider={Q}", [], id="provider-provider=Q"),
        pytest.param("provider", "billing_region=06", [], id="provider-billing_region=06"),
        pytest.param("clerk-third", "status=rejected", [], id="clerk-third-status=rejected"),
        pytest.param("clerk-buyer", "period=2026-11", ["free", "phone", "phone-2"], id="clerk-buyer-period"),
        pytest.param("clerk-third", "period=2026-10", ["foreign-1"], id="clerk-third-period"),
    ],
)
def test_filters_never_reach_outside_the_scope(world, actor, query, expected):
    query = query.format(P=world.provider.hsa_id, Q=world.foreign_provider.hsa_id)

    response = world.api(actor).get(f"/api/v1/contacts/?{query}")

    assert response.status_code == 200
    assert sorted(row["external_id"] for row in response.json()["results"]) == expected


WRITE = matrix(
    anonymous=401,
    provider=201,
    clerk_seller=201,
    manager_seller=201,
    clerk_buyer=400,
    manager_buyer=400,
    clerk_third=400,
    manager_third=400,
    admin=201,
)


@pytest.mark.parametrize(("actor", "expected"), WRITE)
def test_contact_create(world, actor, expected):
    hsa_id = world.provider.hsa_id
    body = contact_item(provider=hsa_id, external_id="new-1", started_at=started(OPEN_PERIOD, 12))
    before = snapshot()

    response = world.api(actor).post("/api/v1/contacts/", body, format="json")

    assert response.status_code == expected
    if expected == 201:
        created = Contact.objects.get(provider=world.provider, external_id="new-1")
        assert (created.billing_region_id, created.status, created.amount) == ("04", "eligible", Decimal("335.00"))
    else:
        assert snapshot() == before
    if expected == 400:  # P is no provider the buyer's or a third region's staff may report for
        assert response.json() == {"provider": [f"Okänd vårdgivare {hsa_id}."]}


def test_a_provider_system_cannot_report_for_another_provider(world):
    body = contact_item(provider=world.foreign_provider.hsa_id, external_id="new-1", started_at=started(OPEN_PERIOD))
    before = snapshot()

    response = world.api("provider").post("/api/v1/contacts/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"provider": ["Ett vårdgivarsystem får bara rapportera sina egna kontakter."]}
    assert snapshot() == before


@pytest.mark.parametrize("actor", ["provider", "clerk-seller", "manager-seller", "admin"])
def test_changing_a_contact_on_a_submitted_invoice_is_409_and_changes_nothing(world, actor):
    locked = world.contacts["submitted-1"]
    body = contact_item(
        provider=world.provider.hsa_id,
        external_id="submitted-1",
        patient_id=locked.patient_id,
        started_at=locked.started_at.isoformat(),
        patient_fee="0.00",
    )
    before = snapshot()

    response = world.api(actor).post("/api/v1/contacts/", body, format="json")

    assert response.status_code == 409
    assert snapshot() == before


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
def test_bulk_stores_only_what_the_caller_may_report(world, actor, expected):
    hsa_id = world.provider.hsa_id
    free = world.contacts["free"]
    items = [
        contact_item(provider=hsa_id, external_id="new-1", started_at=started(OPEN_PERIOD, 12)),
        contact_item(
            provider=hsa_id,
            external_id="free",
            patient_id=free.patient_id,
            started_at=free.started_at.isoformat(),
            patient_fee="0.00",
        ),
    ]
    allowed = actor in ("provider", "clerk-seller", "manager-seller", "admin")
    before = snapshot()

    response = world.api(actor).post("/api/v1/contacts/bulk/", items, format="json")

    assert response.status_code == expected
    if expected != 200:
        assert snapshot() == before
    elif allowed:
        assert response.json() == {"created": 1, "updated": 1, "unchanged": 0, "errors": []}
        free.refresh_from_db()
        assert (free.patient_fee, free.amount) == (Decimal("0.00"), Decimal("435.00"))
    else:
        unknown = {"provider": [f"Okänd vårdgivare {hsa_id}."]}
        assert response.json() == {
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "errors": [
                {"index": 0, "external_id": "new-1", "errors": unknown},
                {"index": 1, "external_id": "free", "errors": unknown},
            ],
        }
        assert snapshot() == before


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=403,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=403,
        manager_buyer=403,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
)
def test_reject(world, actor, expected):
    free = world.contacts["free"]
    before = snapshot()

    response = world.api(actor).post(f"/api/v1/contacts/{free.pk}/reject/", {"note": "Dubblett"}, format="json")

    assert response.status_code == expected
    if expected == 200:
        free.refresh_from_db()
        assert (free.status, free.reasons, free.amount) == ("rejected", "rejected_by_clerk", Decimal("0.00"))
        assert ContactEvent.objects.get(contact=free, kind="rejected").note == "Dubblett"
    else:
        assert snapshot() == before


@pytest.mark.parametrize("actor", ["clerk-seller", "manager-seller", "admin"])
def test_rejecting_a_contact_on_a_submitted_invoice_is_409_and_changes_nothing(world, actor):
    locked = world.contacts["submitted-1"]
    before = snapshot()

    response = world.api(actor).post(f"/api/v1/contacts/{locked.pk}/reject/", {"note": "x"}, format="json")

    assert response.status_code == 409
    assert snapshot() == before
