"""The report tables. Every figure the dashboard, the CSV exports and the API show is computed here.

Sums and counts come from the database (the rollups of ``billing.reports.models``, the invoices for the
national view); Python only divides a handful of aggregated rows into shares, rates and per-inhabitant
figures, in Decimal with the one rounding rule. Every read goes through the scoping selector.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from billing.models import FROZEN_STATUSES, Invoice
from billing.reports.models import AgeGroup, ContactSummary, ListingUnitSummary
from billing.reports.refresh import BILLABLE
from contacts.eligibility import net_of_fee
from contacts.models import Status
from contacts.reasons import REASON_LABELS, REASON_ORDER, Reason
from kernel.business_time import add_months
from kernel.money import ZERO, to_money
from regions.models import RateCategory, RateRecommendation, Region, RegionPopulation
from regions.selectors import version_facts, visible_to

BILLABLE_Q = Q(status__in=BILLABLE)
REJECTED_Q = Q(status=Status.REJECTED)
TENTH = Decimal("0.1")


class Perspective:
    BUYER = "buyer"
    SELLER = "seller"
    CHOICES = [
        (BUYER, _("As buyer: contacts of our residents with other regions' providers")),
        (SELLER, _("As seller: contacts of our providers with other regions' residents")),
    ]


@dataclass(frozen=True)
class ReportFilters:
    """What a report covers: whole months from ``first_month`` to ``last_month`` (first days), one region
    seen as buyer or seller (None: the whole country, national admins only), optionally one provider and
    one profession."""

    first_month: dt.date
    last_month: dt.date
    region: str | None = None
    perspective: str = Perspective.BUYER
    provider: int | None = None
    profession: str | None = None

    @property
    def region_field(self) -> str:
        return "home_region" if self.perspective == Perspective.BUYER else "billing_region"

    def months(self) -> list[dt.date]:
        return months_between(self.first_month, self.last_month)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: str = "text"  # text, int, money, percent, decimal (per 1 000 and per inhabitant)
    # How the page shows the column; the CSV exports and the API always carry the value itself (codes included).
    page: str = "value"  # value; hidden (a code the page shows by its name); region (a län code: the region's name)


HIDDEN, REGION = "hidden", "region"


class Covers:
    """Which contacts a table adds up: every table either covers exactly what the filters choose (``BILLABLE``,
    the key figures' contacts and cost) or says in its title or notes what else it covers. The consistency
    tests add up every table that claims ``BILLABLE`` and compare it with the key figures, to the öre."""

    # The billable contacts of the filters' months, region, side, provider and profession: the key figures.
    BILLABLE = "billable"
    # Of those, the ones that name a listing unit (the rest are counted in a note).
    LISTED = "listed"
    # The rejected and the reported contacts of the filters (the key figures' rejected contacts and rate).
    REJECTED = "rejected"
    # Whole calendar years up to the last month, each against the same months of the year before: the title
    # names the months (e.g. "Jan–Nov 2026 compared with Jan–Nov 2025").
    WHOLE_YEARS = "whole-years"
    # Approved invoices of every region by invoice period (the national view): only the months apply.
    INVOICES = "invoices"


@dataclass
class Table:
    """One report table: what the page shows, the CSV exports and the API returns."""

    key: str
    title: str | Promise
    columns: tuple[Column, ...]
    rows: list[dict]
    total: dict | None = None
    notes: list[str | Promise] = field(default_factory=list)
    covers: str = Covers.BILLABLE

    def __post_init__(self):
        # Money leaves the table in whole öre whatever the database summed it as (SQLite drops the trailing
        # zeros of a decimal sum: 435 where PostgreSQL says 435.00), so every page, CSV and API reads the same.
        money = [column.key for column in self.columns if column.kind == "money"]
        for row in [*self.rows, *([self.total] if self.total else [])]:
            for key in money:
                if row.get(key) is not None:
                    row[key] = to_money(row[key])


def percent(part, whole) -> Decimal | None:
    """``part`` as a percentage of ``whole`` with one decimal (None when there is no whole)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def change_percent(current, previous) -> Decimal | None:
    if not previous:
        return None
    return (Decimal(current - previous) * 100 / Decimal(previous)).quantize(TENTH, rounding=ROUND_HALF_UP)


def per_thousand(count: int, population: int | None) -> Decimal | None:
    if not population:
        return None
    return (Decimal(count) * 1000 / Decimal(population)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def per_inhabitant(amount: Decimal, population: int | None) -> Decimal | None:
    if not population:
        return None
    return to_money(Decimal(amount) / Decimal(population))


def month_label(month: dt.date) -> str:
    return f"{month:%Y-%m}"


# --- Scope -----------------------------------------------------------------------------------------


def summaries(user, filters: ReportFilters, *, model=ContactSummary, first=None, last=None) -> QuerySet:
    """The rollup rows a report of ``filters`` adds up, as far as ``user`` may see them."""
    queryset = model.objects.filter(
        month__gte=first or filters.first_month, month__lte=last or filters.last_month
    ).order_by()
    pinned = None
    if filters.region:
        queryset = queryset.filter(**{filters.region_field: filters.region})
        pinned = {filters.region_field: filters.region}
    if filters.provider:
        queryset = queryset.filter(provider_id=filters.provider)
    if filters.profession:
        queryset = queryset.filter(profession_id=filters.profession)
    return visible_to(user, queryset, pinned=pinned)


def _billable_sums() -> dict:
    return {
        "n": Sum("contacts", filter=BILLABLE_Q, default=0),
        "cost": Sum("amount", filter=BILLABLE_Q, default=ZERO),
    }


def _with_shares(rows: list[dict], total: dict) -> dict:
    """Add each row's share of the contacts and of the cost; the total row gets 100 % of each."""
    _share_rows(rows)
    total["share"] = percent(total["contacts"], total["contacts"])
    total["cost_share"] = percent(total["cost"], total["cost"])
    return total


def _share_rows(rows: list[dict]) -> list[dict]:
    total_contacts = sum(row["contacts"] for row in rows)
    total_cost = sum((row["cost"] for row in rows), ZERO)
    for row in rows:
        row["share"] = percent(row["contacts"], total_contacts)
        row["cost_share"] = percent(row["cost"], total_cost)
    return rows


def _total(rows: list[dict], label_key: str, label, *keys: str) -> dict:
    total = {label_key: label}
    for key in keys:
        total[key] = sum((row[key] for row in rows), 0)
    return total


# --- Tables ----------------------------------------------------------------------------------------

CONTACTS = Column("contacts", _("Contacts"), "int")
COST = Column("cost", _("Cost"), "money")
SHARE = Column("share", _("Share of contacts"), "percent")
COST_SHARE = Column("cost_share", _("Share of cost"), "percent")

# The columns of every report table, by key: the page, the CSV exports and the API schema use them.
COLUMNS: dict[str, tuple[Column, ...]] = {
    "monthly": (
        Column("month", _("Month")),
        CONTACTS,
        COST,
        Column("rejected", _("Rejected contacts"), "int"),
        Column("rejection_rate", _("Rejection rate"), "percent"),
        Column("reported", _("Reported in all"), "int"),
    ),
    "years": (
        Column("year", _("Year")),
        Column("months", _("Months")),
        CONTACTS,
        Column("contacts_change", _("Change in contacts"), "int"),
        Column("contacts_change_percent", _("Change in contacts (%)"), "percent"),
        COST,
        Column("cost_change", _("Change in cost"), "money"),
        Column("cost_change_percent", _("Change in cost (%)"), "percent"),
    ),
    "professions": (
        Column("profession", _("Code")),
        Column("name", _("Profession")),
        Column("category", _("Rate category")),
        CONTACTS,
        SHARE,
        COST,
        COST_SHARE,
    ),
    "categories": (Column("category", _("Rate category")), CONTACTS, SHARE, COST, COST_SHARE),
    "age-groups": (
        Column("age_group", _("Age")),
        Column("women", _("Women"), "int"),
        Column("men", _("Men"), "int"),
        CONTACTS,
        SHARE,
        COST,
        COST_SHARE,
    ),
    "sex": (Column("sex", _("Sex")), CONTACTS, SHARE, COST, COST_SHARE),
    "per-inhabitant": (
        Column("year", _("Year")),
        Column("months", _("Months")),
        Column("region", _("Home region"), page=REGION),
        Column("region_name", _("Name"), page=HIDDEN),
        Column("population", _("Population"), "int"),
        CONTACTS,
        Column("per_1000", _("Contacts per 1 000 inhabitants"), "decimal"),
        COST,
        Column("cost_per_inhabitant", _("Cost per inhabitant"), "money"),
    ),
    "providers": (
        Column("name", _("Care provider")),
        Column("hsa_id", _("HSA-id")),
        Column("region", _("Contracted by"), page=REGION),
        CONTACTS,
        SHARE,
        COST,
        COST_SHARE,
    ),
    "listing-units": (Column("listing_unit", _("Listing unit (HSA-id)")), CONTACTS, SHARE, COST, COST_SHARE),
    "rejections": (
        Column("reason", _("Reason code"), page=HIDDEN),
        Column("label", _("Reason")),
        CONTACTS,
        Column("rate", _("Share of reported contacts"), "percent"),
        Column("share_of_rejected", _("Share of rejected contacts"), "percent"),
    ),
    "what-if": (
        Column("category", _("Rate category")),
        CONTACTS,
        Column("cost", _("Actual cost"), "money"),
        Column("rate", _("Rate under the version"), "money"),
        Column("what_if", _("Cost under the version"), "money"),
        Column("difference", _("Difference"), "money"),
        Column("difference_percent", _("Difference (%)"), "percent"),
    ),
    "national-regions": (
        Column("region", _("Region"), page=REGION),
        Column("name", _("Name"), page=HIDDEN),
        Column("receipts", _("Receipts (as seller)"), "money"),
        Column("payments", _("Payments (as buyer)"), "money"),
        Column("net", _("Net"), "money"),
    ),
    "national-pairs": (
        Column("region_a", _("Region A"), page=REGION),
        Column("region_b", _("Region B"), page=REGION),
        Column("a_invoiced_b", _("A invoiced B"), "money"),
        Column("b_invoiced_a", _("B invoiced A"), "money"),
        Column("net", _("Net to A"), "money"),
    ),
}


def monthly(user, filters: ReportFilters) -> Table:
    """Billable contacts and their cost per month, with the rejected contacts and the rejection rate."""
    found = {
        row["month"]: row
        for row in summaries(user, filters)
        .values("month")
        .annotate(
            **_billable_sums(),
            rejected=Sum("contacts", filter=REJECTED_Q, default=0),
            reported=Sum("contacts", default=0),
        )
    }
    rows = []
    for month in filters.months():
        row = found.get(month, {"n": 0, "cost": ZERO, "rejected": 0, "reported": 0})
        rows.append(
            {
                "month": month_label(month),
                "contacts": row["n"],
                "cost": row["cost"],
                "rejected": row["rejected"],
                "rejection_rate": percent(row["rejected"], row["reported"]),
                "reported": row["reported"],
            }
        )
    total = _total(rows, "month", _("Total"), "contacts", "cost", "rejected", "reported")
    total["rejection_rate"] = percent(total["rejected"], total["reported"])
    return Table(
        key="monthly",
        title=_("Contacts and cost per month"),
        columns=COLUMNS["monthly"],
        rows=rows,
        total=total,
    )


MONTH_ABBREVIATIONS = [
    _("Jan"),
    _("Feb"),
    _("Mar"),
    _("Apr"),
    _("May"),
    _("Jun"),
    _("Jul"),
    _("Aug"),
    _("Sep"),
    _("Oct"),
    _("Nov"),
    _("Dec"),
]


def months_text(months: int) -> str:
    """The first ``months`` months of a year as the tables name them: ``Jan–Nov`` (Swedish ``jan–nov``)."""
    return f"{MONTH_ABBREVIATIONS[0]}–{MONTH_ABBREVIATIONS[months - 1]}"


def year_text(year: int, months: int) -> str:
    """A year, or its first ``months`` months: ``2025``, ``Jan–Nov 2026``."""
    return str(year) if months == 12 else f"{months_text(months)} {year}"


def years(user, filters: ReportFilters) -> Table:
    """Cost and contacts per calendar year with the change from the year before, in kronor/count and percent.

    What a clerk expects here is Region Norrbotten's yearly figure: the year's cost so far against the same
    months of the year before. So this table does not cover only the months chosen: it covers whole calendar
    years, from the first month's year to the last month, the last year up to the last month and compared with
    the same months of the year before (a year in progress is never compared with a whole year). Region, side,
    provider and profession apply as everywhere. Because its months differ from the key figures', its title
    names them ("Jan–Nov 2026 compared with Jan–Nov 2025") and a note says so when the range starts after
    January.
    """
    first_year, last_year = filters.first_month.year, filters.last_month.year
    cut = filters.last_month.month
    by_month = {
        (row["month"].year, row["month"].month): row
        for row in summaries(user, filters, first=dt.date(first_year - 1, 1, 1), last=filters.last_month)
        .values("month")
        .annotate(**_billable_sums())
    }

    def year_sum(year: int, months: int) -> tuple[int, Decimal]:
        picked = [by_month[(year, m)] for m in range(1, months + 1) if (year, m) in by_month]
        return sum(r["n"] for r in picked), sum((r["cost"] for r in picked), ZERO)

    rows = []
    for year in range(first_year, last_year + 1):
        months = cut if year == last_year else 12
        contacts, cost = year_sum(year, months)
        before_contacts, before_cost = year_sum(year - 1, months)
        # A year with nothing before it has no change to show (rather than a change from zero).
        compared = before_contacts > 0
        rows.append(
            {
                "year": str(year),
                "months": months_text(months),
                "contacts": contacts,
                "contacts_change": contacts - before_contacts if compared else None,
                "contacts_change_percent": change_percent(contacts, before_contacts),
                "cost": cost,
                "cost_change": cost - before_cost if compared else None,
                "cost_change_percent": change_percent(cost, before_cost),
            }
        )
    if first_year == last_year:
        title = _("Year over year: %(covered)s compared with %(before)s") % {
            "covered": year_text(last_year, cut),
            "before": year_text(last_year - 1, cut),
        }
    else:
        title = _("Year over year: %(first)s to %(last)s, each compared with the same months of the year before") % {
            "first": first_year,
            "last": year_text(last_year, cut),
        }
    notes = [_("Each year is compared with the same months of the year before.")]
    if filters.first_month.month != 1:
        notes.append(
            _(
                "Whole calendar years, not only the months chosen (%(first)s – %(last)s): the key figures and "
                "the other tables cover those months only."
            )
            % {"first": month_label(filters.first_month), "last": month_label(filters.last_month)}
        )
    return Table(
        key="years",
        title=title,
        columns=COLUMNS["years"],
        rows=rows,
        notes=notes,
        covers=Covers.WHOLE_YEARS,
    )


def professions(user, filters: ReportFilters) -> Table:
    rows = [
        {
            "profession": row["profession"],
            "name": row["profession__name"],
            "category": RateCategory(row["profession__category"]).label
            if row["profession__category"]
            else _("Not licensed"),
            "contacts": row["n"],
            "cost": row["cost"],
        }
        for row in summaries(user, filters)
        .filter(BILLABLE_Q)
        .values("profession", "profession__name", "profession__category")
        .annotate(**_billable_sums())
        .order_by("-n", "profession")
    ]
    total = _with_shares(rows, _total(rows, "profession", _("Total"), "contacts", "cost"))
    return Table(
        key="professions",
        title=_("By profession"),
        columns=COLUMNS["professions"],
        rows=rows,
        total=total,
    )


def categories(user, filters: ReportFilters) -> Table:
    """Shares by rate category (physician, psychologist, other licensed staff)."""
    sums: dict[str, dict] = {}
    for row in (
        summaries(user, filters)
        .filter(BILLABLE_Q)
        .values("profession__category")
        .annotate(**_billable_sums())
        .order_by("profession__category")
    ):
        sums[row["profession__category"]] = row
    rows = []
    for value, label in [*RateCategory.choices, ("", _("Not licensed"))]:
        if value in sums:
            rows.append({"category": label, "contacts": sums[value]["n"], "cost": sums[value]["cost"]})
    total = _with_shares(rows, _total(rows, "category", _("Total"), "contacts", "cost"))
    return Table(
        key="categories",
        title=_("By profession category"),
        columns=COLUMNS["categories"],
        rows=rows,
        total=total,
    )


def age_groups(user, filters: ReportFilters) -> Table:
    cells = {
        (row["age_group"], row["sex"]): row
        for row in summaries(user, filters).filter(BILLABLE_Q).values("age_group", "sex").annotate(**_billable_sums())
    }
    rows = []
    for group in AgeGroup:
        women = cells.get((group.value, "F"), {"n": 0, "cost": ZERO})
        men = cells.get((group.value, "M"), {"n": 0, "cost": ZERO})
        rows.append(
            {
                "age_group": group.label,
                "women": women["n"],
                "men": men["n"],
                "contacts": women["n"] + men["n"],
                "cost": women["cost"] + men["cost"],
            }
        )
    total = _with_shares(rows, _total(rows, "age_group", _("Total"), "women", "men", "contacts", "cost"))
    return Table(
        key="age-groups",
        title=_("By age group"),
        columns=COLUMNS["age-groups"],
        rows=rows,
        total=total,
        notes=[_("Age in whole years on the day of the contact.")],
    )


def sexes(user, filters: ReportFilters) -> Table:
    found = {
        row["sex"]: row
        for row in summaries(user, filters).filter(BILLABLE_Q).values("sex").annotate(**_billable_sums())
    }
    rows = [
        {"sex": label, "contacts": found[code]["n"], "cost": found[code]["cost"]}
        for code, label in (("F", _("Women")), ("M", _("Men")))
        if code in found
    ]
    total = _with_shares(rows, _total(rows, "sex", _("Total"), "contacts", "cost"))
    return Table(
        key="sex",
        title=_("By sex"),
        columns=COLUMNS["sex"],
        rows=rows,
        total=total,
    )


def per_inhabitants(user, filters: ReportFilters) -> Table:
    """Contacts per 1 000 inhabitants and cost per inhabitant of the patients' home region, each calendar
    year with that year's population (never another year's)."""
    found = list(
        summaries(user, filters)
        .filter(BILLABLE_Q)
        .annotate(year=ExtractYear("month"))
        .values("year", "home_region", "home_region__name")
        .annotate(**_billable_sums())
        .order_by("year", "home_region")
    )
    populations = {
        (p.region_id, p.year): p.population
        for p in RegionPopulation.objects.filter(
            year__in={row["year"] for row in found}, region__in={row["home_region"] for row in found}
        )
    }
    rows, missing = [], []
    for row in found:
        population = populations.get((row["home_region"], row["year"]))
        if population is None:
            missing.append(f"{row['home_region']} {row['year']}")
        first = max(filters.first_month, dt.date(row["year"], 1, 1))
        last = min(filters.last_month, dt.date(row["year"], 12, 1))
        rows.append(
            {
                "year": str(row["year"]),
                "months": f"{month_label(first)} – {month_label(last)}",
                "region": row["home_region"],
                "region_name": row["home_region__name"],
                "population": population,
                "contacts": row["n"],
                "per_1000": per_thousand(row["n"], population),
                "cost": row["cost"],
                "cost_per_inhabitant": per_inhabitant(row["cost"], population),
            }
        )
    notes = [_("Per inhabitant of the patients' home region, with the population of the same year.")]
    if missing:
        notes.append(_("No population entered for: %(missing)s.") % {"missing": ", ".join(missing)})
    return Table(
        key="per-inhabitant",
        title=_("Per inhabitant"),
        columns=COLUMNS["per-inhabitant"],
        rows=rows,
        notes=notes,
    )


def providers(user, filters: ReportFilters) -> Table:
    rows = [
        {
            "hsa_id": row["provider__hsa_id"],
            "name": row["provider__name"],
            "region": row["provider__region"],
            "contacts": row["n"],
            "cost": row["cost"],
        }
        for row in summaries(user, filters)
        .filter(BILLABLE_Q)
        .values("provider", "provider__hsa_id", "provider__name", "provider__region")
        .annotate(**_billable_sums())
        .order_by("-n", "provider__name")
    ]
    total = _with_shares(rows, _total(rows, "name", _("Total"), "contacts", "cost"))
    return Table(
        key="providers",
        title=_("By care provider"),
        columns=COLUMNS["providers"],
        rows=rows,
        total=total,
    )


def listing_units(user, filters: ReportFilters) -> Table:
    """Billable contacts by the patient's listing unit (health centre), where the contact names one.

    The filters apply as everywhere; the contacts that name no listing unit are left out and counted in a
    note, so this table's total and that count add up to the key figures."""
    rows = [
        {"listing_unit": row["listing_unit"], "contacts": row["n"], "cost": row["cost"]}
        for row in summaries(user, filters, model=ListingUnitSummary)
        .values("listing_unit")
        .annotate(n=Sum("contacts"), cost=Sum("amount"))
        .order_by("-cost", "listing_unit")
    ]
    billable = summaries(user, filters).aggregate(**_billable_sums())
    listed = sum(row["contacts"] for row in rows)
    notes = []
    if billable["n"] > listed:
        notes.append(
            _("%(count)s contacts name no listing unit and are not in this table.")
            % {"count": number_format(billable["n"] - listed, force_grouping=True)}
        )
    total = _with_shares(rows, _total(rows, "listing_unit", _("Total"), "contacts", "cost"))
    return Table(
        key="listing-units",
        title=_("By listing unit"),
        columns=COLUMNS["listing-units"],
        rows=rows,
        total=total,
        notes=notes,
        covers=Covers.LISTED,
    )


def rejections(user, filters: ReportFilters) -> Table:
    """How many reported contacts each reason rejected, as a share of all reported contacts.

    A contact rejected for two reasons counts under both, so the reasons add up to more than the rejected.
    The filters apply as everywhere: the total is the key figures' rejected contacts and rejection rate.
    """
    scoped = summaries(user, filters)
    reported = scoped.aggregate(n=Sum("contacts", default=0))["n"]
    counts: dict[str, int] = defaultdict(int)
    rejected = 0
    for row in scoped.filter(REJECTED_Q).values("reasons").annotate(n=Sum("contacts")):
        rejected += row["n"]
        for code in row["reasons"].split():
            counts[code] += row["n"]
    rows = [
        {
            "reason": code,
            "label": REASON_LABELS[Reason(code)] if code in REASON_ORDER else code,
            "contacts": count,
            "rate": percent(count, reported),
            "share_of_rejected": percent(count, rejected),
        }
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], REASON_ORDER.get(item[0], 99)))
    ]
    return Table(
        key="rejections",
        title=_("Rejections by reason"),
        columns=COLUMNS["rejections"],
        rows=rows,
        total={
            "reason": _("Rejected in all"),
            "label": "",
            "contacts": rejected,
            "rate": percent(rejected, reported),
            "share_of_rejected": None,
        },
        notes=[_("A contact rejected for several reasons counts under each of them.")],
        covers=Covers.REJECTED,
    )


# The dashboard's tables, in the order the page shows them; the CSV exports and the API use the same keys.
DASHBOARD: dict[str, Callable[..., Table]] = {
    "monthly": monthly,
    "years": years,
    "categories": categories,
    "professions": professions,
    "age-groups": age_groups,
    "sex": sexes,
    "per-inhabitant": per_inhabitants,
    "providers": providers,
    "listing-units": listing_units,
    "rejections": rejections,
}


# --- What-if ---------------------------------------------------------------------------------------


def what_if(user, filters: ReportFilters, recommendation: RateRecommendation) -> Table:
    """The billable contacts of ``filters`` priced under ``recommendation``, beside what they actually cost.

    Only the rates change: each contact keeps the eligibility it was decided with. The rollups keep the
    patient fee, so each contact's price under the other version (rate less the fee, if that version
    deducts it) is exact, summed per (category, fee).
    """
    facts = version_facts(recommendation)
    per_category: dict[str, dict] = {}
    for row in (
        summaries(user, filters)
        .filter(BILLABLE_Q)
        .values("profession__category", "patient_fee")
        .annotate(**_billable_sums())
    ):
        category = row["profession__category"]
        sums = per_category.setdefault(category, {"contacts": 0, "cost": ZERO, "what_if": ZERO})
        sums["contacts"] += row["n"]
        sums["cost"] += row["cost"]
        rate = facts.rates.get(category)
        if rate is not None:
            _deducted, amount = net_of_fee(rate, row["patient_fee"], includes_patient_fee=facts.includes_patient_fee)
            sums["what_if"] += amount * row["n"]
    rows = []
    for value, label in [*RateCategory.choices, ("", _("Not licensed"))]:
        if value not in per_category:
            continue
        sums = per_category[value]
        rows.append(
            {
                "category": label,
                "contacts": sums["contacts"],
                "cost": sums["cost"],
                "rate": facts.rates.get(value),
                "what_if": sums["what_if"],
                "difference": sums["what_if"] - sums["cost"],
                "difference_percent": change_percent(sums["what_if"], sums["cost"]),
            }
        )
    total = _total(rows, "category", _("Total"), "contacts", "cost", "what_if", "difference")
    total["rate"] = None
    total["difference_percent"] = change_percent(total["what_if"], total["cost"])
    notes = [
        _("Only the rates change: every contact keeps the eligibility it was decided with."),
        _("Rates of %(code)s include the patient fee, which is deducted.") % {"code": facts.code}
        if facts.includes_patient_fee
        else _("Rates of %(code)s do not include the patient fee.") % {"code": facts.code},
    ]
    return Table(
        key="what-if",
        title=_("Priced under %(code)s") % {"code": facts.code},
        columns=COLUMNS["what-if"],
        rows=rows,
        total=total,
        notes=notes,
    )


# --- National view ---------------------------------------------------------------------------------


def _invoice_flows(user, filters: ReportFilters) -> dict[tuple[str, str], Decimal]:
    invoices = visible_to(
        user,
        Invoice.objects.filter(
            status__in=FROZEN_STATUSES,
            period__gte=month_label(filters.first_month),
            period__lte=month_label(filters.last_month),
        ).order_by(),
    )
    return {
        (row["seller"], row["buyer"]): row["total"]
        for row in invoices.values("seller", "buyer").annotate(total=Sum("total"))
    }


def _national_notes(filters: ReportFilters) -> list:
    """The national view covers every region's approved invoices of the months: the page offers only the
    months, but the API takes every filter, so a region, provider or profession given is said to be unused."""
    notes = [_("Approved, sent and paid invoices, less credit notes, by invoice period.")]
    if filters.region or filters.provider or filters.profession:
        notes.append(_("Every region, provider and profession: only the months apply to the national view."))
    return notes


def national_regions(user, filters: ReportFilters) -> Table:
    """Every region's receipts (as seller) and payments (as buyer) on approved invoices and credit notes."""
    flows = _invoice_flows(user, filters)
    receipts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    payments: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (seller, buyer), total in flows.items():
        receipts[seller] += total
        payments[buyer] += total
    rows = [
        {
            "region": region.code,
            "name": region.name,
            "receipts": receipts[region.code],
            "payments": payments[region.code],
            "net": receipts[region.code] - payments[region.code],
        }
        for region in Region.objects.order_by("code")
    ]
    return Table(
        key="national-regions",
        title=_("Receipts and payments per region"),
        columns=COLUMNS["national-regions"],
        rows=rows,
        total=_total(rows, "region", _("Total"), "receipts", "payments", "net") | {"name": ""},
        notes=_national_notes(filters),
        covers=Covers.INVOICES,
    )


def national_pairs(user, filters: ReportFilters) -> Table:
    """The net between each pair of regions that invoiced each other."""
    flows = _invoice_flows(user, filters)
    pairs = sorted({tuple(sorted(key)) for key in flows})
    rows = []
    for first, second in pairs:
        to_first = flows.get((first, second), ZERO)
        to_second = flows.get((second, first), ZERO)
        rows.append(
            {
                "region_a": first,
                "region_b": second,
                "a_invoiced_b": to_first,
                "b_invoiced_a": to_second,
                "net": to_first - to_second,
            }
        )
    rows.sort(key=lambda row: (-abs(row["net"]), row["region_a"], row["region_b"]))
    return Table(
        key="national-pairs",
        title=_("Net between regions"),
        columns=COLUMNS["national-pairs"],
        rows=rows,
        notes=_national_notes(filters)[1:],
        covers=Covers.INVOICES,
    )


NATIONAL: dict[str, Callable[..., Table]] = {
    "national-regions": national_regions,
    "national-pairs": national_pairs,
}
