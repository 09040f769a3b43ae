"""The eligibility engine: facts of a contact + the recommendation version in force → a decision.

Pure: no ORM, no HTTP, no clock. A version applies exactly the criteria it lists (DOMAIN.md: the 2019 and
January 2026 versions check criteria 1-4 in substance; April 2026 adds the explicit exclusion list). Every
failed criterion gives its reason code, so a contact carries every reason that applies, and the decision
tells for each criterion whether it passed.

Pricing: the rate of the profession's category in that version; amount = rate − patient fee (when the
rate includes the fee), never below 0, and 0 when the contact is rejected.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import NamedTuple

from contacts.reasons import MANUAL_REASONS, Reason, ordered
from kernel.money import ZERO, to_money
from regions.rates import VersionFacts

DIGITAL_MODES = frozenset({"video", "chat"})


class ContactFacts(NamedTuple):
    """What the engine needs to know about a contact (already validated)."""

    started_at: dt.datetime
    home_region: str
    billing_region: str
    profession_category: str | None  # None: not licensed
    mode: str
    strong_authentication: bool
    triage: bool
    documented: bool
    content: str
    patient_fee: Decimal


class CriterionResult(NamedTuple):
    criterion: str
    passed: bool
    reason: str  # the reason code given when it fails


class Decision(NamedTuple):
    eligible: bool
    reasons: tuple[str, ...]
    criteria_applied: tuple[str, ...]  # the version's criteria, in its order
    criteria_passed: tuple[bool, ...]  # whether each of them passed
    recommendation: str | None
    rate: Decimal | None
    fee_deducted: Decimal
    amount: Decimal
    overridden: bool = False

    @property
    def criteria(self) -> tuple[CriterionResult, ...]:
        """Each applied criterion, whether it passed, and the reason it gives when it fails."""
        return tuple(
            CriterionResult(criterion, passed, RULES[criterion][0])
            for criterion, passed in zip(self.criteria_applied, self.criteria_passed, strict=True)
        )


# criterion code → (reason code when it fails, test over the facts)
RULES: dict[str, tuple[Reason, Callable[[ContactFacts], bool]]] = {
    "out_of_county": (Reason.NOT_OUT_OF_COUNTY, lambda f: f.home_region != f.billing_region),
    "digital_contact": (Reason.NOT_DIGITAL, lambda f: f.mode in DIGITAL_MODES),
    "licensed_profession": (Reason.UNLICENSED_PROFESSION, lambda f: f.profession_category is not None),
    "strong_authentication": (Reason.NO_STRONG_AUTHENTICATION, lambda f: f.strong_authentication),
    "triage": (Reason.NO_TRIAGE, lambda f: f.triage),
    "documented": (Reason.NOT_DOCUMENTED, lambda f: f.documented),
    "not_referral_only": (Reason.REFERRAL_ONLY, lambda f: f.content != "referral"),
    "not_preparation_only": (Reason.PREPARATION_ONLY, lambda f: f.content != "preparation"),
    "not_self_care_advice_only": (Reason.SELF_CARE_ADVICE_ONLY, lambda f: f.content != "self_care_advice"),
    "not_one_way_message": (Reason.ONE_WAY_MESSAGE, lambda f: f.content != "one_way_message"),
    "not_results_only": (Reason.RESULTS_ONLY, lambda f: f.content != "results"),
    "not_administrative_only": (Reason.ADMINISTRATIVE_ONLY, lambda f: f.content != "administrative"),
    "not_renewal_without_assessment": (
        Reason.RENEWAL_WITHOUT_ASSESSMENT,
        lambda f: f.content != "renewal_without_assessment",
    ),
}


@functools.cache
def _rules_of(criteria: tuple[str, ...]) -> tuple[tuple[Reason, Callable[[ContactFacts], bool]], ...]:
    """The (reason, test) of each criterion a version applies, looked up once per version."""
    return tuple(RULES[criterion] for criterion in criteria)


def price(facts: ContactFacts, version: VersionFacts) -> tuple[Decimal | None, Decimal, Decimal]:
    """(rate, fee deducted, amount) if the contact were eligible; rate None when no rate applies."""
    rate = version.rates.get(facts.profession_category) if facts.profession_category is not None else None
    if rate is None:
        return None, ZERO, ZERO
    deducted, amount = net_of_fee(rate, facts.patient_fee, includes_patient_fee=version.includes_patient_fee)
    return rate, deducted, amount


def net_of_fee(rate: Decimal, fee: Decimal, *, includes_patient_fee: bool) -> tuple[Decimal, Decimal]:
    """(fee deducted, amount) of a contact at ``rate``: a version whose rates include the patient fee has
    the fee deducted, at most down to zero.

    Rates and fees are already whole öre (validated input, stored versions), so differences are too.
    """
    if not includes_patient_fee:
        return ZERO, to_money(rate)
    fee = to_money(fee)
    if fee < 0:
        raise ValueError("a patient fee cannot be negative")
    # Both are whole öre, so the difference is too: no further rounding.
    deducted = fee if fee < rate else rate
    return deducted, rate - deducted


def evaluate(
    facts: ContactFacts,
    version: VersionFacts | None,
    *,
    manual_reasons: Iterable[str] = (),
    overridden: bool = False,
) -> Decision:
    """Decide a contact under ``version`` (the one in force on its Stockholm date, or None).

    ``manual_reasons`` are reasons set outside the engine (a clerk's rejection, the invoicing deadline, intake's
    possible duplicate);
    ``overridden`` is an accepted dispute, which makes the contact eligible whatever the criteria say
    (the criteria results still show what failed).
    """
    manual = list(manual_reasons)
    if manual and not MANUAL_REASONS.issuperset(manual):
        raise ValueError(f"not manual reasons: {sorted(set(manual) - MANUAL_REASONS)}")
    if version is None:
        reasons = ordered([Reason.NO_RECOMMENDATION_IN_FORCE, *manual])
        return Decision(
            eligible=False,
            reasons=reasons,
            criteria_applied=(),
            criteria_passed=(),
            recommendation=None,
            rate=None,
            fee_deducted=ZERO,
            amount=ZERO,
        )
    rules = _rules_of(version.criteria)
    passed = tuple([bool(test(facts)) for _reason, test in rules])
    failed = [reason for (reason, _test), ok in zip(rules, passed, strict=True) if not ok]
    if facts.home_region == facts.billing_region and Reason.NOT_OUT_OF_COUNTY not in failed:
        # Structural, whatever a version lists: care in the patient's own region is never re-invoiced.
        failed.append(Reason.NOT_OUT_OF_COUNTY)
    rate, deducted, amount = price(facts, version)
    if rate is None and Reason.UNLICENSED_PROFESSION not in failed:
        # A version without a rate for this category cannot price it: nothing is in force for it.
        failed.append(Reason.NO_RECOMMENDATION_IN_FORCE)
    reasons = ordered([*failed, *manual])
    # An accepted dispute can override a rejection, except that a contact which is not out-of-county
    # care, or that no version can price, is never billable between regions.
    # Nor does it revive a claim whose invoicing deadline has passed (the right to payment has lapsed).
    # Every other manual reason is overridable: a clerk's rejection, and a possible duplicate that the billing
    # region found to be a contact of its own (two real contacts in the same minute).
    if (
        overridden
        and rate is not None
        and Reason.NOT_OUT_OF_COUNTY not in failed
        and Reason.INVOICING_DEADLINE_PASSED not in manual
    ):
        return Decision(
            eligible=True,
            reasons=(),
            criteria_applied=version.criteria,
            criteria_passed=passed,
            recommendation=version.code,
            rate=rate,
            fee_deducted=deducted,
            amount=amount,
            overridden=True,
        )
    eligible = not reasons
    return Decision(
        eligible=eligible,
        reasons=reasons,
        criteria_applied=version.criteria,
        criteria_passed=passed,
        recommendation=version.code,
        rate=rate,
        fee_deducted=deducted if eligible else ZERO,
        amount=amount if eligible else ZERO,
    )
