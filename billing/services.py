"""State changes of invoice runs and invoices: start a run, the invoice workflow with its rules, and credits.

Every change of an invoice, its lines, totals or history goes through here (or the invoice run, ``billing.runs``),
using the ledger's primitives (``billing.ledger``); the disputes above billing call ``invoice_line_credit``.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from kombu.exceptions import OperationalError as KombuOperationalError

from billing.deadline import deadline_cutoff, lapsed_note
from billing.display import invoice_label
from billing.ledger import (
    SNAPSHOT_FIELDS,
    credit_line_add,
    credit_lines_add,
    invoice_event_record,
    invoice_totals_refresh,
)
from billing.models import (
    CORRECTABLE_CREDIT_REASONS,
    TRANSITIONS,
    CreditReason,
    Invoice,
    InvoiceAction,
    InvoiceKind,
    InvoiceLine,
    InvoiceRun,
    InvoiceStatus,
    NumberSequence,
    RunStatus,
    SpecificationSequence,
    Transition,
)
from billing.numbering import invoice_number, specification_id
from billing.permissions import four_eyes_allow
from billing.refusals import InvoiceConflict, InvoiceNotAllowed, Refusal
from billing.selectors import invoice_totals_snapshot, payment_details_missing
from contacts.models import Contact, Status
from contacts.services import (
    contact_correct,
    contact_correction_errors,
    contacts_credited,
    contacts_mark_lapsed,
    contacts_release_for_billing,
)
from kernel.business_time import STOCKHOLM, parse_period, period_of, stockholm_today
from kernel.errors import DomainError, InvalidInput, StateConflict
from kernel.history import Via, changes_between
from kernel.jobs import job_queue
from regions.models import Region

logger = logging.getLogger(__name__)

# --- Runs ------------------------------------------------------------------------------------------


def invoice_run_start(*, billing_region: str, period: str, by=None, via: str = Via.API) -> InvoiceRun:
    """Queue a run for a billing region and period; the Celery task carries it out after commit."""
    errors = {}
    try:
        parse_period(period)
    except ValueError:
        errors["period"] = [_("Must look like YYYY-MM.")]
    if not Region.objects.filter(code=billing_region).exists():
        errors["billing_region"] = [_("Unknown region %(code)r.") % {"code": billing_region}]
    if errors:
        raise InvalidInput(errors)
    if period > stockholm_today().strftime("%Y-%m"):
        raise InvalidInput({"period": [_("A period in the future cannot be invoiced.")]})
    run = InvoiceRun.objects.create(
        billing_region_id=billing_region,
        period=period,
        started_by=by if by is not None and by.is_authenticated else None,
        started_via=via,
    )
    run_id = run.pk
    transaction.on_commit(lambda: _run_queue(run_id))
    return run


def _run_queue(run_id: int) -> None:
    """Hand a committed run to the workers. If the broker cannot be reached the run is marked failed with a
    message saying so (the clerk starts it again), rather than answering the request with an error or leaving a
    run queued that no worker will ever take."""
    try:
        job_queue("billing.invoice_run", run_id)  # billing.tasks.invoice_run_task
    except KombuOperationalError as exc:
        logger.error("Invoice run %s not queued: the broker is unreachable (%s)", run_id, exc)
        with translation.override(settings.LANGUAGE_CODE):  # stored for every reader: in the product's language
            error = _("The job queue could not be reached, so the run was not started. Start it again in a moment.")
        InvoiceRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.FAILED, error=error, finished_at=timezone.now()
        )


def unbilled_periods(*, today: dt.date) -> list[tuple[str, str]]:
    """(seller, period) of every finished period in which a seller has eligible contacts not yet on an invoice of
    their billing round, still within the invoicing deadline on ``today``: set-based, over the contacts of the last
    deadline's months only (the billing-region and start-time index)."""
    start_of_month = dt.datetime(today.year, today.month, 1, tzinfo=STOCKHOLM)
    billed = InvoiceLine.objects.filter(contact=OuterRef("pk"), credit=False, billing_round=OuterRef("billing_round"))
    rows = (
        Contact.objects.filter(
            status=Status.ELIGIBLE,
            locked=False,
            started_at__gte=deadline_cutoff(today),
            started_at__lt=start_of_month,
        )
        .filter(~Exists(billed))
        .annotate(month=TruncMonth("started_at", tzinfo=STOCKHOLM))
        .values_list("billing_region_id", "month")
        .distinct()
        .order_by()
    )
    return sorted({(seller, f"{month:%Y-%m}") for seller, month in rows})


@transaction.atomic
def invoice_runs_start_scheduled(*, today: dt.date | None = None) -> list[int]:
    """The monthly schedule: a run for last month of every region with active providers, and for every earlier
    period in which a seller still has unbilled eligible contacts within the deadline (contacts reported late, the
    last contacts of an ended contract, contacts released after a credit), whether or not its providers are active.
    Returns the ids of the runs it started.

    Idempotent (its task may be handed out again after a lost worker): a (region, period) with a scheduled run this
    month that is queued, running or succeeded gets no second one; one whose scheduled run failed gets a new one."""
    today = today or stockholm_today()
    this_month = dt.datetime(today.year, today.month, 1, tzinfo=STOCKHOLM)
    last_month = period_of(this_month - dt.timedelta(days=1))
    wanted = set(unbilled_periods(today=today))
    wanted |= {
        (code, last_month) for code in Region.objects.filter(providers__active=True).values_list("code", flat=True)
    }
    done = set(
        InvoiceRun.objects.filter(started_via=Via.SCHEDULE, created_at__gte=this_month)
        .exclude(status=RunStatus.FAILED)
        .values_list("billing_region_id", "period")
    )
    return [
        invoice_run_start(billing_region=seller, period=period, via=Via.SCHEDULE).pk
        for seller, period in sorted(wanted - done)
    ]


# --- The invoice workflow ----------------------------------------------------------------------------


def _status_conflict(invoice: Invoice, transition: str) -> InvoiceConflict | None:
    """The refusal of ``transition`` from the invoice's status (``TRANSITIONS``), None when it starts from there."""
    allowed_from, _to = TRANSITIONS[transition]
    if invoice.status in allowed_from:
        return None
    return InvoiceConflict(
        _("%(action)s is not possible for %(invoice)s in status %(status)s.")
        % {
            "action": Transition(transition).label,
            "invoice": invoice_label(invoice),
            "status": invoice.get_status_display().lower(),
        },
        code=Refusal.WRONG_STATUS,
    )


def _locked_invoice(invoice: Invoice, transition: str) -> Invoice:
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("buyer").get(pk=invoice.pk)
    if conflict := _status_conflict(invoice, transition):
        raise conflict
    return invoice


def _no_lines_conflict(invoice: Invoice) -> InvoiceConflict:
    return InvoiceConflict(
        _("%(invoice)s has no lines to submit.") % {"invoice": invoice_label(invoice)}, code=Refusal.NO_LINES
    )


def _four_eyes_refusal(invoice: Invoice, by) -> InvoiceNotAllowed | None:
    if four_eyes_allow(by, invoice):
        return None
    return InvoiceNotAllowed(
        _("You submitted %(invoice)s; another manager must approve it.") % {"invoice": invoice_label(invoice)},
        code=Refusal.FOUR_EYES,
    )


def _payment_conflict(invoice: Invoice, seller: Region, buyer: Region) -> InvoiceConflict | None:
    missing = payment_details_missing(seller, buyer, kind=invoice.kind)
    if not missing:
        return None
    return InvoiceConflict(
        _("%(invoice)s cannot be approved: %(missing)s. Add them under Regions in the admin first.")
        % {"invoice": invoice_label(invoice), "missing": "; ".join(missing)},
        code=Refusal.PAYMENT_DETAILS_MISSING,
    )


def _nothing_left_conflict(invoice: Invoice, removed: int) -> InvoiceConflict:
    return InvoiceConflict(
        ngettext(
            "The contact of %(invoice)s passed its invoicing deadline: nothing is left to approve. "
            "Return it to draft; the next run removes it.",
            "All %(count)d contacts of %(invoice)s passed their invoicing deadline: nothing is left to "
            "approve. Return it to draft; the next run removes them.",
            removed,
        )
        % {"count": removed, "invoice": invoice_label(invoice)},
        code=Refusal.NOTHING_LEFT,
    )


def invoice_submit_refusal(*, invoice: Invoice, on: dt.date) -> InvoiceConflict | None:
    """What would make ``invoice_submit`` refuse ``invoice`` on ``on``, read now without locks (None when nothing
    known beforehand): its status, or no line left once the lapsed ones are removed. The same refusals as the
    service, for a confirmation page that lists them before anything is done; contacts changed since the run are
    found only by submitting (the service compares them under their locks)."""
    if conflict := _status_conflict(invoice, Transition.SUBMIT):
        return conflict
    if invoice.kind == InvoiceKind.INVOICE and not _lines_left_after_lapse(invoice, on=on):
        return _no_lines_conflict(invoice)
    return None


def invoice_approval_refusal(*, invoice: Invoice, by, on: dt.date) -> DomainError | None:
    """What would make ``invoice_approve`` by ``by`` refuse ``invoice`` on ``on``, read now without locks (None when
    nothing): its status, the four-eyes rule, missing payment details, every contact past its invoicing deadline.
    The same refusals, in the same order, as the service."""
    if conflict := _status_conflict(invoice, Transition.APPROVE):
        return conflict
    if refusal := _four_eyes_refusal(invoice, by):
        return refusal
    regions = Region.objects.in_bulk([invoice.seller_id, invoice.buyer_id])
    if conflict := _payment_conflict(invoice, regions[invoice.seller_id], regions[invoice.buyer_id]):
        return conflict
    if invoice.kind == InvoiceKind.INVOICE:
        lapsing = invoice.lines.filter(credit=False, started_at__lt=deadline_cutoff(on)).count()
        if lapsing and not _lines_left_after_lapse(invoice, on=on):
            return _nothing_left_conflict(invoice, lapsing)
    return None


def _lines_left_after_lapse(invoice: Invoice, *, on: dt.date) -> bool:
    """Whether the invoice keeps a line once ``_lapsed_lines_remove`` has removed the lapsed ones on ``on``."""
    return invoice.lines.exclude(credit=False, started_at__lt=deadline_cutoff(on)).exists()


def _contacts_of(invoice: Invoice):
    return Contact.objects.filter(invoice_lines__invoice=invoice, invoice_lines__credit=False)


def _lapsed_lines_remove(invoice: Invoice, *, on: dt.date, by, via: str) -> int:
    """Remove from a draft or submitted invoice the lines whose contacts' right to payment lapsed on ``on`` (their
    invoicing deadline passed before the invoice could be approved): the contacts get the reason and are rejected,
    the totals are computed again, and the invoice's history names the contacts removed. Returns how many."""
    lapsed = list(
        invoice.lines.filter(credit=False, started_at__lt=deadline_cutoff(on))
        .order_by("started_at", "id")
        .values_list("pk", "contact_id", "external_id")
    )
    if not lapsed:
        return 0
    InvoiceLine.objects.filter(pk__in=[pk for pk, _contact, _external in lapsed]).delete()
    contacts_mark_lapsed(contact_ids=[contact for _pk, contact, _external in lapsed], on=on, by=by, via=via)
    changes = invoice_totals_refresh(invoice=invoice)
    invoice_event_record(
        invoice=invoice,
        action=InvoiceAction.LAPSED_REMOVED,
        before=invoice.status,
        by=by,
        via=via,
        changes=changes,
        note=lapsed_note([external for _pk, _contact, external in lapsed], on=on),
    )
    return len(lapsed)


@transaction.atomic
def invoice_submit(*, invoice: Invoice, by, via: str = Via.API) -> Invoice:
    """Draft → submitted: lines whose contacts have lapsed are removed, the other contacts are locked (status
    ``invoiced``) after checking they still are what the lines bill."""
    invoice = _locked_invoice(invoice, Transition.SUBMIT)
    if invoice.kind == InvoiceKind.INVOICE:
        _lapsed_lines_remove(invoice, on=stockholm_today(), by=by, via=via)
        if not invoice.lines.exists():
            raise _no_lines_conflict(invoice)
        # Lock first (the UPDATE takes the row locks), then verify nothing changed since the run priced them: the
        # price, and every fact the specification shows (they are frozen on the line from here on).
        _contacts_of(invoice).filter(status=Status.ELIGIBLE).update(locked=True, status=Status.INVOICED)
        unchanged = Q(
            contact__status=Status.INVOICED,
            contact__amount=F("amount"),
            contact__rate=F("rate"),
            contact__home_region=F("invoice__buyer"),
            contact__profession_id=F("profession"),
            contact__billing_round=F("billing_round"),
            **{f"contact__{name}": F(name) for name in SNAPSHOT_FIELDS if name != "profession"},
        )
        stale = invoice.lines.exclude(unchanged).count()
        if stale:
            raise InvoiceConflict(
                ngettext(
                    "%(count)d contact on %(invoice)s changed since it was built; run invoicing again.",
                    "%(count)d contacts on %(invoice)s changed since it was built; run invoicing again.",
                    stale,
                )
                % {"count": stale, "invoice": invoice_label(invoice)},
                code=Refusal.CONTACTS_CHANGED,
            )
    before = invoice.status
    invoice.status = InvoiceStatus.SUBMITTED
    invoice.submitted_at = timezone.now()
    invoice.submitted_by = by
    invoice.save(update_fields=["status", "submitted_at", "submitted_by"])
    invoice_event_record(invoice=invoice, action=InvoiceAction.SUBMIT, before=before, by=by, via=via)
    return invoice


@transaction.atomic
def invoice_approve(*, invoice: Invoice, by, via: str = Via.API) -> Invoice:
    """Submitted → approved by another manager than the submitter; assigns the gap-free number.

    The invoicing deadline is checked again on the approval's Stockholm date: lines whose contacts have lapsed since
    the draft was built are removed (recorded, the totals computed again), so a lapsed contact never reaches an
    approved invoice. Removing rather than refusing: the lapse is a fact of the calendar that no one can undo, and
    refusing would hold up the invoice's other contacts (which come closer to their own deadlines meanwhile) for a
    return, a run and a second approval that could only remove the same lines. An invoice left with no line is
    refused (nothing to approve). Approving a credit note credits its contacts (``_credits_take_effect``).
    """
    invoice = _locked_invoice(invoice, Transition.APPROVE)
    if refusal := _four_eyes_refusal(invoice, by):
        raise refusal
    regions = Region.objects.in_bulk([invoice.seller_id, invoice.buyer_id])
    seller, buyer = regions[invoice.seller_id], regions[invoice.buyer_id]
    if conflict := _payment_conflict(invoice, seller, buyer):
        raise conflict
    today = stockholm_today()
    if invoice.kind == InvoiceKind.INVOICE:
        removed = _lapsed_lines_remove(invoice, on=today, by=by, via=via)
        if removed and not invoice.lines.exists():
            raise _nothing_left_conflict(invoice, removed)
    before = invoice.status
    try:
        with transaction.atomic():
            _number_assign(invoice, seller_org_number=seller.org_number, today=today)
            invoice.status = InvoiceStatus.APPROVED
            invoice.issue_date = today
            invoice.due_date = today + dt.timedelta(days=settings.INVOICE_PAYMENT_TERM_DAYS)
            invoice.approved_at = timezone.now()
            invoice.approved_by = by
            invoice.save(
                update_fields=[
                    "status",
                    "number",
                    "specification_id",
                    "issue_date",
                    "due_date",
                    "approved_at",
                    "approved_by",
                ]
            )
    except IntegrityError:
        # Cannot happen while numbers are allocated under their row locks; if it ever does, a clear refusal that
        # changes nothing, never a 500.
        logger.exception("Approving invoice %s: its number or specification id was already in use", invoice.pk)
        raise InvoiceConflict(
            _("%(invoice)s could not be given a number; nothing was changed. Try again.")
            % {"invoice": invoice_label(invoice)},
            code=Refusal.NUMBER_UNAVAILABLE,
        ) from None
    assigned = {
        "number": [None, invoice.number],
        "specification_id": [None, invoice.specification_id],
        "issue_date": [None, invoice.issue_date.isoformat()],
        "due_date": [None, invoice.due_date.isoformat()],
    }
    invoice_event_record(invoice=invoice, action=InvoiceAction.APPROVE, before=before, by=by, via=via, changes=assigned)
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        _credits_take_effect(invoice, by=by, via=via)
    _documents_render_on_commit(invoice)
    return invoice


def _number_assign(invoice: Invoice, *, seller_org_number: str, today: dt.date) -> None:
    """Set the invoice number (the seller's gap-free serial of the year) and the specification id (the seller's
    serial that never restarts), each taken under its sequence row's lock: concurrent approvals of one seller wait
    for each other, and a rolled-back approval gives its numbers back with the rest of the transaction (no gaps)."""
    NumberSequence.objects.get_or_create(seller_id=invoice.seller_id, year=today.year)
    sequence = NumberSequence.objects.select_for_update().get(seller_id=invoice.seller_id, year=today.year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    SpecificationSequence.objects.get_or_create(seller_id=invoice.seller_id)
    serial = SpecificationSequence.objects.select_for_update().get(seller_id=invoice.seller_id)
    serial.last_number += 1
    serial.save(update_fields=["last_number"])
    invoice.number = invoice_number(invoice.seller_id, today.year, sequence.last_number)
    invoice.specification_id = specification_id(seller_org_number, invoice.period, serial.last_number)


def _credits_take_effect(credit_note: Invoice, *, by, via: str) -> None:
    """An approved credit note credits its contacts: each is ``credited`` and its next billing round opened; for a
    correctable reason (1-4) it is released for correction, and the lines marked "invoice again" have their
    correction applied through intake and are evaluated afresh, with a run queued for each period concerned so the
    corrected contacts are invoiced again on a new invoice of the same period."""
    correctable = credit_note.credit_reason in CORRECTABLE_CREDIT_REASONS
    lines = list(credit_note.lines.select_related("contact__provider").order_by("id"))
    with translation.override(settings.LANGUAGE_CODE):  # a note kept for every reader: in the product's language
        reason = CreditReason(credit_note.credit_reason).label
        if correctable:
            note = _("Credited by %(credit_note)s (%(reason)s); it may be corrected and invoiced again.") % {
                "credit_note": credit_note.number,
                "reason": reason,
            }
        else:
            note = _("Credited by %(credit_note)s (%(reason)s).") % {
                "credit_note": credit_note.number,
                "reason": reason,
            }
        rebill_note = _("Invoiced again after %(credit_note)s.") % {"credit_note": credit_note.number}
    credited = [line.contact_id for line in lines]
    contacts_credited(contact_ids=credited, correctable=correctable, note=note, by=by, via=via)
    rebilled = [line for line in lines if line.rebill]
    if not rebilled:
        return
    for line in rebilled:
        if line.correction:
            line.contact.refresh_from_db()
            contact_correct(contact=line.contact, correction=line.correction, by=by, via=via)
    contacts_release_for_billing(contact_ids=[line.contact_id for line in rebilled], note=rebill_note, by=by, via=via)
    today_period = stockholm_today().strftime("%Y-%m")
    periods = sorted(
        {
            period_of(started_at)
            for started_at in Contact.objects.filter(
                pk__in=[line.contact_id for line in rebilled], status=Status.ELIGIBLE
            ).values_list("started_at", flat=True)
        }
    )
    for period in periods:
        if period <= today_period:
            invoice_run_start(billing_region=credit_note.seller_id, period=period, by=by, via=Via.SYSTEM)


def _documents_render_on_commit(invoice: Invoice) -> None:
    # Robust: the approval stands whatever happens to its documents (a broker not reachable, in the embedded setup a
    # rendering that failed for good). The failure is logged; "Render the PDFs again" in the admin retries.
    invoice_id = invoice.pk
    transaction.on_commit(lambda: job_queue("billing.render_documents", invoice_id), robust=True)  # billing.tasks


@transaction.atomic
def invoice_documents_render(*, invoice: Invoice, by, via: str = Via.ADMIN) -> Invoice:
    """Render an approved invoice's PDFs again, e.g. after rendering failed for good; queued after commit.

    Changes nothing of the invoice but its stored documents (which are replaced). A draft or submitted invoice has
    no stored documents: its PDF is a preview rendered when asked for, so this refuses it.
    """
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("buyer").get(pk=invoice.pk)
    if not invoice.is_frozen:
        raise StateConflict(
            _("%(invoice)s is not approved: its PDF is a preview, rendered when it is opened.")
            % {"invoice": invoice_label(invoice)}
        )
    with translation.override(settings.LANGUAGE_CODE):  # stored for every reader: in the product's language
        note = _("PDFs rendered again")
    invoice_event_record(
        invoice=invoice, action=InvoiceAction.RENDER_DOCUMENTS, before=invoice.status, by=by, via=via, note=note
    )
    _documents_render_on_commit(invoice)
    return invoice


@transaction.atomic
def invoice_return(*, invoice: Invoice, by, note: str, via: str = Via.API) -> Invoice:
    """Submitted → draft with a note: its contacts are unlocked (a newer draft of the same parties merges in)."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput({"note": [_("A note saying why is required.")]})
    invoice = _locked_invoice(invoice, Transition.RETURN)
    _contacts_of(invoice).filter(status=Status.INVOICED).update(locked=False, status=Status.ELIGIBLE)
    newer = (
        Invoice.objects.select_for_update(of=("self",))  # the invoice row only (not the regions its ordering joins)
        .filter(
            seller_id=invoice.seller_id,
            buyer_id=invoice.buyer_id,
            period=invoice.period,
            kind=invoice.kind,
            status=InvoiceStatus.DRAFT,
        )
        .exclude(pk=invoice.pk)
        .order_by("pk")
        .first()
    )
    if newer is not None and invoice.kind == InvoiceKind.INVOICE:
        # One draft per parties and period: a run made a draft for later contacts meanwhile; take its lines.
        InvoiceLine.objects.filter(invoice=newer).update(invoice=invoice)
        newer.delete()
    before, totals_before = invoice.status, invoice_totals_snapshot(invoice)
    invoice.status = InvoiceStatus.DRAFT
    invoice.save(update_fields=["status"])
    invoice_totals_refresh(invoice=invoice)
    changes = changes_between(totals_before, invoice_totals_snapshot(invoice))
    invoice_event_record(
        invoice=invoice, action=InvoiceAction.RETURN, before=before, by=by, via=via, note=note, changes=changes
    )
    return invoice


@transaction.atomic
def invoice_mark_sent(*, invoice: Invoice, by, via: str = Via.API) -> Invoice:
    invoice = _locked_invoice(invoice, Transition.MARK_SENT)
    before = invoice.status
    invoice.status = InvoiceStatus.SENT
    invoice.sent_at = timezone.now()
    invoice.save(update_fields=["status", "sent_at"])
    invoice_event_record(invoice=invoice, action=InvoiceAction.MARK_SENT, before=before, by=by, via=via)
    return invoice


@transaction.atomic
def invoice_mark_paid(*, invoice: Invoice, by, via: str = Via.API) -> Invoice:
    invoice = _locked_invoice(invoice, Transition.MARK_PAID)
    before = invoice.status
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = timezone.now()
    invoice.save(update_fields=["status", "paid_at"])
    invoice_event_record(invoice=invoice, action=InvoiceAction.MARK_PAID, before=before, by=by, via=via)
    return invoice


TRANSITION_SERVICES = {
    Transition.SUBMIT: invoice_submit,
    Transition.APPROVE: invoice_approve,
    Transition.RETURN: invoice_return,
    Transition.MARK_SENT: invoice_mark_sent,
    Transition.MARK_PAID: invoice_mark_paid,
}


# --- Credits -------------------------------------------------------------------------------------------------------


@transaction.atomic
def invoice_line_credit(*, line: InvoiceLine, reason: int, by, via: str, note: str) -> Invoice:
    """Credit a billed line as the answer to the buyer's accepted objection (``note`` says which); returns the
    draft credit note, which goes through submit and approval like an invoice."""
    if reason not in CreditReason.values:
        raise InvalidInput({"credit_reason": [_("A credit reason from 1 to 9 is required.")]})
    return credit_line_add(line=line, reason=reason, by=by, via=via, note=note)


def invoice_lines_credit(*, line_ids, reason: int, by, via: str, note: str) -> tuple[Invoice | None, dict[int, str]]:
    """Credit many billed lines of one invoice at once as the answer to the buyer's accepted objections (the
    seller's bulk decision): on the one draft credit note of the invoice and ``reason``, each line refused on its own
    (already credited, not of an approved invoice). Returns the credit note (None when none was credited) and the
    refused lines' reasons by line id (``billing.ledger.credit_lines_add``)."""
    if reason not in CreditReason.values:
        raise InvalidInput({"credit_reason": [_("A credit reason from 1 to 9 is required.")]})
    return credit_lines_add(line_ids=line_ids, reason=reason, by=by, via=via, note=note)


@transaction.atomic
def invoice_credit(
    *,
    invoice: Invoice,
    contact_ids: list[int],
    reason: int,
    note: str,
    by,
    via: str,
    rebill: bool = False,
    correction: dict | None = None,
) -> Invoice:
    """The seller's own correction: credit the given contacts of an approved invoice in full on its draft credit
    note for ``reason`` (the same numbering, four-eyes approval and documents as every invoice). With ``rebill`` (for
    a correctable reason: wrong home region, price, product, partial invoicing) the approval of the credit note also
    applies ``correction`` to each contact through intake and invoices it again on a new invoice of the same period:
    "credit and invoice again" in one step. Returns the credit note."""
    note = (note or "").strip()
    correction = correction or {}
    errors: dict[str, list[str]] = {}
    if reason not in CreditReason.values:
        errors["credit_reason"] = [_("A credit reason from 1 to 9 is required.")]
    if not note:
        errors["note"] = [_("A note saying why is required.")]
    if not contact_ids:
        errors["contacts"] = [_("Name at least one contact of the invoice to credit.")]
    if (rebill or correction) and reason in CreditReason.values and reason not in CORRECTABLE_CREDIT_REASONS:
        errors["rebill"] = [
            _("Only a credit for a wrong home region, price or product, or partial invoicing, is invoiced again.")
        ]
    if correction and not rebill:
        errors["correction"] = [_("A correction is applied only to a contact that is invoiced again.")]
    if errors:
        raise InvalidInput(errors)
    invoice = Invoice.objects.select_related("buyer").get(pk=invoice.pk)
    if invoice.kind != InvoiceKind.INVOICE or not invoice.is_frozen:
        raise StateConflict(
            _("Only an approved invoice can be credited; %(invoice)s is %(status)s.")
            % {"invoice": invoice_label(invoice), "status": invoice.get_status_display().lower()}
        )
    lines = {
        line.contact_id: line
        for line in invoice.lines.filter(credit=False, contact_id__in=contact_ids).select_related("contact__provider")
    }
    missing = sorted(set(contact_ids) - set(lines))
    if missing:
        raise InvalidInput(
            {
                "contacts": [
                    _("Not on %(invoice)s: %(contacts)s.")
                    % {"invoice": invoice_label(invoice), "contacts": ", ".join(str(pk) for pk in missing)}
                ]
            }
        )
    if correction:
        for line in lines.values():
            problems = contact_correction_errors(contact=line.contact, correction=correction, user=by)
            if problems:
                raise InvalidInput({"correction": [f"{name}: {' '.join(texts)}" for name, texts in problems.items()]})
    # Every line locked first, in ascending id, before the credit note: the order the seller's bulk decision of
    # objections (billing.ledger.credit_lines_add) locks them in, so a correction and a bulk acceptance of the same
    # lines wait for each other instead of deadlocking (one line here, the credit note there, and the reverse).
    list(
        InvoiceLine.objects.select_for_update(of=("self",))
        .filter(pk__in=[line.pk for line in lines.values()])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    credit_note = None
    for contact_id in sorted(lines):
        line = lines[contact_id]
        with translation.override(settings.LANGUAGE_CODE):  # a note kept for every reader: in the product's language
            line_note = _("The seller's correction of %(contact)s (%(provider)s): %(note)s") % {
                "contact": line.external_id,
                "provider": line.contact.provider.name,
                "note": note,
            }
        credit_note = credit_line_add(
            line=line,
            reason=reason,
            by=by,
            via=via,
            note=line_note,
            seller_correction=True,
            rebill=rebill,
            correction=correction,
        )
    return credit_note
