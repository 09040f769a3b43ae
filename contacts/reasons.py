"""Reason codes of API.md, in their documented order, with the wording clerks read. Pure: no ORM."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Reason(StrEnum):
    NOT_OUT_OF_COUNTY = "not_out_of_county"
    NOT_DIGITAL = "not_digital"
    UNLICENSED_PROFESSION = "unlicensed_profession"
    NO_STRONG_AUTHENTICATION = "no_strong_authentication"
    NO_TRIAGE = "no_triage"
    NOT_DOCUMENTED = "not_documented"
    REFERRAL_ONLY = "referral_only"
    PREPARATION_ONLY = "preparation_only"
    SELF_CARE_ADVICE_ONLY = "self_care_advice_only"
    ONE_WAY_MESSAGE = "one_way_message"
    RESULTS_ONLY = "results_only"
    ADMINISTRATIVE_ONLY = "administrative_only"
    RENEWAL_WITHOUT_ASSESSMENT = "renewal_without_assessment"
    NO_RECOMMENDATION_IN_FORCE = "no_recommendation_in_force"
    INVOICING_DEADLINE_PASSED = "invoicing_deadline_passed"
    REJECTED_BY_CLERK = "rejected_by_clerk"
    # An addition after API.md's list, appended so the documented order of the codes above is unchanged.
    POSSIBLE_DUPLICATE = "possible_duplicate"


REASON_LABELS = {
    Reason.NOT_OUT_OF_COUNTY: _("Not out-of-county care: the patient lives in the billing region"),
    Reason.NOT_DIGITAL: _("Not a digital contact (telephone)"),
    Reason.UNLICENSED_PROFESSION: _("The profession is not licensed healthcare staff"),
    Reason.NO_STRONG_AUTHENTICATION: _("No strong authentication of the patient"),
    Reason.NO_TRIAGE: _("No triage before the medical assessment"),
    Reason.NOT_DOCUMENTED: _("Does not meet the record-keeping and reporting requirements"),
    Reason.REFERRAL_ONLY: _("Only a referral to a new contact"),
    Reason.PREPARATION_ONLY: _("Only information about or preparation for a coming contact"),
    Reason.SELF_CARE_ADVICE_ONLY: _("Only self-care advice equal to 1177"),
    Reason.ONE_WAY_MESSAGE: _("A mailing without two-way communication"),
    Reason.RESULTS_ONLY: _("Only information on results"),
    Reason.ADMINISTRATIVE_ONLY: _("Only booking or other administration"),
    Reason.RENEWAL_WITHOUT_ASSESSMENT: _("Renewal or extension without a new documented medical assessment"),
    Reason.NO_RECOMMENDATION_IN_FORCE: _("No rate recommendation was in force on the contact's date"),
    Reason.INVOICING_DEADLINE_PASSED: _("The invoicing deadline has passed"),
    Reason.REJECTED_BY_CLERK: _("Rejected by a clerk"),
    Reason.POSSIBLE_DUPLICATE: _(
        "Possible duplicate of another contact of the same patient, provider and start minute"
    ),
}

REASON_ORDER = {reason.value: index for index, reason in enumerate(Reason)}

# Reasons the engine never derives from the facts: set by people (a clerk), by an invoice run, or by intake
# (possible_duplicate: it compares a contact with the provider's other contacts, which the pure engine never sees).
MANUAL_REASONS = frozenset({Reason.INVOICING_DEADLINE_PASSED, Reason.REJECTED_BY_CLERK, Reason.POSSIBLE_DUPLICATE})


def ordered(reasons) -> tuple[str, ...]:
    """Reasons without duplicates, in the documented order (unknown codes raise KeyError)."""
    if not reasons:
        return ()
    return tuple(sorted({str(r) for r in reasons}, key=REASON_ORDER.__getitem__))
