import pytest

from contacts.intake import contacts_upsert
from contacts.models import Contact
from regions.models import Role
from regions.selectors import visible_to
from tests.factories import contact_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(make_user, providers):
    """04 bills two contacts: one of a 25 resident, one of a 01 resident; 06 bills one of a 25 resident."""
    clerk = make_user(Role.ADMIN)
    contacts_upsert(
        items=[
            contact_item(provider=providers["04a"].hsa_id, external_id="a", home_region="25"),
            contact_item(provider=providers["04a"].hsa_id, external_id="b", home_region="01"),
            contact_item(provider=providers["06"].hsa_id, external_id="c", home_region="25"),
        ],
        user=clerk,
        channel="api",
    )


def _ids(queryset):
    return sorted(queryset.values_list("external_id", flat=True))


def test_a_pin_to_the_users_own_region_narrows_to_that_field(make_user, contacts):
    clerk25 = make_user(Role.CLERK, "25")

    pinned = visible_to(clerk25, Contact.objects.all(), pinned={"home_region": "25"})

    assert _ids(pinned) == ["a", "c"]
    assert " OR " not in str(pinned.query)


def test_a_pin_to_another_region_keeps_the_full_scope(make_user, contacts):
    clerk25 = make_user(Role.CLERK, "25")

    pinned = visible_to(clerk25, Contact.objects.all(), pinned={"billing_region": "04"})

    assert _ids(pinned) == ["a", "c"]  # still every contact where 25 is seller or buyer, never more
    assert " OR " in str(pinned.query)


def test_the_api_list_gives_the_same_rows_with_and_without_the_pin(api_as, contacts):
    api = api_as(Role.CLERK, "04")

    def external_ids(query):
        return sorted(c["external_id"] for c in api.get(f"/api/v1/contacts/?{query}").json()["results"])

    assert external_ids("billing_region=04") == ["a", "b"]
    assert external_ids("home_region=25") == ["a"]
    assert external_ids("") == ["a", "b"]
