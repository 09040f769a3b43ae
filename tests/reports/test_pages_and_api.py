"""The report pages, CSV exports and API: what a user sees, who may see it, and the documented schema."""

import pytest
from django.urls import reverse

from regions.models import RegionPopulation, Role
from regions.populations import populations_load
from tests.reports.conftest import VC01

DASHBOARD = "/admin/reports/"
FULL = "period_from=2025-01&period_to=2026-12"


def test_dashboard_shows_key_figures_charts_and_tables(client, known, people):
    client.force_login(people["clerk25"])
    page = client.get(f"{DASHBOARD}?{FULL}")
    assert page.status_code == 200
    html = page.content.decode()
    # Key figures: 7 billable contacts for 2 315 kr, 2 rejected of 9.
    assert '<span class="report-key-value">7</span>' in html
    assert '<span class="report-key-value">2\xa0315,00\xa0kr</span>' in html
    assert '<span class="report-key-value">22,2\xa0%</span>' in html
    # Charts are inline SVG drawn on the server, with the exact values on the bars.
    assert html.count('<svg class="report-chart"') == 8
    assert 'data-label="2026-07" data-series="Kontakter" data-value="1"' in html
    assert 'data-label="LK Läkare" data-value="57.1"' in html
    # Every table is on the page, with its export link.
    for key in (
        "monthly",
        "years",
        "categories",
        "professions",
        "age-groups",
        "sex",
        "per-inhabitant",
        "providers",
        "listing-units",
        "rejections",
    ):
        assert f'id="table-{key}"' in html
        assert f'data-export="{key}"' in html
    assert "Kontakter per 1 000 invånare" in html
    # Nothing is fetched from elsewhere: no script at all, and styles from the project's static files.
    assert '<script src="http' not in html and 'href="http' not in html


def test_csv_export_is_the_table_as_shown(client, known, people):
    client.force_login(people["clerk25"])
    response = client.get(f"{DASHBOARD}?{FULL}&export=age-groups")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="utomlans-age-groups-25-buyer-2025-01-2026-12.csv"'
    )
    assert response.content.decode("utf-8").splitlines() == [
        "\ufeffÅlder;Kvinnor;Män;Kontakter;Andel av kontakterna;Kostnad;Andel av kostnaden",
        "0–6;1;0;1;14.3;300.00;13.0",
        "7–18;0;1;1;14.3;425.00;18.4",
        "19–39;1;1;2;28.6;835.00;36.1",
        "40–64;1;0;1;14.3;185.00;8.0",
        "65–74;0;0;0;0.0;0.00;0.0",
        "75–84;1;0;1;14.3;235.00;10.2",
        "85+;0;1;1;14.3;335.00;14.5",
        "Totalt;4;3;7;100.0;2315.00;100.0",
    ]


def test_csv_export_guards_text_cells_against_formulas(client, known, people):
    from contacts.models import Contact

    Contact.objects.filter(listing_unit=VC01).update(listing_unit="=HYPERLINK(1)")
    from billing.reports.refresh import summaries_refresh

    summaries_refresh()
    client.force_login(people["clerk25"])
    lines = client.get(f"{DASHBOARD}?{FULL}&export=listing-units").content.decode().splitlines()
    assert lines[1] == "'=HYPERLINK(1);2;66.7;735.00;62.8"


def test_unknown_export_is_404_and_bad_filters_are_explained(client, known, people):
    client.force_login(people["clerk25"])
    assert client.get(f"{DASHBOARD}?export=nothing").status_code == 404
    page = client.get(f"{DASHBOARD}?period_from=2026-13&period_to=2026-01")
    assert page.status_code == 400
    assert "Ange en månad som ÅÅÅÅ-MM." in page.content.decode()
    page = client.get(f"{DASHBOARD}?period_from=2026-05&period_to=2026-01")
    assert "Första månaden kommer efter den sista." in page.content.decode()


def test_region_staff_cannot_pick_another_region(client, known, people):
    client.force_login(people["clerk06"])
    page = client.get(f"{DASHBOARD}?region=25")
    assert page.status_code == 400
    assert "report-key-value" not in page.content.decode()


@pytest.mark.parametrize(
    ("who", "dashboard", "national"),
    [("clerk25", 200, 403), ("manager25", 200, 403), ("admin", 200, 200)],
)
def test_who_may_open_which_page(client, known, people, who, dashboard, national):
    client.force_login(people[who])
    assert client.get(DASHBOARD).status_code == dashboard
    assert client.get(reverse("reports:what-if")).status_code == dashboard
    assert client.get(reverse("reports:national")).status_code == national


def test_providers_and_anonymous_users_get_no_reports(client, known, make_user, providers):
    assert client.get(DASHBOARD).status_code == 302  # to the login page
    provider_user = make_user(Role.PROVIDER, provider=providers["04a"])
    provider_user.is_staff = True
    provider_user.save()
    client.force_login(provider_user)
    assert client.get(DASHBOARD).status_code == 403


def test_what_if_page_and_export(client, known, people):
    client.force_login(people["clerk25"])
    page = client.get(reverse("reports:what-if") + "?period_from=2026-01&period_to=2026-12&recommendation=SKL-2019")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Prissatt enligt SKL-2019" in html
    assert '<td class="num" data-key="what_if">1\xa0700,00\xa0kr</td>' in html
    csv_lines = (
        client.get(
            reverse("reports:what-if") + "?period_from=2026-01&period_to=2026-12&recommendation=SKL-2019&export=what-if"
        )
        .content.decode()
        .splitlines()
    )
    assert csv_lines[-1] == "Totalt;5;1490.00;;1700.00;210.00;14.1"


def test_national_page_for_admins(client, invoices, people):
    client.force_login(people["admin"])
    page = client.get(reverse("reports:national") + "?period_from=2026-01&period_to=2026-12")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="chart-national-net"' in html
    assert 'data-label="Region Sörmland" data-value="1100.00"' in html


def test_refresh_button_rebuilds_and_returns_to_the_page(client, known, people):
    client.force_login(people["clerk25"])
    response = client.post(reverse("reports:refresh"), {"next": f"{DASHBOARD}?{FULL}"})
    assert (response.status_code, response["Location"]) == (302, f"{DASHBOARD}?{FULL}")
    response = client.post(reverse("reports:refresh"), {"next": "https://evil.example/"})
    assert response["Location"] == DASHBOARD


# --- API ------------------------------------------------------------------------------------------


def test_api_returns_the_same_figures(api_as, known):
    api = api_as(Role.CLERK, "25")
    response = api.get("/api/v1/reports/monthly/?period_from=2026-05&period_to=2026-07")
    assert response.status_code == 200
    body = response.json()
    assert body["filters"] == {
        "period_from": "2026-05",
        "period_to": "2026-07",
        "region": "25",
        "perspective": "buyer",
        "provider": None,
        "profession": None,
    }
    assert [(r["month"], r["contacts"], r["cost"], r["rejected"], r["rejection_rate"]) for r in body["rows"]] == [
        ("2026-05", 1, "335.00", 0, "0.0"),
        ("2026-06", 2, "420.00", 2, "50.0"),
        ("2026-07", 1, "435.00", 0, "0.0"),
    ]
    assert body["total"]["cost"] == "1190.00"
    assert body["columns"][0] == {"key": "month", "label": "Månad", "kind": "text"}
    assert body["refreshed_at"] is not None


def test_api_per_inhabitant_and_what_if(api_as, known):
    api = api_as(Role.MANAGER, "25")
    rows = api.get("/api/v1/reports/per-inhabitant/?period_from=2025-01&period_to=2026-12").json()["rows"]
    assert [(r["year"], r["population"], r["per_1000"], r["cost_per_inhabitant"]) for r in rows] == [
        ("2025", 1000, "2.00", "0.83"),
        ("2026", 4000, "1.25", "0.37"),
    ]
    what_if = api.get("/api/v1/reports/what-if/?period_from=2026-01&period_to=2026-12&recommendation=SKL-2019")
    assert what_if.json()["total"]["what_if"] == "1700.00"


def test_api_scope_and_errors(api_as, known, providers):
    assert api_as(Role.CLERK, "06").get("/api/v1/reports/monthly/?region=25").json() == {
        "region": ["Välj ett giltigt alternativ. 25 finns inte bland tillgängliga alternativ."]
    }
    assert api_as(Role.PROVIDER, provider=providers["04a"]).get("/api/v1/reports/monthly/").status_code == 403
    assert api_as(Role.CLERK, "25").get("/api/v1/reports/national-pairs/").status_code == 403
    bad = api_as(Role.CLERK, "25").get("/api/v1/reports/years/?period_from=2026-99")
    assert (bad.status_code, bad.json()) == (400, {"period_from": ["Ange en månad som ÅÅÅÅ-MM."]})
    unknown = api_as(Role.CLERK, "25").get("/api/v1/reports/what-if/?recommendation=NOPE")
    assert unknown.status_code == 400


def test_api_national_for_admins(api_as, invoices):
    rows = (
        api_as(Role.ADMIN).get("/api/v1/reports/national-pairs/?period_from=2026-01&period_to=2026-12").json()["rows"]
    )
    assert rows[0] == {
        "region_a": "04",
        "region_b": "25",
        "a_invoiced_b": "900.00",
        "b_invoiced_a": "300.00",
        "net": "600.00",
    }


def test_every_report_is_in_the_schema(api_as, reference):
    schema = api_as(Role.ADMIN).get("/api/v1/schema/?format=json").json()
    reports = sorted(path for path in schema["paths"] if path.startswith("/api/v1/reports/"))
    assert reports == [
        f"/api/v1/reports/{key}/"
        for key in sorted(
            [
                "age-groups",
                "categories",
                "listing-units",
                "monthly",
                "national-pairs",
                "national-regions",
                "per-inhabitant",
                "professions",
                "providers",
                "rejections",
                "sex",
                "what-if",
                "years",
            ]
        )
    ]
    monthly = schema["paths"]["/api/v1/reports/monthly/"]["get"]
    assert {p["name"] for p in monthly["parameters"]} >= {"period_from", "period_to", "region", "perspective"}
    row = schema["components"]["schemas"]["MonthlyRow"]["properties"]
    assert row["cost"]["type"] == "string" and row["contacts"]["type"] == "integer"


# --- Populations ----------------------------------------------------------------------------------


def test_populations_load_scb_wide_export(reference):
    text = (
        '"region","2024","2025"\n'
        '"00 Riket",10587710,10605529\n'
        '"25 Norrbottens län",249000,248927\n'
        '"04 Södermanlands län","301 000","302 100"\n'
        '"99 Okänt län",1,2\n'
    )
    result = populations_load(text, source="SCB BE0101N1")
    assert result.stored == 4
    assert [str(error) for error in result.errors] == ["Rad 5: okänd region 99.", "Rad 5: okänd region 99."]
    assert sorted(RegionPopulation.objects.values_list("region_id", "year", "population", "source")) == [
        ("04", 2024, 301000, "SCB BE0101N1"),
        ("04", 2025, 302100, "SCB BE0101N1"),
        ("25", 2024, 249000, "SCB BE0101N1"),
        ("25", 2025, 248927, "SCB BE0101N1"),
    ]


def test_populations_load_long_format_replaces_and_reports_bad_lines(reference):
    RegionPopulation.objects.create(region_id="25", year=2025, population=1, source="Demo")
    result = populations_load("län;år;folkmängd\n25;2025;248927\n25;;5\n06;2025;\n")
    assert result.stored == 1
    assert [str(error) for error in result.errors] == ["Rad 3: inget år.", "Rad 4: ingen folkmängd för 06 2025."]
    assert RegionPopulation.objects.get(region_id="25", year=2025).population == 248927


@pytest.mark.django_db
def test_the_reports_provider_filter_is_an_id_from_1(api_as, reference, schema_parameters):
    answer = api_as(Role.CLERK, "04").get("/api/v1/reports/monthly/?provider=0")

    assert answer.status_code == 400 and list(answer.json()) == ["provider"]
    assert schema_parameters("/api/v1/reports/monthly/")["provider"]["schema"] == {"type": "integer", "minimum": 1}
