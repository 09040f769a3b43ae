"""The matrix over the report pages of the admin (``/admin/reports/``): the dashboard, the what-if, the national
view, the CSV exports and the refresh button."""

import pytest
from django.urls import reverse

from tests.permissions.conftest import ACTORS, LOGIN, admin_answer, matrix
from tests.permissions.test_api_reports import FIGURES

PERIOD = "period_from=2026-06&period_to=2026-11"
REGION_PAGE = matrix(
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


@pytest.mark.parametrize(("actor", "expected"), REGION_PAGE)
@pytest.mark.parametrize("page", ["reports:dashboard", "reports:what-if"])
def test_region_report_pages(world, actor, expected, page):
    response = world.web(actor).get(f"{reverse(page)}?{PERIOD}&perspective=seller")

    assert admin_answer(response) == expected
    if expected == 200:
        assert response.context["filters"].region == ACTORS[actor][1]


@pytest.mark.parametrize(("actor", "expected"), REGION_PAGE)
def test_dashboard_export_is_the_callers_region(world, actor, expected):
    response = world.web(actor).get(f"{reverse('reports:dashboard')}?{PERIOD}&perspective=seller&export=monthly")

    assert admin_answer(response) == expected
    if expected == 200:
        total = response.content.decode("utf-8-sig").strip().splitlines()[-1].split(";")
        assert int(total[1]) == FIGURES[actor][0]


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
        admin=200,
    ),
)
@pytest.mark.parametrize("export", ["", "&export=national-pairs"])
def test_national_view(world, actor, expected, export):
    response = world.web(actor).get(f"{reverse('reports:national')}?{PERIOD}{export}")

    assert admin_answer(response) == expected


@pytest.mark.parametrize(
    ("actor", "query"),
    [
        pytest.param("clerk-third", "region=04&perspective=seller", id="clerk-third-region=04"),
        pytest.param("clerk-third", "region=04&perspective=seller&export=monthly", id="clerk-third-export-04"),
        pytest.param("manager-buyer", "region=04&perspective=seller", id="manager-buyer-region=04"),
        pytest.param("clerk-third", "provider={P}", id="clerk-third-provider=P"),
    ],
)
def test_report_filters_outside_the_scope_are_refused(world, actor, query):
    query = query.format(P=world.provider.pk)

    response = world.web(actor).get(f"{reverse('reports:dashboard')}?{PERIOD}&{query}")

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [query.split("=")[0]]


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=302,
        manager_seller=302,
        clerk_buyer=302,
        manager_buyer=302,
        clerk_third=302,
        manager_third=302,
        admin=302,
    ),
)
def test_refresh_button(world, actor, expected):
    response = world.web(actor).post(reverse("reports:refresh"))

    assert admin_answer(response) == expected
    if expected == 302:
        assert response["Location"] == reverse("reports:dashboard")
