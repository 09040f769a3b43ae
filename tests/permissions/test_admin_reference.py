"""The matrix over the reference data and administration screens of the admin: regions, populations,
professions and recommendation versions (read by region staff; the publish action is national), providers
(each region keeps its own), API clients and their revoke action, users, and the identity-read log."""

import pytest
from django.urls import reverse

from regions.models import ApiClient, Provider
from tests.factories import valid_org_number
from tests.permissions.conftest import ACTORS, GONE, LOGIN, admin_action, admin_answer, matrix, snapshot

STAFF_PAGE = matrix(
    anonymous=LOGIN,
    provider=LOGIN,
    clerk_seller=200,
    manager_seller=200,
    clerk_buyer=200,
    manager_buyer=200,
    clerk_third=200,
    manager_third=200,
    admin=200,
)
ADMINS_ONLY = matrix(
    anonymous=LOGIN,
    provider=LOGIN,
    clerk_seller=403,
    manager_seller=403,
    clerk_buyer=403,
    manager_buyer=403,
    clerk_third=403,
    manager_third=403,
    admin=200,
)
STAFF = [actor for actor, (role, _region) in ACTORS.items() if role is not None and actor != "provider"]

# The index lists what each may open: region staff never see API clients, users or the identity-read log.
ADMIN_SCREENS = {"apiclient", "user", "identityread"}


@pytest.mark.parametrize("actor", STAFF)
def test_the_admin_index_lists_only_what_the_actor_may_open(world, actor):
    response = world.web(actor).get(reverse("admin:index"))

    models = {model["object_name"].lower() for app in response.context["app_list"] for model in app["models"]}
    assert response.status_code == 200
    assert models & ADMIN_SCREENS == (ADMIN_SCREENS if actor == "admin" else set())
    assert {"contact", "dispute", "invoice", "invoicerun", "provider", "region"} <= models


@pytest.mark.parametrize(("actor", "expected"), STAFF_PAGE)
@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:regions_region_changelist"),
        reverse("admin:regions_region_change", args=["04"]),
        reverse("admin:regions_regionpopulation_changelist"),
        reverse("admin:regions_profession_changelist"),
        reverse("admin:regions_profession_change", args=["LK"]),
        reverse("admin:regions_raterecommendation_changelist"),
    ],
    ids=["regions", "region-04", "populations", "professions", "profession-LK", "recommendations"],
)
def test_reference_data_pages(world, actor, expected, url):
    assert admin_answer(world.web(actor).get(url)) == expected


@pytest.mark.parametrize(
    ("actor", "expected"),
    [pytest.param(actor, LOGIN if actor == "provider" else 403, id=actor) for actor in ["provider", *STAFF[:-1]]],
)
def test_region_staff_cannot_change_a_region(world, actor, expected):
    before = snapshot()
    region_before = world.web("admin").get(reverse("admin:regions_region_change", args=["04"])).context["original"]

    response = world.web(actor).post(
        reverse("admin:regions_region_change", args=["04"]), {"code": "04", "name": "Ändrad", "org_number": ""}
    )

    assert admin_answer(response) == expected
    assert snapshot() == before
    region_before.refresh_from_db()
    assert region_before.name == "Region Sörmland"


@pytest.mark.parametrize(
    ("actor", "expected"),
    # Region staff are offered no action on the list: their POST is read as a plain view of the changelist.
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=200,
        manager_third=200,
        admin=302,
    ),
)
def test_publish_action_is_national(world, actor, expected):
    draft = world.draft_recommendation
    before = snapshot()

    response = world.web(actor).post(
        reverse("admin:regions_raterecommendation_changelist"), admin_action("publish", draft)
    )

    assert admin_answer(response) == expected
    draft.refresh_from_db()
    if expected == 200:
        assert response.context["action_form"] is None
    if actor == "admin":
        assert draft.status == "published"
    else:
        assert snapshot() == before
        assert draft.status == "draft"


# --- Providers --------------------------------------------------------------------------------------------

PROVIDERS_SEEN = {  # P and P2 are contracted by the seller, Q by the third region
    "clerk-seller": ["P", "P2"],
    "manager-seller": ["P", "P2"],
    "clerk-buyer": [],
    "manager-buyer": [],
    "clerk-third": ["Q"],
    "manager-third": ["Q"],
    "admin": ["P", "P2", "Q"],
}


@pytest.mark.parametrize(("actor", "expected"), STAFF_PAGE)
def test_provider_changelist(world, actor, expected):
    names = {world.provider.pk: "P", world.other_provider.pk: "P2", world.foreign_provider.pk: "Q"}

    response = world.web(actor).get(reverse("admin:regions_provider_changelist"))

    assert admin_answer(response) == expected
    if expected == 200:
        assert sorted(names[p.pk] for p in response.context["cl"].result_list) == PROVIDERS_SEEN[actor]


SELLERS_PAGE = matrix(
    anonymous=LOGIN,
    provider=LOGIN,
    clerk_seller=200,
    manager_seller=200,
    clerk_buyer=GONE,
    manager_buyer=GONE,
    clerk_third=GONE,
    manager_third=GONE,
    admin=200,
)


@pytest.mark.parametrize(("actor", "expected"), SELLERS_PAGE)
def test_provider_page(world, actor, expected):
    response = world.web(actor).get(reverse("admin:regions_provider_change", args=[world.provider.pk]))

    assert admin_answer(response) == expected


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=302,
        manager_seller=302,
        clerk_buyer=GONE,
        manager_buyer=GONE,
        clerk_third=GONE,
        manager_third=GONE,
        admin=302,
    ),
)
def test_provider_change(world, actor, expected):
    provider = world.provider
    before = snapshot()

    response = world.web(actor).post(
        reverse("admin:regions_provider_change", args=[provider.pk]),
        {"name": "Nytt namn AB", "org_number": provider.org_number, "region": "04", "active": "on"},
    )

    assert admin_answer(response) == expected
    if expected == 302:
        assert response["Location"] == reverse("admin:regions_provider_changelist")
        provider.refresh_from_db()
        assert (provider.name, provider.region_id) == ("Nytt namn AB", "04")
    else:
        assert snapshot() == before


@pytest.mark.parametrize("actor", ["clerk-seller", "manager-seller"])
def test_region_staff_cannot_move_their_provider_to_another_region(world, actor):
    provider = world.provider
    before = snapshot()

    response = world.web(actor).post(
        reverse("admin:regions_provider_change", args=[provider.pk]),
        {"name": provider.name, "org_number": provider.org_number, "region": "06", "active": "on"},
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["region"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=302,
        manager_seller=302,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=200,
        manager_third=200,
        admin=302,
    ),
)
def test_provider_add_for_the_seller(world, actor, expected):
    org_number = valid_org_number(990002)
    hsa_id = f"SE{org_number}-NEW2"
    before = snapshot()

    response = world.web(actor).post(
        reverse("admin:regions_provider_add"),
        {"hsa_id": hsa_id, "name": "Ny AB", "org_number": org_number, "region": "04", "active": "on"},
    )

    assert admin_answer(response) == expected
    if expected == 302:
        assert Provider.objects.get(hsa_id=hsa_id).region_id == "04"
    else:
        assert snapshot() == before
    if expected == 200:  # the region field offers only the user's own region
        assert list(response.context["adminform"].form.errors) == ["region"]


# --- API clients, users, the identity-read log ------------------------------------------------------------


@pytest.mark.parametrize(("actor", "expected"), ADMINS_ONLY)
@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:regions_apiclient_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:contacts_identityread_changelist"),
        reverse("admin:axes_accessattempt_changelist"),
    ],
    ids=["api-clients", "users", "identity-reads", "login-attempts"],
)
def test_administration_pages(world, actor, expected, url):
    assert admin_answer(world.web(actor).get(url)) == expected


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=403,
        manager_seller=403,
        clerk_buyer=403,
        manager_buyer=403,
        clerk_third=403,
        manager_third=403,
        admin=302,
    ),
)
def test_revoke_action(world, actor, expected):
    client = ApiClient.objects.get(name="api-clerk-third")
    before = snapshot()

    response = world.web(actor).post(reverse("admin:regions_apiclient_changelist"), admin_action("revoke", client))

    assert admin_answer(response) == expected
    client.refresh_from_db()
    if expected == 302:
        assert client.revoked_at is not None
    else:
        assert snapshot() == before
        assert client.revoked_at is None


@pytest.mark.parametrize(("actor", "expected"), ADMINS_ONLY)
def test_user_page(world, actor, expected):
    user = world.users["clerk-seller"]

    response = world.web(actor).get(reverse("admin:auth_user_change", args=[user.pk]))

    assert admin_answer(response) == expected


@pytest.mark.parametrize(
    ("actor", "expected"),
    [pytest.param(actor, LOGIN if actor == "provider" else 403, id=actor) for actor in ["provider", *STAFF[:-1]]],
)
def test_region_staff_cannot_make_themselves_superusers(world, actor, expected):
    user = world.users[actor]
    before = snapshot()

    response = world.web(actor).post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {"username": user.username, "is_active": "on", "is_staff": "on", "is_superuser": "on"},
    )

    assert admin_answer(response) == expected
    user.refresh_from_db()
    assert (user.is_superuser, snapshot() == before) == (False, True)
