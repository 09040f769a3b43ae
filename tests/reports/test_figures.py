"""Report figures on a small known data set: counts, sums, shares, age groups on birthdays, per 1 000 with
the right year's population, year over year, what-if, the national view, and scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from billing.reports import figures
from billing.reports.figures import Perspective, ReportFilters
from billing.reports.models import ContactSummary
from billing.reports.refresh import summaries_refresh, with_age_group
from contacts.models import Contact
from contacts.synthetic import listing_unit
from regions.models import RateRecommendation, RegionPopulation

D = Decimal
VC01, VC02 = listing_unit("25", 1), listing_unit("25", 2)


def filters(first="2025-01", last="2026-12", region="25", perspective=Perspective.BUYER, **more) -> ReportFilters:
    def month(text):
        year, number = text.split("-")
        return dt.date(int(year), int(number), 1)

    return ReportFilters(month(first), month(last), region=region, perspective=perspective, **more)


def by(table, key):
    return {row[key]: row for row in table.rows}


def test_the_data_set_is_what_the_tests_assume(known):
    amounts = dict(Contact.objects.values_list("external_id", "amount"))
    assert amounts == {
        "a": D("400.00"),
        "b": D("425.00"),
        "c": D("300.00"),
        "d": D("335.00"),
        "e": D("185.00"),
        "f": D("0.00"),
        "g": D("0.00"),
        "h": D("305.00"),
        "i": D("435.00"),
        "j": D("0.00"),
        "m": D("235.00"),
    }


def test_monthly_counts_and_costs_per_stockholm_month(known, people):
    table = figures.monthly(people["clerk25"], filters("2026-05", "2026-07"))
    assert [
        (r["month"], r["contacts"], r["cost"], r["rejected"], r["reported"], r["rejection_rate"]) for r in table.rows
    ] == [
        ("2026-05", 1, D("335.00"), 0, 1, D("0.0")),
        ("2026-06", 2, D("420.00"), 2, 4, D("50.0")),
        ("2026-07", 1, D("435.00"), 0, 1, D("0.0")),  # contact i: 1 July in Stockholm
    ]
    assert (table.total["contacts"], table.total["cost"], table.total["rejected"]) == (4, D("1190.00"), 2)
    assert table.total["rejection_rate"] == D("33.3")  # 2 of 6


def test_months_without_contacts_are_rows_of_zero(known, people):
    table = figures.monthly(people["clerk25"], filters("2026-02", "2026-03"))
    assert [(r["month"], r["contacts"], r["cost"], r["rejection_rate"]) for r in table.rows] == [
        ("2026-02", 0, D("0.00"), None),
        ("2026-03", 0, D("0.00"), None),
    ]


def test_year_over_year_in_kronor_count_and_percent(known, people):
    table = figures.years(people["clerk25"], filters("2025-01", "2026-12"))
    assert [
        (
            r["year"],
            r["contacts"],
            r["contacts_change"],
            r["contacts_change_percent"],
            r["cost"],
            r["cost_change"],
            r["cost_change_percent"],
        )
        for r in table.rows
    ] == [
        ("2025", 2, None, None, D("825.00"), None, None),  # nothing in 2024 to compare with
        ("2026", 5, 3, D("150.0"), D("1490.00"), D("665.00"), D("80.6")),
    ]


def test_a_year_in_progress_is_compared_with_the_same_months_of_the_year_before(known, people):
    # To March 2026: January-March 2026 (c: 300) against January-March 2025 (a: 400).
    table = figures.years(people["clerk25"], filters("2026-01", "2026-03"))
    assert [
        (r["year"], r["contacts"], r["contacts_change"], r["cost"], r["cost_change"], r["cost_change_percent"])
        for r in table.rows
    ] == [("2026", 1, 0, D("300.00"), D("-100.00"), D("-25.0"))]
    assert str(table.rows[0]["months"]) == "jan–mar"


def test_shares_by_profession_and_category(known, people):
    professions = by(figures.professions(people["clerk25"], filters()), "profession")
    assert {code: (r["contacts"], r["cost"], r["share"], r["cost_share"]) for code, r in professions.items()} == {
        "LK": (4, D("1470.00"), D("57.1"), D("63.5")),
        "PS": (1, D("425.00"), D("14.3"), D("18.4")),
        "SJ": (1, D("185.00"), D("14.3"), D("8.0")),
        "FT": (1, D("235.00"), D("14.3"), D("10.2")),
    }
    categories = figures.categories(people["clerk25"], filters())
    assert [(str(r["category"]), r["contacts"], r["cost"], r["share"]) for r in categories.rows] == [
        ("Läkare", 4, D("1470.00"), D("57.1")),
        ("Psykolog, kurator eller psykoterapeut", 1, D("425.00"), D("14.3")),
        ("Annan legitimerad personal", 2, D("420.00"), D("28.6")),
    ]
    assert (categories.total["contacts"], categories.total["cost"], categories.total["share"]) == (
        7,
        D("2315.00"),
        D("100.0"),
    )


def test_age_groups_turn_on_the_birthday_and_split_by_sex(known, people):
    table = figures.age_groups(people["clerk25"], filters())
    assert [(r["age_group"], r["women"], r["men"], r["cost"]) for r in table.rows] == [
        ("0–6", 1, 0, D("300.00")),  # c: the day before turning 7
        ("7–18", 0, 1, D("425.00")),  # b: 7 on the day
        ("19–39", 1, 1, D("835.00")),  # a, i
        ("40–64", 1, 0, D("185.00")),  # e: the day before turning 65
        ("65–74", 0, 0, D("0.00")),
        ("75–84", 1, 0, D("235.00")),  # m: 75 on the day
        ("85+", 0, 1, D("335.00")),  # d: 85 on the day
    ]
    sexes = figures.sexes(people["clerk25"], filters())
    assert [(str(r["sex"]), r["contacts"], r["cost"], r["share"]) for r in sexes.rows] == [
        ("Kvinnor", 4, D("1120.00"), D("57.1")),
        ("Män", 3, D("1195.00"), D("42.9")),
    ]


@pytest.mark.parametrize(
    ("born", "on", "group"),
    [
        ("2019-03-12", "2026-03-11", 0),  # 6
        ("2019-03-12", "2026-03-12", 1),  # 7
        ("2007-07-01", "2026-06-30", 1),  # 18
        ("2007-07-01", "2026-07-01", 2),  # 19
        ("1986-12-31", "2026-12-30", 2),  # 39
        ("1986-12-31", "2026-12-31", 3),  # 40
        ("1961-01-02", "2026-01-01", 3),  # 64, 65 tomorrow
        ("1961-01-01", "2026-01-01", 4),  # 65 on the day
        ("1952-05-05", "2026-05-04", 4),  # 73
        ("1951-05-05", "2026-05-05", 5),  # 75
        ("1941-05-06", "2026-05-05", 5),  # 84, 85 tomorrow
        ("1941-05-05", "2026-05-05", 6),  # 85
        ("2008-02-29", "2026-02-28", 1),  # 17: a leap-day birthday is reached on 1 March
        ("2004-02-29", "2023-02-28", 1),  # 18
        ("2004-02-29", "2023-03-01", 2),  # 19
    ],
)
def test_age_group_boundaries(known, born, on, group):
    contact = Contact.objects.get(external_id="a")
    Contact.objects.filter(pk=contact.pk).update(
        patient_birth_date=dt.date.fromisoformat(born),
        started_at=dt.datetime.fromisoformat(f"{on}T12:00:00+01:00"),
    )
    assert with_age_group(Contact.objects.filter(pk=contact.pk)).values_list("s_age_group", flat=True).get() == group


def test_per_inhabitant_uses_the_population_of_the_same_year(known, people):
    table = figures.per_inhabitants(people["clerk25"], filters())
    assert [
        (r["year"], r["region"], r["population"], r["contacts"], r["per_1000"], r["cost"], r["cost_per_inhabitant"])
        for r in table.rows
    ] == [
        ("2025", "25", 1000, 2, D("2.00"), D("825.00"), D("0.83")),  # 825 / 1 000 = 0.825 → 0.83
        ("2026", "25", 4000, 5, D("1.25"), D("1490.00"), D("0.37")),  # 1 490 / 4 000 = 0.3725
    ]
    assert len(table.notes) == 1


def test_a_missing_population_is_shown_as_missing_not_borrowed_from_another_year(known, people):
    RegionPopulation.objects.filter(region_id="25", year=2026).delete()
    table = figures.per_inhabitants(people["clerk25"], filters())
    assert [(r["year"], r["population"], r["per_1000"], r["cost_per_inhabitant"]) for r in table.rows] == [
        ("2025", 1000, D("2.00"), D("0.83")),
        ("2026", None, None, None),
    ]
    assert str(table.notes[-1]) == "Ingen folkmängd angiven för: 25 2026."


def test_providers_listing_units_and_rejection_reasons(known, people):
    providers = figures.providers(people["clerk25"], filters())
    assert [(r["region"], r["contacts"], r["cost"], r["share"]) for r in providers.rows] == [
        ("04", 6, D("2080.00"), D("85.7")),
        ("06", 1, D("235.00"), D("14.3")),
    ]
    units = figures.listing_units(people["clerk25"], filters())
    assert [(r["listing_unit"], r["contacts"], r["cost"]) for r in units.rows] == [
        (VC01, 2, D("735.00")),
        (VC02, 1, D("435.00")),
    ]
    assert [str(note) for note in units.notes] == ["4 kontakter anger ingen listningsenhet och finns inte i tabellen."]
    rejections = figures.rejections(people["clerk25"], filters())
    assert [(r["reason"], r["contacts"], r["rate"], r["share_of_rejected"]) for r in rejections.rows] == [
        ("not_digital", 1, D("11.1"), D("50.0")),
        ("no_triage", 1, D("11.1"), D("50.0")),
        ("not_documented", 1, D("11.1"), D("50.0")),
    ]
    assert (rejections.total["contacts"], rejections.total["rate"]) == (2, D("22.2"))


def test_seller_perspective_counts_the_regions_own_providers_contacts(known, people):
    table = figures.monthly(people["clerk04"], filters(region="04", perspective=Perspective.SELLER))
    assert (table.total["contacts"], table.total["cost"], table.total["rejected"]) == (7, D("2385.00"), 2)
    per_home = figures.per_inhabitants(people["clerk04"], filters(region="04", perspective=Perspective.SELLER))
    assert [(r["year"], r["region"], r["contacts"], r["per_1000"]) for r in per_home.rows] == [
        ("2025", "25", 2, D("2.00")),
        ("2026", "06", 1, None),  # no population entered for 06
        ("2026", "25", 4, D("1.00")),
    ]


def test_filters_on_provider_and_profession(known, people, providers):
    only_q = figures.monthly(people["clerk25"], filters(provider=providers["06"].pk))
    assert (only_q.total["contacts"], only_q.total["cost"]) == (1, D("235.00"))
    only_lk = figures.monthly(people["clerk25"], filters(profession="LK"))
    assert (only_lk.total["contacts"], only_lk.total["cost"], only_lk.total["rejected"]) == (4, D("1470.00"), 2)


def test_what_if_prices_the_same_contacts_under_another_version(known, people):
    table = figures.what_if(
        people["clerk25"], filters("2026-01", "2026-12"), RateRecommendation.objects.get(code="SKL-2019")
    )
    assert [
        (
            str(r["category"]),
            r["contacts"],
            r["cost"],
            r["rate"],
            r["what_if"],
            r["difference"],
            r["difference_percent"],
        )
        for r in table.rows
    ] == [
        ("Läkare", 3, D("1070.00"), D("500.00"), D("1200.00"), D("130.00"), D("12.1")),
        ("Annan legitimerad personal", 2, D("420.00"), D("275.00"), D("500.00"), D("80.00"), D("19.0")),
    ]
    assert (
        table.total["cost"],
        table.total["what_if"],
        table.total["difference"],
        table.total["difference_percent"],
    ) == (
        D("1490.00"),
        D("1700.00"),
        D("210.00"),
        D("14.1"),
    )


def test_what_if_never_prices_below_zero_when_the_fee_exceeds_the_rate(known, people):
    Contact.objects.filter(external_id="e").update(patient_fee=D("300.00"))
    summaries_refresh()
    table = figures.what_if(
        people["clerk25"], filters("2026-06", "2026-06"), RateRecommendation.objects.get(code="SKR-2026-04")
    )
    other = by(table, "category")["Annan legitimerad personal"]
    # e: 235 − min(300, 235) = 0; m: 235
    assert (other["what_if"], other["rate"]) == (D("235.00"), D("235.00"))


def test_a_region_sees_only_its_own_figures(known, people):
    # Region 06 as buyer: only h; as seller: only m.
    buyer06 = figures.monthly(people["clerk06"], filters(region="06"))
    seller06 = figures.monthly(people["clerk06"], filters(region="06", perspective=Perspective.SELLER))
    assert (buyer06.total["contacts"], buyer06.total["cost"]) == (1, D("305.00"))
    assert (seller06.total["contacts"], seller06.total["cost"]) == (1, D("235.00"))
    # A region with no contacts sees zeros, even when it asks for another region's figures.
    assert figures.monthly(people["clerk03"], filters(region="03")).total["contacts"] == 0
    assert figures.monthly(people["clerk03"], filters(region="25")).total["contacts"] == 0
    # Whole country for a national admin: every out-of-county contact.
    national = figures.monthly(people["admin"], filters(region=None))
    assert (national.total["contacts"], national.total["cost"]) == (8, D("2620.00"))


def test_contacts_in_their_own_region_are_not_in_the_reports(known):
    assert not ContactSummary.objects.filter(billing_region_id="04", home_region_id="04").exists()
    assert ContactSummary.objects.filter(billing_region_id="04").aggregate(n=Sum("contacts"))["n"] == 9


def test_a_partial_refresh_rebuilds_only_its_months(known, people):
    Contact.objects.filter(external_id="a").update(amount=D("1.00"))  # March 2025
    Contact.objects.filter(external_id="i").update(amount=D("2.00"))  # July 2026
    summaries_refresh(since=dt.date(2026, 7, 1))
    rows = by(figures.monthly(people["clerk25"], filters("2025-03", "2026-07")), "month")
    assert (rows["2025-03"]["cost"], rows["2026-07"]["cost"]) == (D("400.00"), D("2.00"))
    summaries_refresh()
    rows = by(figures.monthly(people["clerk25"], filters("2025-03", "2026-07")), "month")
    assert rows["2025-03"]["cost"] == D("1.00")


# --- National view ----------------------------------------------------------------------------------


def test_national_view_of_receipts_payments_and_pairs(invoices, people):
    regions = by(figures.national_regions(people["admin"], filters("2026-01", "2026-12", region=None)), "region")
    assert {
        code: (r["receipts"], r["payments"], r["net"])
        for code, r in regions.items()
        if code in {"04", "06", "25", "01"}
    } == {
        "01": (D("0.00"), D("0.00"), D("0.00")),
        "04": (D("1400.00"), D("300.00"), D("1100.00")),
        "06": (D("0.00"), D("500.00"), D("-500.00")),
        "25": (D("300.00"), D("900.00"), D("-600.00")),
    }
    pairs = figures.national_pairs(people["admin"], filters("2026-01", "2026-12", region=None))
    assert [(r["region_a"], r["region_b"], r["a_invoiced_b"], r["b_invoiced_a"], r["net"]) for r in pairs.rows] == [
        ("04", "25", D("900.00"), D("300.00"), D("600.00")),
        ("04", "06", D("500.00"), D("0.00"), D("500.00")),
    ]


def test_beat_rebuilds_the_recent_months_often_and_everything_nightly(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert (schedule["report-figures-recent"]["task"], schedule["report-figures-recent"]["kwargs"]) == (
        "billing.refresh_reports",
        {"full": False},
    )
    assert (schedule["report-figures-all"]["task"], schedule["report-figures-all"]["kwargs"]) == (
        "billing.refresh_reports",
        {"full": True},
    )
    assert "report-figures-recent" not in settings.LOGGING
