"""The buyer's task on its clerks' and managers' start page: invoices other regions sent the region that it may still
object to (``billing.selectors.open_to_objection``, as the invoice list's "received" filter)."""

import datetime as dt

from django.db.models import Count, Sum
from django.utils.translation import gettext

from billing.models import Invoice
from billing.selectors import open_to_objection
from regions.selectors import Scope, visible_to
from start.tasks import Task, admin_url, or_zero


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
