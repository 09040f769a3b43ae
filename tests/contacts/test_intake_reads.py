"""What intake reads and how (issue 19): the same-patient read finds exactly the contacts of an item's patient and
start minute on either writer, and the locking read probes the unique key even when PostgreSQL's statistics are
stale."""

import datetime as dt
import sys

import pytest
from django.db import connection

from contacts.bulk_writer import SWITCH_INTERVAL, _OrmWriter, _PostgresWriter, contact_writer, start_minute
from contacts.intake import CHUNK, EXISTING_FIELDS, contacts_upsert
from contacts.models import Contact
from regions.models import Role
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's planner")
PATIENT = personnummer("19700101", "123")
OTHER = personnummer("19800101", "234")


@pytest.fixture
def clerk04(make_user):
    return make_user(Role.CLERK, "04")


def _store(user, hsa: str, *items: tuple[str, str, str]) -> None:
    result = contacts_upsert(
        items=[
            contact_item(provider=hsa, external_id=external_id, patient_id=patient, started_at=started_at)
            for external_id, patient, started_at in items
        ],
        user=user,
        channel="bulk",
    )
    assert result.errors == [], result.errors


@pytest.mark.parametrize("writer", [_OrmWriter, _PostgresWriter] if connection.vendor == "postgresql" else [_OrmWriter])
def test_the_same_patient_read_finds_the_contacts_of_the_patient_within_the_start_minute_but_the_item_itself(
    writer, clerk04, providers
):
    hsa = providers["04a"].hsa_id
    _store(
        clerk04,
        hsa,
        ("itself", PATIENT, "2026-10-05T10:30:00+02:00"),
        ("same-minute", PATIENT, "2026-10-05T10:30:59+02:00"),
        ("next-minute", PATIENT, "2026-10-05T10:31:00+02:00"),
        ("minute-before", PATIENT, "2026-10-05T10:29:59+02:00"),
        ("other-patient", OTHER, "2026-10-05T10:30:10+02:00"),
    )
    _store(clerk04, providers["04b"].hsa_id, ("other-provider", PATIENT, "2026-10-05T10:30:20+02:00"))
    # The key's minute in UTC, as intake computes it from an item sent with another offset.
    minute = start_minute(dt.datetime.fromisoformat("2026-10-05T08:30:30+00:00"))

    stored = Contact.objects.get(external_id="itself").patient_id  # As intake compares it: 12 digits, no dash.

    rows = writer().same_patient_rows(providers["04a"].id, [(stored, minute, "itself")])

    assert [external_id for external_id, _patient, _started, _manual in rows] == ["same-minute"]
    assert rows[0][2] == dt.datetime(2026, 10, 5, 8, 30, 59, tzinfo=dt.UTC)


def test_the_same_patient_read_of_no_keys_reads_nothing(providers, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert contact_writer().same_patient_rows(providers["04a"].id, []) == []


@on_postgresql
# Committed, then emptied as a transactional test is (TRUNCATE): ANALYZE writes the table's statistics in place,
# outside the test's transaction, so after a rollback "empty" stayed the statistics of the grown table for every later
# test on the same database (until a transactional test's TRUNCATE), and the demo data's approval planned nested loops
# over all contacts (tests/disputes/test_demo.py: 2 s alone, 157 s after this test on the same pytest-xdist worker).
# TRUNCATE resets them to "never analysed", as in a fresh test database.
@pytest.mark.django_db(transaction=True)
def test_the_reads_probe_an_index_per_key_even_when_the_statistics_say_the_provider_has_no_contacts(clerk04, providers):
    """With ``external_id = ANY(…)`` the planner, told by stale statistics that the provider has next to no
    contacts, scanned all of them once per chunk, and joined the same-patient read against all of them; the reads
    now probe an index once per key."""
    provider = providers["04a"]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")  # Statistics of an empty table: then the provider's contacts come.
    starts = (f"2026-10-0{1 + n // 1000}T{n % 1000 // 60:02d}:{n % 60:02d}:00+02:00" for n in range(3000))
    _store(clerk04, provider.hsa_id, *((f"c{n}", PATIENT, start) for n, start in enumerate(starts)))
    writer = _PostgresWriter()
    statements = []

    def explain(statement, params):
        with connection.connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + statement, params)
            statements.append("\n".join(row[0] for row in cursor.fetchall()))
        return []

    writer._fetch = explain
    writer.locked_rows(provider.id, [f"c{n}" for n in range(0, 3000, 3)], EXISTING_FIELDS)
    stored = Contact.objects.get(external_id="c0").patient_id
    minute = dt.datetime(2026, 9, 30, 22, 0, tzinfo=dt.UTC)
    writer.same_patient_rows(provider.id, [(stored, minute, f"new{n}") for n in range(CHUNK)])

    locking, same_patient = statements
    assert "contact_unique_per_provider" in locking, locking[:600]
    assert "contact_provider_started_idx" not in locking, locking[:600]
    # One probe of the patient's contacts of the minute per key, never all the provider's contacts hashed, nor its
    # contacts of each minute walked through; and cheap enough that PostgreSQL does not compile it (JIT, 80 ms).
    assert same_patient.startswith("Nested Loop"), same_patient[:600]
    assert "Hash" not in same_patient, same_patient[:600]
    assert "contact_patient_started_idx" in same_patient, same_patient[:600]
    assert "JIT" not in same_patient, same_patient


@on_postgresql
def test_the_locking_read_locks_the_keys_in_one_order_whatever_the_order_they_are_sent_in(providers):
    writer = _PostgresWriter()
    sent = []
    writer._fetch = lambda statement, params: sent.append(params[0]) or []

    writer.locked_rows(providers["04a"].id, ["b", "c", "a"], EXISTING_FIELDS)
    writer.locked_rows(providers["04a"].id, ["c", "a", "b"], EXISTING_FIELDS)

    assert sent == [["a", "b", "c"], ["a", "b", "c"]]


@on_postgresql
def test_threads_switch_promptly_while_a_request_works_in_the_background_and_as_before_after(providers):
    """The background thread's reads and COPY need the GIL back after each round trip: at Python's default switch
    interval (5 ms) a busy caller kept them waiting (a COPY four times as long)."""
    before = sys.getswitchinterval()
    writer, other = _PostgresWriter(), _PostgresWriter()

    with writer.background() as submit:
        assert submit(sys.getswitchinterval).result() == SWITCH_INTERVAL
        with other.background():  # Another request's in another thread of the process, say.
            assert sys.getswitchinterval() == SWITCH_INTERVAL
        assert sys.getswitchinterval() == SWITCH_INTERVAL

    assert sys.getswitchinterval() == before


@on_postgresql
def test_ids_are_taken_from_the_contacts_sequence(providers):
    writer = _PostgresWriter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM contacts_contact_id_seq")
        (last,) = cursor.fetchone()

    first, second = writer.reserve_ids(3), writer.reserve_ids(2)

    assert first + second == list(range(first[0], first[0] + 5))
    assert first[0] >= last
    assert writer.reserve_ids(0) == []
