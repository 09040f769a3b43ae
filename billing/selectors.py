"""Reads of invoices: totals per rate category, computed from the lines in the database."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext as _

from billing.models import FROZEN_STATUSES, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, Transition
from billing.objection_window import first_objectable_issue_date
from billing.permissions import awaiting_approval_of, can_transition_in_bulk
from kernel.money import ZERO, to_money
from regions.models import RateCategory, Region
from regions.selectors import scope_of, visible_to

_CATEGORY_ORDER = {category: index for index, category in enumerate(RateCategory.values)}


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    count: int
    rate: Decimal
    gross: Decimal
    patient_fees: Decimal
    net: Decimal


def invoice_totals(invoice: Invoice) -> list[CategoryTotal]:
    """One row per rate category and rate (two rates of a category in one period give two rows).

    ``gross`` = count × rate, ``patient_fees`` = what was deducted, ``net`` = gross − fees = the lines' sum.
    A credit note's rows are negative.
    """
    rows = (
        InvoiceLine.objects.filter(invoice=invoice)
        .values("category", "rate")
        .annotate(count=Count("id"), fees=Sum("fee_deducted"), net=Sum("amount"))
        .order_by()
    )
    totals = []
    for row in rows:
        sign = -1 if invoice.kind == "credit_note" else 1
        gross = sign * row["count"] * row["rate"]
        totals.append(
            CategoryTotal(
                category=row["category"],
                count=row["count"],
                rate=row["rate"],
                gross=gross,
                patient_fees=row["fees"] or ZERO,
                net=row["net"] or ZERO,
            )
        )
    return sorted(totals, key=lambda t: (_CATEGORY_ORDER.get(t.category, 99), -t.rate))


def invoice_totals_snapshot(invoice: Invoice) -> dict:
    """An invoice's total and number of contacts as JSON values, for its history."""
    return {"total": f"{invoice.total:.2f}", "contact_count": invoice.contact_count}


def contact_live_line(contact) -> InvoiceLine | None:
    """The contact's billed line that stands: its line on an approved (sent, paid) invoice that is neither credited
    nor on a credit note being made. None when it has none (not billed yet, or every billing of it credited)."""
    return (
        InvoiceLine.objects.select_related("invoice__buyer")
        .filter(contact=contact, credit=False, invoice__status__in=FROZEN_STATUSES)
        .filter(~Exists(InvoiceLine.objects.filter(credited_line=OuterRef("pk"))))
        .order_by("-billing_round")
        .first()
    )


def contact_credit_line(contact) -> InvoiceLine | None:
    """The line crediting the contact's latest billing, on a credit note being made or approved (None if none)."""
    return (
        InvoiceLine.objects.select_related("invoice__buyer")
        .filter(contact=contact, credit=True)
        .order_by("-billing_round", "-id")
        .first()
    )


def payment_details_missing(seller: Region, buyer: Region, *, kind: str) -> list[str]:
    """What keeps an invoice of ``seller`` to ``buyer`` from being payable, in the reader's words (empty when
    nothing): both parties' organisation numbers and, for an invoice (not a credit note, which is settled against
    the invoice it credits), the seller's bankgiro. Approval refuses while any is missing; the start page warns."""
    missing = []
    if not seller.org_number:
        missing.append(_("%(region)s has no organisation number") % {"region": seller.name})
    if kind == InvoiceKind.INVOICE and not seller.bankgiro:
        missing.append(_("%(region)s has no bankgiro number") % {"region": seller.name})
    if not buyer.org_number:
        missing.append(_("%(region)s has no organisation number") % {"region": buyer.name})
    return missing


def without_drafts_of_others(user, invoices):
    """Invoices already scoped by ``visible_to``, as the admin's screens show them to region staff: less the drafts
    they are only the buyer of. A draft is the seller's work in progress; its buyer sees the invoice from
    submission on, read-only. (The API keeps API.md's scope, in which the buyer's system may read a draft.)"""
    scope = scope_of(user)
    if not scope.is_region_staff:
        return invoices
    return invoices.exclude(Q(status=InvoiceStatus.DRAFT) & ~Q(seller_id=scope.region_code))


def open_to_objection(today: dt.date) -> Q:
    """Invoices their buyer may still object to on ``today``, as a condition: approved (or later) invoices, not credit
    notes, issued within the objection period (``billing.objection_window``). The received-invoices filter and the
    start page read it."""
    first = first_objectable_issue_date(today, settings.OBJECTION_PERIOD_MONTHS)
    return Q(status__in=FROZEN_STATUSES, kind=InvoiceKind.INVOICE, issue_date__gte=first)


@dataclass(frozen=True)
class ApprovalQueue:
    count: int
    total: Decimal


def invoices_awaiting_approval_by(user):
    """The invoices ``user`` may approve now: submitted invoices of the user's region (as seller) that someone else
    submitted (``awaiting_approval_of``, the four-eyes rule), for a manager signed in as a person
    (``can_transition_in_bulk``); none for anyone else. What the invoice list's "awaiting my approval" shows a
    manager, and what "Approve selected" there approves."""
    if not can_transition_in_bulk(user, Transition.APPROVE):
        return Invoice.objects.none()
    region = scope_of(user).region_code
    return visible_to(user, Invoice.objects.filter(seller_id=region), pinned={"seller": region}).filter(
        awaiting_approval_of(user)
    )


def approval_queue_of(user) -> ApprovalQueue:
    """How many invoices await ``user``'s approval and their total, in one aggregate query: the start page's task
    "Godkänn N fakturor (X kr)"."""
    totals = invoices_awaiting_approval_by(user).order_by().aggregate(count=Count("pk"), total=Sum("total"))
    return ApprovalQueue(count=totals["count"], total=to_money(totals["total"] or ZERO))
