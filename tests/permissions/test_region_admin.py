"""A region's administrator (an admin with a region, here the third region's) is that region's admin: it reads
and writes within its region like the region's staff, and national data (users and roles, reference data,
recommendation versions, other regions' providers) stays with the national administrators."""

import pytest
from django.urls import reverse

from regions.models import Provider, Region
from tests.factories import valid_org_number
from tests.permissions.conftest import GONE, admin_action, admin_answer, snapshot

ACTOR = "admin-third"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/api/v1/contacts/", ["foreign-1"], id="contacts"),
        pytest.param("/api/v1/contacts/?billing_region=04", [], id="contacts-billing_region=04"),
        pytest.param("/api/v1/invoices/", ["foreign"], id="invoices"),
        pytest.param("/api/v1/disputes/", [], id="disputes"),
    ],
)
def test_a_region_admin_lists_only_its_regions_objects(world, path, expected):
    objects = world.invoices if "invoices" in path else world.contacts
    names = {obj.pk: name for name, obj in objects.items()}

    response = world.api(ACTOR).get(path)

    assert response.status_code == 200
    assert sorted(names[row["id"]] for row in response.json()["results"]) == expected


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("get", "/api/v1/contacts/{free}/", None, id="contact-detail"),
        pytest.param("post", "/api/v1/contacts/{free}/reject/", {"note": "x"}, id="contact-reject"),
        pytest.param("get", "/api/v1/invoices/{submitted}/", None, id="invoice-detail"),
        pytest.param("post", "/api/v1/invoices/{submitted}/approve/", {}, id="invoice-approve"),
        pytest.param("get", "/api/v1/disputes/{rejection}/", None, id="dispute-detail"),
        pytest.param(
            "post", "/api/v1/disputes/{rejection}/resolve/", {"outcome": "dismissed", "note": "x"}, id="resolve"
        ),
        pytest.param("get", "/api/v1/invoice-runs/{run}/", None, id="run-detail"),
    ],
)
def test_a_region_admin_gets_404_for_other_regions_objects(world, method, path, body):
    path = path.format(
        free=world.contacts["free"].pk,
        submitted=world.invoices["submitted"].pk,
        rejection=world.disputes["rejection"].pk,
        run=world.runs["draft"].pk,
    )
    before = snapshot()

    response = getattr(world.api(ACTOR), method)(path, body, format="json")

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(("region", "expected"), [("04", 403), ("06", 201)])
def test_a_region_admin_creates_providers_for_its_own_region_only(world, region, expected):
    org_number = valid_org_number(990004)
    body = {"hsa_id": f"SE{org_number}-R1", "name": "Regionens AB", "org_number": org_number, "region": region}
    before = snapshot()

    response = world.api(ACTOR).post("/api/v1/providers/", body, format="json")

    assert response.status_code == expected
    if expected == 201:
        assert Provider.objects.get(hsa_id=body["hsa_id"]).region_id == "06"
    else:
        assert snapshot() == before


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_add"),
        reverse("admin:contacts_identityread_changelist"),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:axes_accesslog_changelist"),
    ],
    ids=["users", "user-add", "identity-reads", "login-attempts", "login-log"],
)
def test_a_region_admin_does_not_manage_users_or_logins(world, url):
    assert admin_answer(world.web(ACTOR).get(url)) == 403


def test_a_region_admin_cannot_make_itself_a_superuser(world):
    user = world.users[ACTOR]
    data = {
        "username": user.username,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "1",
        "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-id": str(user.membership.pk),
        "membership-0-user": str(user.pk),
        "membership-0-region": "",
        "membership-0-provider": "",
    }

    response = world.web(ACTOR).post(reverse("admin:auth_user_change", args=[user.pk]), data)

    assert admin_answer(response) == 403
    user.refresh_from_db()
    assert (user.is_superuser, user.membership.region_id) == (False, "06")


@pytest.mark.parametrize(("actor", "expected"), [(ACTOR, 403), ("admin", 302)])
def test_only_a_national_admin_changes_a_regions_reference_data(world, actor, expected):
    data = {
        "code": "25",
        "name": "Region Norrbotten",
        "healthcare_region": Region.objects.get(code="25").healthcare_region,
        "org_number": "2321000222",  # Västerbotten's: a wrong number typed in
        "populations-TOTAL_FORMS": "0",
        "populations-INITIAL_FORMS": "0",
        "populations-MIN_NUM_FORMS": "0",
        "populations-MAX_NUM_FORMS": "1000",
    }

    response = world.web(actor).post(reverse("admin:regions_region_change", args=["25"]), data)

    assert admin_answer(response) == expected
    assert Region.objects.get(code="25").org_number == ("2321000222" if expected == 302 else "2321000230")


def test_a_region_admin_reads_reference_data(world):
    response = world.web(ACTOR).get(reverse("admin:regions_region_change", args=["25"]))

    assert (response.status_code, response.context["has_change_permission"]) == (200, False)


def test_a_region_admin_cannot_publish_a_recommendation_version(world):
    draft = world.draft_recommendation
    before = snapshot()

    response = world.web(ACTOR).post(
        reverse("admin:regions_raterecommendation_changelist"), admin_action("publish", draft)
    )

    assert (response.status_code, response.context["action_form"]) == (200, None)
    assert snapshot() == before


def test_a_region_admin_sees_no_other_regions_provider(world):
    response = world.web(ACTOR).get(reverse("admin:regions_provider_change", args=[world.provider.pk]))

    assert admin_answer(response) == GONE
