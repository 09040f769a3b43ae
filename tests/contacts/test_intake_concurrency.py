"""Two requests with the same new contacts at once, on PostgreSQL: the second waits, retries, and stores nothing twice.

Found by the load test (bench/load.py): the COPY of new contacts raised psycopg's own UniqueViolation, which the
retry on Django's IntegrityError did not catch, and the client got a 500.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from contacts.intake import contacts_upsert
from contacts.models import Contact
from regions.models import Role
from tests.factories import contact_item

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's COPY and row locks")


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
