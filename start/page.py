"""The admin's start page: what each person has to do now, read through the one scoping rule.

Clerks and managers see their region's work (drafts to submit, returned drafts and why, invoices to approve or
send, disputes their region decides and those past their deadline, rejected contacts of the last months, the last
invoice runs and a button for last month's run); national admins see failed runs, the work per region, draft
recommendation versions and locked-out logins. Each task names what to do, how many and how much, and links to the
list filtered to exactly those rows. Every count is an aggregate query over ``visible_to``; the number of queries
does not grow with the data (contacts are counted with a cap, as in their list).

Each section is its own module (``invoice_tasks``, ``received_invoices``, ``dispute_tasks``, ``contact_tasks``,
``reference_data``, ``runs``, ``national``; the shapes of a task in ``tasks``); this one puts the page together,
reading the day once for every section.
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext

from billing.models import Invoice, InvoiceRun, RunStatus
from kernel.business_time import stockholm_today
from regions.models import Provider, Region, Role
from regions.selectors import scope_of
from start.contact_tasks import lapsing_contacts_task, rejected_contacts_task
from start.dispute_tasks import dispute_tasks
from start.invoice_tasks import invoice_tasks
from start.national import RegionRow, national_tasks, per_region
from start.received_invoices import received_invoices_task, review_task
from start.reference_data import OPEN_STATUSES, payment_details_task, reference_links
from start.runs import last_runs, start_run
from start.tasks import Task


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


def start_page(request, site) -> StartPage:
    """What the signed-in user has to do now, within what the user may see."""
    user = request.user
    scope = scope_of(user)
    today = stockholm_today()
    if scope.role is None:
        return StartPage(heading=gettext("Nothing to do right now"))
    if scope.national:
        page = StartPage(heading=gettext("To do: the whole country"))
        page.tasks = national_tasks(user)
        page.region_columns = (
            gettext("Drafts"),
            gettext("Awaiting approval"),
            gettext("Approved, not sent"),
            gettext("Open disputes"),
            gettext("Overdue disputes"),
        )
        page.regions = per_region(user, today)
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
            invoices, invoice_waiting = invoice_tasks(user, scope, today)
            received = received_invoices_task(user, scope, today)
            review = review_task(user, scope, today) if received else None
            disputes, dispute_waiting = dispute_tasks(user, scope, today)
            rejected = rejected_contacts_task(user, scope, today)
            lapsing = lapsing_contacts_task(user, scope, today)
            payable = payment_details_task(region)
            # The most pressing first: money about to be lost, approvals, decisions with deadlines, then the invoices,
            # then review.
            approve = [task for task in invoices if task.key == "approve"]
            others = [task for task in invoices if task.key != "approve"]
            page.tasks = [
                *([payable] if payable else []),
                *([lapsing] if lapsing else []),
                *approve,
                *disputes,
                *others,
                *([received] if received else []),
                *([review] if review else []),
                *([rejected] if rejected else []),
            ]
            page.waiting = [*invoice_waiting, *dispute_waiting]
            page.start_run = start_run(user, region, today)
    page.runs = last_runs(user)
    page.runs_url = reverse("admin:billing_invoicerun_changelist")
    if scope.role == Role.ADMIN:
        page.links = reference_links(request, site)
    return page
