"""A contact's evaluation in one shape: its facts, the decision on them and the result as it is stored.

The engine (``contacts.eligibility``) decides on facts; this module is the glue every writer shares:

- the facts of an item arriving through intake (``facts_of_item``) or of a stored contact (``facts_of_contact``);
- the decision on them under the rate recommendation in force on the contact's start (``decide``, ``Decider`` for
  the many items of one request, and ``contact_decision`` for a stored contact as it stands);
- the decision as the contact's columns (``decision_columns``) and as a history row stores a result
  (``stored_result``: money as strings), whether read from a decision, a stored row or a contact.

Only ``contact_decision`` reads the database (the recommendation timeline, when none is given); the rest is pure.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from contacts.eligibility import ContactFacts, Decision, evaluate
from contacts.models import Contact, Status
from contacts.validation import ContactInput
from kernel.business_time import stockholm_date
from regions.rates import NoRecommendationInForce, Timeline, VersionFacts
from regions.selectors import recommendation_timeline


def facts_of_item(item: ContactInput) -> ContactFacts:
    """The facts of a validated intake item."""
    return ContactFacts(
        started_at=item.started_at,
        home_region=item.home_region,
        billing_region=item.billing_region,
        profession_category=item.profession_category,
        mode=item.mode,
        strong_authentication=item.strong_authentication,
        triage=item.triage,
        documented=item.documented,
        content=item.content,
        patient_fee=item.patient_fee,
    )


def facts_of_contact(contact: Contact, category: str | None) -> ContactFacts:
    """The facts of a stored contact; ``category`` is its profession's (None when it has none)."""
    return ContactFacts(
        started_at=contact.started_at,
        home_region=contact.home_region_id,
        billing_region=contact.billing_region_id,
        profession_category=category,
        mode=contact.mode,
        strong_authentication=contact.strong_authentication,
        triage=contact.triage,
        documented=contact.documented,
        content=contact.content,
        patient_fee=contact.patient_fee,
    )


def decide(facts: ContactFacts, timeline: Timeline, *, manual_reasons=(), overridden=False) -> Decision:
    """The decision on ``facts`` under the recommendation version in force on their start (none: the engine
    rejects for want of one)."""
    try:
        version = timeline.version_on(facts.started_at)
    except NoRecommendationInForce:
        version = None
    return evaluate(facts, version, manual_reasons=manual_reasons, overridden=overridden)


class Decider:
    """``decide`` for the many items of one request, each distinct case decided once.

    The engine reads a contact's start only through the version in force on its Stockholm date, so a case is the
    version and every other fact (with the manual reasons and the override): a request of 10 000 contacts holds a
    few hundred of them. A decision is immutable (named tuples all the way down), so sharing one is safe.
    """

    def __init__(self, timeline: Timeline):
        self._timeline = timeline
        self._versions: dict[dt.date, VersionFacts | None] = {}
        self._decisions: dict[tuple, Decision] = {}

    def __call__(
        self, facts: ContactFacts, *, manual_reasons: Iterable[str] = (), overridden: bool = False
    ) -> Decision:
        day = stockholm_date(facts.started_at)
        if day in self._versions:
            version = self._versions[day]
        else:
            try:
                version = self._timeline.version_on(day)
            except NoRecommendationInForce:
                version = None
            self._versions[day] = version
        manual = tuple(manual_reasons)
        # The version by identity: the timeline holds each version once, and this object keeps them alive.
        case = (id(version), facts[1:], manual, overridden)
        decision = self._decisions.get(case)
        if decision is None:
            decision = self._decisions[case] = evaluate(facts, version, manual_reasons=manual, overridden=overridden)
        return decision


def contact_decision(contact: Contact, timeline: Timeline | None = None) -> Decision:
    """Evaluate a stored contact as it stands (used for display and re-evaluation)."""
    return decide(
        facts_of_contact(contact, contact.profession.category or None),
        timeline or recommendation_timeline(),
        manual_reasons=contact.manual_reason_list,
        overridden=contact.overridden,
    )


def status_of(decision: Decision) -> str:
    return Status.ELIGIBLE if decision.eligible else Status.REJECTED


def decision_columns(decision: Decision, version_ids: dict[str, int]) -> dict:
    """The contact's columns the decision sets; ``version_ids`` maps published recommendation codes to their ids."""
    return {
        "status": status_of(decision),
        "reasons": " ".join(decision.reasons),
        "recommendation_id": version_ids.get(decision.recommendation),
        "rate": decision.rate,
        "amount": decision.amount,
    }


def stored_result(
    *, status: str, reasons: Iterable[str], recommendation: str | None, rate: Decimal | None, amount: Decimal
) -> dict:
    """A result as history stores it (``result_before``/``result_after``): money as strings with two decimals."""
    return {
        "status": status,
        "reasons": list(reasons),
        "recommendation": recommendation,
        "rate": None if rate is None else f"{rate:.2f}",
        "amount": f"{amount:.2f}",
    }


def result_of_decision(decision: Decision) -> dict:
    """The stored result of a decision."""
    return stored_result(
        status=status_of(decision),
        reasons=decision.reasons,
        recommendation=decision.recommendation,
        rate=decision.rate,
        amount=decision.amount,
    )


def result_of_contact(contact: Contact, recommendation: str | None) -> dict:
    """The stored result of a contact as it stands; ``recommendation`` is the code of its recommendation version."""
    return stored_result(
        status=contact.status,
        reasons=contact.reasons.split() if contact.reasons else [],
        recommendation=recommendation,
        rate=contact.rate,
        amount=contact.amount,
    )
