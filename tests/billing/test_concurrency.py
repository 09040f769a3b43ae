"""Runs and approvals really at the same time, on PostgreSQL: nothing billed twice, no number used twice."""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from billing.models import Invoice, InvoiceLine
from billing.services import invoice_approve, invoice_submit
from contacts.intake import contacts_upsert
from tests.billing.conftest import run_now
from tests.factories import contact_item, debit_line

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")


def _at_once(*jobs):
    """Run the jobs in threads released together; return their results or raise the first error."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def work(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # handed back to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_bill_every_contact_exactly_once(january):
    runs = _at_once(run_now, run_now, run_now)

    assert [run.status for run in runs] == ["succeeded"] * 3
    lines = list(InvoiceLine.objects.values_list("contact__external_id", flat=True))
    assert sorted(lines) == ["lk-01", "lk-29", "lk-30", "ps-30", "sj-31"]
    assert Invoice.objects.count() == 2


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_take_consecutive_numbers(january, staff):
    run_now()
    invoices = list(Invoice.objects.order_by("buyer_id"))
    for invoice in invoices:
        invoice_submit(invoice=invoice, by=staff["clerk04"])

    approved = _at_once(
        lambda: invoice_approve(invoice=invoices[0], by=staff["manager04"]),
        lambda: invoice_approve(invoice=invoices[1], by=staff["manager04b"]),
    )

    year = approved[0].issue_date.year
    assert sorted(invoice.number for invoice in approved) == [f"04-{year}-000001", f"04-{year}-000002"]


@pytest.mark.django_db
def test_the_database_refuses_a_second_invoice_line_for_a_contact(january):
    run_now()
    line = InvoiceLine.objects.first()
    other = Invoice.objects.exclude(pk=line.invoice_id).first()

    # The rule refuses it (PostgreSQL names the constraint, SQLite its columns), not some other column's constraint.
    refused = r"line_contact_billed_once_per_round|UNIQUE constraint failed: billing_invoiceline\.contact_id"
    with pytest.raises(IntegrityError, match=refused), transaction.atomic():
        debit_line(other, line.contact)

    assert InvoiceLine.objects.filter(contact=line.contact).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_contact_stored_while_a_run_refreshes_the_drafts_does_not_wait_for_the_run(january, staff, providers):
    """The run locks its draft invoices, not the regions they refer to (found by the load test, bench/load.py)."""
    run_now()  # drafts for buyers 25 and 01
    in_run, release = threading.Event(), threading.Event()

    def run_held_open():
        try:
            with transaction.atomic():  # the run's locks stay held until released
                run_now()
                in_run.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run_held_open)
    thread.start()
    try:
        assert in_run.wait(timeout=30)
        late = contact_item(
            provider=providers["04a"].hsa_id, external_id="late", started_at="2026-01-20T10:00:00+01:00"
        )
        with transaction.atomic():  # committed here: the references to regions 04 and 25 are checked now
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            result = contacts_upsert(items=[late], user=staff["clerk04"], channel="api")
    finally:
        release.set()
        thread.join(timeout=60)

    assert (result.created, result.errors) == (1, [])
