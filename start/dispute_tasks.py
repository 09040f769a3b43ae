"""Dispute cases on the clerks' and managers' start page: open cases their region decides (contested rejections,
objections to its invoices), those past their deadline, and its own objections waiting for the other region."""

import datetime as dt

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext

from disputes.models import Dispute, DisputeKind, DisputeStatus
from regions.selectors import Scope, visible_to
from start.tasks import Task, admin_url, or_zero


def dispute_tasks(user, scope: Scope, today: dt.date) -> tuple[list[Task], list[Task]]:
    """Open cases the region decides (contested rejections, objections to its invoices), those past their
    deadline, and its own objections waiting for the other region's decision."""
    region = scope.region_code
    decides = Q(contact__billing_region_id=region)
    rejection = decides & Q(kind=DisputeKind.REJECTION)
    objection = decides & Q(kind=DisputeKind.OBJECTION)
    ours = Q(contact__home_region_id=region, kind=DisputeKind.OBJECTION)
    late = Q(deadline__lt=today)
    counts = (
        visible_to(user, Dispute.objects.filter(status=DisputeStatus.OPEN))
        .order_by()
        .aggregate(
            rejections=Count("pk", filter=rejection),
            rejections_late=Count("pk", filter=rejection & late),
            objections=Count("pk", filter=objection),
            objections_late=Count("pk", filter=objection & late),
            objections_amount=Sum("invoice_line__amount", filter=objection),
            ours=Count("pk", filter=ours),
            ours_late=Count("pk", filter=ours & late),
        )
    )
    open_cases = {"status__exact": DisputeStatus.OPEN}
    tasks, waiting = [], []
    for key, kind, text in (
        ("rejections", DisputeKind.REJECTION, gettext("Decide the contested rejections of your region's contacts")),
        ("objections", DisputeKind.OBJECTION, gettext("Decide the objections to your region's invoices")),
    ):
        if counts[key]:
            params = {**open_cases, "kind__exact": kind, "billing_region": region}
            # The objections: their kronor, and the seller's screen grouping them by invoice and proposed credit
            # reason, from which they are decided in bulk (disputes.admin.decisions).
            objections = key == "objections"
            tasks.append(
                Task(
                    key=key,
                    text=text,
                    count=counts[key],
                    amount=or_zero(counts["objections_amount"]) if objections else None,
                    url=admin_url(
                        "admin:disputes_dispute_objections" if objections else "admin:disputes_dispute_changelist",
                        None if objections else params,
                    ),
                    overdue=counts[f"{key}_late"],
                    overdue_url=admin_url("admin:disputes_dispute_changelist", {**params, "overdue": "yes"}),
                )
            )
    if counts["ours"]:
        params = {**open_cases, "kind__exact": DisputeKind.OBJECTION, "home_region": region}
        waiting.append(
            Task(
                key="our-objections",
                text=gettext("Your region's objections waiting for the billing region's decision"),
                count=counts["ours"],
                url=admin_url("admin:disputes_dispute_changelist", params),
                overdue=counts["ours_late"],
                overdue_url=admin_url("admin:disputes_dispute_changelist", {**params, "overdue": "yes"}),
            )
        )
    return tasks, waiting
