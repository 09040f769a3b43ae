"""Submitting and approving many invoices at once: the month close in a few clicks (the admin's actions) or one
request (the API), with every check of the single step applied to each invoice.

Each invoice goes through the single service (``invoice_submit``, ``invoice_approve``) on its own: the scope (an
invoice the user may not see is "not found"), the role (``can_transition``), then under the invoice's row lock its
status, the four-eyes rule, the payment details and the invoicing deadline. One refusal does not undo the others:
each service is its own transaction (a savepoint when the caller holds one), and each invoice's outcome is reported,
done or refused with the code and message the single step gives (``billing.refusals``). Never all or nothing.

The invoices are taken in ascending id, whatever order they were named in, and each one's transaction is over before
the next begins: two managers approving overlapping lists lock the same invoices in the same order, and hold at most
one invoice (and their seller's number sequence) at a time, so they wait for each other but never deadlock; the
second finds an invoice the first approved in status approved and is refused it (never approved twice). Numbers are
given in that order: ascending ids get ascending numbers. That needs each invoice committed before the next: call
these outside a transaction, as the API and the admin's actions do (inside one, each invoice is a savepoint and its
locks are held until the caller commits).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from billing.models import Invoice, Transition
from billing.permissions import can_transition, transition_refusal
from billing.refusals import Refusal, refusal_status
from billing.services import invoice_approval_refusal, invoice_approve, invoice_submit, invoice_submit_refusal
from kernel.business_time import stockholm_today
from kernel.errors import DomainError, NotAllowed
from kernel.history import Via
from kernel.money import ZERO
from regions.selectors import visible_to

MAX_BULK_INVOICES = 500  # per request or admin action: a month close is one invoice per buyer region (20)
BULK_STEPS = {Transition.SUBMIT: invoice_submit, Transition.APPROVE: invoice_approve}


@dataclass(frozen=True)
class Refused:
    code: str  # a ``Refusal``
    detail: str  # the single step's message

    @property
    def status(self) -> int:
        """The status the single step answers for this refusal (403, 404, 409)."""
        return refusal_status(self.code)


@dataclass(frozen=True)
class InvoiceOutcome:
    """One invoice of a bulk step: done (or, in a preview, would be done) when ``refused`` is None."""

    id: int
    invoice: Invoice | None  # as it stands afterwards; None when not found
    refused: Refused | None = None

    @property
    def done(self) -> bool:
        return self.refused is None


def outcomes_total(outcomes: Iterable[InvoiceOutcome]) -> Decimal:
    """The total amount of the invoices done (or that would be done)."""
    return sum((outcome.invoice.total for outcome in outcomes if outcome.done), ZERO)


def invoices_submit_bulk(*, ids: Iterable[int], by, via: str = Via.BULK) -> list[InvoiceOutcome]:
    """Submit each invoice of ``ids`` for approval as ``invoice_submit`` would; an outcome per distinct id, in
    ascending id."""
    return _transition_bulk(Transition.SUBMIT, ids=ids, by=by, via=via)


def invoices_approve_bulk(*, ids: Iterable[int], by, via: str = Via.BULK) -> list[InvoiceOutcome]:
    """Approve each invoice of ``ids`` as ``invoice_approve`` would (four eyes, payment details, deadline, the next
    number); an outcome per distinct id, in ascending id."""
    return _transition_bulk(Transition.APPROVE, ids=ids, by=by, via=via)


def invoices_bulk_preview(*, transition: str, ids: Iterable[int], by) -> list[InvoiceOutcome]:
    """What ``invoices_submit_bulk`` or ``invoices_approve_bulk`` would do, read without changing or locking anything:
    each invoice would be done, or refused with the code and message the service would give (its scope, role, status,
    four eyes, payment details, lines left after the invoicing deadline). The admin's confirmation page shows it. Only
    what the service finds under its locks is left out (contacts changed since the run, found on submitting)."""
    today = stockholm_today()
    outcomes = []
    for pk, invoice, refused in _checked(transition, ids, by):
        if refused is None:
            if transition == Transition.SUBMIT:
                refusal = invoice_submit_refusal(invoice=invoice, on=today)
            else:
                refusal = invoice_approval_refusal(invoice=invoice, by=by, on=today)
            refused = _refused(refusal) if refusal is not None else None
        outcomes.append(InvoiceOutcome(id=pk, invoice=invoice, refused=refused))
    return outcomes


def _transition_bulk(transition: str, *, ids: Iterable[int], by, via: str) -> list[InvoiceOutcome]:
    step = BULK_STEPS[transition]
    outcomes = []
    for pk, invoice, refused in _checked(transition, ids, by):
        if refused is None:
            try:
                invoice = step(invoice=invoice, by=by, via=via)  # its own transaction: a refusal rolls back only it
            except Invoice.DoesNotExist:  # deleted meanwhile (a run removes a draft left empty)
                invoice, refused = None, _not_found()
            except DomainError as exc:
                invoice, refused = _current(pk), _refused(exc)
        outcomes.append(InvoiceOutcome(id=pk, invoice=invoice, refused=refused))
    return outcomes


def _checked(transition: str, ids: Iterable[int], by):
    """(id, invoice, refusal) for each distinct id in ascending order: not found (outside the scope as well), the
    role refused (``can_transition``), or None for an invoice the service is to judge."""
    wanted = sorted(set(ids))
    found = visible_to(by, Invoice.objects.filter(pk__in=wanted)).select_related("seller", "buyer").in_bulk()
    for pk in wanted:
        invoice = found.get(pk)
        if invoice is None:
            yield pk, None, _not_found()
        elif not can_transition(by, invoice, transition):
            yield pk, invoice, Refused(code=Refusal.FORBIDDEN, detail=transition_refusal(by, invoice, transition))
        else:
            yield pk, invoice, None


def _refused(exc: DomainError) -> Refused:
    default = Refusal.FORBIDDEN if isinstance(exc, NotAllowed) else Refusal.CONFLICT
    return Refused(code=getattr(exc, "code", default), detail=str(exc))


def _not_found() -> Refused:
    return Refused(code=Refusal.NOT_FOUND, detail=_("Not found."))


def _current(pk: int) -> Invoice | None:
    return Invoice.objects.select_related("seller", "buyer").filter(pk=pk).first()
