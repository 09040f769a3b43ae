"""Why the workflow refuses a step, as a stable code beside the message: the single operations answer the status
(403, 409) and the message; the bulk operations (``billing.bulk``) report the same per invoice, with the code."""

from enum import StrEnum

from kernel.errors import NotAllowed, StateConflict


class Refusal(StrEnum):
    NOT_FOUND = "not_found"  # no such invoice, or outside the caller's scope (404)
    FORBIDDEN = "forbidden"  # the caller's role may not take this step on this invoice (403)
    FOUR_EYES = "four_eyes"  # the approver submitted it (403)
    WRONG_STATUS = "wrong_status"  # the step is not possible from the invoice's status (409)
    NO_LINES = "no_lines"  # nothing to submit (409)
    CONTACTS_CHANGED = "contacts_changed"  # contacts changed since the run built the draft (409)
    PAYMENT_DETAILS_MISSING = "payment_details_missing"  # an organisation number or the seller's bankgiro (409)
    NOTHING_LEFT = "nothing_left"  # every contact passed its invoicing deadline (409)
    NUMBER_UNAVAILABLE = "number_unavailable"  # the number could not be assigned; nothing changed (409)
    CONFLICT = "conflict"  # another conflict with the invoice's state (409)


# The status the single operation answers for each refusal.
REFUSAL_STATUS = {Refusal.NOT_FOUND: 404, Refusal.FORBIDDEN: 403, Refusal.FOUR_EYES: 403}


def refusal_status(code: str) -> int:
    return REFUSAL_STATUS.get(code, 409)


class InvoiceConflict(StateConflict):
    """A step the invoice's state refuses (API: 409), with its code."""

    def __init__(self, message: str, *, code: Refusal):
        super().__init__(message)
        self.code = code


class InvoiceNotAllowed(NotAllowed):
    """A step this user may not take on this invoice (API: 403), with its code."""

    def __init__(self, message: str, *, code: Refusal):
        super().__init__(message)
        self.code = code
