"""The national admins' start page: failed runs, draft recommendation versions and locked-out logins to see to, and
each region's open work."""

import datetime as dt
from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from billing.models import Invoice, InvoiceRun, InvoiceStatus, RunStatus
from disputes.models import Dispute, DisputeStatus
from regions.models import RateRecommendation, RecommendationStatus, Region
from regions.permissions import can_change_reference_data, can_manage_users
from regions.selectors import visible_to
from start.runs import RUNS_SHOWN
from start.tasks import Detail, Task, admin_url

# Failed runs are listed for this many days.
FAILED_RUNS_DAYS = 30


@dataclass(frozen=True)
class RegionRow:
    """The national overview: one region's open work."""

    region: Region
    cells: tuple[tuple[int, str], ...]  # (count, url) in the order of StartPage.region_columns


def national_tasks(user) -> list[Task]:
    tasks = []
    since = timezone.now() - dt.timedelta(days=FAILED_RUNS_DAYS)
    failed = visible_to(user, InvoiceRun.objects.filter(status=RunStatus.FAILED, created_at__gte=since))
    failed_runs = list(failed.select_related("billing_region").order_by("-created_at", "-id")[:RUNS_SHOWN])
    if failed_runs:
        tasks.append(
            Task(
                key="failed-runs",
                text=gettext("Find out why invoice runs failed in the last %(days)d days, and start them again")
                % {"days": FAILED_RUNS_DAYS},
                count=failed.count() if len(failed_runs) == RUNS_SHOWN else len(failed_runs),
                url=admin_url("admin:billing_invoicerun_changelist", {"status__exact": RunStatus.FAILED}),
                details=tuple(
                    Detail(
                        text=f"{run.billing_region.name}, {run.period}",
                        note=run.error,
                        url=reverse("admin:billing_invoicerun_change", args=[run.pk]),
                    )
                    for run in failed_runs
                ),
            )
        )
    if can_change_reference_data(user):
        drafts = RateRecommendation.objects.filter(status=RecommendationStatus.DRAFT).count()
        if drafts:
            tasks.append(
                Task(
                    key="recommendation-drafts",
                    text=gettext("Publish or remove the draft recommendation versions"),
                    count=drafts,
                    url=admin_url(
                        "admin:regions_raterecommendation_changelist", {"status__exact": RecommendationStatus.DRAFT}
                    ),
                )
            )
    if can_manage_users(user):
        locked = AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
            attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
        ).count()
        if locked:
            tasks.append(
                Task(
                    key="locked-logins",
                    text=gettext("Locked-out logins: unlock those you know (delete the attempt)"),
                    count=locked,
                    url=admin_url("admin:axes_accessattempt_changelist"),
                )
            )
    return tasks


REGION_COLUMNS = (
    "drafts",
    "to_approve",
    "to_send",
    "open_disputes",
    "overdue_disputes",
)


def per_region(user, today: dt.date) -> list[RegionRow]:
    """Each region's open work (regions with none are left out): two grouped queries and the regions."""
    invoices = {
        row["seller_id"]: row
        for row in visible_to(user, Invoice.objects.all())
        .order_by()
        .values("seller_id")
        .annotate(
            drafts=Count("pk", filter=Q(status=InvoiceStatus.DRAFT)),
            to_approve=Count("pk", filter=Q(status=InvoiceStatus.SUBMITTED)),
            to_send=Count("pk", filter=Q(status=InvoiceStatus.APPROVED)),
        )
    }
    disputes = {
        row["region"]: row
        for row in visible_to(user, Dispute.objects.filter(status=DisputeStatus.OPEN))
        .order_by()
        .values(region=F("contact__billing_region_id"))
        .annotate(open_disputes=Count("pk"), overdue_disputes=Count("pk", filter=Q(deadline__lt=today)))
    }
    rows = []
    for region in Region.objects.order_by("code"):
        counts = {**invoices.get(region.code, {}), **disputes.get(region.code, {})}
        values = [counts.get(column, 0) for column in REGION_COLUMNS]
        if not any(values):
            continue
        seller = {"seller__code__exact": region.code}
        decides = {"status__exact": DisputeStatus.OPEN, "billing_region": region.code}
        urls = [
            admin_url("admin:billing_invoice_changelist", {**seller, "status__exact": InvoiceStatus.DRAFT}),
            admin_url("admin:billing_invoice_changelist", {**seller, "status__exact": InvoiceStatus.SUBMITTED}),
            admin_url("admin:billing_invoice_changelist", {**seller, "status__exact": InvoiceStatus.APPROVED}),
            admin_url("admin:disputes_dispute_changelist", decides),
            admin_url("admin:disputes_dispute_changelist", {**decides, "overdue": "yes"}),
        ]
        rows.append(RegionRow(region=region, cells=tuple(zip(values, urls, strict=True))))
    return rows
