import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group

from regions.models import Provider, RateRecommendation, Region, Role
from regions.selectors import scope_of, visible_to

pytestmark = pytest.mark.django_db


def _hsa_ids(queryset):
    return sorted(queryset.values_list("hsa_id", flat=True))


def test_a_region_clerk_sees_only_that_regions_providers(make_user, providers):
    clerk04 = make_user(Role.CLERK, "04")
    clerk06 = make_user(Role.CLERK, "06")
    clerk25 = make_user(Role.CLERK, "25")

    assert _hsa_ids(visible_to(clerk04, Provider.objects.all())) == sorted(
        [providers["04a"].hsa_id, providers["04b"].hsa_id]
    )
    assert _hsa_ids(visible_to(clerk06, Provider.objects.all())) == [providers["06"].hsa_id]
    assert _hsa_ids(visible_to(clerk25, Provider.objects.all())) == []


def test_a_provider_user_sees_only_itself(make_user, providers):
    user = make_user(Role.PROVIDER, provider=providers["04b"])

    assert _hsa_ids(visible_to(user, Provider.objects.all())) == [providers["04b"].hsa_id]


def test_a_national_admin_sees_everything(make_user, providers):
    assert visible_to(make_user(Role.ADMIN), Provider.objects.all()).count() == 3


def test_unknown_users_see_nothing(make_user, providers):
    role_less = get_user_model().objects.create_user("nobody", password="x")
    clerk_without_region = get_user_model().objects.create_user("orphan", password="x")
    clerk_without_region.groups.add(Group.objects.get(name="clerk"))

    for user in (AnonymousUser(), role_less, clerk_without_region, None):
        assert visible_to(user, Provider.objects.all()).count() == 0
        assert visible_to(user, Region.objects.all()).count() == 0
    assert scope_of(clerk_without_region).role is None


def test_reference_data_is_public_to_every_scoped_user(make_user, providers):
    user = make_user(Role.PROVIDER, provider=providers["06"])

    assert visible_to(user, Region.objects.all()).count() == 21
    assert visible_to(user, RateRecommendation.objects.all()).count() == 3


def test_an_inactive_user_sees_nothing(make_user, providers):
    clerk = make_user(Role.CLERK, "04")
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    clerk = get_user_model().objects.get(pk=clerk.pk)

    assert visible_to(clerk, Provider.objects.all()).count() == 0


def test_api_lists_and_details_follow_the_scope(api_as, providers):
    api04 = api_as(Role.CLERK, "04")
    other = providers["06"].hsa_id

    listing = api04.get("/api/v1/providers/")
    outside = api04.get(f"/api/v1/providers/{other}/")
    filtered = api04.get("/api/v1/providers/?region=06")

    assert sorted(p["hsa_id"] for p in listing.json()["results"]) == sorted(
        [providers["04a"].hsa_id, providers["04b"].hsa_id]
    )
    assert outside.status_code == 404  # out of scope: the same answer as not existing
    assert filtered.json()["results"] == []


def test_provider_client_sees_only_its_own_provider_in_the_api(api_as, providers):
    api = api_as(Role.PROVIDER, provider=providers["04a"])

    assert [p["hsa_id"] for p in api.get("/api/v1/providers/").json()["results"]] == [providers["04a"].hsa_id]
    assert api.get(f"/api/v1/providers/{providers['04b'].hsa_id}/").status_code == 404


def test_admin_changelist_and_change_page_follow_the_scope(client, make_user, providers):
    client.force_login(make_user(Role.CLERK, "04"))

    changelist = client.get("/admin/regions/provider/")
    own = client.get(f"/admin/regions/provider/{providers['04a'].pk}/change/")
    foreign = client.get(f"/admin/regions/provider/{providers['06'].pk}/change/")

    assert changelist.status_code == 200
    assert sorted(p.hsa_id for p in changelist.context["cl"].result_list) == sorted(
        [providers["04a"].hsa_id, providers["04b"].hsa_id]
    )
    assert own.status_code == 200
    assert foreign.status_code == 302  # the admin redirects a missing object to the index with a message
    assert Provider.objects.get(pk=providers["06"].pk).region_id == "06"


def test_a_clerk_can_only_place_providers_in_their_own_region(client, make_user, reference):
    client.force_login(make_user(Role.CLERK, "04"))

    response = client.post(
        "/admin/regions/provider/add/",
        {"hsa_id": "SE5561234005-NY1", "name": "Ny AB", "org_number": "556123-4005", "region": "06", "active": "on"},
    )
    allowed = client.post(
        "/admin/regions/provider/add/",
        {"hsa_id": "SE5561234005-NY1", "name": "Ny AB", "org_number": "556123-4005", "region": "04", "active": "on"},
    )

    assert response.status_code == 200
    assert "region" in response.context["adminform"].form.errors
    assert allowed.status_code == 302
    assert Provider.objects.get(hsa_id="SE5561234005-NY1").region_id == "04"
