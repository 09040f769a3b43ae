"""The buyer's task on its clerks' and managers' start page: invoices other regions sent the region that it may still
object to (``billing.selectors.open_to_objection``, as the invoice list's "received" filter), and those of them
whose review flags lines (``review_task``)."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Sum
from django.urls import reverse
from django.utils.translation import gettext

from billing.display import invoice_label
from billing.models import Invoice
from billing.selectors import open_to_objection
from kernel.money import ZERO
from regions.selectors import Scope, visible_to
from review.selectors import invoice_review, register_loads_for, reviewable_invoices
from start.tasks import Detail, Task, admin_url, or_zero


def received_invoices_task(user, scope: Scope, today: dt.date) -> Task | None:
    """Invoices other regions sent the user's region that it may still object to (one aggregate)."""
    received = visible_to(
        user,
        Invoice.objects.filter(open_to_objection(today), buyer_id=scope.region_code),
        pinned={"buyer": scope.region_code},
    ).aggregate(count=Count("pk"), total=Sum("total"))
    if not received["count"]:
        return None
    return Task(
        key="received",
        text=gettext("Check the invoices your region received, and object in time to contacts it should not pay"),
        count=received["count"],
        amount=or_zero(received["total"]),
        url=admin_url("admin:billing_invoice_changelist", {"received": "objectable"}),
    )


REVIEWS_SHOWN = 10


def review_task(user, scope: Scope, today: dt.date) -> Task | None:
    """The received invoices still open to objection whose review flags lines (``review.selectors``): one line each
    with its flagged lines and their kronor, linking to its review. The newest ``REVIEWS_SHOWN`` invoices, one
    aggregate each (the review is set-based SQL). Only once the region has loaded a register: until then it has not
    taken the review into use, and its clerks check the received invoices as the task above says. The page asks for it
    only when the region received any (``received_invoices_task``)."""
    invoices = (
        reviewable_invoices(user)
        .filter(open_to_objection(today), Exists(register_loads_for(user).filter(region_id=OuterRef("buyer_id"))))
        .order_by("-issue_date", "-pk")[:REVIEWS_SHOWN]
    )
    details = []
    for invoice in invoices:
        figures = invoice_review(invoice).flagged_lines().order_by().aggregate(count=Count("pk"), total=Sum("amount"))
        if figures["count"]:
            details.append(
                Detail(
                    text=invoice_label(invoice),
                    count=figures["count"],
                    amount=or_zero(figures["total"]),
                    url=reverse("admin:billing_invoice_review", args=[invoice.pk]),
                )
            )
    if not details:
        return None
    return Task(
        key="review",
        text=gettext("Review the flagged lines of the invoices your region received"),
        count=sum(detail.count for detail in details),
        amount=sum((detail.amount for detail in details), ZERO),
        url=details[0].url,
        details=tuple(details),
    )
