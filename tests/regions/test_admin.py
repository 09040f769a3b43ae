"""The reference data and API client screens as a national admin reads them (issue 8): a question before
publishing or revoking, a published recommendation as text with its history, role names, and lists whose
number of queries does not grow with their rows."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from regions.models import RateRecommendation, Role
from regions.services import api_client_create, recommendation_create
from tests.admin_pages import listed, queries
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(make_user):
    return make_user(Role.ADMIN)


def test_publishing_and_revoking_ask_first(client, national, reference):
    api_client_create(name="kry-journal", role=Role.CLERK, region_code="04")
    client.force_login(national)

    recommendations = client.get(reverse("admin:regions_raterecommendation_changelist")).content.decode()
    clients = client.get(reverse("admin:regions_apiclient_changelist")).content.decode()

    assert (
        '<option value="publish" data-confirm="Publicera de markerade utkasten? En publicerad version gäller från sitt '
        'datum och kan aldrig ändras eller tas bort: en rättelse är en ny version.">'
    ) in recommendations
    assert (
        '<option value="revoke" data-confirm="Återkalla nycklarna för de markerade klienterna? Deras system nekas '
        "direkt, och en återkallad nyckel fungerar aldrig igen: en ny nyckel skapas med manage.py "
        'create_api_client.">'
    ) in clients
    for page in (recommendations, clients):
        assert re.search(r'<script src="/static/utomlans/confirm\.js" nonce="[^"]+">', page)


def test_a_published_recommendation_is_text_with_named_history(client, national, reference):
    published = RateRecommendation.objects.get(code="SKR-2026-04")
    client.force_login(national)

    page = client.get(reverse("admin:regions_raterecommendation_change", args=[published.pk])).content.decode()

    assert "<h1>Visa ersättningsrekommendation</h1>" in page
    assert not re.search(r"<(input(?![^>]*type=\"hidden\")|select|textarea)[^>]*name=\"(rates|criteria)-", page)
    assert " disabled" not in page
    assert 'class="module plain-rows"' in page  # rows without "3 physician 435.00" above them
    assert "status: Utkast → Publicerad" in page


def test_api_clients_show_role_names_and_filter_revoked(client, national, reference):
    active, _key = api_client_create(name="a-active", role=Role.CLERK, region_code="04")
    revoked, _key = api_client_create(name="b-revoked", role=Role.MANAGER, region_code="25")
    revoked.revoked_at = timezone.now()
    revoked.save(update_fields=["revoked_at"])
    client.force_login(national)
    url = reverse("admin:regions_apiclient_changelist")

    rows = listed(client.get(url + "?key=active"))

    assert [row[:4] for row in rows] == [["a-active", active.key_prefix, "Handläggare", "04 Region Sörmland"]]
    assert [row[0] for row in listed(client.get(url + "?key=revoked"))] == ["b-revoked"]


def test_reference_lists_cost_the_same_queries_for_many_rows(
    client, national, reference, django_assert_max_num_queries
):
    def add(n):
        ProviderFactory(region_id="04" if n % 2 else "06")
        api_client_create(name=f"client-{n}", role=Role.CLERK, region_code="04")
        recommendation_create(
            code=f"UTKAST-{n}",
            title="Utkast",
            decided_on=dt.date(2027, 1, 1),
            effective_from=dt.date(2027, 1, 1),
            includes_patient_fee=True,
            source_reference="x",
            rates={"physician": "450.00", "psychologist": "415.00", "other_licensed": "245.00"},
            criteria=["strong_authentication"],
        )

    add(0)
    client.force_login(national)
    urls = [
        reverse("admin:regions_provider_changelist"),
        reverse("admin:regions_raterecommendation_changelist"),
        reverse("admin:regions_apiclient_changelist"),
        reverse("admin:regions_regionpopulation_changelist"),
    ]
    few = [queries(client, url) for url in urls]
    for n in range(1, 16):
        add(n)

    for url, bound in zip(urls, few, strict=True):
        with django_assert_max_num_queries(bound):
            assert client.get(url).status_code == 200
