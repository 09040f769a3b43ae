"""Two requests with the same new contacts at once, on PostgreSQL: the second waits, retries, and stores nothing twice.

Found by the load test (bench/load.py): the COPY of new contacts raised psycopg's own UniqueViolation, which the
retry on Django's IntegrityError did not catch, and the client got a 500.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

import contacts.intake
from billing.models import Invoice
from contacts.bulk_writer import _PostgresWriter
from contacts.intake import contacts_upsert
from contacts.models import Contact, ContactEvent
from contacts.services import contacts_reevaluate
from regions.models import Role
from tests.factories import contact_item, debit_line

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's COPY and row locks")


def _bill(contact: Contact) -> None:
    """What an invoice run does for a contact: a line on a draft invoice of its parties (a reference to it)."""
    invoice = Invoice.objects.create(
        seller_id=contact.billing_region_id, buyer_id=contact.home_region_id, period="2026-10"
    )
    debit_line(invoice, contact)


def _send_at_once(user, *requests: list) -> list:
    """Each request's items sent by a thread of its own, all at once: each one's result, or the exception it raised."""
    results: list = [None] * len(requests)

    def send(number, items):
        try:
            results[number] = contacts_upsert(items=items, user=user, channel="bulk")
        except Exception as exc:  # handed back to the test
            results[number] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _waiting_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_request_that_collides_with_a_concurrent_insert_retries_and_finds_the_contacts_unchanged(
    make_user, providers
):
    clerk = make_user(Role.CLERK, "04")
    items = [contact_item(provider=providers["04a"].hsa_id, external_id=f"c-{n}") for n in range(3)]
    first_stored, release = threading.Event(), threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():  # holds the new rows uncommitted until released
                results["first"] = contacts_upsert(items=items, user=clerk, channel="bulk")
                first_stored.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def second():
        try:
            results["second"] = contacts_upsert(items=items, user=clerk, channel="bulk")
        except Exception as exc:  # handed back to the test
            results["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_stored.wait(timeout=30)
    threads[1].start()
    deadline = time.monotonic() + 30
    while _waiting_backends() == 0 and time.monotonic() < deadline:  # the second blocks on the unique index
        time.sleep(0.05)
    release.set()
    for thread in threads:
        thread.join(timeout=60)

    second_result = results["second"]
    assert not isinstance(second_result, Exception), repr(second_result)
    assert (results["first"].created, second_result.created, second_result.unchanged) == (3, 0, 3)
    assert second_result.errors == []
    assert Contact.objects.count() == 3


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_re_evaluation_holds_up_neither_new_contacts_of_the_same_profession_nor_a_run_billing_its_contacts(
    make_user, providers
):
    clerk = make_user(Role.CLERK, "04")
    hsa = providers["04a"].hsa_id
    contacts_upsert(items=[contact_item(provider=hsa, external_id="old")], user=clerk, channel="bulk")
    old = Contact.objects.get()
    in_reevaluation, release = threading.Event(), threading.Event()

    def reevaluation_held_open():
        try:
            with transaction.atomic():  # the chunk's row locks stay held until released
                contacts_reevaluate(since=old.started_at)
                in_reevaluation.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=reevaluation_held_open)
    thread.start()
    try:
        assert in_reevaluation.wait(timeout=30)
        with transaction.atomic():  # committed here: the references to the profession and the contact are checked
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            result = contacts_upsert(items=[contact_item(provider=hsa, external_id="new")], user=clerk, channel="bulk")
            _bill(old)
    finally:
        release.set()
        thread.join(timeout=60)

    assert (result.created, result.errors) == (1, [])


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_request_sending_a_contact_again_does_not_hold_up_rows_that_refer_to_it(make_user, providers):
    """The request locks the stored rows it reads against other requests, but an invoice run inserting the
    contact's line need not wait for it to commit (a resend updates no row: only the lock it took is in the way)."""
    clerk = make_user(Role.CLERK, "04")
    item = contact_item(provider=providers["04a"].hsa_id)
    contacts_upsert(items=[item], user=clerk, channel="bulk")
    contact = Contact.objects.get()
    in_request, release = threading.Event(), threading.Event()
    results = {}

    def resend_held_open():
        try:
            with transaction.atomic():
                results["resend"] = contacts_upsert(items=[item], user=clerk, channel="bulk")
                in_request.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=resend_held_open)
    thread.start()
    try:
        assert in_request.wait(timeout=30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            _bill(contact)
    finally:
        release.set()
        thread.join(timeout=60)

    assert results["resend"].unchanged == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_requests_with_the_same_new_contacts_in_opposite_orders_do_not_deadlock(make_user, providers, monkeypatch):
    """Both start writing at the same moment (a barrier before each one's first COPY), one request's items in the
    other's reverse order. Written in request order, each held the keys it had inserted and waited for the other's:
    PostgreSQL broke the deadlock by failing one request (a 500). Written in key order, the second waits for the
    first and finds its contacts stored."""
    clerk = make_user(Role.CLERK, "04")
    items = [contact_item(provider=providers["04a"].hsa_id, external_id=f"c-{n:04d}") for n in range(3000)]
    both_writing = threading.Barrier(2, timeout=30)
    first_writes = iter(range(2))
    insert = _PostgresWriter.insert_contacts

    def insert_together(self, rows, ids):
        if next(first_writes, None) is not None:
            both_writing.wait()
        return insert(self, rows, ids)

    monkeypatch.setattr(_PostgresWriter, "insert_contacts", insert_together)

    outcomes = _send_at_once(clerk, items, items[::-1])

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert sorted((outcome.created, outcome.unchanged) for outcome in outcomes) == [(0, 3000), (3000, 0)]
    assert Contact.objects.count() == 3000


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_requests_that_wait_for_each_other_are_told_apart_by_postgresql_and_the_one_it_fails_is_retried(
    make_user, providers, monkeypatch
):
    """A request locks a chunk's stored contacts before it writes the new ones of the chunk before: one writing
    d1 and d2 (its first chunk), then locking e9 (its third), and another locking e9 and then writing d1 (both in
    its one chunk) wait for each other. PostgreSQL breaks the deadlock by failing one of them, which is retried and
    finds what the other stored."""
    clerk = make_user(Role.CLERK, "04")
    hsa = providers["04a"].hsa_id
    assert contacts_upsert(items=[contact_item(provider=hsa, external_id="e9")], user=clerk, channel="bulk").created
    monkeypatch.setattr(contacts.intake, "CHUNK", 2)
    first = [contact_item(provider=hsa, external_id=f"d{n}") for n in range(1, 5)]
    first.append(contact_item(provider=hsa, external_id="e9", mode="chat"))
    second = [contact_item(provider=hsa, external_id="d1"), contact_item(provider=hsa, external_id="e9", mode="chat")]
    # The first has written d1 and d2; the second has locked e9 (its read comes before its write).
    both_holding = threading.Barrier(2, timeout=30)
    waited = set()
    insert = _PostgresWriter.insert_contacts

    def insert_in_turn(self, rows, ids):
        written = [row[1] for row in rows]
        if written == ["d1"] and "second" not in waited:
            waited.add("second")
            both_holding.wait()
        result = insert(self, rows, ids)
        if written == ["d1", "d2"] and "first" not in waited:
            waited.add("first")
            both_holding.wait()
        return result

    monkeypatch.setattr(_PostgresWriter, "insert_contacts", insert_in_turn)
    retried = []
    worth_retrying = contacts.intake._worth_retrying

    def record(exc):
        retried.append(getattr(exc.__cause__, "sqlstate", None))
        return worth_retrying(exc)

    monkeypatch.setattr(contacts.intake, "_worth_retrying", record)

    outcomes = _send_at_once(clerk, first, second)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert "40P01" in retried, retried
    assert sum(outcome.created for outcome in outcomes) == 4
    assert sum(outcome.updated for outcome in outcomes) == 1
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["d1", "d2", "d3", "d4", "e9"]
    assert Contact.objects.get(external_id="e9").mode == "chat"
    assert ContactEvent.objects.filter(contact__external_id="e9").count() == 1
