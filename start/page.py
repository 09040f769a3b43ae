"""The admin's start page: what each person has to do now, read through the one scoping rule.

Clerks and managers see their region's work (drafts to submit, returned drafts and why, invoices to approve or
send, disputes their region decides and those past their deadline, rejected contacts of the last months, the last
invoice runs and a button for last month's run); national admins see failed runs, the work per region, draft
recommendation versions and locked-out logins. Each task names what to do, how many and how much, and links to the
list filtered to exactly those rows. Every count is an aggregate query over ``visible_to``; the number of queries
does not grow with the data (contacts are counted with a cap, as in their list).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from billing.deadline import deadline_cutoff, last_billable_day
from billing.display import invoice_label
from billing.models import (
    Invoice,
    InvoiceEvent,
    InvoiceKind,
    InvoiceRun,
    InvoiceStatus,
    RunStatus,
    Transition,
)
from billing.permissions import awaiting_approval_of, can_start_run
from billing.runs import invoice_runs_fail_abandoned
from billing.selectors import open_to_objection
from contacts.models import Contact, Status
from disputes.models import Dispute, DisputeKind, DisputeStatus
from kernel.business_time import STOCKHOLM, add_months, period_bounds, stockholm_date, stockholm_today
from kernel.money import ZERO, format_sek
from regions.models import (
    ApiClient,
    Profession,
    Provider,
    RateRecommendation,
    RecommendationStatus,
    Region,
    RegionPopulation,
    Role,
)
from regions.permissions import can_change_reference_data, can_manage_users
from regions.selectors import Scope, scope_of, visible_to

# Rejected contacts are counted for this many months (the current one included), each up to this many.
REJECTED_MONTHS = 3
REJECTED_CAP = 1_000
# How many runs, returned drafts and failed runs the page lists.
RUNS_SHOWN = 5
RETURNED_SHOWN = 10
FAILED_RUNS_DAYS = 30
# Contacts whose invoicing deadline falls within this many days are shown as a task.
LAPSE_WARNING_DAYS = 30


def count_text(count: int | None, capped: bool = False) -> str:
    """A count as read: ``1 234`` (a non-breaking space between thousands), ``fler än 1 000`` past a cap."""
    if count is None:
        return ""
    text = f"{count:,}".replace(",", "\u00a0")
    return gettext("more than %(count)s") % {"count": text} if capped else text


class _Figures:
    """How a task's or a detail's count and amount read in the table: "more than 500", "1 234,50 kr"."""

    count: int | None
    amount: Decimal | None
    capped: bool

    @property
    def amount_text(self) -> str:
        return format_sek(self.amount) if self.amount is not None else ""

    @property
    def count_text(self) -> str:
        return count_text(self.count, self.capped)


@dataclass(frozen=True)
class Detail(_Figures):
    """One line under a task: a period, a returned invoice and its note, a failed run and why."""

    text: str
    url: str
    count: int | None = None
    amount: Decimal | None = None
    note: str = ""
    capped: bool = False


@dataclass(frozen=True)
class Task(_Figures):
    """Something to do (or to follow), with how many, how much, and the filtered list to do it in."""

    key: str  # stable, for the markup (data-task) and tests
    text: str
    count: int
    url: str
    amount: Decimal | None = None
    overdue: int = 0
    overdue_url: str = ""
    capped: bool = False  # the count stopped at the cap: "more than"
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True)
class RegionRow:
    """The national overview: one region's open work."""

    region: Region
    cells: tuple[tuple[int, str], ...]  # (count, url) in the order of StartPage.region_columns


@dataclass
class StartPage:
    heading: str
    tasks: list[Task] = field(default_factory=list)
    waiting: list[Task] = field(default_factory=list)
    runs: list[InvoiceRun] = field(default_factory=list)
    runs_url: str = ""
    start_run: dict | None = None
    region_columns: tuple[str, ...] = ()
    regions: list[RegionRow] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def refresh(self) -> bool:
        """A queued or running run on the page: it reloads itself (a meta refresh) until they have finished."""
        return any(run.status in (RunStatus.QUEUED, RunStatus.RUNNING) for run in self.runs)


def _url(name: str, params: Mapping[str, str] | None = None) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


def _sum(value) -> Decimal:
    return value if value is not None else ZERO


# --- Invoices -------------------------------------------------------------------------------------------------


def _invoice_tasks(user, scope: Scope) -> tuple[list[Task], list[Task]]:
    """Drafts to submit (per period), credit notes to submit, returned drafts and their notes, invoices awaiting the
    manager's approval, approved invoices to send, sent ones past their due date; and what waits for others."""
    region = scope.region_code
    is_manager = scope.role == Role.MANAGER
    own = visible_to(user, Invoice.objects.filter(seller_id=region), pinned={"seller": region})
    draft = Q(status=InvoiceStatus.DRAFT, kind=InvoiceKind.INVOICE)
    credit_draft = Q(status=InvoiceStatus.DRAFT, kind=InvoiceKind.CREDIT_NOTE)
    returned = Q(status=InvoiceStatus.DRAFT, submitted_at__isnull=False)
    submitted = Q(status=InvoiceStatus.SUBMITTED)
    mine_to_approve = awaiting_approval_of(user)  # as the invoice list's "awaiting my approval" filter
    approved = Q(status=InvoiceStatus.APPROVED)
    unpaid = Q(status=InvoiceStatus.SENT, due_date__lt=stockholm_today())
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
                amount=_sum(totals["to_approve_total"]),
                url=_url("admin:billing_invoice_changelist", {"awaiting": "my-approval"}),
            )
        )
    if totals["returned"]:
        tasks.append(
            Task(
                key="returned",
                text=gettext("Correct the drafts returned by a manager and submit them again"),
                count=totals["returned"],
                url=_url(
                    "admin:billing_invoice_changelist",
                    {**seller, "status__exact": InvoiceStatus.DRAFT, "kind__exact": InvoiceKind.INVOICE},
                ),
                details=tuple(_returned_drafts(own.filter(returned))),
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
                amount=_sum(totals["drafts_total"]),
                url=_url("admin:billing_invoice_changelist", drafts),
                details=tuple(
                    Detail(
                        text=row["period"],
                        count=row["count"],
                        amount=_sum(row["total"]),
                        url=_url("admin:billing_invoice_changelist", {**drafts, "period": row["period"]}),
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
                amount=_sum(totals["credit_drafts_total"]),
                url=_url(
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
                amount=_sum(totals["approved_total"]),
                url=_url("admin:billing_invoice_changelist", {**seller, "status__exact": InvoiceStatus.APPROVED}),
            )
        )
    if totals["unpaid"]:
        tasks.append(
            Task(
                key="unpaid",
                text=gettext("Follow up invoices past their due date, and mark them as paid when paid"),
                count=totals["unpaid"],
                amount=_sum(totals["unpaid_total"]),
                url=_url("admin:billing_invoice_changelist", {**seller, "payment": "overdue"}),
            )
        )
    received = _received_invoices(user, scope)
    if received is not None:
        tasks.append(received)
    others = totals["submitted"] - (totals["to_approve"] if is_manager else 0)
    if others:
        waiting.append(
            Task(
                key="submitted",
                text=gettext("Submitted invoices waiting for a manager's approval"),
                count=others,
                amount=_sum(totals["submitted_total"]) - (_sum(totals["to_approve_total"]) if is_manager else ZERO),
                url=_url("admin:billing_invoice_changelist", {**seller, "status__exact": InvoiceStatus.SUBMITTED}),
            )
        )
    return tasks, waiting


def _received_invoices(user, scope: Scope) -> Task | None:
    """Invoices other regions sent the user's region that it may still object to (one aggregate)."""
    received = visible_to(
        user,
        Invoice.objects.filter(open_to_objection(stockholm_today()), buyer_id=scope.region_code),
        pinned={"buyer": scope.region_code},
    ).aggregate(count=Count("pk"), total=Sum("total"))
    if not received["count"]:
        return None
    return Task(
        key="received",
        text=gettext("Check the invoices your region received, and object in time to contacts it should not pay"),
        count=received["count"],
        amount=_sum(received["total"]),
        url=_url("admin:billing_invoice_changelist", {"received": "objectable"}),
    )


def _returned_drafts(returned) -> list[Detail]:
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


# --- Disputes and contacts ----------------------------------------------------------------------------------


def _dispute_tasks(user, scope: Scope) -> tuple[list[Task], list[Task]]:
    """Open cases the region decides (contested rejections, objections to its invoices), those past their
    deadline, and its own objections waiting for the other region's decision."""
    region = scope.region_code
    today = stockholm_today()
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
            tasks.append(
                Task(
                    key=key,
                    text=text,
                    count=counts[key],
                    url=_url("admin:disputes_dispute_changelist", params),
                    overdue=counts[f"{key}_late"],
                    overdue_url=_url("admin:disputes_dispute_changelist", {**params, "overdue": "yes"}),
                )
            )
    if counts["ours"]:
        params = {**open_cases, "kind__exact": DisputeKind.OBJECTION, "home_region": region}
        waiting.append(
            Task(
                key="our-objections",
                text=gettext("Your region's objections waiting for the billing region's decision"),
                count=counts["ours"],
                url=_url("admin:disputes_dispute_changelist", params),
                overdue=counts["ours_late"],
                overdue_url=_url("admin:disputes_dispute_changelist", {**params, "overdue": "yes"}),
            )
        )
    return tasks, waiting


# The rejected contacts to review: those of out-of-county care. A contact whose patient lives in the billing region
# is no out-of-county care; rejected as such, it has nothing to correct or contest.
REJECTED_LIST = {"status__exact": Status.REJECTED, "out_of_county": "yes"}


def _rejected_contacts_task(user, scope: Scope) -> Task | None:
    """Rejected contacts of out-of-county care the region bills, per month of the last months, each counted up to a
    cap: a count over a LIMIT walks the (billing region, started at) index and stops (as the contact list's count
    does). Counted by the same filter as the list its links open."""
    region = scope.region_code
    month = stockholm_today().replace(day=1)
    details, total, capped = [], 0, False
    for step in range(REJECTED_MONTHS):
        period = f"{add_months(month, -step):%Y-%m}"
        start, end = period_bounds(period)
        rejected = visible_to(
            user,
            Contact.objects.filter(
                billing_region_id=region, status=Status.REJECTED, started_at__gte=start, started_at__lt=end
            ).exclude(home_region_id=F("billing_region_id")),  # the list's out_of_county=yes (OutOfCountyFilter)
            pinned={"billing_region": region},
        )
        counted = rejected.order_by().values("pk")[: REJECTED_CAP + 1].count()
        if not counted:
            continue
        capped = capped or counted > REJECTED_CAP
        total += min(counted, REJECTED_CAP)
        params = {**REJECTED_LIST, "billing_region__code__exact": region, "period": period}
        details.append(
            Detail(
                text=period,
                count=min(counted, REJECTED_CAP),
                capped=counted > REJECTED_CAP,
                url=_url("admin:contacts_contact_changelist", params),
            )
        )
    if not details:
        return None
    return Task(
        key="rejected",
        text=gettext("Review the rejected contacts of the last months: have them corrected, or contest them"),
        count=total,
        capped=capped,
        url=_url("admin:contacts_contact_changelist", {**REJECTED_LIST, "billing_region__code__exact": region}),
        details=tuple(details),
    )


OPEN_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.SUBMITTED)


def _payment_details_task(region: Region) -> Task | None:
    """What the region's invoices lack to be approved (``billing.selectors.payment_details_missing``): its own
    organisation number or bankgiro, or the organisation number of a buyer it has open invoices to. Each detail
    links to the region's page, where its administrator (a national one for organisation numbers) adds it. From
    the start page's region query; a second query only when a buyer lacks its number."""
    missing = []
    if not region.org_number:
        missing.append((gettext("%(region)s has no organisation number") % {"region": region.name}, region.code))
    if not region.bankgiro:
        missing.append((gettext("%(region)s has no bankgiro number") % {"region": region.name}, region.code))
    if region.has_buyers_without_org_number:
        open_invoices = Invoice.objects.filter(seller=region, status__in=OPEN_STATUSES)
        buyers = Region.objects.filter(org_number="", code__in=open_invoices.values("buyer_id")).order_by("code")
        missing += [
            (gettext("%(region)s has no organisation number") % {"region": buyer.name}, buyer.code) for buyer in buyers
        ]
    if not missing:
        return None
    return Task(
        key="payment_details",
        text=gettext(
            "Complete what invoices need before they can be approved: organisation numbers (national "
            "administrators) and the seller's bankgiro (the region's administrator)"
        ),
        count=len(missing),
        url=reverse("admin:regions_region_change", args=[region.code]),
        details=tuple(
            Detail(text=text, url=reverse("admin:regions_region_change", args=[code])) for text, code in missing
        ),
    )


def _lapsing_contacts_task(user, scope: Scope) -> Task | None:
    """Billable contacts of the region not yet on a submitted or approved invoice whose right to payment lapses within
    ``LAPSE_WARNING_DAYS`` (the invoicing deadline, ``billing.deadline``): how many, how much, the oldest and its last
    day, per period, each linking the contact list filtered to exactly them. One aggregate over the (billing region,
    started at) index: the contacts of a month-wide slice."""
    region = scope.region_code
    today = stockholm_today()
    start, end = deadline_cutoff(today), deadline_cutoff(today + dt.timedelta(days=LAPSE_WARNING_DAYS))
    lapsing = visible_to(
        user,
        Contact.objects.filter(
            billing_region_id=region, status=Status.ELIGIBLE, locked=False, started_at__gte=start, started_at__lt=end
        ),
        pinned={"billing_region": region},
    )
    rows = list(
        lapsing.annotate(month=TruncMonth("started_at", tzinfo=STOCKHOLM))
        .values("month")
        .annotate(count=Count("pk"), amount=Sum("amount"), oldest=Min("started_at"))
        .order_by("month")
    )
    if not rows:
        return None
    oldest = min(row["oldest"] for row in rows)

    def listed(first: dt.datetime, last: dt.datetime) -> str:
        params = {
            "billing_region__code__exact": region,
            "status__exact": Status.ELIGIBLE,
            # The contact list's date range (Stockholm days, both included): the bounds are Stockholm midnights.
            "started_from": stockholm_date(first).isoformat(),
            "started_to": (stockholm_date(last) - dt.timedelta(days=1)).isoformat(),
        }
        return _url("admin:contacts_contact_changelist", params)

    details = []
    for row in rows:
        period = f"{row['month']:%Y-%m}"
        period_start, period_end = period_bounds(period)
        details.append(
            Detail(
                text=period,
                count=row["count"],
                amount=_sum(row["amount"]),
                note=gettext("the oldest lapses after %(date)s") % {"date": last_billable_day(row["oldest"])},
                url=listed(max(start, period_start), min(end, period_end)),
            )
        )
    return Task(
        key="lapsing",
        text=gettext(
            "Invoice the contacts whose right to payment lapses within %(days)d days: run invoicing for their "
            "periods and have the invoices approved (the oldest, of %(oldest)s, lapses after %(last)s)"
        )
        % {
            "days": LAPSE_WARNING_DAYS,
            "oldest": stockholm_date(oldest).isoformat(),
            "last": last_billable_day(oldest).isoformat(),
        },
        count=sum(row["count"] for row in rows),
        amount=sum((_sum(row["amount"]) for row in rows), ZERO),
        url=listed(start, end),
        details=tuple(details),
    )


# --- Runs ------------------------------------------------------------------------------------------------------


def _runs(user) -> list[InvoiceRun]:
    """The last runs the user may see, with how many invoices each made (one query)."""
    visible = visible_to(user, InvoiceRun.objects.all())
    # A run whose worker died is shown failed with why, instead of running (and the page reloading) for ever.
    invoice_runs_fail_abandoned(runs=visible)
    return list(
        visible.select_related("billing_region", "started_by")
        .annotate(invoice_total=Count("invoices"))
        .order_by("-created_at", "-id")[:RUNS_SHOWN]
    )


def _start_run(user, region: Region) -> dict | None:
    """Last month's run of the user's region, one click (and a question) away; not offered to a region without
    active providers (as the monthly schedule starts none for it)."""
    if not can_start_run(user, region.code):
        return None
    if not region.has_active_providers:
        return None  # no provider of its own: there is nothing for the region to invoice
    period = f"{add_months(stockholm_today(), -1):%Y-%m}"
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


# --- National ------------------------------------------------------------------------------------------------


def _national_tasks(user) -> list[Task]:
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
                url=_url("admin:billing_invoicerun_changelist", {"status__exact": RunStatus.FAILED}),
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
                    url=_url(
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
                    url=_url("admin:axes_accessattempt_changelist"),
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


def _per_region(user) -> list[RegionRow]:
    """Each region's open work (regions with none are left out): two grouped queries and the regions."""
    today = stockholm_today()
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
            _url("admin:billing_invoice_changelist", {**seller, "status__exact": InvoiceStatus.DRAFT}),
            _url("admin:billing_invoice_changelist", {**seller, "status__exact": InvoiceStatus.SUBMITTED}),
            _url("admin:billing_invoice_changelist", {**seller, "status__exact": InvoiceStatus.APPROVED}),
            _url("admin:disputes_dispute_changelist", decides),
            _url("admin:disputes_dispute_changelist", {**decides, "overdue": "yes"}),
        ]
        rows.append(RegionRow(region=region, cells=tuple(zip(values, urls, strict=True))))
    return rows


def _reference_links(request, site) -> list[tuple[str, str]]:
    """The reference data and administration screens the user may open, by name."""
    links = []
    for model in (Region, RegionPopulation, Profession, RateRecommendation, Provider, ApiClient, get_user_model()):
        model_admin = site._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            continue
        opts = model._meta
        links.append(
            (capfirst(opts.verbose_name_plural), reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        )
    return links


# --- The page --------------------------------------------------------------------------------------------------


def start_page(request, site) -> StartPage:
    """What the signed-in user has to do now, within what the user may see."""
    user = request.user
    scope = scope_of(user)
    if scope.role is None:
        return StartPage(heading=gettext("Nothing to do right now"))
    if scope.national:
        page = StartPage(heading=gettext("To do: the whole country"))
        page.tasks = _national_tasks(user)
        page.region_columns = (
            gettext("Drafts"),
            gettext("Awaiting approval"),
            gettext("Approved, not sent"),
            gettext("Open disputes"),
            gettext("Overdue disputes"),
        )
        page.regions = _per_region(user)
    else:
        # Whether the region has active providers (anything of its own to invoice), in the same query.
        # Whether its open invoices go to a buyer without an organisation number (approval would refuse them), too.
        region = Region.objects.annotate(
            has_active_providers=Exists(Provider.objects.filter(region=OuterRef("pk"), active=True)),
            has_buyers_without_org_number=Exists(
                Invoice.objects.filter(seller=OuterRef("pk"), status__in=OPEN_STATUSES, buyer__org_number="")
            ),
        ).get(code=scope.region_code)
        page = StartPage(
            heading=gettext("To do: %(region)s (%(role)s)")
            % {"region": region.name, "role": Role(scope.role).label.lower()}
        )
        if scope.role in (Role.CLERK, Role.MANAGER):
            invoice_tasks, invoice_waiting = _invoice_tasks(user, scope)
            dispute_tasks, dispute_waiting = _dispute_tasks(user, scope)
            rejected = _rejected_contacts_task(user, scope)
            lapsing = _lapsing_contacts_task(user, scope)
            payable = _payment_details_task(region)
            # The most pressing first: money about to be lost, approvals, decisions with deadlines, then the invoices,
            # then review.
            approve = [task for task in invoice_tasks if task.key == "approve"]
            others = [task for task in invoice_tasks if task.key != "approve"]
            page.tasks = [
                *([payable] if payable else []),
                *([lapsing] if lapsing else []),
                *approve,
                *dispute_tasks,
                *others,
                *([rejected] if rejected else []),
            ]
            page.waiting = [*invoice_waiting, *dispute_waiting]
            page.start_run = _start_run(user, region)
    page.runs = _runs(user)
    page.runs_url = reverse("admin:billing_invoicerun_changelist")
    if scope.role == Role.ADMIN:
        page.links = _reference_links(request, site)
    return page
