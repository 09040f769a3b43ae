"""Admin comfort (issue 20, item 7): a provider is chosen in an admin form by autocomplete (the user admin's
membership), and the admin's autocomplete endpoint lists only what the one scoping selector lets the user see: never
another region's provider, contact or invoice, whichever form field it is asked for."""

import pytest
from django.urls import reverse

from billing.models import Invoice
from contacts.intake import contacts_upsert
from contacts.models import Contact
from regions.admin import MembershipInline
from regions.models import Provider, Role
from tests.billing.conftest import invoices, january, staff  # noqa: F401 (shared fixtures)
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

AUTOCOMPLETE = reverse("admin:autocomplete")
PROVIDER_FIELDS = [("regions", "membership", "provider"), ("contacts", "contact", "provider")]
CONTACT_FIELDS = [("disputes", "dispute", "contact"), ("contacts", "contactuploadcontact", "contact")]
INVOICE_FIELDS = [("disputes", "dispute", "credit_note"), ("billing", "invoiceline", "invoice")]


def found(client, user, source: tuple[str, str, str], term: str = "") -> set[str]:
    """The ids the autocomplete endpoint offers the user for that form field and term."""
    app_label, model_name, field_name = source
    client.force_login(user)
    response = client.get(
        AUTOCOMPLETE, {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term}
    )
    assert response.status_code == 200, response.content
    return {result["id"] for result in response.json()["results"]}


@pytest.fixture
def world(invoices, staff, providers, make_user):  # noqa: F811
    """January's contacts of 04a ("Sörmlandsdoktorn AB"), their invoices (04 → 25 approved, 04 → 01 a draft), and one
    contact of Jönköping's provider."""
    Provider.objects.filter(pk=providers["04a"].pk).update(name="Sörmlandsdoktorn AB")
    clerk06 = staff["clerk06"]
    item = contact_item(provider=providers["06"].hsa_id, external_id="jkpg-1", started_at="2026-01-20T10:00:00+01:00")
    assert contacts_upsert(items=[item], user=clerk06, channel="api").errors == []
    return {
        **staff,
        "clerk01": make_user(Role.CLERK, "01", username="clerk01"),
        "provider04a": make_user(Role.PROVIDER, provider=providers["04a"]),
        "admin": make_user(Role.ADMIN),
    }


def ids(queryset) -> set[str]:
    return {str(pk) for pk in queryset.values_list("pk", flat=True)}


def test_the_user_admins_membership_chooses_its_region_and_provider_by_autocomplete(client, world, providers):
    client.force_login(world["admin"])

    page = client.get(reverse("admin:auth_user_change", args=[world["clerk04"].pk])).content.decode()

    assert MembershipInline.autocomplete_fields == ["region", "provider"]
    assert 'name="membership-0-provider"' in page
    assert 'data-app-label="regions" data-model-name="membership" data-field-name="provider"' in page
    # The choices are not in the page: it offers the selected organisation only, the rest comes from the endpoint.
    assert providers["06"].hsa_id not in page


@pytest.mark.parametrize("source", PROVIDER_FIELDS)
def test_the_autocomplete_offers_only_the_providers_the_user_may_see(client, world, providers, source):
    p04a, p04b, p06 = (str(providers[key].pk) for key in ("04a", "04b", "06"))

    assert found(client, world["clerk04"], source) == {p04a, p04b}
    assert found(client, world["clerk06"], source) == {p06}
    assert found(client, world["clerk06"], source, "Sörmlandsdoktorn") == set()
    assert found(client, world["clerk04"], source, "Sörmlandsdoktorn") == {p04a}
    assert found(client, world["clerk06"], source, providers["04a"].hsa_id) == set()
    assert found(client, world["clerk04"], source, providers["04a"].hsa_id) == {p04a}
    assert found(client, world["admin"], source) == {p04a, p04b, p06}


@pytest.mark.parametrize("source", CONTACT_FIELDS)
def test_the_autocomplete_offers_only_the_contacts_the_user_may_see(client, world, source):
    sormland = ids(Contact.objects.filter(provider__region_id="04"))
    to_01 = str(Contact.objects.get(external_id="lk-01").pk)
    jkpg = str(Contact.objects.get(external_id="jkpg-1").pk)

    assert len(sormland) == 7
    assert found(client, world["clerk04"], source) == sormland
    assert found(client, world["clerk06"], source) == {jkpg}
    assert found(client, world["clerk06"], source, "lk-01") == set()
    assert found(client, world["clerk01"], source) == {to_01}  # the buyer: its own patients only
    assert found(client, world["clerk01"], source, "lk-29") == set()
    assert found(client, world["clerk04"], source, "lk-01") == {to_01}


def test_an_identity_number_finds_nothing_through_the_autocomplete_whose_term_is_in_the_address(client, world):
    source = CONTACT_FIELDS[0]

    assert found(client, world["clerk04"], source, personnummer("19700101", "123")) == set()
    assert found(client, world["clerk04"], source, "lk-01") == {str(Contact.objects.get(external_id="lk-01").pk)}


@pytest.mark.parametrize("source", INVOICE_FIELDS)
def test_the_autocomplete_offers_only_the_invoices_the_user_may_see(client, world, source):
    to_25 = str(Invoice.objects.get(buyer_id="25").pk)
    to_01 = str(Invoice.objects.get(buyer_id="01").pk)

    assert found(client, world["clerk04"], source) == {to_25, to_01}
    assert found(client, world["clerk25"], source) == {to_25}
    assert found(client, world["clerk01"], source) == set()  # a draft is the seller's alone
    assert found(client, world["clerk06"], source) == set()


@pytest.mark.parametrize("source", [*PROVIDER_FIELDS, *CONTACT_FIELDS, *INVOICE_FIELDS])
def test_the_autocomplete_is_refused_to_anonymous_visitors_and_providers_users(client, world, source):
    app_label, model_name, field_name = source
    query = {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": ""}

    anonymous = client.get(AUTOCOMPLETE, query)
    client.force_login(world["provider04a"])  # a provider's users report through the API: no admin
    provider = client.get(AUTOCOMPLETE, query)

    for response in (anonymous, provider):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
