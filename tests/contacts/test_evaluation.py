"""contacts/evaluation.py: the facts, the decision and the stored result in one shape. Pure: no database."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from contacts.eligibility import evaluate
from contacts.evaluation import (
    Decider,
    contact_decision,
    decide,
    decision_columns,
    facts_of_contact,
    facts_of_item,
    result_of_contact,
    result_of_decision,
    stored_result,
)
from contacts.models import Contact, Status
from contacts.validation import ContactInput
from regions.models import Profession
from regions.rates import Timeline, VersionFacts

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CRITERIA = ("out_of_county", "digital_contact", "licensed_profession", "strong_authentication")
VERSION = VersionFacts(
    code="V-2026",
    effective_from=dt.date(2026, 1, 30),
    published_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    includes_patient_fee=True,
    rates={"physician": Decimal("450.00"), "nurse": Decimal("250.00")},
    criteria=CRITERIA,
)
TIMELINE = Timeline([VERSION])
# Stockholm's day of 30 January 2026 starts at 23:00 UTC the day before: the version is in force from then.
FIRST_MINUTE = dt.datetime(2026, 1, 30, 0, 0, tzinfo=STOCKHOLM)


def item(**changes) -> ContactInput:
    values = {
        "provider_id": 7,
        "billing_region": "03",
        "external_id": "E-1",
        "patient_id": "199001011234",
        "patient_birth_date": dt.date(1990, 1, 1),
        "patient_sex": "F",
        "home_region": "01",
        "profession": "LK",
        "profession_category": "physician",
        "started_at": dt.datetime(2026, 3, 2, 9, 30, tzinfo=STOCKHOLM),
        "mode": "video",
        "strong_authentication": True,
        "triage": True,
        "documented": True,
        "content": "assessment",
        "patient_fee": Decimal("100.00"),
        "listing_unit": "U1",
        "care_unit": "C1",
    }
    values.update(changes)
    return ContactInput(**values)


def contact_like(entry: ContactInput, **changes) -> Contact:
    contact = Contact(
        started_at=entry.started_at,
        home_region_id=entry.home_region,
        billing_region_id=entry.billing_region,
        mode=entry.mode,
        strong_authentication=entry.strong_authentication,
        triage=entry.triage,
        documented=entry.documented,
        content=entry.content,
        patient_fee=entry.patient_fee,
        **changes,
    )
    return contact


def test_an_item_and_the_contact_stored_from_it_have_the_same_facts():
    entry = item()

    facts = facts_of_item(entry)

    assert facts == facts_of_contact(contact_like(entry), "physician")
    assert (facts.home_region, facts.billing_region, facts.profession_category) == ("01", "03", "physician")
    assert facts.patient_fee == Decimal("100.00")


def test_a_stored_contact_of_a_profession_without_category_is_unlicensed():
    entry = item(profession_category=None)
    contact = contact_like(entry)
    contact.profession = Profession(code="XX", category="")

    decision = contact_decision(contact, TIMELINE)

    assert decision == decide(facts_of_item(entry), TIMELINE)
    assert decision.reasons == ("unlicensed_profession",)
    assert (decision.rate, decision.amount) == (None, Decimal("0.00"))


def test_the_decision_uses_the_version_in_force_on_the_stockholm_start_date():
    decision = decide(facts_of_item(item(started_at=FIRST_MINUTE)), TIMELINE)

    assert decision.eligible is True
    assert (decision.recommendation, decision.rate, decision.amount) == ("V-2026", Decimal("450.00"), Decimal("350.00"))


def test_a_contact_before_any_version_is_rejected_for_want_of_one_not_an_error():
    decision = decide(facts_of_item(item(started_at=FIRST_MINUTE - dt.timedelta(minutes=1))), TIMELINE)

    assert decision.eligible is False
    assert decision.reasons == ("no_recommendation_in_force",)
    assert decision.recommendation is None


def test_manual_reasons_reject_and_an_override_bills_anyway():
    facts = facts_of_item(item())

    rejected = decide(facts, TIMELINE, manual_reasons=["rejected_by_clerk"])
    overridden = decide(facts_of_item(item(mode="phone")), TIMELINE, overridden=True)

    assert (rejected.eligible, rejected.reasons, rejected.amount) == (False, ("rejected_by_clerk",), Decimal("0.00"))
    assert (overridden.eligible, overridden.reasons, overridden.amount) == (True, (), Decimal("350.00"))


def test_a_decider_decides_each_case_as_decide_does_and_each_case_once(monkeypatch):
    later = VersionFacts(
        code="V-2026b",
        effective_from=dt.date(2026, 3, 3),
        published_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        includes_patient_fee=False,
        rates={"physician": Decimal("500.00")},
        criteria=CRITERIA,
    )
    timeline = Timeline([VERSION, later])
    cases = [
        ({}, {}),
        ({"started_at": dt.datetime(2026, 3, 2, 23, 59, tzinfo=STOCKHOLM)}, {}),  # the same case: the same version
        ({"started_at": dt.datetime(2026, 3, 3, 0, 0, tzinfo=STOCKHOLM)}, {}),  # the next version's first minute
        ({"started_at": FIRST_MINUTE - dt.timedelta(minutes=1)}, {}),  # before any version
        ({"mode": "phone"}, {}),
        ({"mode": "phone"}, {"overridden": True}),
        ({}, {"manual_reasons": ["possible_duplicate"]}),
        ({"patient_fee": Decimal("500.00")}, {}),
        ({"profession_category": None}, {}),
    ]
    decide_once = Decider(timeline)
    evaluated = []

    def counted_evaluate(facts, *args, **kwargs):
        evaluated.append(facts)
        return evaluate(facts, *args, **kwargs)

    monkeypatch.setattr("contacts.evaluation.evaluate", counted_evaluate)

    decisions = [decide_once(facts_of_item(item(**changes)), **options) for changes, options in cases]

    monkeypatch.undo()
    assert decisions == [decide(facts_of_item(item(**changes)), timeline, **options) for changes, options in cases]
    assert [d.recommendation for d in decisions[:4]] == ["V-2026", "V-2026", "V-2026b", None]
    assert len(evaluated) == len(cases) - 1  # the second case is the first one again


def test_the_decision_as_columns_names_the_published_version_by_id():
    eligible = decide(facts_of_item(item()), TIMELINE)
    rejected = decide(facts_of_item(item(home_region="03", mode="phone")), TIMELINE)

    assert decision_columns(eligible, {"V-2026": 41}) == {
        "status": Status.ELIGIBLE,
        "reasons": "",
        "recommendation_id": 41,
        "rate": Decimal("450.00"),
        "amount": Decimal("350.00"),
    }
    assert decision_columns(rejected, {}) == {
        "status": Status.REJECTED,
        "reasons": "not_out_of_county not_digital",
        "recommendation_id": None,
        "rate": Decimal("450.00"),
        "amount": Decimal("0.00"),
    }


def test_a_stored_result_keeps_money_as_strings_with_two_decimals():
    assert stored_result(
        status=Status.REJECTED, reasons=("no_triage",), recommendation=None, rate=None, amount=Decimal("0")
    ) == {"status": "rejected", "reasons": ["no_triage"], "recommendation": None, "rate": None, "amount": "0.00"}
    assert stored_result(
        status=Status.ELIGIBLE, reasons=[], recommendation="V-2026", rate=Decimal("450"), amount=Decimal("349.5")
    ) == {"status": "eligible", "reasons": [], "recommendation": "V-2026", "rate": "450.00", "amount": "349.50"}


def test_a_decision_and_the_contact_it_was_written_to_store_the_same_result():
    for entry in (item(), item(content="referral"), item(started_at=FIRST_MINUTE - dt.timedelta(days=1))):
        decision = decide(facts_of_item(entry), TIMELINE)
        contact = contact_like(entry, **decision_columns(decision, {"V-2026": 41}))

        assert result_of_contact(contact, decision.recommendation) == result_of_decision(decision)


def test_a_credited_contact_stores_its_status_without_reasons():
    contact = contact_like(item(), status=Status.CREDITED, reasons="", rate=Decimal("450.00"), amount=Decimal("350"))

    assert result_of_contact(contact, "V-2026") == {
        "status": "credited",
        "reasons": [],
        "recommendation": "V-2026",
        "rate": "450.00",
        "amount": "350.00",
    }
