"""The report pages as a clerk, a manager and a national admin read them: the admin's breadcrumbs, a visible
title with its unit on every chart, regions and reasons by name (the CSV exports and the API keep the codes)."""

import re
from html.parser import HTMLParser

import pytest
from django.test.html import parse_html
from django.urls import reverse

DASHBOARD = "/admin/reports/"
FULL = "period_from=2025-01&period_to=2026-12"
YEAR = "period_from=2026-01&period_to=2026-12"


class _Cells(HTMLParser):
    """The text of every row of one table section (``id="table-<key>"``): header, body and total rows."""

    def __init__(self, key: str):
        super().__init__()
        self.key, self.depth, self.rows, self.cell = key, 0, [], None

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag not in {"br", "input", "img", "col"}
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.cell = ""
        elif tag == "section" and dict(attrs).get("id") == f"table-{self.key}":
            self.depth = 1

    def handle_endtag(self, tag):
        if not self.depth:
            return
        self.depth -= 1
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(re.sub(r"[ \t\r\n]+", " ", self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.depth and self.cell is not None:
            self.cell += data


def rows(html: str, key: str) -> list[list[str]]:
    parser = _Cells(key)
    parser.feed(html)
    return parser.rows


def breadcrumbs(html: str) -> str:
    return re.search(r'<ol class="breadcrumbs">.*?</ol>', html, re.S).group(0)


def chart_titles(html: str) -> list[tuple[str, str, str]]:
    """(chart id, its accessible name, its visible title) of every chart, in page order."""
    return re.findall(
        r'<svg class="report-chart" id="chart-([\w-]+)"[^>]*aria-labelledby="chart-\1-t" aria-describedby="chart-\1-d"'
        r'[^>]*><title id="chart-\1-t">([^<]*)</title><desc id="chart-\1-d">[^<]*</desc>'
        r'<text class="report-chart-title"[^>]*>([^<]*)</text>',
        html,
    )


@pytest.mark.parametrize(
    ("who", "url", "page_title"),
    [
        ("clerk25", DASHBOARD, "Översikt"),
        ("manager25", reverse("reports:what-if"), "Tänk om"),
        ("admin", reverse("reports:national"), "Nationell översikt"),
    ],
)
def test_every_report_page_has_the_admins_breadcrumbs_home_reports_page(client, known, people, who, url, page_title):
    client.force_login(people[who])

    html = client.get(url).content.decode()

    assert parse_html(breadcrumbs(html)) == parse_html(
        '<ol class="breadcrumbs"><li><a href="/admin/">Hem</a></li><li><a href="/admin/reports/">Rapporter</a></li>'
        f'<li aria-current="page">{page_title}</li></ol>'
    )
    # Inside the admin's own breadcrumbs landmark, so styled like every admin page.
    assert re.search(r'<nav aria-label="[^"]+">\s*<ol class="breadcrumbs">', html)
    assert f"<title>{page_title} | Rapporter | Utomläns</title>" in html
    assert f"<h1>{page_title}</h1>" in html
    assert '<div class="breadcrumbs">' not in html


def test_every_dashboard_chart_has_a_visible_title_with_its_unit(client, known, people):
    client.force_login(people["clerk25"])

    html = client.get(f"{DASHBOARD}?{FULL}").content.decode()

    expected = [
        ("monthly-contacts", "Kontakter per månad"),
        ("monthly-cost", "Kostnad per månad (kr)"),
        ("categories", "Andel kontakter per yrkeskategori (%)"),
        ("professions", "Andel kontakter per yrke (%)"),
        ("age-groups", "Kontakter per åldersgrupp och kön"),
        ("per-inhabitant", "Kontakter per 1 000 invånare"),
        ("providers", "Kostnad per vårdgivare (kr)"),
        ("rejections", "Andel avvisade per orsak (% av rapporterade kontakter)"),
    ]
    # The visible title is the image's accessible name, word for word.
    assert chart_titles(html) == [(key, title, title) for key, title in expected]
    # Every bar still carries its exact value, formatted as the reader expects it.
    assert (
        'data-label="2026-07" data-series="Kostnad" data-value="435.00"><title>2026-07 Kostnad: 435,00\xa0kr</title>'
    ) in html
    # The plot is drawn below its title.
    assert html.count('<g transform="translate(0 26)">') == len(expected)


def test_the_what_if_and_national_charts_have_a_visible_title_with_its_unit(client, known, invoices, people):
    client.force_login(people["admin"])

    what_if = client.get(reverse("reports:what-if") + f"?{YEAR}&region=25&recommendation=SKL-2019").content.decode()
    national = client.get(reverse("reports:national") + f"?{YEAR}").content.decode()

    assert chart_titles(what_if) == [
        ("what-if", "Kostnad per ersättningskategori (kr)", "Kostnad per ersättningskategori (kr)")
    ]
    assert chart_titles(national) == [
        (
            "national-net",
            "Netto per region, intäkter minus betalningar (kr)",
            "Netto per region, intäkter minus betalningar (kr)",
        )
    ]


def test_the_pages_name_regions_and_reasons_where_the_csv_gives_codes(client, known, people):
    client.force_login(people["clerk25"])

    html = client.get(f"{DASHBOARD}?{FULL}").content.decode()

    assert rows(html, "rejections") == [
        ["Skäl", "Kontakter", "Andel av rapporterade kontakter", "Andel av avvisade kontakter"],
        ["Inte en digital kontakt (telefon)", "1", "11,1\xa0%", "50,0\xa0%"],
        ["Ingen triagering före den medicinska bedömningen", "1", "11,1\xa0%", "50,0\xa0%"],
        ["Uppfyller inte kraven på journalföring och inrapportering", "1", "11,1\xa0%", "50,0\xa0%"],
        ["Avvisade totalt", "2", "22,2\xa0%", "–"],
    ]
    assert "not_digital" not in html
    assert rows(html, "per-inhabitant")[1][:4] == ["2025", "2025-01 – 2025-12", "Region Norrbotten", "1\xa0000"]
    assert rows(html, "per-inhabitant")[0][2] == "Hemregion"
    assert 'data-label="2025 Region Norrbotten"' in html
    providers = rows(html, "providers")
    assert [row[2] for row in providers] == ["Avtal med", "Region Sörmland", "Region Jönköpings län", ""]
    # A total has no HSA-id or contracting region: blank cells, not dashes.
    assert providers[-1][:3] == ["Totalt", "", ""]
    assert rows(html, "professions")[-1][:3] == ["Totalt", "", ""]

    # The CSV export and the API keep the codes, for the regions' own tools.
    csv_lines = client.get(f"{DASHBOARD}?{FULL}&export=rejections").content.decode().splitlines()
    assert csv_lines[0] == "\ufeffOrsakskod;Skäl;Kontakter;Andel av rapporterade kontakter;Andel av avvisade kontakter"
    assert csv_lines[1] == "not_digital;Inte en digital kontakt (telefon);1;11.1;50.0"
    assert csv_lines[-1] == "Avvisade totalt;;2;22.2;"


def test_the_national_view_names_both_regions_of_a_pair(client, invoices, people):
    client.force_login(people["admin"])

    html = client.get(reverse("reports:national") + f"?{YEAR}").content.decode()

    assert rows(html, "national-pairs") == [
        ["Region A", "Region B", "A fakturerade B", "B fakturerade A", "Netto till A"],
        ["Region Sörmland", "Region Norrbotten", "900,00\xa0kr", "300,00\xa0kr", "600,00\xa0kr"],
        ["Region Sörmland", "Region Jönköpings län", "500,00\xa0kr", "0,00\xa0kr", "500,00\xa0kr"],
    ]
    regions = rows(html, "national-regions")
    assert regions[0] == ["Region", "Intäkter (som säljare)", "Betalningar (som köpare)", "Netto"]
    assert regions[3] == ["Region Sörmland", "1\xa0400,00\xa0kr", "300,00\xa0kr", "1\xa0100,00\xa0kr"]
    assert regions[-1] == ["Totalt", "1\xa0700,00\xa0kr", "1\xa0700,00\xa0kr", "0,00\xa0kr"]


def test_the_what_if_form_shows_the_version_it_prices_under(client, known, people):
    client.force_login(people["clerk25"])

    html = client.get(reverse("reports:what-if") + f"?{YEAR}").content.decode()

    assert '<option value="SKR-2026-04" selected>' in html
    assert rows(html, "what-if")[0][0] == "Ersättningskategori"
    assert "Prissatt enligt SKR-2026-04" in html
