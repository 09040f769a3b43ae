"""The seller's bulk decision: accept or dismiss many open objections at once (the buyer opens up to 10 000 from its
review in one go, ``review.services.objections_open_bulk``), with every check of the single decision
(``disputes.services.dispute_resolve``) applied to each case and each refusal reported per case, never all or nothing.

Checked per case, with the single decision's messages: the case is in the caller's scope (else "not found"), it is
an objection (a contested rejection is decided on its own page), the caller is a clerk or manager of the billing
region and did not open it (four eyes), it is still open, and, to accept it, it has a credit reason (the one chosen
for the whole decision, else the one the objection proposed) and its line is still creditable (not credited
meanwhile, by the seller's own correction say).

Set-wise, in parts of ``DECISION_CHUNK`` cases in ascending id, each part one transaction: its cases are locked
(``select_for_update``) before they are judged, so a case decided meanwhile by someone else is found decided and
refused (never decided twice); the accepted lines of one invoice and credit reason are credited together on the ONE
draft credit note of that invoice and reason (``billing.services.invoice_lines_credit``: the lines locked in
ascending id, one totals refresh, one history entry on the credit note); the cases are updated a statement per
credit note, their history written in one insert (the same entry as a single decision: who, when, via, the note,
the status, credit note and reason before and after), and the buyer region's staff get one mail per part listing the
decided cases (``disputes.notifications.notify_bulk``) rather than a mail per case. A part's refusal of one case
undoes nothing else; a part committed stays committed if a later one fails.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from itertools import batched

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.models import CreditReason
from billing.services import invoice_lines_credit
from disputes.models import Dispute, DisputeEvent, DisputeKind, DisputeStatus
from disputes.notifications import notify_bulk
from disputes.permissions import can_assign_dispute, can_resolve_dispute, opened_dispute
from kernel.errors import InvalidInput
from kernel.history import Via
from kernel.money import ZERO
from regions.selectors import visible_to

MAX_BULK_DECISIONS = 10_000  # as many as the buyer opens at once (review.services.MAX_BULK_OBJECTIONS)
DECISION_CHUNK = 1_000  # cases per transaction


class DecisionRefusal(StrEnum):
    NOT_FOUND = "not_found"  # no such case, or outside the caller's scope (404)
    FORBIDDEN = "forbidden"  # not a clerk or manager of the billing region (403)
    FOUR_EYES = "four_eyes"  # the caller opened the case (403)
    NOT_OBJECTION = "not_objection"  # a contested rejection: decided on its own (409)
    ALREADY_DECIDED = "already_decided"  # no longer open (409)
    NO_CREDIT_REASON = "no_credit_reason"  # accepting, with no reason chosen and none proposed (400)
    NOT_CREDITABLE = "not_creditable"  # the line is credited meanwhile, or no longer creditable (409)


REFUSAL_STATUS = {
    DecisionRefusal.NOT_FOUND: 404,
    DecisionRefusal.FORBIDDEN: 403,
    DecisionRefusal.FOUR_EYES: 403,
    DecisionRefusal.NO_CREDIT_REASON: 400,
}


@dataclass(frozen=True)
class Refused:
    code: str  # a ``DecisionRefusal``
    detail: str  # the single decision's message

    @property
    def status(self) -> int:
        """The status the single decision answers for this refusal (400, 403, 404, 409)."""
        return REFUSAL_STATUS.get(self.code, 409)


@dataclass(frozen=True)
class DecisionOutcome:
    """One case of a bulk decision: decided (or, in a preview, would be) when ``refused`` is None."""

    id: int
    dispute: Dispute | None  # as it stands afterwards; None when not found
    refused: Refused | None = None
    credit_reason: int | None = None  # the reason it is (would be) credited with, when accepted

    @property
    def done(self) -> bool:
        return self.refused is None

    @property
    def amount(self) -> Decimal:
        """The objected line's amount (what accepting it credits)."""
        return self.dispute.invoice_line.amount if self.dispute is not None else ZERO


def outcomes_total(outcomes: Iterable[DecisionOutcome]) -> Decimal:
    """The amount of the objected lines of the cases decided (or that would be)."""
    return sum((outcome.amount for outcome in outcomes if outcome.done), ZERO)


def decision_errors(*, outcome: str, note: str, credit_reason: int | None) -> dict[str, list[str]]:
    """What is wrong with the decision itself, whatever the cases (the single decision's words)."""
    errors = {}
    if outcome not in (DisputeStatus.ACCEPTED, DisputeStatus.DISMISSED):
        errors["outcome"] = [_("Must be accepted or dismissed.")]
    if not (note or "").strip():
        errors["note"] = [_("A note saying why is required.")]
    if credit_reason is not None:
        if outcome == DisputeStatus.DISMISSED:
            errors["credit_reason"] = [_("Only an accepted objection has a credit reason.")]
        elif credit_reason not in CreditReason.values:
            errors["credit_reason"] = [_("An accepted objection needs a credit reason from 1 to 9.")]
    return errors


def _distinct_ids(dispute_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(dispute_ids))
    if len(ids) > MAX_BULK_DECISIONS:
        raise InvalidInput({"ids": [_("At most %(max)d cases at a time.") % {"max": MAX_BULK_DECISIONS}]})
    return ids


def _cases(ids: list[int], by, *, lock: bool) -> dict[int, Dispute]:
    """The cases of ``ids`` in the caller's scope, with what judging and reporting them reads; locked if asked."""
    visible = visible_to(by, Dispute.objects.filter(pk__in=ids)).order_by().values_list("pk", flat=True)
    cases = Dispute.objects.filter(pk__in=list(visible)).select_related(
        "contact__provider", "contact__billing_region", "invoice_line__invoice__buyer"
    )
    if lock:
        cases = cases.select_for_update(of=("self",)).order_by("pk")
    return {case.pk: case for case in cases}


def _refusal(case: Dispute | None, *, by, outcome: str, credit_reason: int | None) -> tuple[Refused | None, int | None]:
    """Why the single decision would refuse this case (None when it would decide it), and the credit reason it would
    credit with; the messages are ``dispute_resolve``'s."""
    if case is None:
        return Refused(DecisionRefusal.NOT_FOUND, _("Not found.")), None
    if not can_resolve_dispute(by, case):
        if opened_dispute(by, case) and can_assign_dispute(by, case):
            detail = _("You opened this dispute; a colleague in %(region)s must decide it.") % {
                "region": case.contact.billing_region.name
            }
            return Refused(DecisionRefusal.FOUR_EYES, detail), None
        return Refused(
            DecisionRefusal.FORBIDDEN, _("Only the billing region's clerks and managers decide disputes.")
        ), None
    if case.kind != DisputeKind.OBJECTION:
        detail = _("Dispute %(id)s is a contested rejection; decide it on its own page.") % {"id": case.pk}
        return Refused(DecisionRefusal.NOT_OBJECTION, detail), None
    if case.status != DisputeStatus.OPEN:
        return Refused(DecisionRefusal.ALREADY_DECIDED, _("Dispute %(id)s is already decided.") % {"id": case.pk}), None
    if outcome != DisputeStatus.ACCEPTED:
        return None, None
    reason = credit_reason if credit_reason is not None else case.proposed_credit_reason
    if reason is None:
        detail = _("Dispute %(id)s proposes no credit reason; choose one from 1 to 9 to accept it.") % {"id": case.pk}
        return Refused(DecisionRefusal.NO_CREDIT_REASON, detail), None
    return None, reason


def objections_decide_preview(*, dispute_ids, by, outcome: str, credit_reason: int | None = None) -> list:
    """What ``objections_decide_bulk`` would do, read without changing or locking anything: each case would be
    decided (with the credit reason it would be credited with), or refused with the code and message the decision
    would give. Only what is found under the locks is left out (a line credited meanwhile). The admin's
    confirmation page shows it."""
    ids = _distinct_ids(dispute_ids)
    cases = _cases(ids, by, lock=False)
    outcomes = []
    for pk in ids:
        case = cases.get(pk)
        refused, reason = _refusal(case, by=by, outcome=outcome, credit_reason=credit_reason)
        outcomes.append(DecisionOutcome(id=pk, dispute=case, refused=refused, credit_reason=reason))
    return outcomes


def objections_decide_bulk(
    *, dispute_ids, by, outcome: str, note: str, credit_reason: int | None = None, via: str = Via.BULK
) -> list[DecisionOutcome]:
    """Accept or dismiss each open objection of ``dispute_ids`` as ``dispute_resolve`` would; an outcome per distinct
    id, in ascending id. Accepting credits each case's line with ``credit_reason``, or when none is given with the
    reason its objection proposed, on the one draft credit note per invoice and reason. Raises ``InvalidInput`` (and
    decides nothing) for a decision without a note, an outcome other than accepted or dismissed, a credit reason
    outside 1-9 or one given with a dismissal, or more than ``MAX_BULK_DECISIONS`` ids.

    Call it outside a transaction (the API and the admin's action do): each part of ``DECISION_CHUNK`` cases is
    then committed before the next is locked."""
    errors = decision_errors(outcome=outcome, note=note, credit_reason=credit_reason)
    ids = _distinct_ids(dispute_ids)
    if errors:
        raise InvalidInput(errors)
    note = note.strip()
    outcomes = []
    for part in batched(ids, DECISION_CHUNK):
        outcomes += _decide_part(list(part), by=by, outcome=outcome, note=note, credit_reason=credit_reason, via=via)
    return outcomes


@transaction.atomic
def _decide_part(ids: list[int], *, by, outcome: str, note: str, credit_reason: int | None, via: str) -> list:
    cases = _cases(ids, by, lock=True)
    judged: dict[int, tuple[Refused | None, int | None]] = {}
    groups: dict[tuple[int, int], list[Dispute]] = {}  # (invoice, reason) → the cases to accept
    for pk in ids:
        case = cases.get(pk)
        refused, reason = _refusal(case, by=by, outcome=outcome, credit_reason=credit_reason)
        judged[pk] = (refused, reason)
        if refused is None and outcome == DisputeStatus.ACCEPTED:
            groups.setdefault((case.invoice_line.invoice_id, reason), []).append(case)
    now = timezone.now()
    decided: list[Dispute] = []
    base = {"status": outcome, "decided_by": by, "decided_at": now, "decision_note": note}
    if outcome == DisputeStatus.DISMISSED:
        decided = [cases[pk] for pk in ids if judged[pk][0] is None]
        Dispute.objects.filter(pk__in=[case.pk for case in decided]).update(**base)
    for (_invoice, reason), accepting in sorted(groups.items()):
        with translation.override(settings.LANGUAGE_CODE):  # kept for every reader: in the product's language
            credit_note_text = ngettext(
                "Accepted objection (%(count)d contact, decided together): %(note)s",
                "Accepted objections (%(count)d contacts, decided together): %(note)s",
                len(accepting),
            ) % {"count": len(accepting), "note": note}
        credit_note, refused_lines = invoice_lines_credit(
            line_ids=[case.invoice_line_id for case in accepting], reason=reason, by=by, via=via, note=credit_note_text
        )
        accepted = []
        for case in accepting:
            if case.invoice_line_id in refused_lines:
                refused = Refused(DecisionRefusal.NOT_CREDITABLE, refused_lines[case.invoice_line_id])
                judged[case.pk] = (refused, None)
            else:
                case.credit_note, case.credit_reason = credit_note, reason
                accepted.append(case)
        if accepted:
            Dispute.objects.filter(pk__in=[case.pk for case in accepted]).update(
                **base, credit_note=credit_note, credit_reason=reason
            )
            decided += accepted
    events = []
    for case in decided:
        changes = {"status": [DisputeStatus.OPEN, outcome]}
        if case.credit_note_id:
            changes["credit_note"] = [None, case.credit_note_id]
            changes["credit_reason"] = [None, case.credit_reason]
        case.status, case.decided_by, case.decided_at, case.decision_note = outcome, by, now, note
        events.append(DisputeEvent(dispute=case, at=now, action=outcome, actor=by, via=via, note=note, changes=changes))
    DisputeEvent.objects.bulk_create(events, batch_size=1000)
    decided.sort(key=lambda case: case.pk)
    notify_bulk(decided, event=outcome, actor=by)
    return [
        DecisionOutcome(id=pk, dispute=cases.get(pk), refused=judged[pk][0], credit_reason=judged[pk][1]) for pk in ids
    ]
