"""Invoice runs: for a billing region and a period, one draft invoice per buyer region, built set-based.

A run
1. applies the invoicing deadline to every contact of the period not on a submitted or approved invoice (those on
   its drafts included): eligible, unlocked contacts older than the deadline at the run date get the reason
   ``invoicing_deadline_passed`` (with history); a draft that had them records their removal;
2. rebuilds the period's drafts in one transaction: one line per eligible contact of the period not yet billed in
   its current billing round (INSERT … SELECT), on its buyer's draft, and the totals; a draft left without lines is
   removed unless it has been submitted once;
3. records its progress, so a screen can follow it.

Two runs for one region and period never overlap (a PostgreSQL advisory lock held for the whole run), and
the partial unique index on invoice lines bills a contact at most once per billing round whatever happens.

A worker can die in the middle of a run (killed, its machine lost). The drafts are rebuilt in one transaction,
which PostgreSQL rolls back when the worker's connection ends, so nothing half-built is ever seen; the task is
acknowledged late, so it is handed out again and completes. Meanwhile the run row says ``running``, and a run
is only ever ``running`` while its worker's session holds the lock: a ``running`` run whose lock is free has lost
its worker. ``invoice_runs_fail_abandoned`` (when a screen or the API shows runs) and the next run for the same
region and period mark such runs failed, with a message saying so.
"""

import datetime as dt
import hashlib
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext

from billing.deadline import deadline_cutoff, lapsed_note
from billing.ledger import invoice_event_record, invoice_totals_refresh
from billing.models import Invoice, InvoiceAction, InvoiceKind, InvoiceLine, InvoiceRun, InvoiceStatus, RunStatus
from billing.previews.services import invoice_previews_discard
from billing.selectors import invoice_totals_snapshot
from contacts.models import Contact, Status
from contacts.reasons import Reason
from contacts.services import contacts_mark_lapsed
from kernel.business_time import period_bounds, stockholm_today
from kernel.history import Via, changes_between
from kernel.metrics import INVOICE_RUN_SECONDS


def _lock_key(seller: str, period: str) -> int:
    digest = hashlib.blake2b(f"invoice-run:{seller}:{period}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class _RunLock:
    """A session-level advisory lock on PostgreSQL; SQLite (the embedded default) has one writer anyway.

    With ``wait=False`` it is only taken if free (``acquired`` says whether it was).
    """

    def __init__(self, seller: str, period: str, *, wait: bool = True):
        self.key = _lock_key(seller, period)
        self.wait = wait
        self.acquired = False

    def __enter__(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if self.wait:
                    cursor.execute("SELECT pg_advisory_lock(%s)", [self.key])
                    self.acquired = True
                else:
                    cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.key])
                    self.acquired = cursor.fetchone()[0]
        return self

    def __exit__(self, *exc):
        if connection.vendor == "postgresql" and self.acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.key])
        return False


def period_contacts(seller: str, period: str):
    """Eligible, unlocked contacts billed by ``seller`` in ``period``: on no invoice or on a draft."""
    start, end = period_bounds(period)
    return Contact.objects.filter(
        billing_region_id=seller, started_at__gte=start, started_at__lt=end, status=Status.ELIGIBLE, locked=False
    )


def unbilled_contacts(seller: str, period: str):
    """Eligible contacts billed by ``seller`` in ``period`` that are on no invoice of their billing round yet."""
    billed = InvoiceLine.objects.filter(contact=OuterRef("pk"), credit=False, billing_round=OuterRef("billing_round"))
    return period_contacts(seller, period).filter(~Exists(billed))


def invoice_run_execute(*, run: InvoiceRun, run_date: dt.date | None = None) -> InvoiceRun:
    """Carry out a queued run (called by the Celery task). Idempotent: a run handed out again after its worker was
    lost completes (the lost attempt left nothing behind); one that has finished meanwhile is left as it is."""
    run_date = run_date or stockholm_today()
    seller, period = run.billing_region_id, run.period
    with _RunLock(seller, period):
        # Decided under the lock, so a run is ``running`` exactly while a live session holds the lock.
        run.refresh_from_db()
        if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            return run
        _fail_abandoned(seller, period, exclude=run.pk)
        InvoiceRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=timezone.now(), progress=0)
        began = time.monotonic()
        try:
            _apply_deadline(seller, period, run_date, run)
            _set_progress(run, 5)
            buyers = sorted(set(unbilled_contacts(seller, period).values_list("home_region_id", flat=True).distinct()))
            _set_progress(run, 15)
            invoice_ids = _refresh_drafts(seller, period, buyers, run, run_date)
            run.invoices.set(invoice_ids)
        except Exception as exc:
            # Recorded for the clerk, then raised again so the task is marked failed (and logged) too.
            InvoiceRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
            )
            INVOICE_RUN_SECONDS.labels(outcome=RunStatus.FAILED.value).observe(time.monotonic() - began)
            raise
        InvoiceRun.objects.filter(pk=run.pk).update(
            status=RunStatus.SUCCEEDED, progress=100, error="", finished_at=timezone.now()
        )
        INVOICE_RUN_SECONDS.labels(outcome=RunStatus.SUCCEEDED.value).observe(time.monotonic() - began)
    run.refresh_from_db()
    return run


def invoice_runs_fail_abandoned(*, runs=None) -> int:
    """Mark failed the ``running`` runs (of ``runs``, a queryset, or all) whose worker is gone; returns how many.

    A run is ``running`` only while its worker's database session holds the run lock (``invoice_run_execute``
    sets the status under it), so a ``running`` run whose lock can be taken has lost its worker: killed, or its
    machine gone, in which case PostgreSQL ends the session and rolls its work back. Only runs a worker marked
    (they carry ``started_at``) are judged. PostgreSQL only: the embedded setup runs jobs inside the request.
    """
    if connection.vendor != "postgresql":
        return 0
    running = (runs if runs is not None else InvoiceRun.objects.all()).filter(
        status=RunStatus.RUNNING, started_at__isnull=False
    )
    pairs = sorted(set(running.values_list("billing_region_id", "period").distinct().order_by()))
    failed = 0
    for seller, period in pairs:
        with _RunLock(seller, period, wait=False) as lock:
            if lock.acquired:
                failed += _fail_abandoned(seller, period)
    return failed


def _fail_abandoned(seller: str, period: str, *, exclude: int | None = None) -> int:
    """With the run lock held: any other ``running`` run of the region and period has lost its worker."""
    if connection.vendor != "postgresql":
        return 0  # no lock to tell a live run from a lost one
    with translation.override(settings.LANGUAGE_CODE):
        message = gettext(
            "The run was interrupted: the process carrying it out stopped before it finished (restarted or "
            "killed). None of its changes to invoices were kept; start the run again."
        )
    return (
        InvoiceRun.objects.filter(billing_region_id=seller, period=period, status=RunStatus.RUNNING)
        .exclude(pk=exclude)
        .update(status=RunStatus.FAILED, error=message, finished_at=timezone.now())
    )


def _set_progress(run: InvoiceRun, progress: int) -> None:
    InvoiceRun.objects.filter(pk=run.pk).update(progress=min(progress, 100))


def _drafts(seller: str, period: str):
    return Invoice.objects.filter(seller_id=seller, period=period, kind=InvoiceKind.INVOICE, status=InvoiceStatus.DRAFT)


def _apply_deadline(seller: str, period: str, run_date: dt.date, run: InvoiceRun) -> list[int]:
    """Mark the period's eligible contacts past the deadline, on a draft or on no invoice (set-based, with history);
    returns their ids."""
    late = list(
        period_contacts(seller, period).filter(started_at__lt=deadline_cutoff(run_date)).values_list("pk", flat=True)
    )
    if late:
        contacts_mark_lapsed(contact_ids=late, on=run_date, by=run.started_by, via=Via.RUN)
    return late


@transaction.atomic
def _refresh_drafts(seller: str, period: str, buyers: list[str], run: InvoiceRun, run_date: dt.date) -> list[int]:
    """Rebuild every draft of the seller's period in one transaction: one draft per buyer with unbilled contacts.

    Set-based: the drafts' old lines go in one DELETE, the new ones in one INSERT … SELECT joined to the drafts
    by buyer, the totals one aggregate per draft; drafts left empty are removed unless they were submitted once. A
    draft that loses contacts to the invoicing deadline says so in its history, naming them.
    """
    # Only the invoice rows: the model's default ordering (seller, buyer) would join the regions and lock them FOR
    # UPDATE too, holding up every transaction that stores a row referring to them (a new contact, an invoice)
    # until the run commits, and deadlocking with some (found by the load test, bench/load.py).
    drafts = {
        invoice.buyer_id: invoice for invoice in _drafts(seller, period).order_by("pk").select_for_update(of=("self",))
    }
    before = {invoice.pk: invoice_totals_snapshot(invoice) for invoice in drafts.values()}
    lapsed: dict[int, list[str]] = {}
    for invoice_id, external_id in (
        InvoiceLine.objects.filter(
            invoice__in=list(drafts.values()),
            contact__manual_reasons__contains=Reason.INVOICING_DEADLINE_PASSED,
            contact__status=Status.REJECTED,
        )
        .order_by("external_id")
        .values_list("invoice_id", "external_id")
    ):
        lapsed.setdefault(invoice_id, []).append(external_id)
    _delete_lines([invoice.pk for invoice in drafts.values()])
    for buyer in buyers:
        if buyer not in drafts:
            drafts[buyer] = Invoice.objects.create(seller_id=seller, buyer_id=buyer, period=period)
    _insert_lines(seller, period)
    with translation.override(settings.LANGUAGE_CODE):  # a note kept for every reader: in the product's language
        note = gettext("Invoice run %(id)s") % {"id": run.pk}
    kept = []
    for invoice in drafts.values():
        if invoice.pk in lapsed:
            invoice_event_record(
                invoice=invoice,
                action=InvoiceAction.LAPSED_REMOVED,
                before=InvoiceStatus.DRAFT,
                by=run.started_by,
                via=Via.RUN,
                note=lapsed_note(lapsed[invoice.pk], on=run_date),
            )
        invoice_totals_refresh(invoice=invoice)
        if invoice.contact_count == 0 and invoice.submitted_at is None:
            invoice_previews_discard(invoice_id=invoice.pk)  # its preview files too, not only their rows
            invoice.delete()  # never submitted: nothing but its creation to keep
            continue
        kept.append(invoice.pk)
        changes = changes_between(before.get(invoice.pk), invoice_totals_snapshot(invoice))
        if invoice.pk not in before or changes:
            invoice_event_record(
                invoice=invoice,
                action=InvoiceAction.CREATED if invoice.pk not in before else InvoiceAction.REFRESHED,
                before="" if invoice.pk not in before else InvoiceStatus.DRAFT,
                by=run.started_by,
                via=Via.RUN,
                changes=changes,
                note=note,
            )
    return sorted(kept)


def _delete_lines(invoice_ids: list[int]) -> None:
    """The drafts' lines in one DELETE. The ORM's delete() would load every line and look for disputes citing it,
    batch by batch (most of a re-run's time on a big period); a draft's lines are never disputed (objections
    concern approved invoices) and the database's key on disputes still refuses to lose one."""
    if invoice_ids:
        placeholders = ", ".join(["%s"] * len(invoice_ids))  # one per buyer region: at most 20
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM billing_invoiceline WHERE invoice_id IN ({placeholders})", invoice_ids)  # noqa: S608


# The lines of the unbilled contacts: the SQL twin of ``unbilled_contacts`` (the same rule, written once more for one
# INSERT … SELECT), joined to the buyers' drafts. tests/billing/test_sql_twins.py checks that the two select the same
# contacts.
LINES_SELECT_SQL = """
SELECT i.id, c.id, %(false)s, c.billing_round, %(false)s, '{}', p.category,
       c.recommendation_id, c.rate, c.patient_fee, c.rate - c.amount, c.amount, c.external_id, c.started_at,
       c.profession_id, c.patient_id, c.patient_sex, c.listing_unit, c.care_unit, c.home_municipality, c.overridden
FROM contacts_contact c
JOIN regions_profession p ON p.code = c.profession_id
JOIN billing_invoice i
  ON i.seller_id = c.billing_region_id AND i.buyer_id = c.home_region_id
 AND i.period = %(period)s AND i.kind = 'invoice' AND i.status = 'draft'
WHERE c.billing_region_id = %(seller)s AND c.started_at >= %(start)s AND c.started_at < %(end)s
  AND c.status = 'eligible' AND c.locked = %(false)s
  AND NOT EXISTS (SELECT 1 FROM billing_invoiceline l
                  WHERE l.contact_id = c.id AND l.credit = %(false)s AND l.billing_round = c.billing_round)
"""
INSERT_LINES_SQL = (
    """
INSERT INTO billing_invoiceline (invoice_id, contact_id, credit, billing_round, rebill, correction, category,
                                 recommendation_id, rate, patient_fee, fee_deducted, amount, external_id, started_at,
                                 profession, patient_id, patient_sex, listing_unit, care_unit, home_municipality,
                                 overridden)"""
    + LINES_SELECT_SQL
)


def _insert_lines(seller: str, period: str) -> int:
    """One line per unbilled contact (as ``unbilled_contacts`` selects them) on its buyer's draft: one statement."""
    start, end = (connection.ops.adapt_datetimefield_value(moment) for moment in period_bounds(period))
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_LINES_SQL, {"false": False, "period": period, "seller": seller, "start": start, "end": end}
        )
        return cursor.rowcount
