"""The ledger's primitives: the one function that records an invoice event, the one that computes an invoice's totals,
and the one that adds a credit line. Only billing writes invoices, lines, totals and events; its services
(``billing.services``, the invoice run in ``billing.runs``) do it through these, and the disputes above billing
call those services.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.display import invoice_label
from billing.models import (
    FROZEN_STATUSES,
    Invoice,
    InvoiceAction,
    InvoiceEvent,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
)
from billing.selectors import invoice_totals_snapshot
from kernel.errors import StateConflict
from kernel.history import actor_or_none, changes_between
from kernel.money import ZERO

# What the specification shows of a contact as billed, copied from a debit line onto the line that credits it.
SNAPSHOT_FIELDS = (
    "external_id",
    "started_at",
    "profession",
    "patient_id",
    "patient_sex",
    "listing_unit",
    "care_unit",
    "home_municipality",
    "overridden",
)


def invoice_event_record(
    *,
    invoice: Invoice,
    action: InvoiceAction,
    before: str,
    by,
    via: str,
    note: str = "",
    changes: dict | None = None,
) -> InvoiceEvent:
    """Append one entry to an invoice's history: what happened, from which status to the invoice's current one, by
    whom (None for the system), through which interface, what else changed (``{"field": [before, after]}``), why."""
    return InvoiceEvent.objects.create(
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


def invoice_totals_refresh(*, invoice: Invoice) -> dict:
    """Set an invoice's total and contact count from its lines (the only way they are set); returns what changed,
    ``{"total": [before, after], "contact_count": [before, after]}``, for its history.

    Every change of an invoice's lines ends here, so this also bumps its ``content_version``: the draft's stored
    previews (``billing.previews``) are then rendered anew when next asked for."""
    before = invoice_totals_snapshot(invoice)
    totals = invoice.lines.aggregate(total=Sum("amount"), count=Count("id"))
    invoice.total = totals["total"] or ZERO
    invoice.contact_count = totals["count"]
    invoice.content_version = F("content_version") + 1
    invoice.save(update_fields=["total", "contact_count", "content_version"])
    invoice.refresh_from_db(fields=["content_version"])
    return changes_between(before, invoice_totals_snapshot(invoice))


def _draft_credit_note(original: Invoice, reason: int) -> tuple[Invoice, bool]:
    """The draft credit note of ``original`` and ``reason``, locked, created when there is none; and whether it was.
    Only the invoice row is locked: the default ordering (seller, buyer) would join the regions and lock them as
    well, holding up every transaction that stores a row referring to a region until this one commits."""
    credit_note = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(kind=InvoiceKind.CREDIT_NOTE, credits=original, credit_reason=reason, status=InvoiceStatus.DRAFT)
        .order_by("pk")
        .first()
    )
    if credit_note is not None:
        return credit_note, False
    credit_note = Invoice.objects.create(
        seller_id=original.seller_id,
        buyer_id=original.buyer_id,
        period=original.period,
        kind=InvoiceKind.CREDIT_NOTE,
        credits=original,
        credit_reason=reason,
    )
    return credit_note, True


def credit_line_add(
    *,
    line: InvoiceLine,
    reason: int,
    by,
    via: str,
    note: str,
    seller_correction: bool = False,
    rebill: bool = False,
    correction: dict | None = None,
) -> Invoice:
    """Credit a billed line in full on the draft credit note of its invoice and reason (one per invoice and reason,
    created with the first credited line); returns the credit note.

    A line is credited once, whatever the number of objections or corrections: a line already on a credit note (a
    draft or an approved one) is refused with a StateConflict naming it, and the database's unique index on the
    credited line refuses a concurrent second credit. The credit note's history records its creation or each line
    added to it, with the totals before and after, by the person who decided it and why (``note``).
    """
    # The billed line's row: concurrent credits of the same line wait here and then see the first one's line.
    line = InvoiceLine.objects.select_for_update(of=("self",)).select_related("invoice__buyer").get(pk=line.pk)
    original = line.invoice
    if line.credit or original.kind != InvoiceKind.INVOICE or original.status not in FROZEN_STATUSES:
        raise StateConflict(
            _("Only a line of an approved invoice can be credited (contact %(contact)s on %(invoice)s).")
            % {"contact": line.external_id, "invoice": invoice_label(original)}
        )
    existing = InvoiceLine.objects.filter(credited_line=line).select_related("invoice__buyer").first()
    if existing is not None:
        raise StateConflict(
            _("Contact %(contact)s of %(invoice)s is already credited on %(credit_note)s.")
            % {
                "contact": line.external_id,
                "invoice": invoice_label(original),
                "credit_note": invoice_label(existing.invoice),
            }
        )
    credit_note, created = _draft_credit_note(original, reason)
    before = None if created else invoice_totals_snapshot(credit_note)
    try:
        with transaction.atomic():
            InvoiceLine.objects.create(
                invoice=credit_note,
                contact_id=line.contact_id,
                credit=True,
                billing_round=line.billing_round,
                credited_line=line,
                rebill=rebill,
                correction=correction or {},
                category=line.category,
                recommendation_id=line.recommendation_id,
                rate=line.rate,
                patient_fee=line.patient_fee,
                fee_deducted=-line.fee_deducted,
                amount=-line.amount,
                **{name: getattr(line, name) for name in SNAPSHOT_FIELDS},
            )
    except IntegrityError:  # credited meanwhile by a request that committed first
        raise StateConflict(
            _("Contact %(contact)s of %(invoice)s is already credited.")
            % {"contact": line.external_id, "invoice": invoice_label(original)}
        ) from None
    invoice_totals_refresh(invoice=credit_note)
    if seller_correction:
        action = InvoiceAction.CORRECTION_CREATED if created else InvoiceAction.CORRECTION_ADDED
    else:
        action = InvoiceAction.CREATED if created else InvoiceAction.REFRESHED
    invoice_event_record(
        invoice=credit_note,
        action=action,
        before="" if created else InvoiceStatus.DRAFT,
        by=by,
        via=via,
        note=note,
        changes=changes_between(before, invoice_totals_snapshot(credit_note)),
    )
    return credit_note


def credit_lines_add(*, line_ids, reason: int, by, via: str, note: str) -> tuple[Invoice | None, dict[int, str]]:
    """Credit many billed lines of ONE invoice in full on the draft credit note of that invoice and ``reason``, set
    by set: what ``credit_line_add`` does for each line (its checks, its row lock, the same credit line), with one
    totals refresh and one history entry for the lines added together (``note`` says why, the totals before and
    after). For the seller's bulk decision of objections (``disputes.bulk``), where a line at a time is thousands of
    refreshes of the same total.

    Returns the credit note (None when no line could be credited) and, by line id, why each refused line was not
    credited: not a debit line of an approved invoice, or already credited (on a draft or an approved credit note).
    The lines are locked in ascending id, as every credit locks its line first: a concurrent credit of one of them
    waits and then finds it credited (the database's unique index on the credited line stands behind this)."""
    line_ids = sorted(set(line_ids))
    # ORDER BY in the locking query itself: PostgreSQL locks the rows in the order it returns them, so every credit
    # takes its lines' locks in ascending id and two of them never wait on each other in a cycle.
    lines = list(
        InvoiceLine.objects.select_for_update(of=("self",))
        .filter(pk__in=line_ids)
        .select_related("invoice__buyer")
        .order_by("pk")
    )
    invoices = {line.invoice_id for line in lines}
    if len(invoices) > 1:
        raise ValueError("credit_lines_add credits the lines of one invoice at a time")
    refused: dict[int, str] = {}
    for pk in set(line_ids) - {line.pk for line in lines}:
        refused[pk] = _("No such invoice line.")
    credited_on = {
        credit.credited_line_id: credit.invoice
        for credit in InvoiceLine.objects.filter(credited_line_id__in=[line.pk for line in lines]).select_related(
            "invoice__buyer"
        )
    }
    creditable = []
    for line in lines:
        original = line.invoice
        if line.credit or original.kind != InvoiceKind.INVOICE or original.status not in FROZEN_STATUSES:
            refused[line.pk] = _(
                "Only a line of an approved invoice can be credited (contact %(contact)s on %(invoice)s)."
            ) % {"contact": line.external_id, "invoice": invoice_label(original)}
        elif line.pk in credited_on:
            refused[line.pk] = _("Contact %(contact)s of %(invoice)s is already credited on %(credit_note)s.") % {
                "contact": line.external_id,
                "invoice": invoice_label(original),
                "credit_note": invoice_label(credited_on[line.pk]),
            }
        else:
            creditable.append(line)
    if not creditable:
        return None, refused
    original = creditable[0].invoice
    credit_note, created = _draft_credit_note(original, reason)
    before = None if created else invoice_totals_snapshot(credit_note)
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=credit_note,
                contact_id=line.contact_id,
                credit=True,
                billing_round=line.billing_round,
                credited_line=line,
                category=line.category,
                recommendation_id=line.recommendation_id,
                rate=line.rate,
                patient_fee=line.patient_fee,
                fee_deducted=-line.fee_deducted,
                amount=-line.amount,
                **{name: getattr(line, name) for name in SNAPSHOT_FIELDS},
            )
            for line in creditable
        ],
        batch_size=1000,
    )
    invoice_totals_refresh(invoice=credit_note)
    invoice_event_record(
        invoice=credit_note,
        action=InvoiceAction.CREATED if created else InvoiceAction.REFRESHED,
        before="" if created else InvoiceStatus.DRAFT,
        by=by,
        via=via,
        note=note,
        changes=changes_between(before, invoice_totals_snapshot(credit_note)),
    )
    return credit_note, refused
