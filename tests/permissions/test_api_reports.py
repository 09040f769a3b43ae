"""The matrix over the report tables in the API (``/api/v1/reports/<table>/``): region staff read their own
region's figures, national admins any region's and the whole country's; provider systems read none."""

import pytest

from billing.reports.figures import DASHBOARD, NATIONAL
from tests.permissions.conftest import ACTORS, matrix

PERIOD = "period_from=2026-06&period_to=2026-11"
REGION_STAFF_READ = matrix(
    anonymous=401,
    provider=403,
    clerk_seller=200,
    manager_seller=200,
    clerk_buyer=200,
    manager_buyer=200,
    clerk_third=200,
    manager_third=200,
    admin=200,
)
NATIONAL_READ = matrix(
    anonymous=401,
    provider=403,
    clerk_seller=403,
    manager_seller=403,
    clerk_buyer=403,
    manager_buyer=403,
    clerk_third=403,
    manager_third=403,
    admin=200,
)


def _cases():
    for key in [*DASHBOARD, "what-if"]:
        for case in REGION_STAFF_READ:
            yield pytest.param(key, *case.values, id=f"{key}-{case.values[0]}")
    for key in NATIONAL:
        for case in NATIONAL_READ:
            yield pytest.param(key, *case.values, id=f"{key}-{case.values[0]}")


@pytest.mark.parametrize(("table", "actor", "expected"), list(_cases()))
def test_report_table(world, table, actor, expected):
    response = world.api(actor).get(f"/api/v1/reports/{table}/?{PERIOD}")

    assert response.status_code == expected
    if expected == 200:
        region = ACTORS[actor][1]
        assert (response.json()["report"], response.json()["filters"]["region"]) == (table, region)


# Billable contacts in the months, seen as seller and as buyer: 04's provider P served seven residents of 25
# (two more were rejected); the third region's provider one resident of 01. National admins see the country.
FIGURES = {
    "clerk-seller": (7, 0),
    "manager-seller": (7, 0),
    "clerk-buyer": (0, 7),
    "manager-buyer": (0, 7),
    "clerk-third": (1, 0),
    "manager-third": (1, 0),
    "admin": (8, 8),
}


@pytest.mark.parametrize("actor", list(FIGURES))
def test_report_figures_are_the_callers_regions_only(world, actor):
    api = world.api(actor)

    seller = api.get(f"/api/v1/reports/monthly/?{PERIOD}&perspective=seller").json()["total"]
    buyer = api.get(f"/api/v1/reports/monthly/?{PERIOD}&perspective=buyer").json()["total"]

    assert (seller["contacts"], buyer["contacts"]) == FIGURES[actor]


@pytest.mark.parametrize(
    ("actor", "query", "expected"),
    [
        pytest.param("clerk-third", "region=04", 400, id="clerk-third-region=04"),
        pytest.param("manager-third", "region=25&perspective=buyer", 400, id="manager-third-region=25"),
        pytest.param("clerk-buyer", "region=04&perspective=seller", 400, id="clerk-buyer-region=04"),
        pytest.param("clerk-third", "provider={P}", 400, id="clerk-third-provider=P"),
        pytest.param("clerk-seller", "provider={Q}", 400, id="clerk-seller-provider=Q"),
        pytest.param("admin", "region=04&perspective=seller", 200, id="admin-region=04"),
    ],
)
def test_report_filters_outside_the_scope_are_refused(world, actor, query, expected):
    query = query.format(P=world.provider.pk, Q=world.foreign_provider.pk)

    response = world.api(actor).get(f"/api/v1/reports/monthly/?{PERIOD}&{query}")

    assert response.status_code == expected
    if expected == 400:
        assert list(response.json()) == [query.split("=")[0]]
    else:
        assert response.json()["total"]["contacts"] == 7
