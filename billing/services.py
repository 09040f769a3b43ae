"""State changes of invoice runs and invoices: start a run, and the invoice workflow with its rules."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from billing.models import (
    TRANSITIONS,
    Invoice,
    InvoiceEvent,
    InvoiceKind,
    InvoiceLine,
    InvoiceRun,
    InvoiceStatus,
    NumberSequence,
    RunStatus,
    Transition,
)
from billing.numbering import invoice_number, specification_id
from billing.selectors import invoice_totals_snapshot
from billing.tasks import invoice_run_task, render_documents_task
from config.business_time import add_months, parse_period, stockholm_today
from config.errors import InvalidInput, NotAllowed, StateConflict
from config.history import actor_or_none, changes_between
from config.money import ZERO
from contacts.models import Contact, Status
from regions.models import Region

logger = logging.getLogger(__name__)

# --- Runs ------------------------------------------------------------------------------------------


def invoice_run_start(*, billing_region: str, period: str, by=None, via: str = "api") -> InvoiceRun:
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
        invoice_run_task.delay(run_id)
    except KombuOperationalError as exc:
        logger.error("Invoice run %s not queued: the broker is unreachable (%s)", run_id, exc)
        with translation.override(settings.LANGUAGE_CODE):  # stored for every reader: in the product's language
            error = _("The job queue could not be reached, so the run was not started. Start it again in a moment.")
        InvoiceRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.FAILED, error=error, finished_at=timezone.now()
        )


@transaction.atomic
def invoice_runs_start_scheduled(*, today: dt.date | None = None) -> list[int]:
    """Start last month's run for every region with active providers (the monthly schedule). Returns the ids of the
    runs it started. Idempotent (its task may be handed out again after a lost worker): a region whose scheduled run
    for the month is queued, running or succeeded gets no second one; one whose scheduled run failed gets a new one."""
    period = f"{add_months(today or stockholm_today(), -1):%Y-%m}"
    scheduled = (
        InvoiceRun.objects.filter(period=period, started_via="schedule")
        .exclude(status=RunStatus.FAILED)
        .values("billing_region_id")
    )
    regions = Region.objects.filter(providers__active=True).exclude(code__in=scheduled).distinct().order_by("code")
    return [invoice_run_start(billing_region=region.code, period=period, via="schedule").pk for region in regions]


# --- The invoice workflow ----------------------------------------------------------------------------


def _event(
    invoice: Invoice, *, action: str, before: str, by, via: str, note: str = "", changes: dict | None = None
) -> None:
    InvoiceEvent.objects.create(
        invoice=invoice,
        at=timezone.now(),
        action=action,
        from_status=before,
        to_status=invoice.status,
        actor=actor_or_none(by),
        via=via,
        note=note,
        changes=changes or {},
    )


def _locked_invoice(invoice: Invoice, transition: str) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    allowed_from, _to = TRANSITIONS[transition]
    if invoice.status not in allowed_from:
        raise StateConflict(
            _("%(action)s is not possible for invoice %(invoice)s in status %(status)s.")
            % {
                "action": Transition(transition).label,
                "invoice": invoice.pk,
                "status": invoice.get_status_display().lower(),
            }
        )
    return invoice


def _contacts_of(invoice: Invoice):
    return Contact.objects.filter(invoice_lines__invoice=invoice, invoice_lines__credit=False)


@transaction.atomic
def invoice_submit(*, invoice: Invoice, by, via: str = "api") -> Invoice:
    """Draft → submitted: its contacts are locked (status ``invoiced``) after checking they still match the lines."""
    invoice = _locked_invoice(invoice, Transition.SUBMIT)
    if invoice.kind == InvoiceKind.INVOICE:
        if not invoice.lines.exists():
            raise StateConflict(_("Invoice %(invoice)s has no lines to submit.") % {"invoice": invoice.pk})
        # Lock first (the UPDATE takes the row locks), then verify nothing changed since the run priced them.
        _contacts_of(invoice).filter(status=Status.ELIGIBLE).update(locked=True, status=Status.INVOICED)
        stale = invoice.lines.exclude(
            contact__status=Status.INVOICED, contact__amount=F("amount"), contact__rate=F("rate")
        ).count()
        if stale:
            raise StateConflict(
                _("%(count)d contacts on invoice %(invoice)s changed since it was built; run invoicing again.")
                % {"count": stale, "invoice": invoice.pk}
            )
    before = invoice.status
    invoice.status = InvoiceStatus.SUBMITTED
    invoice.submitted_at = timezone.now()
    invoice.submitted_by = by
    invoice.save(update_fields=["status", "submitted_at", "submitted_by"])
    _event(invoice, action=Transition.SUBMIT, before=before, by=by, via=via)
    return invoice


@transaction.atomic
def invoice_approve(*, invoice: Invoice, by, via: str = "api") -> Invoice:
    """Submitted → approved by another manager than the submitter; assigns the gap-free number."""
    invoice = _locked_invoice(invoice, Transition.APPROVE)
    if invoice.submitted_by_id is not None and invoice.submitted_by_id == getattr(by, "pk", None):
        raise NotAllowed(
            _("You submitted invoice %(invoice)s; another manager must approve it.") % {"invoice": invoice.pk}
        )
    seller = Region.objects.get(pk=invoice.seller_id)
    if not seller.org_number:
        raise StateConflict(
            _("%(region)s has no organisation number; add it before approving invoices.") % {"region": seller}
        )
    today = stockholm_today()
    sequence, _created = NumberSequence.objects.get_or_create(seller_id=invoice.seller_id, year=today.year)
    # The row lock makes concurrent approvals of one seller wait for each other: no number is used twice,
    # and a rolled-back approval releases its number with the rest of the transaction (no gaps).
    sequence = NumberSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    before = invoice.status
    invoice.status = InvoiceStatus.APPROVED
    invoice.number = invoice_number(invoice.seller_id, today.year, sequence.last_number)
    invoice.specification_id = specification_id(seller.org_number, invoice.period, sequence.last_number)
    invoice.issue_date = today
    invoice.due_date = today + dt.timedelta(days=settings.INVOICE_PAYMENT_TERM_DAYS)
    invoice.approved_at = timezone.now()
    invoice.approved_by = by
    invoice.save(
        update_fields=["status", "number", "specification_id", "issue_date", "due_date", "approved_at", "approved_by"]
    )
    assigned = {
        "number": [None, invoice.number],
        "specification_id": [None, invoice.specification_id],
        "issue_date": [None, invoice.issue_date.isoformat()],
        "due_date": [None, invoice.due_date.isoformat()],
    }
    _event(invoice, action=Transition.APPROVE, before=before, by=by, via=via, changes=assigned)
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        Contact.objects.filter(invoice_lines__invoice=invoice, invoice_lines__credit=True).update(
            status=Status.CREDITED
        )
    _documents_render_on_commit(invoice)
    return invoice


def _documents_render_on_commit(invoice: Invoice) -> None:
    # Robust: the approval stands whatever happens to its documents (a broker not reachable, in the embedded setup a
    # rendering that failed for good). The failure is logged; "Render the PDFs again" in the admin retries.
    invoice_id = invoice.pk
    transaction.on_commit(lambda: render_documents_task.delay(invoice_id), robust=True)


@transaction.atomic
def invoice_documents_render(*, invoice: Invoice, by, via: str = "admin") -> Invoice:
    """Render an approved invoice's PDFs again, e.g. after rendering failed for good; queued after commit.

    Changes nothing of the invoice but its stored documents (which are replaced). A draft or submitted invoice has
    no stored documents: its PDF is a preview rendered when asked for, so this refuses it.
    """
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not invoice.is_frozen:
        raise StateConflict(
            _("Invoice %(invoice)s is not approved: its PDF is a preview, rendered when it is opened.")
            % {"invoice": invoice.pk}
        )
    with translation.override(settings.LANGUAGE_CODE):  # stored for every reader: in the product's language
        note = _("PDFs rendered again")
    _event(invoice, action="render_documents", before=invoice.status, by=by, via=via, note=note)
    _documents_render_on_commit(invoice)
    return invoice


@transaction.atomic
def invoice_return(*, invoice: Invoice, by, note: str, via: str = "api") -> Invoice:
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
    if newer is not None:
        # One draft per parties and period: a run made a draft for later contacts meanwhile; take its lines.
        InvoiceLine.objects.filter(invoice=newer).update(invoice=invoice)
        newer.delete()
    before, totals_before = invoice.status, invoice_totals_snapshot(invoice)
    invoice.status = InvoiceStatus.DRAFT
    invoice.save(update_fields=["status"])
    _refresh_totals(invoice)
    changes = changes_between(totals_before, invoice_totals_snapshot(invoice))
    _event(invoice, action=Transition.RETURN, before=before, by=by, via=via, note=note, changes=changes)
    return invoice


@transaction.atomic
def invoice_mark_sent(*, invoice: Invoice, by, via: str = "api") -> Invoice:
    invoice = _locked_invoice(invoice, Transition.MARK_SENT)
    before = invoice.status
    invoice.status = InvoiceStatus.SENT
    invoice.sent_at = timezone.now()
    invoice.save(update_fields=["status", "sent_at"])
    _event(invoice, action=Transition.MARK_SENT, before=before, by=by, via=via)
    return invoice


@transaction.atomic
def invoice_mark_paid(*, invoice: Invoice, by, via: str = "api") -> Invoice:
    invoice = _locked_invoice(invoice, Transition.MARK_PAID)
    before = invoice.status
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = timezone.now()
    invoice.save(update_fields=["status", "paid_at"])
    _event(invoice, action=Transition.MARK_PAID, before=before, by=by, via=via)
    return invoice


def _refresh_totals(invoice: Invoice) -> None:
    totals = invoice.lines.aggregate(total=Sum("amount"), count=Count("id"))
    invoice.total = totals["total"] or ZERO
    invoice.contact_count = totals["count"]
    invoice.save(update_fields=["total", "contact_count"])


TRANSITION_SERVICES = {
    Transition.SUBMIT: invoice_submit,
    Transition.APPROVE: invoice_approve,
    Transition.RETURN: invoice_return,
    Transition.MARK_SENT: invoice_mark_sent,
    Transition.MARK_PAID: invoice_mark_paid,
}
