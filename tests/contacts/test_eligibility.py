"""The eligibility engine, pure: facts + the version in force → reasons, criteria results and the price.

No database: the versions are built from ``regions.reference_data.RECOMMENDATIONS`` as ``VersionFacts``.
The expected reason codes and their order are written out here from API.md, not taken from the engine.
"""

import dataclasses
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contacts.eligibility import RULES, ContactFacts, evaluate, price
from contacts.reasons import Reason
from regions.models import Criterion
from regions.rates import NoRecommendationInForce, Timeline, VersionFacts
from regions.reference_data import RECOMMENDATIONS, RecommendationData

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# API.md, Contacts: every reason code in its documented order.
DOCUMENTED_ORDER = (
    "not_out_of_county",
    "not_digital",
    "unlicensed_profession",
    "no_strong_authentication",
    "no_triage",
    "not_documented",
    "referral_only",
    "preparation_only",
    "self_care_advice_only",
    "one_way_message",
    "results_only",
    "administrative_only",
    "renewal_without_assessment",
    "no_recommendation_in_force",
    "invoicing_deadline_passed",
    "rejected_by_clerk",
    "possible_duplicate",
)

BASE_CRITERIA = (
    "out_of_county",
    "digital_contact",
    "licensed_profession",
    "strong_authentication",
    "triage",
    "documented",
)
EXCLUSION_CRITERIA = (
    "not_referral_only",
    "not_preparation_only",
    "not_self_care_advice_only",
    "not_one_way_message",
    "not_results_only",
    "not_administrative_only",
    "not_renewal_without_assessment",
)
ALL_CRITERIA = BASE_CRITERIA + EXCLUSION_CRITERIA

# criterion → the reason code it gives when it fails (API.md)
CRITERION_REASON = {
    "out_of_county": "not_out_of_county",
    "digital_contact": "not_digital",
    "licensed_profession": "unlicensed_profession",
    "strong_authentication": "no_strong_authentication",
    "triage": "no_triage",
    "documented": "not_documented",
    "not_referral_only": "referral_only",
    "not_preparation_only": "preparation_only",
    "not_self_care_advice_only": "self_care_advice_only",
    "not_one_way_message": "one_way_message",
    "not_results_only": "results_only",
    "not_administrative_only": "administrative_only",
    "not_renewal_without_assessment": "renewal_without_assessment",
}

# content → the reason code it gives under April 2026 (assessment is the one acceptable content)
EXCLUDED_CONTENT = {
    "referral": "referral_only",
    "preparation": "preparation_only",
    "self_care_advice": "self_care_advice_only",
    "one_way_message": "one_way_message",
    "results": "results_only",
    "administrative": "administrative_only",
    "renewal_without_assessment": "renewal_without_assessment",
}
EXCLUSION_OF_CONTENT = {
    "referral": "not_referral_only",
    "preparation": "not_preparation_only",
    "self_care_advice": "not_self_care_advice_only",
    "one_way_message": "not_one_way_message",
    "results": "not_results_only",
    "administrative": "not_administrative_only",
    "renewal_without_assessment": "not_renewal_without_assessment",
}
CONTENTS = ("assessment", *EXCLUDED_CONTENT)
CATEGORIES = ("physician", "psychologist", "other_licensed")

RATES = {
    "SKL-2019": {
        "physician": Decimal("500.00"),
        "psychologist": Decimal("425.00"),
        "other_licensed": Decimal("275.00"),
    },
    "SKR-2026-01": {
        "physician": Decimal("435.00"),
        "psychologist": Decimal("405.00"),
        "other_licensed": Decimal("235.00"),
    },
    "SKR-2026-04": {
        "physician": Decimal("435.00"),
        "psychologist": Decimal("405.00"),
        "other_licensed": Decimal("235.00"),
    },
}

# A moment inside each version's period (Stockholm time).
IN_2019 = dt.datetime(2025, 6, 10, 14, 0, tzinfo=STOCKHOLM)
IN_JANUARY_2026 = dt.datetime(2026, 3, 10, 14, 0, tzinfo=STOCKHOLM)
IN_APRIL_2026 = dt.datetime(2026, 5, 5, 14, 0, tzinfo=STOCKHOLM)


def version_facts(data: RecommendationData) -> VersionFacts:
    return VersionFacts(
        code=data.code,
        effective_from=data.effective_from,
        published_at=dt.datetime.combine(data.decided_on, dt.time(12, 0), tzinfo=dt.UTC),
        includes_patient_fee=data.includes_patient_fee,
        rates=dict(data.rates),
        criteria=tuple(data.criteria),
    )


VERSIONS = {data.code: version_facts(data) for data in RECOMMENDATIONS}
TIMELINE = Timeline(list(VERSIONS.values()))
APRIL = VERSIONS["SKR-2026-04"]
JANUARY = VERSIONS["SKR-2026-01"]
SKL_2019 = VERSIONS["SKL-2019"]


def facts(**changes) -> ContactFacts:
    """A contact that passes every criterion of every version: Uppsala bills a Stockholm resident."""
    values = {
        "started_at": IN_APRIL_2026,
        "home_region": "01",
        "billing_region": "03",
        "profession_category": "physician",
        "mode": "video",
        "strong_authentication": True,
        "triage": True,
        "documented": True,
        "content": "assessment",
        "patient_fee": Decimal("100.00"),
    }
    values.update(changes)
    return ContactFacts(**values)


def version_in_force(moment: dt.datetime | dt.date) -> VersionFacts | None:
    try:
        return TIMELINE.version_on(moment)
    except NoRecommendationInForce:
        return None


def decide(contact: ContactFacts, **kwargs):
    return evaluate(contact, version_in_force(contact.started_at), **kwargs)


def failed_criteria(decision) -> tuple[str, ...]:
    return tuple(result.criterion for result in decision.criteria if not result.passed)


def is_money(value: Decimal) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -2


# --- the reference versions as the engine sees them -------------------------------------------------


def test_the_three_versions_apply_the_documented_criteria_and_rates():
    assert [(v.code, v.effective_from, v.includes_patient_fee) for v in VERSIONS.values()] == [
        ("SKL-2019", dt.date(2019, 10, 1), True),
        ("SKR-2026-01", dt.date(2026, 1, 30), True),
        ("SKR-2026-04", dt.date(2026, 4, 22), True),
    ]
    assert SKL_2019.criteria == BASE_CRITERIA
    assert JANUARY.criteria == BASE_CRITERIA
    assert APRIL.criteria == ALL_CRITERIA
    assert {code: version.rates for code, version in VERSIONS.items()} == RATES


def test_a_contact_meeting_every_criterion_is_eligible_under_april_2026():
    decision = evaluate(facts(), APRIL)

    assert decision.eligible is True
    assert decision.reasons == ()
    assert decision.recommendation == "SKR-2026-04"
    assert decision.rate == Decimal("435.00")
    assert decision.fee_deducted == Decimal("100.00")
    assert decision.amount == Decimal("335.00")
    assert decision.overridden is False
    assert [(r.criterion, r.passed, r.reason) for r in decision.criteria] == [
        (criterion, True, CRITERION_REASON[criterion]) for criterion in ALL_CRITERIA
    ]


@pytest.mark.parametrize("mode", ["video", "chat"])
def test_video_and_chat_are_digital_contacts(mode):
    decision = evaluate(facts(mode=mode), APRIL)

    assert (decision.eligible, decision.reasons) == (True, ())


# --- 1. every derived reason, alone -------------------------------------------------------------------

SINGLE_FAILURES = [
    ("out_of_county", {"home_region": "03"}),
    ("digital_contact", {"mode": "phone"}),
    ("licensed_profession", {"profession_category": None}),
    ("strong_authentication", {"strong_authentication": False}),
    ("triage", {"triage": False}),
    ("documented", {"documented": False}),
    ("not_referral_only", {"content": "referral"}),
    ("not_preparation_only", {"content": "preparation"}),
    ("not_self_care_advice_only", {"content": "self_care_advice"}),
    ("not_one_way_message", {"content": "one_way_message"}),
    ("not_results_only", {"content": "results"}),
    ("not_administrative_only", {"content": "administrative"}),
    ("not_renewal_without_assessment", {"content": "renewal_without_assessment"}),
]


def test_the_single_failures_cover_every_criterion():
    assert [criterion for criterion, _ in SINGLE_FAILURES] == list(ALL_CRITERIA)


@pytest.mark.parametrize(("criterion", "changes"), SINGLE_FAILURES, ids=[c for c, _ in SINGLE_FAILURES])
def test_failing_one_criterion_gives_exactly_its_reason(criterion, changes):
    decision = evaluate(facts(**changes), APRIL)

    assert decision.eligible is False
    assert decision.reasons == (CRITERION_REASON[criterion],)
    assert decision.amount == Decimal("0.00")
    assert decision.fee_deducted == Decimal("0.00")
    assert decision.overridden is False
    assert decision.recommendation == "SKR-2026-04"
    assert failed_criteria(decision) == (criterion,)
    assert tuple(r.criterion for r in decision.criteria) == ALL_CRITERIA
    # A rejected contact still reports its category's rate; an unlicensed one has none.
    assert decision.rate == (None if criterion == "licensed_profession" else Decimal("435.00"))


# --- 2. combinations ----------------------------------------------------------------------------------


def test_several_failures_list_every_reason_in_documented_order():
    contact = facts(mode="phone", profession_category=None, triage=False, content="results")

    decision = evaluate(contact, APRIL)

    assert decision.eligible is False
    assert decision.reasons == ("not_digital", "unlicensed_profession", "no_triage", "results_only")
    assert failed_criteria(decision) == ("digital_contact", "licensed_profession", "triage", "not_results_only")
    assert (decision.rate, decision.fee_deducted, decision.amount) == (None, Decimal("0.00"), Decimal("0.00"))


def test_every_base_criterion_failing_at_once_lists_all_six_reasons():
    contact = facts(
        home_region="03",
        mode="phone",
        profession_category=None,
        strong_authentication=False,
        triage=False,
        documented=False,
        content="renewal_without_assessment",
    )

    decision = evaluate(contact, APRIL)

    assert decision.reasons == (
        "not_out_of_county",
        "not_digital",
        "unlicensed_profession",
        "no_strong_authentication",
        "no_triage",
        "not_documented",
        "renewal_without_assessment",
    )
    assert failed_criteria(decision) == (*BASE_CRITERIA, "not_renewal_without_assessment")


contact_facts = st.builds(
    facts,
    home_region=st.sampled_from(["01", "03"]),
    profession_category=st.sampled_from([None, *CATEGORIES]),
    mode=st.sampled_from(["video", "chat", "phone"]),
    strong_authentication=st.booleans(),
    triage=st.booleans(),
    documented=st.booleans(),
    content=st.sampled_from(CONTENTS),
    patient_fee=st.decimals(min_value=0, max_value=2000, places=2, allow_nan=False, allow_infinity=False),
)


def expected_failures(contact: ContactFacts) -> list[str]:
    """The criteria a contact fails under April 2026, worked out independently of the engine's rules."""
    failed = []
    if contact.home_region == contact.billing_region:
        failed.append("out_of_county")
    if contact.mode == "phone":
        failed.append("digital_contact")
    if contact.profession_category is None:
        failed.append("licensed_profession")
    if not contact.strong_authentication:
        failed.append("strong_authentication")
    if not contact.triage:
        failed.append("triage")
    if not contact.documented:
        failed.append("documented")
    if contact.content != "assessment":
        failed.append(EXCLUSION_OF_CONTENT[contact.content])
    return failed


def test_expected_failures_names_real_criteria():
    names = {tuple(expected_failures(facts(content=content))) for content in EXCLUDED_CONTENT}
    assert names == {(criterion,) for criterion in EXCLUSION_CRITERIA}


@given(contact=contact_facts)
def test_reasons_are_exactly_the_failed_criteria_in_documented_order(contact):
    decision = evaluate(contact, APRIL)

    failed = expected_failures(contact)
    expected_reasons = tuple(r for r in DOCUMENTED_ORDER if r in {CRITERION_REASON[c] for c in failed})
    assert decision.reasons == expected_reasons
    assert failed_criteria(decision) == tuple(c for c in ALL_CRITERIA if c in failed)
    assert decision.eligible is (expected_reasons == ())
    if decision.eligible:
        rate = RATES["SKR-2026-04"][contact.profession_category]
        assert decision.amount == max(rate - contact.patient_fee, Decimal("0.00"))
    else:
        assert (decision.amount, decision.fee_deducted) == (Decimal("0.00"), Decimal("0.00"))


# --- 3. version differences and the Stockholm-date boundaries ------------------------------------------


@pytest.mark.parametrize("content", list(EXCLUDED_CONTENT))
@pytest.mark.parametrize("moment", [IN_2019, IN_JANUARY_2026], ids=["SKL-2019", "SKR-2026-01"])
def test_exclusion_contents_are_eligible_before_april_2026(content, moment):
    decision = decide(facts(started_at=moment, content=content))

    assert decision.eligible is True
    assert decision.reasons == ()
    assert tuple(r.criterion for r in decision.criteria) == BASE_CRITERIA
    assert decision.amount == decision.rate - Decimal("100.00")


@pytest.mark.parametrize(("content", "reason"), list(EXCLUDED_CONTENT.items()))
def test_exclusion_contents_are_rejected_under_april_2026(content, reason):
    decision = decide(facts(started_at=IN_APRIL_2026, content=content))

    assert decision.recommendation == "SKR-2026-04"
    assert decision.eligible is False
    assert decision.reasons == (reason,)
    assert decision.amount == Decimal("0.00")


@pytest.mark.parametrize(
    ("moment", "code"),
    [
        (dt.date(2019, 9, 30), None),
        (dt.date(2019, 10, 1), "SKL-2019"),
        (dt.date(2026, 1, 29), "SKL-2019"),
        (dt.date(2026, 1, 30), "SKR-2026-01"),
        (dt.date(2026, 4, 21), "SKR-2026-01"),
        (dt.date(2026, 4, 22), "SKR-2026-04"),
        # Aware datetimes count by their Stockholm date, whatever the offset they carry.
        (dt.datetime(2019, 9, 30, 21, 30, tzinfo=dt.UTC), None),  # 23:30 on 30 Sep in Stockholm (CEST)
        (dt.datetime(2019, 9, 30, 22, 30, tzinfo=dt.UTC), "SKL-2019"),  # 00:30 on 1 Oct
        (dt.datetime(2026, 1, 29, 22, 30, tzinfo=dt.UTC), "SKL-2019"),  # 23:30 on 29 Jan (CET)
        (dt.datetime(2026, 1, 29, 23, 30, tzinfo=dt.UTC), "SKR-2026-01"),  # 00:30 on 30 Jan
        (dt.datetime(2026, 4, 21, 21, 30, tzinfo=dt.UTC), "SKR-2026-01"),  # 23:30 on 21 Apr (CEST)
        (dt.datetime(2026, 4, 21, 22, 30, tzinfo=dt.UTC), "SKR-2026-04"),  # 00:30 on 22 Apr
        (dt.datetime(2026, 4, 21, 23, 59, 59, tzinfo=STOCKHOLM), "SKR-2026-01"),
        (dt.datetime(2026, 4, 22, 0, 0, tzinfo=STOCKHOLM), "SKR-2026-04"),
    ],
    ids=str,
)
def test_the_version_in_force_is_chosen_by_the_stockholm_date(moment, code):
    version = version_in_force(moment)

    assert (version.code if version else None) == code


@pytest.mark.parametrize(
    ("started_at", "code", "reasons"),
    [
        (dt.datetime(2026, 4, 21, 21, 30, tzinfo=dt.UTC), "SKR-2026-01", ()),
        (dt.datetime(2026, 4, 21, 22, 30, tzinfo=dt.UTC), "SKR-2026-04", ("results_only",)),
        (dt.datetime(2026, 4, 21, 12, 0, tzinfo=STOCKHOLM), "SKR-2026-01", ()),
        (dt.datetime(2026, 4, 22, 12, 0, tzinfo=STOCKHOLM), "SKR-2026-04", ("results_only",)),
    ],
    ids=str,
)
def test_the_exclusions_apply_from_the_first_stockholm_minute_of_22_april(started_at, code, reasons):
    decision = decide(facts(started_at=started_at, content="results"))

    assert decision.recommendation == code
    assert decision.reasons == reasons
    assert decision.eligible is (reasons == ())
    assert decision.amount == (Decimal("335.00") if reasons == () else Decimal("0.00"))


@pytest.mark.parametrize(
    ("started_at", "code", "rate", "amount"),
    [
        (dt.datetime(2026, 1, 29, 12, 0, tzinfo=STOCKHOLM), "SKL-2019", Decimal("500.00"), Decimal("400.00")),
        (dt.datetime(2026, 1, 30, 12, 0, tzinfo=STOCKHOLM), "SKR-2026-01", Decimal("435.00"), Decimal("335.00")),
        (dt.datetime(2026, 1, 29, 22, 30, tzinfo=dt.UTC), "SKL-2019", Decimal("500.00"), Decimal("400.00")),
        (dt.datetime(2026, 1, 29, 23, 30, tzinfo=dt.UTC), "SKR-2026-01", Decimal("435.00"), Decimal("335.00")),
        (dt.datetime(2019, 10, 1, 0, 0, tzinfo=STOCKHOLM), "SKL-2019", Decimal("500.00"), Decimal("400.00")),
    ],
    ids=str,
)
def test_the_rate_changes_on_30_january_2026(started_at, code, rate, amount):
    decision = decide(facts(started_at=started_at))

    assert (decision.eligible, decision.recommendation, decision.rate, decision.amount) == (True, code, rate, amount)


@pytest.mark.parametrize(
    "started_at",
    [
        dt.datetime(2019, 9, 30, 12, 0, tzinfo=STOCKHOLM),
        dt.datetime(2019, 9, 30, 23, 59, tzinfo=STOCKHOLM),
        dt.datetime(2019, 9, 30, 21, 30, tzinfo=dt.UTC),
        dt.datetime(2010, 1, 1, 12, 0, tzinfo=dt.UTC),
    ],
    ids=str,
)
def test_before_the_first_version_nothing_is_in_force(started_at):
    decision = decide(facts(started_at=started_at))

    assert decision.eligible is False
    assert decision.reasons == ("no_recommendation_in_force",)
    assert decision.criteria == ()
    assert decision.recommendation is None
    assert decision.rate is None
    assert decision.fee_deducted == Decimal("0.00")
    assert decision.amount == Decimal("0.00")


def test_with_no_version_the_facts_are_not_judged():
    decision = evaluate(facts(mode="phone", triage=False, content="results"), None)

    assert decision.reasons == ("no_recommendation_in_force",)
    assert decision.criteria == ()


def test_a_version_without_a_rate_for_the_category_cannot_price_the_contact():
    version = dataclasses.replace(APRIL, rates={"physician": Decimal("435.00")})

    decision = evaluate(facts(profession_category="psychologist"), version)

    assert decision.eligible is False
    assert decision.reasons == ("no_recommendation_in_force",)
    assert failed_criteria(decision) == ()
    assert (decision.rate, decision.fee_deducted, decision.amount) == (None, Decimal("0.00"), Decimal("0.00"))


# --- 4. pricing -----------------------------------------------------------------------------------------

RATE_CASES = [
    (code, moment, category, RATES[code][category])
    for code, moment in [("SKL-2019", IN_2019), ("SKR-2026-01", IN_JANUARY_2026), ("SKR-2026-04", IN_APRIL_2026)]
    for category in CATEGORIES
]


@pytest.mark.parametrize(("code", "moment", "category", "rate"), RATE_CASES, ids=lambda v: str(v))
def test_the_rate_of_each_category_in_each_version(code, moment, category, rate):
    decision = decide(facts(started_at=moment, profession_category=category, patient_fee=Decimal("0.00")))

    assert decision.recommendation == code
    assert decision.rate == rate
    assert decision.fee_deducted == Decimal("0.00")
    assert decision.amount == rate


@pytest.mark.parametrize(
    ("fee", "fee_deducted", "amount"),
    [
        (Decimal("100.00"), Decimal("100.00"), Decimal("335.00")),
        (Decimal("0"), Decimal("0.00"), Decimal("435.00")),
        (Decimal("0.00"), Decimal("0.00"), Decimal("435.00")),
        (Decimal("435.00"), Decimal("435.00"), Decimal("0.00")),
        (Decimal("435.01"), Decimal("435.00"), Decimal("0.00")),
        (Decimal("1200.00"), Decimal("435.00"), Decimal("0.00")),
        (Decimal("100.50"), Decimal("100.50"), Decimal("334.50")),
        (Decimal("0.01"), Decimal("0.01"), Decimal("434.99")),
        (Decimal("434.99"), Decimal("434.99"), Decimal("0.01")),
        (Decimal("100"), Decimal("100.00"), Decimal("335.00")),
        (Decimal("100.5"), Decimal("100.50"), Decimal("334.50")),
    ],
    ids=str,
)
def test_the_amount_is_the_rate_less_the_fee_never_below_zero(fee, fee_deducted, amount):
    decision = evaluate(facts(patient_fee=fee), APRIL)

    assert decision.eligible is True
    assert decision.rate == Decimal("435.00")
    assert decision.fee_deducted == fee_deducted
    assert decision.amount == amount
    assert is_money(decision.fee_deducted)
    assert is_money(decision.amount)


def test_price_reports_what_an_eligible_contact_would_cost():
    assert price(facts(patient_fee=Decimal("100.50")), APRIL) == (
        Decimal("435.00"),
        Decimal("100.50"),
        Decimal("334.50"),
    )
    assert price(facts(profession_category="other_licensed", patient_fee=Decimal("300")), SKL_2019) == (
        Decimal("275.00"),
        Decimal("275.00"),
        Decimal("0.00"),
    )
    assert price(facts(profession_category=None), APRIL) == (None, Decimal("0.00"), Decimal("0.00"))


@pytest.mark.parametrize("category", CATEGORIES)
def test_a_rejected_contact_costs_nothing_but_reports_its_rate(category):
    decision = evaluate(facts(profession_category=category, triage=False, patient_fee=Decimal("100.00")), APRIL)

    assert decision.eligible is False
    assert decision.rate == RATES["SKR-2026-04"][category]
    assert decision.fee_deducted == Decimal("0.00")
    assert decision.amount == Decimal("0.00")
    assert is_money(decision.amount)


@pytest.mark.parametrize("fee", [Decimal("0.00"), Decimal("100.00"), Decimal("435.00"), Decimal("2000.00")], ids=str)
def test_a_rate_excluding_the_patient_fee_is_charged_in_full(fee):
    version = dataclasses.replace(APRIL, code="NO-FEE", includes_patient_fee=False)

    decision = evaluate(facts(patient_fee=fee), version)

    assert decision.eligible is True
    assert decision.recommendation == "NO-FEE"
    assert decision.rate == Decimal("435.00")
    assert decision.fee_deducted == Decimal("0.00")
    assert decision.amount == Decimal("435.00")
    assert price(facts(patient_fee=fee), version) == (Decimal("435.00"), Decimal("0.00"), Decimal("435.00"))


@given(
    fee=st.decimals(min_value=0, max_value=2000, places=2, allow_nan=False, allow_infinity=False),
    category=st.sampled_from(CATEGORIES),
    code=st.sampled_from(list(VERSIONS)),
)
def test_the_amount_and_the_fee_deducted_always_add_up_to_the_rate(fee, category, code):
    decision = evaluate(facts(profession_category=category, patient_fee=fee), VERSIONS[code])

    rate = RATES[code][category]
    assert decision.eligible is True
    assert decision.rate == rate
    assert Decimal("0.00") <= decision.amount <= rate
    assert decision.amount + decision.fee_deducted == rate
    assert decision.fee_deducted == min(fee, rate)
    assert is_money(decision.amount)
    assert is_money(decision.fee_deducted)


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        evaluate(facts(patient_fee=100.0), APRIL)


# --- 5. manual reasons and the override -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "manual", "reasons"),
    [
        ({}, ["rejected_by_clerk"], ("rejected_by_clerk",)),
        ({}, ["invoicing_deadline_passed"], ("invoicing_deadline_passed",)),
        ({}, ["rejected_by_clerk", "invoicing_deadline_passed"], ("invoicing_deadline_passed", "rejected_by_clerk")),
        ({}, ["rejected_by_clerk", "rejected_by_clerk"], ("rejected_by_clerk",)),
        (
            {"triage": False, "content": "administrative"},
            ["rejected_by_clerk", "invoicing_deadline_passed"],
            ("no_triage", "administrative_only", "invoicing_deadline_passed", "rejected_by_clerk"),
        ),
        ({"home_region": "03"}, ("invoicing_deadline_passed",), ("not_out_of_county", "invoicing_deadline_passed")),
        ({}, (Reason.REJECTED_BY_CLERK,), ("rejected_by_clerk",)),
    ],
    ids=str,
)
def test_manual_reasons_join_the_derived_ones_in_documented_order(changes, manual, reasons):
    decision = evaluate(facts(**changes), APRIL, manual_reasons=manual)

    assert decision.eligible is False
    assert decision.reasons == reasons
    assert (decision.fee_deducted, decision.amount) == (Decimal("0.00"), Decimal("0.00"))
    assert decision.rate == Decimal("435.00")


def test_manual_reasons_are_kept_when_no_version_is_in_force():
    decision = evaluate(facts(), None, manual_reasons=["rejected_by_clerk", "invoicing_deadline_passed"])

    assert decision.reasons == ("no_recommendation_in_force", "invoicing_deadline_passed", "rejected_by_clerk")


@pytest.mark.parametrize("manual", [["made_up"], ["rejected_by_clerk", "made_up"], ["no_triage"], ["results_only"]])
def test_an_unknown_or_derived_manual_reason_is_refused(manual):
    with pytest.raises(ValueError):
        evaluate(facts(), APRIL, manual_reasons=manual)


def test_an_override_makes_a_failed_contact_eligible_at_its_normal_amount():
    decision = evaluate(facts(triage=False), APRIL, overridden=True)

    assert decision.eligible is True
    assert decision.reasons == ()
    assert decision.overridden is True
    assert decision.recommendation == "SKR-2026-04"
    assert decision.rate == Decimal("435.00")
    assert decision.fee_deducted == Decimal("100.00")
    assert decision.amount == Decimal("335.00")
    assert failed_criteria(decision) == ("triage",)
    assert [r.reason for r in decision.criteria if not r.passed] == ["no_triage"]


def test_an_override_of_several_failures_and_a_clerks_rejection():
    contact = facts(mode="phone", strong_authentication=False, content="results", patient_fee=Decimal("500.00"))

    decision = evaluate(contact, APRIL, manual_reasons=["rejected_by_clerk"], overridden=True)

    assert (decision.eligible, decision.reasons, decision.overridden) == (True, (), True)
    assert failed_criteria(decision) == ("digital_contact", "strong_authentication", "not_results_only")
    assert (decision.rate, decision.fee_deducted, decision.amount) == (
        Decimal("435.00"),
        Decimal("435.00"),
        Decimal("0.00"),
    )


def test_an_override_of_an_eligible_contact_changes_nothing_but_the_flag():
    plain = evaluate(facts(), APRIL)
    overridden = evaluate(facts(), APRIL, overridden=True)

    assert overridden == plain._replace(overridden=True)


@pytest.mark.parametrize("changes", [{"home_region": "03"}, {"home_region": "03", "triage": False}], ids=str)
def test_an_override_never_makes_care_in_the_own_region_eligible(changes):
    decision = evaluate(facts(**changes), APRIL, overridden=True)

    assert decision.eligible is False
    assert decision.overridden is False
    assert decision.reasons[0] == "not_out_of_county"
    assert decision.reasons == tuple(CRITERION_REASON[c] for c in failed_criteria(decision))
    assert (decision.fee_deducted, decision.amount) == (Decimal("0.00"), Decimal("0.00"))


def test_an_override_with_no_version_in_force_stays_rejected():
    decision = decide(facts(started_at=dt.datetime(2019, 9, 30, 12, 0, tzinfo=STOCKHOLM)), overridden=True)

    assert decision.eligible is False
    assert decision.overridden is False
    assert decision.reasons == ("no_recommendation_in_force",)
    assert (decision.rate, decision.amount) == (None, Decimal("0.00"))


def test_an_override_cannot_price_an_unlicensed_profession():
    decision = evaluate(facts(profession_category=None), APRIL, overridden=True)

    assert decision.eligible is False
    assert decision.overridden is False
    assert decision.reasons == ("unlicensed_profession",)
    assert (decision.rate, decision.amount) == (None, Decimal("0.00"))


# --- 6. the criteria the models know and the rules the engine has ----------------------------------------


def test_every_criterion_has_a_rule_and_every_rule_a_criterion():
    assert set(Criterion.values) == set(RULES)
    assert set(RULES) == set(ALL_CRITERIA)


def test_each_rule_gives_the_documented_reason():
    assert {criterion: str(reason) for criterion, (reason, _) in RULES.items()} == CRITERION_REASON


def test_every_version_lists_only_criteria_the_engine_knows():
    for data in RECOMMENDATIONS:
        assert set(data.criteria) <= set(RULES), data.code


def test_the_reason_codes_are_in_the_documented_order():
    assert [str(reason) for reason in Reason] == list(DOCUMENTED_ORDER)


def test_an_override_does_not_revive_a_contact_past_the_invoicing_deadline():
    decision = evaluate(facts(triage=False), APRIL, manual_reasons=["invoicing_deadline_passed"], overridden=True)

    assert decision.eligible is False
    assert decision.reasons == ("no_triage", "invoicing_deadline_passed")
    assert decision.amount == Decimal("0.00")


def test_care_in_the_patients_own_region_is_refused_even_by_a_version_that_does_not_list_it():
    without_out_of_county = dataclasses.replace(
        APRIL, criteria=tuple(c for c in APRIL.criteria if c != "out_of_county")
    )

    decision = evaluate(facts(home_region="04", billing_region="04"), without_out_of_county, overridden=True)

    assert decision.eligible is False
    assert decision.reasons == ("not_out_of_county",)


def test_a_negative_fee_is_refused_by_the_engine():
    with pytest.raises(ValueError, match="cannot be negative"):
        evaluate(facts(patient_fee=Decimal("-50.00")), APRIL)
