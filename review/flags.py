"""The review's flags: what each automatic check finds, the Inera credit reason it supports and its explanation.

The mapping is data: a screen or a bulk objection (issue 18 parts 3-4) reads ``FLAGS`` and never decides it again.
A patient listed in the buyer's own register (Region Stockholm's case: listed at its own units of the same provider)
is not billable as out-of-county care (credit reason 9); a patient the population extract does not know was not
registered in the region (credit reason 1, wrong home region).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import CreditReason


class Flag(models.TextChoices):
    NOT_RESIDENT = "not_resident", _("Not resident in the region")
    LISTED = "listed", _("Listed in the region")
    DUPLICATE = "duplicate", _("Duplicate")
    LATE = "late", _("Invoiced more than six months after care")
    CARE_AFTER_INVOICE = "care_after_invoice", _("Care date after invoice date")
    WRONG_RATE = "wrong_rate", _("Rate differs from the recommendation")
    UNKNOWN = "unknown", _("Unknown to the population extract")


@dataclass(frozen=True)
class FlagRule:
    flag: Flag
    credit_reason: CreditReason
    # The annotation of ``review.selectors.review_lines`` that is true when the line has the flag.
    field: str


FLAGS: dict[str, FlagRule] = {
    rule.flag: rule
    for rule in (
        FlagRule(Flag.NOT_RESIDENT, CreditReason.WRONG_HOME_REGION, "flag_not_resident"),
        FlagRule(Flag.LISTED, CreditReason.NOT_BILLABLE, "flag_listed"),
        FlagRule(Flag.DUPLICATE, CreditReason.DOUBLE_INVOICING, "flag_duplicate"),
        FlagRule(Flag.LATE, CreditReason.INVOICED_LATE, "flag_late"),
        FlagRule(Flag.CARE_AFTER_INVOICE, CreditReason.CARE_AFTER_INVOICE, "flag_care_after_invoice"),
        FlagRule(Flag.WRONG_RATE, CreditReason.WRONG_PRICE, "flag_wrong_rate"),
        FlagRule(Flag.UNKNOWN, CreditReason.WRONG_HOME_REGION, "flag_unknown"),
    )
}
