"""Invoice runs on the start page: the last runs the user may see, and last month's run of the user's region one
click away."""

import datetime as dt

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext

from billing.models import InvoiceRun
from billing.permissions import can_start_run
from billing.runs import invoice_runs_fail_abandoned
from kernel.business_time import add_months
from regions.models import Region
from regions.selectors import visible_to

# How many runs (and failed runs) the page lists.
RUNS_SHOWN = 5


def last_runs(user) -> list[InvoiceRun]:
    """The last runs the user may see, with how many invoices each made (one query)."""
    visible = visible_to(user, InvoiceRun.objects.all())
    # A run whose worker died is shown failed with why, instead of running (and the page reloading) for ever.
    invoice_runs_fail_abandoned(runs=visible)
    return list(
        visible.select_related("billing_region", "started_by")
        .annotate(invoice_total=Count("invoices"))
        .order_by("-created_at", "-id")[:RUNS_SHOWN]
    )


def start_run(user, region: Region, today: dt.date) -> dict | None:
    """Last month's run of the user's region, one click (and a question) away; not offered to a region without
    active providers (as the monthly schedule starts none for it)."""
    if not can_start_run(user, region.code):
        return None
    if not region.has_active_providers:
        return None  # no provider of its own: there is nothing for the region to invoice
    period = f"{add_months(today, -1):%Y-%m}"
    return {
        "url": reverse("admin:billing_invoicerun_add"),
        "region": region.code,
        "period": period,
        "label": gettext("Start the invoice run for %(period)s") % {"period": period},
        "question": gettext(
            "Start the invoice run of %(region)s for %(period)s? It creates or updates the period's draft invoices "
            "with every billable contact not yet invoiced."
        )
        % {"region": region.name, "period": period},
    }
