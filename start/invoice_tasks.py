"""The region's own invoices on its clerks' and managers' start page: drafts to submit (per period), credit notes to
submit, returned drafts and their notes, invoices awaiting the manager's approval (``awaiting_approval_of``, as the
invoice list's filter), approved invoices to send, sent ones past their due date; and what waits for others."""

import datetime as dt

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils.translation import gettext

from billing.display import invoice_label
from billing.models import Invoice, InvoiceEvent, InvoiceKind, InvoiceStatus, Transition
from billing.permissions import awaiting_approval_of
from kernel.money import ZERO
from regions.models import Role
from regions.selectors import Scope, visible_to
from start.tasks import Detail, Task, admin_url, or_zero

# How many returned drafts the page lists.
RETURNED_SHOWN = 10


def invoice_tasks(user, scope: Scope, today: dt.date) -> tuple[list[Task], list[Task]]:
    """Drafts to submit (per period), credit notes to submit, returned drafts and their notes, invoices awaiting the
    manager's approval, approved invoices to send, sent ones past their due date (the tasks, in this order); and what
    waits for others."""
    region = scope.region_code
    is_manager = scope.role == Role.MANAGER
    own = visible_to(user, Invoice.objects.filter(seller_id=region), pinned={"seller": region})
    draft = Q(status=InvoiceStatus.DRAFT, kind=InvoiceKind.INVOICE)
    credit_draft = Q(status=InvoiceStatus.DRAFT, kind=InvoiceKind.CREDIT_NOTE)
    returned = Q(status=InvoiceStatus.DRAFT, submitted_at__isnull=False)
    submitted = Q(status=InvoiceStatus.SUBMITTED)
    mine_to_approve = awaiting_approval_of(user)  # as the invoice list's "awaiting my approval" filter
    approved = Q(status=InvoiceStatus.APPROVED)
    unpaid = Q(status=InvoiceStatus.SENT, due_date__lt=today)
    totals = own.order_by().aggregate(
        drafts=Count("pk", filter=draft),
        drafts_total=Sum("total", filter=draft),
        credit_drafts=Count("pk", filter=credit_draft),
        credit_drafts_total=Sum("total", filter=credit_draft),
        returned=Count("pk", filter=returned),
        submitted=Count("pk", filter=submitted),
        submitted_total=Sum("total", filter=submitted),
        to_approve=Count("pk", filter=mine_to_approve),
        to_approve_total=Sum("total", filter=mine_to_approve),
        approved=Count("pk", filter=approved),
        approved_total=Sum("total", filter=approved),
        unpaid=Count("pk", filter=unpaid),
        unpaid_total=Sum("total", filter=unpaid),
    )
    seller = {"seller__code__exact": region}
    tasks, waiting = [], []
    if is_manager and totals["to_approve"]:
        tasks.append(
            Task(
                key="approve",
                text=gettext("Approve invoices that a colleague has submitted"),
                count=totals["to_approve"],
                amount=or_zero(totals["to_approve_total"]),
                url=admin_url("admin:billing_invoice_changelist", {"awaiting": "my-approval"}),
            )
        )
    if totals["returned"]:
        tasks.append(
            Task(
                key="returned",
                text=gettext("Correct the drafts returned by a manager and submit them again"),
                count=totals["returned"],
                url=admin_url(
                    "admin:billing_invoice_changelist",
                    {**seller, "status__exact": InvoiceStatus.DRAFT, "kind__exact": InvoiceKind.INVOICE},
                ),
                details=tuple(returned_drafts(own.filter(returned))),
            )
        )
    if totals["drafts"]:
        per_period = (
            own.filter(draft)
            .order_by()
            .values("period")
            .annotate(count=Count("pk"), total=Sum("total"))
            .order_by("-period")
        )
        drafts = {**seller, "status__exact": InvoiceStatus.DRAFT, "kind__exact": InvoiceKind.INVOICE}
        tasks.append(
            Task(
                key="drafts",
                text=gettext("Check the draft invoices and submit them for approval"),
                count=totals["drafts"],
                amount=or_zero(totals["drafts_total"]),
                url=admin_url("admin:billing_invoice_changelist", drafts),
                details=tuple(
                    Detail(
                        text=row["period"],
                        count=row["count"],
                        amount=or_zero(row["total"]),
                        url=admin_url("admin:billing_invoice_changelist", {**drafts, "period": row["period"]}),
                    )
                    for row in per_period
                ),
            )
        )
    if totals["credit_drafts"]:
        tasks.append(
            Task(
                key="credit-drafts",
                text=gettext("Check the draft credit notes and submit them"),
                count=totals["credit_drafts"],
                amount=or_zero(totals["credit_drafts_total"]),
                url=admin_url(
                    "admin:billing_invoice_changelist",
                    {**seller, "status__exact": InvoiceStatus.DRAFT, "kind__exact": InvoiceKind.CREDIT_NOTE},
                ),
            )
        )
    if totals["approved"]:
        tasks.append(
            Task(
                key="send",
                text=gettext("Send the approved invoices to the buyers and mark them as sent"),
                count=totals["approved"],
                amount=or_zero(totals["approved_total"]),
                url=admin_url("admin:billing_invoice_changelist", {**seller, "status__exact": InvoiceStatus.APPROVED}),
            )
        )
    if totals["unpaid"]:
        tasks.append(
            Task(
                key="unpaid",
                text=gettext("Follow up invoices past their due date, and mark them as paid when paid"),
                count=totals["unpaid"],
                amount=or_zero(totals["unpaid_total"]),
                url=admin_url("admin:billing_invoice_changelist", {**seller, "payment": "overdue"}),
            )
        )
    others = totals["submitted"] - (totals["to_approve"] if is_manager else 0)
    if others:
        waiting.append(
            Task(
                key="submitted",
                text=gettext("Submitted invoices waiting for a manager's approval"),
                count=others,
                amount=or_zero(totals["submitted_total"])
                - (or_zero(totals["to_approve_total"]) if is_manager else ZERO),
                url=admin_url("admin:billing_invoice_changelist", {**seller, "status__exact": InvoiceStatus.SUBMITTED}),
            )
        )
    return tasks, waiting


def returned_drafts(returned) -> list[Detail]:
    """The returned drafts with the note of their latest return (one query)."""
    last_return = InvoiceEvent.objects.filter(invoice=OuterRef("pk"), action=Transition.RETURN).order_by("-at", "-id")
    rows = (
        returned.select_related("buyer")
        .annotate(return_note=Subquery(last_return.values("note")[:1]))
        .order_by("-period", "buyer_id")[:RETURNED_SHOWN]
    )
    return [
        Detail(
            text=invoice_label(invoice),
            amount=invoice.total,
            note=invoice.return_note or "",
            url=reverse("admin:billing_invoice_change", args=[invoice.pk]),
        )
        for invoice in rows
    ]
