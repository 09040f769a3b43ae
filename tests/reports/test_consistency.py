"""Every table agrees with the key figures, or says what else it covers.

For given filters the key figures (the monthly table's total) count the billable contacts and their cost. Every
table that claims the same coverage (``Covers.BILLABLE``) adds up to exactly those, count and öre, through the
figures, the API and the page; the tables that cover something else (the listing units, the rejections, the year
over year) add up to what they claim, and say it in their title or notes.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest

from billing.reports import figures
from billing.reports.figures import Covers, Perspective, ReportFilters
from regions.models import RateRecommendation, Role
from tests.reports.test_screens import rows

D = Decimal


def month(text: str) -> dt.date:
    year, number = text.split("-")
    return dt.date(int(year), int(number), 1)


def selection(first, last, region="25", perspective=Perspective.BUYER, **more) -> ReportFilters:
    return ReportFilters(month(first), month(last), region=region, perspective=perspective, **more)


def contacts_and_cost(table_rows) -> tuple[int, Decimal]:
    return sum(row["contacts"] for row in table_rows), sum((D(row["cost"]) for row in table_rows), D("0.00"))


# (who, filters, the key figures: billable contacts, their cost, rejected contacts), worked out by hand from the
# contacts of ``known`` (tests/reports/conftest.py).
CASES = [
    pytest.param("clerk25", dict(first="2025-01", last="2026-12"), (7, D("2315.00"), 2), id="buyer-two-years"),
    pytest.param("clerk25", dict(first="2026-06", last="2026-06"), (2, D("420.00"), 2), id="buyer-one-month"),
    pytest.param("clerk25", dict(first="2026-07", last="2026-11"), (1, D("435.00"), 0), id="buyer-to-november"),
    pytest.param(
        "clerk04",
        dict(first="2025-01", last="2026-12", region="04", perspective=Perspective.SELLER),
        (7, D("2385.00"), 2),
        id="seller",
    ),
    pytest.param("admin", dict(first="2025-01", last="2026-12", region=None), (8, D("2620.00"), 2), id="country"),
    pytest.param("clerk25", dict(first="2025-01", last="2026-12", provider="06"), (1, D("235.00"), 0), id="provider"),
    pytest.param("clerk25", dict(first="2025-01", last="2026-12", profession="LK"), (4, D("1470.00"), 2), id="LK"),
    pytest.param(
        "admin",
        dict(first="2025-01", last="2026-12", region="25", perspective=Perspective.SELLER),
        (0, D("0.00"), 0),
        id="nothing",
    ),
]


def _filters(spec: dict, providers) -> ReportFilters:
    spec = dict(spec)
    if "provider" in spec:
        spec["provider"] = providers[spec["provider"]].pk
    return selection(**spec)


@pytest.mark.parametrize(("who", "spec", "expected"), CASES)
def test_every_table_claiming_the_key_figures_coverage_adds_up_to_them(known, people, providers, who, spec, expected):
    user, filters = people[who], _filters(spec, providers)

    tables = {key: report(user, filters) for key, report in figures.DASHBOARD.items()}
    tables["what-if"] = figures.what_if(user, filters, RateRecommendation.objects.get(code="SKL-2019"))

    key = tables["monthly"].total
    assert (key["contacts"], key["cost"], key["rejected"]) == expected
    claiming = sorted(k for k, table in tables.items() if table.covers == Covers.BILLABLE)
    assert claiming == [
        "age-groups",
        "categories",
        "monthly",
        "per-inhabitant",
        "professions",
        "providers",
        "sex",
        "what-if",
    ]
    for name in claiming:
        table = tables[name]
        assert contacts_and_cost(table.rows) == expected[:2], name
        if table.total is not None:
            assert (table.total["contacts"], table.total["cost"]) == expected[:2], name
    ages = tables["age-groups"].rows
    assert sum(row["women"] + row["men"] for row in ages) == expected[0]


@pytest.mark.parametrize(("who", "spec", "expected"), CASES)
def test_the_tables_covering_something_else_add_up_to_what_they_say(known, people, providers, who, spec, expected):
    user, filters = people[who], _filters(spec, providers)
    key = figures.monthly(user, filters).total

    # The listing units: the contacts naming one, the rest counted in a note.
    units = figures.listing_units(user, filters)
    assert units.covers == Covers.LISTED
    unlisted = [int(re.match(r"(\d+) kontakter anger ingen", str(note)).group(1)) for note in units.notes]
    assert units.total["contacts"] + sum(unlisted) == key["contacts"]
    assert units.total["cost"] <= key["cost"]
    # The rejections: the key figures' rejected contacts and rejection rate.
    rejections = figures.rejections(user, filters)
    assert rejections.covers == Covers.REJECTED
    assert (rejections.total["contacts"], rejections.total["rate"]) == (key["rejected"], key["rejection_rate"])
    # Year over year: each row is its year up to the last month's month, as the monthly table of those months.
    years = figures.years(user, filters)
    assert years.covers == Covers.WHOLE_YEARS
    last = filters.last_month
    for row in years.rows:
        year = int(row["year"])
        months = last.month if year == last.year else 12
        whole = figures.monthly(
            user, ReportFilters(dt.date(year, 1, 1), dt.date(year, months, 1), **_rest(filters))
        ).total
        assert (row["contacts"], row["cost"]) == (whole["contacts"], whole["cost"]), row["year"]


def _rest(filters: ReportFilters) -> dict:
    return {
        "region": filters.region,
        "perspective": filters.perspective,
        "provider": filters.provider,
        "profession": filters.profession,
    }


def test_the_api_tables_add_up_to_the_key_figures_to_the_ore(api_as, known):
    api = api_as(Role.CLERK, "25")
    query = "period_from=2026-01&period_to=2026-12"

    key = api.get(f"/api/v1/reports/monthly/?{query}").json()["total"]
    assert (key["contacts"], key["cost"]) == (5, "1490.00")
    for name in ("monthly", "categories", "professions", "age-groups", "sex", "per-inhabitant", "providers"):
        body = api.get(f"/api/v1/reports/{name}/?{query}").json()
        assert contacts_and_cost(body["rows"]) == (5, D("1490.00")), name
    what_if = api.get(f"/api/v1/reports/what-if/?{query}&recommendation=SKL-2019").json()
    assert contacts_and_cost(what_if["rows"]) == (5, D("1490.00"))
    assert (what_if["total"]["contacts"], what_if["total"]["cost"]) == (5, "1490.00")


# --- The issue: one month chosen, the year over year covers the year to that month and says so ----------


def test_one_month_chosen_the_year_over_year_names_the_months_it_covers(known, people):
    filters = selection("2026-06", "2026-06")

    key = figures.monthly(people["clerk25"], filters).total
    years = figures.years(people["clerk25"], filters)

    assert (key["contacts"], key["cost"]) == (2, D("420.00"))  # e and m, June only
    # c (January), d (May), e and m: January to June 2026, against a (March 2025).
    assert [(r["year"], str(r["months"]), r["contacts"], r["cost"], r["contacts_change"]) for r in years.rows] == [
        ("2026", "jan–jun", 4, D("1055.00"), 3)
    ]
    assert str(years.title) == "År för år: jan–jun 2026 jämfört med jan–jun 2025"
    assert [str(note) for note in years.notes] == [
        "Varje år jämförs med samma månader året före.",
        "Hela kalenderår, inte bara de valda månaderna (2026-06 – 2026-06): nyckeltalen och de andra tabellerna "
        "gäller bara de månaderna.",
    ]


@pytest.mark.parametrize(
    ("first", "last", "title", "notes"),
    [
        ("2026-01", "2026-12", "År för år: 2026 jämfört med 2025", 1),
        ("2026-01", "2026-11", "År för år: jan–nov 2026 jämfört med jan–nov 2025", 1),
        (
            "2025-03",
            "2026-11",
            "År för år: 2025 till jan–nov 2026, varje år jämfört med samma månader året före",
            2,
        ),
        ("2025-01", "2026-12", "År för år: 2025 till 2026, varje år jämfört med samma månader året före", 1),
    ],
)
def test_the_year_over_year_title_says_which_months_it_compares(known, people, first, last, title, notes):
    years = figures.years(people["clerk25"], selection(first, last))

    assert (str(years.title), len(years.notes)) == (title, notes)


def test_the_dashboard_says_what_the_key_figures_and_each_table_cover(client, known, people, providers):
    client.force_login(people["clerk25"])

    html = client.get(
        f"/admin/reports/?period_from=2026-11&period_to=2026-11&provider={providers['04a'].pk}&profession=LK"
    ).content.decode()

    provider = providers["04a"].name
    assert (
        '<p class="report-coverage" id="report-coverage">Nyckeltalen och tabellerna avser 2026-11, Region Norrbotten '
        f"som köpare, vårdgivaren {provider}, yrket LK, om inte tabellens rubrik eller anmärkningar säger annat.</p>"
    ) in html
    assert re.search(r'<h2 id="heading-years">År för år: jan–nov 2026 jämfört med jan–nov 2025\s*<a', html)
    # The year over year of that provider and profession: January-November 2026 (c, d and i, 1 070 kr) against
    # January-November 2025 (a).
    assert rows(html, "years")[1][:6] == ["2026", "jan–nov", "3", "2", "200,0\xa0%", "1\xa0070,00\xa0kr"]


def test_the_what_if_page_says_what_it_covers(client, known, people):
    client.force_login(people["clerk04"])

    html = client.get(
        "/admin/reports/what-if/?period_from=2026-01&period_to=2026-12&perspective=seller&recommendation=SKL-2019"
    ).content.decode()

    assert 'id="report-coverage">Tabellen avser 2026-01 – 2026-12, Region Sörmland som säljare.</p>' in html


def test_the_national_view_says_that_only_the_months_apply(api_as, invoices):
    api = api_as(Role.ADMIN)

    plain = api.get("/api/v1/reports/national-regions/?period_from=2026-01&period_to=2026-12").json()
    narrowed = api.get("/api/v1/reports/national-regions/?period_from=2026-01&period_to=2026-12&region=25").json()

    assert plain["rows"] == narrowed["rows"]
    assert plain["notes"] == ["Godkända, skickade och betalda fakturor, minus kreditnotor, per fakturaperiod."]
    assert narrowed["notes"][-1] == (
        "Alla regioner, vårdgivare och yrken: i den nationella översikten gäller bara månaderna."
    )
