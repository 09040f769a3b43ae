"""The automatic checks of a received invoice's lines, each exactly at its boundaries, and their scope."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import Invoice, InvoiceStatus
from contacts.intake import contacts_upsert
from contacts.models import Contact
from kernel.business_time import STOCKHOLM
from regions.models import ListingRule, Region, Role
from review.flags import Flag
from review.models import ListingEntry, PopulationEntry
from review.selectors import invoice_review, reviewable_invoices
from tests.factories import contact_item, debit_line, personnummer


def _at(text: str) -> dt.datetime:
    """A Stockholm local time, ``2026-05-04 00:30``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)


def _number(n: int) -> str:
    return personnummer("19850312", f"{n:03d}").replace("-", "")


@pytest.fixture
def bill(make_user, providers):
    """Lines on a submitted invoice from Sörmland (04) to Stockholm (01): ``bill.line(started, patient=…)``."""
    clerk = make_user(Role.CLERK, "04")
    counter = iter(range(1, 1000))

    class Bill:
        invoice = Invoice.objects.create(
            seller_id="04",
            buyer_id="01",
            period="2026-05",
            status=InvoiceStatus.SUBMITTED,
            issue_date=dt.date(2026, 11, 4),
            total="0.00",
        )

        def line(self, started: str, *, patient: int = 1, provider="04a", invoice=None, **facts):
            n = next(counter)
            item = contact_item(
                provider=providers[provider].hsa_id,
                external_id=f"r-{n}",
                home_region="01",
                started_at="2026-05-04T10:00:00+02:00",
                patient_id=personnummer("19850312", f"{patient:03d}"),
            )
            result = contacts_upsert(items=[item], user=clerk, channel="api")
            assert result.errors == []
            contact = Contact.objects.get(pk=result.ids[0])
            return debit_line(invoice or self.invoice, contact, started_at=_at(started), **facts)

        def flags(self, invoice=None) -> dict[int, set[str]]:
            review = invoice_review(invoice or self.invoice)
            return {line.pk: {f.flag for f in review.flags_of(line)} for line in review.lines}

    return Bill()


def _population(patient: int, lan: str, first: str, last: str | None = None, region="01"):
    PopulationEntry.objects.create(
        region_id=region,
        personal_identity=_number(patient),
        lan_code=lan,
        municipality_code=f"{lan}80",
        valid_from=dt.date.fromisoformat(first),
        valid_to=dt.date.fromisoformat(last) if last else None,
    )


def test_residence_on_the_contacts_stockholm_day(bill):
    # Moved to Stockholm on the contact's day: resident. The contact at 00:30 is 4 May in Stockholm (3 May in UTC).
    moved_in_that_day = bill.line("2026-05-04 00:30", patient=1)
    _population(1, "03", "2000-01-01", "2026-05-03")
    _population(1, "01", "2026-05-04")
    # Moved away on the contact's day: not resident.
    moved_away_that_day = bill.line("2026-05-04 10:00", patient=2)
    _population(2, "01", "2000-01-01", "2026-05-03")
    _population(2, "03", "2026-05-04")
    # Moved in the day after the contact: not resident yet.
    moved_in_day_after = bill.line("2026-05-04 23:59", patient=3)
    _population(3, "03", "2000-01-01", "2026-05-04")
    _population(3, "01", "2026-05-05")
    # Moved away the day after: still resident on the day.
    moved_away_day_after = bill.line("2026-05-04 10:00", patient=4)
    _population(4, "01", "2000-01-01", "2026-05-04")
    unknown = bill.line("2026-05-04 10:00", patient=5)
    # Another region's extract says nothing for Stockholm.
    _population(5, "01", "2000-01-01", region="03")

    flags = bill.flags()
    assert flags[moved_in_that_day.pk] == set()
    assert flags[moved_away_that_day.pk] == {Flag.NOT_RESIDENT}
    assert flags[moved_in_day_after.pk] == {Flag.NOT_RESIDENT}
    assert flags[moved_away_day_after.pk] == set()
    assert flags[unknown.pk] == {Flag.UNKNOWN}


def test_without_a_population_extract_residence_is_not_checked(bill):
    line = bill.line("2026-05-04 10:00")
    _population(1, "03", "2000-01-01", region="03")
    assert bill.flags()[line.pk] == set()


def _listing(patient: int, org_number: str, first: str, last: str | None = None):
    ListingEntry.objects.create(
        region_id="01",
        personal_identity=_number(patient),
        unit_hsa_id=f"SE{org_number}-VC1",
        unit_org_number=org_number,
        valid_from=dt.date.fromisoformat(first),
        valid_to=dt.date.fromisoformat(last) if last else None,
    )


def test_listing_at_the_providers_organisation_on_the_contacts_day(bill, providers):
    own = providers["04a"].org_number
    other = "2321000016"
    starts_that_day = bill.line("2026-05-04 10:00", patient=1)
    _listing(1, own, "2026-05-04")
    starts_day_after = bill.line("2026-05-04 23:59", patient=2)
    _listing(2, own, "2026-05-05")
    ended_day_before = bill.line("2026-05-04 10:00", patient=3)
    _listing(3, own, "2020-01-01", "2026-05-03")
    ends_that_day = bill.line("2026-05-04 10:00", patient=4)
    _listing(4, own, "2020-01-01", "2026-05-04")
    elsewhere = bill.line("2026-05-04 10:00", patient=5)
    _listing(5, other, "2020-01-01")

    flags = bill.flags()
    assert {pk: f & {Flag.LISTED} for pk, f in flags.items()} == {
        starts_that_day.pk: {Flag.LISTED},
        starts_day_after.pk: set(),
        ended_day_before.pk: set(),
        ends_that_day.pk: {Flag.LISTED},
        elsewhere.pk: set(),
    }

    Region.objects.filter(code="01").update(listing_rule=ListingRule.ANYWHERE_IN_REGION)
    bill.invoice.buyer.refresh_from_db()
    assert Flag.LISTED in bill.flags()[elsewhere.pk]
    assert Flag.LISTED not in bill.flags()[starts_day_after.pk]


def test_a_duplicate_is_the_later_line_of_the_same_patient_provider_and_stockholm_day(bill):
    first = bill.line("2026-05-04 00:10", patient=1)
    same_day = bill.line("2026-05-04 23:50", patient=1)
    next_day = bill.line("2026-05-05 00:00", patient=1)
    other_provider = bill.line("2026-05-04 12:00", patient=1, provider="04b")
    other_patient = bill.line("2026-05-04 12:00", patient=2)
    flags = bill.flags()
    assert [
        Flag.DUPLICATE in flags[line.pk] for line in (first, same_day, next_day, other_provider, other_patient)
    ] == [
        False,
        True,
        False,
        False,
        False,
    ]


def test_a_duplicate_of_a_line_on_an_earlier_invoice_and_never_of_a_draft(bill):
    earlier = Invoice.objects.create(seller_id="04", buyer_id="01", period="2026-04", status=InvoiceStatus.SUBMITTED)
    draft = Invoice.objects.create(seller_id="04", buyer_id="03", period="2026-04", status=InvoiceStatus.DRAFT)
    bill.line("2026-05-04 09:00", patient=1, invoice=earlier)
    bill.line("2026-05-04 09:00", patient=2, invoice=draft)
    again = bill.line("2026-05-04 10:00", patient=1)
    not_again = bill.line("2026-05-04 10:00", patient=2)
    flags = bill.flags()
    assert Flag.DUPLICATE in flags[again.pk]
    assert Flag.DUPLICATE not in flags[not_again.pk]


def test_invoiced_more_than_six_months_after_care_to_the_day(bill):
    # The invoice date is 4 November 2026: care on 4 May is six months to the day, on 3 May one day more.
    to_the_day = bill.line("2026-05-04 00:00")
    one_day_more = bill.line("2026-05-03 23:59")
    flags = bill.flags()
    assert Flag.LATE not in flags[to_the_day.pk]
    assert Flag.LATE in flags[one_day_more.pk]


def test_the_six_months_of_a_month_end_are_clamped(bill):
    Invoice.objects.filter(pk=bill.invoice.pk).update(issue_date=dt.date(2027, 2, 28))
    bill.invoice.refresh_from_db()
    last_of_august = bill.line("2026-08-31 10:00")
    day_before = bill.line("2026-08-27 23:59")
    flags = bill.flags()
    assert Flag.LATE not in flags[last_of_august.pk]
    assert Flag.LATE in flags[day_before.pk]


def test_care_date_after_the_invoice_date(bill):
    Invoice.objects.filter(pk=bill.invoice.pk).update(issue_date=None, submitted_at=_at("2026-05-04 12:00"))
    bill.invoice.refresh_from_db()
    same_day = bill.line("2026-05-04 23:59")
    day_after = bill.line("2026-05-05 00:00")
    flags = bill.flags()
    assert Flag.CARE_AFTER_INVOICE not in flags[same_day.pk]
    assert Flag.CARE_AFTER_INVOICE in flags[day_after.pk]


def test_rate_against_the_recommendation_in_force_on_the_stockholm_day(bill):
    # SKL 2019 (physician 500) until 29 January 2026, SKR January 2026 (435) from 30 January.
    price = {"rate": Decimal("500.00"), "fee_deducted": Decimal("100.00"), "amount": Decimal("400.00")}
    old_rate_last_day = bill.line("2026-01-29 23:59", **price)
    old_rate_first_new_day = bill.line("2026-01-30 00:00", **price)
    new_rate = bill.line(
        "2026-01-30 00:00", rate=Decimal("435.00"), fee_deducted=Decimal("100.00"), amount=Decimal("335.00")
    )
    review = invoice_review(bill.invoice)
    lines = {line.pk: line for line in review.lines}
    assert lines[old_rate_last_day.pk].expected_rate == Decimal("500.00")
    assert lines[old_rate_first_new_day.pk].expected_rate == Decimal("435.00")
    flags = bill.flags()
    assert Flag.WRONG_RATE not in flags[old_rate_last_day.pk]
    assert Flag.WRONG_RATE in flags[old_rate_first_new_day.pk]
    assert Flag.WRONG_RATE not in flags[new_rate.pk]
    explanations = [f.explanation for f in review.flags_of(lines[old_rate_first_new_day.pk])]
    assert (
        "Priset 500,00\u00a0kr avviker från rekommendationen som gällde den 2026-01-30, 435,00\u00a0kr." in explanations
    )


def test_totals_credit_reasons_and_swedish_explanations(bill):
    _population(9, "01", "2000-01-01")
    late = bill.line("2026-05-01 10:00", patient=1)
    bill.line("2026-05-04 10:00", patient=9)
    review = invoice_review(bill.invoice)
    totals = {total.flag: (total.credit_reason, total.lines, total.amount) for total in review.totals()}
    amount = late.amount
    assert totals[Flag.LATE] == (6, 1, amount)
    assert totals[Flag.UNKNOWN] == (1, 1, amount)
    assert totals[Flag.DUPLICATE] == (7, 0, Decimal("0.00"))
    assert totals[Flag.CARE_AFTER_INVOICE][0] == 8
    assert totals[Flag.WRONG_RATE][0] == 2
    assert totals[Flag.NOT_RESIDENT][0] == 1
    assert [line.pk for line in review.flagged_lines()] == [late.pk]
    assert list(review.flagged_lines(Flag.UNKNOWN).values_list("pk", flat=True)) == [late.pk]
    line = review.flagged_lines().get()
    assert [(f.flag, f.credit_reason, f.explanation) for f in review.flags_of(line)] == [
        (
            Flag.LATE,
            6,
            "Vården gavs den 2026-05-01, mer än sex månader före fakturadatumet 2026-11-04.",
        ),
        (Flag.UNKNOWN, 1, "19850312-**** finns inte i regionens folkbokföringsuttag."),
    ]


def test_a_draft_is_not_reviewed(bill):
    draft = Invoice.objects.create(seller_id="04", buyer_id="01", period="2026-06")
    with pytest.raises(ValueError):
        invoice_review(draft)


@pytest.mark.parametrize(
    ("role", "region", "sees"),
    [
        (Role.CLERK, "01", True),
        (Role.MANAGER, "01", True),
        (Role.ADMIN, "01", True),
        (Role.CLERK, "04", False),  # the seller reviews nothing of the buyer's
        (Role.CLERK, "03", False),
        (Role.ADMIN, None, False),
    ],
)
def test_only_the_buyers_staff_review_its_invoices(bill, make_user, role, region, sees):
    Invoice.objects.create(seller_id="04", buyer_id="01", period="2026-06")  # a draft: never reviewed
    expected = [bill.invoice.pk] if sees else []
    assert list(reviewable_invoices(make_user(role, region)).values_list("pk", flat=True)) == expected


def test_the_review_is_one_query(bill, django_assert_num_queries):
    for n in range(5):
        bill.line("2026-05-04 10:00", patient=n + 1)
    _population(1, "01", "2000-01-01")
    invoice = Invoice.objects.select_related("buyer").get(pk=bill.invoice.pk)
    review = invoice_review(invoice)
    with django_assert_num_queries(1):
        assert len(list(review.lines)) == 5


def test_the_listing_rule_is_the_regions_own_setting_with_its_history(reference):
    from kernel.errors import InvalidInput
    from regions.models import RegionEvent
    from regions.services import region_billing_details_update

    region = Region.objects.get(code="01")
    assert region.listing_rule == ListingRule.SAME_ORGANISATION
    region = region_billing_details_update(region=region, listing_rule="anywhere_in_region")
    assert Region.objects.get(code="01").listing_rule == ListingRule.ANYWHERE_IN_REGION
    assert RegionEvent.objects.filter(region_id="01").last().changes == {
        "listing_rule": ["same_organisation", "anywhere_in_region"]
    }
    with pytest.raises(InvalidInput):
        region_billing_details_update(region=region, listing_rule="somewhere")
