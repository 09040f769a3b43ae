"""The bulk storage writer of contacts and their history rows: COPY on PostgreSQL, Django's bulk operations elsewhere.

Intake (``contacts.intake``) and re-evaluation (``contacts.services``) decide what to write; this module only writes
it, set-based: on PostgreSQL new rows go in with binary COPY (ids taken from the sequence up front), changed rows
with COPY into a temporary table followed by one UPDATE … FROM, history rows with COPY; elsewhere (SQLite, the
embedded default) with ``bulk_create``/``bulk_update``.

Intake's reads and writes can run in the background (``background``): on PostgreSQL a thread of its own sends them on
the request's connection, inside its transaction, while the request goes on validating, so that Python and PostgreSQL
work at the same time instead of taking turns.
"""

import contextvars
import datetime as dt
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal

import orjson
import psycopg
from django.db import connection
from psycopg.types.numeric import DecimalBinaryDumper

from contacts.models import Contact, ContactEvent

sql_logger = logging.getLogger("django.db.backends")

MINUTE = dt.timedelta(minutes=1)


def start_minute(moment: dt.datetime) -> dt.datetime:
    """The start minute of a moment, in UTC (whatever offset it was sent or read with)."""
    return moment.astimezone(dt.UTC).replace(second=0, microsecond=0)


# Columns written for a contact (besides id), in COPY order.
CONTACT_COLUMNS = (
    "provider_id",
    "external_id",
    "patient_id",
    "patient_birth_date",
    "patient_sex",
    "home_region_id",
    "profession_id",
    "started_at",
    "mode",
    "strong_authentication",
    "triage",
    "documented",
    "content",
    "patient_fee",
    "listing_unit",
    "care_unit",
    "home_municipality",
    "billing_region_id",
    "status",
    "reasons",
    "manual_reasons",
    "overridden",
    "recommendation_id",
    "rate",
    "amount",
    "created_at",
    "created_via",
    "created_by_id",
    "updated_at",
    "updated_via",
    "updated_by_id",
    "evaluated_at",
    "locked",
)
UPDATED_COLUMNS = tuple(
    c for c in CONTACT_COLUMNS if c not in {"provider_id", "external_id", "created_at", "created_via", "created_by_id"}
)
# The PostgreSQL types of a COPY's columns, by (table, columns): read once per process (the schema changes only
# with a deployment, which starts new processes).
_COLUMN_TYPES: dict[tuple[str, tuple[str, ...]], list[str]] = {}
# The oid of the sequence of a table's ids, by database and table, likewise.
_SEQUENCES: dict[tuple, int] = {}
EVENT_COLUMNS = ("contact_id", "at", "kind", "via", "actor_id", "changes", "result_before", "result_after", "note")


class _RepeatedDecimalBinaryDumper(DecimalBinaryDumper):
    """Each distinct amount of a COPY encoded once: the fees, rates and amounts of thousands of contacts are a handful
    of values (encoding a Decimal in PostgreSQL's binary form is most of the time spent putting a contact's row
    together). Equal amounts of another scale (``100.0``, ``100.00``) share one encoding: the column's scale makes them
    one value."""

    def __init__(self, cls, context=None):
        super().__init__(cls, context)
        self._encoded: dict[Decimal, bytes] = {}

    def dump(self, obj: Decimal) -> bytes:
        encoded = self._encoded.get(obj)
        if encoded is None:
            encoded = self._encoded[obj] = super().dump(obj)
        return encoded


# While a request's work runs in the background: how long the thread holding the GIL (validating, deciding) may keep
# it from the background thread, whose reads and COPY need it back for a moment after each round trip. At Python's
# default of 5 ms, a COPY of 10 000 rows in a thread took 100 ms beside a busy thread instead of 23 ms alone; at
# 0.5 ms, 33 ms.
SWITCH_INTERVAL = 0.0005
_switching = threading.Lock()
_switching_users = 0
_switch_interval_before = 0.0


@contextmanager
def _prompt_thread_switches() -> Iterator[None]:
    """The process's GIL switch interval at most ``SWITCH_INTERVAL`` inside the block (however many threads are
    inside one), as it was once the last leaves."""
    global _switching_users, _switch_interval_before
    with _switching:
        if _switching_users == 0:
            _switch_interval_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_interval_before, SWITCH_INTERVAL))
        _switching_users += 1
    try:
        yield
    finally:
        with _switching:
            _switching_users -= 1
            if _switching_users == 0:
                sys.setswitchinterval(_switch_interval_before)


def contact_writer():
    """The bulk writer for the current database: COPY on PostgreSQL, Django's bulk operations elsewhere."""
    return _PostgresWriter() if connection.vendor == "postgresql" else _OrmWriter()


class _Done(Future):
    """The future of a read the portable writer ran when it was asked for."""

    def __init__(self, function: Callable, *args):
        super().__init__()
        self.set_result(function(*args))


class _OrmWriter:
    """Django bulk operations: portable (SQLite, the embedded default)."""

    @contextmanager
    def background(self) -> Iterator[Callable[..., Future]]:
        """``submit(function, *args)``: here each read or write runs at once (SQLite has one writer and little to
        overlap)."""
        yield _Done

    def locked_rows(self, provider_id: int, external_ids: list[str], fields: tuple[str, ...]) -> list[tuple]:
        """``fields`` of the provider's contacts with these external ids, each a tuple, locked against concurrent
        changes until the transaction ends."""
        return list(
            Contact.objects.select_for_update(no_key=True)
            .filter(provider_id=provider_id, external_id__in=external_ids)
            .values_list(*fields)
        )

    def rows_by_id(self, ids: list[int], fields: tuple[str, ...]) -> list[tuple]:
        """``fields`` of these contacts, each a tuple (locked already by ``locked_rows``)."""
        return list(Contact.objects.filter(pk__in=ids).values_list(*fields))

    def same_patient_rows(self, provider_id: int, keys: list[tuple[str, dt.datetime, str]]) -> list[tuple]:
        """(external_id, patient_id, started_at, manual_reasons) of the provider's contacts that start within the
        minute of a key (patient_id, start minute in UTC, external_id) of the same patient, other than the key's own
        external_id."""
        if not keys:
            return []
        wanted = {(patient_id, minute) for patient_id, minute, _external_id in keys}
        own = {(patient_id, minute, external_id) for patient_id, minute, external_id in keys}
        first = min(minute for _patient_id, minute in wanted)
        last = max(minute for _patient_id, minute in wanted)
        rows = (
            Contact.objects.filter(
                provider_id=provider_id,
                patient_id__in={patient_id for patient_id, _minute in wanted},
                started_at__gte=first,
                started_at__lt=last + MINUTE,
            )
            .values_list("external_id", "patient_id", "started_at", "manual_reasons")
            .iterator(chunk_size=2000)
        )
        found = []
        for row in rows:
            minute = start_minute(row[2])
            if (row[1], minute) in wanted and (row[1], minute, row[0]) not in own:
                found.append(row)
        return found

    def reserve_ids(self, count: int) -> None:
        """Nothing: ``bulk_create`` gives the ids."""
        return None

    def insert_contacts(self, rows: Iterable[tuple], ids: list[int] | None) -> list[int]:
        """Insert ``rows`` (values in ``CONTACT_COLUMNS`` order); return their ids."""
        objects = [Contact(**dict(zip(CONTACT_COLUMNS, row, strict=True))) for row in rows]
        return [obj.pk for obj in Contact.objects.bulk_create(objects, batch_size=500)]

    def update_contacts(self, rows: list[dict]) -> None:
        if rows:
            fields = [c.removesuffix("_id") if c.endswith("_id") and c != "patient_id" else c for c in UPDATED_COLUMNS]
            objects = [Contact(**row) for row in rows]
            Contact.objects.bulk_update(objects, fields, batch_size=500)

    def insert_events(self, rows: list[tuple]) -> None:
        ContactEvent.objects.bulk_create(
            [ContactEvent(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in rows], batch_size=500
        )


class _PostgresWriter:
    """COPY for speed: ids come from the sequence up front, so rows and their events go in with COPY.

    The reads (``locked_rows``, ``rows_by_id``, ``same_patient_rows``, ``reserve_ids``) and the COPY of new contacts
    (``insert_contacts``) use the request's psycopg connection directly, so that ``background`` can run them on a
    thread of its own: Django's connection object belongs to the thread that opened it, psycopg's connection
    serialises its users, and the transaction is the connection's."""

    def __init__(self):
        connection.ensure_connection()
        self._connection = connection.connection
        self._errors = connection.wrap_database_errors
        # Django's debug cursor logs each statement (with the request's id, config.observability.logs); these
        # statements bypass it, so they are logged here the same way when Django would log them.
        self._logged = connection.queries_logged
        self._alias = connection.alias

    def _log(self, sql: str, params, began: float) -> None:
        if self._logged:
            duration = time.monotonic() - began
            sql_logger.debug(
                "(%.3f) %s; args=%s; alias=%s",
                duration,
                sql,
                params,
                self._alias,
                extra={"duration": duration, "sql": sql, "params": params, "alias": self._alias},
            )

    @contextmanager
    def background(self) -> Iterator[Callable[..., Future]]:
        """``submit(function, *args)`` runs reads and writes in submission order on one thread, on this
        transaction's connection, while the caller goes on; the caller must not use the connection until it leaves
        the block, which waits for every one (an error drops those not yet started). Once one fails, those after it
        fail with the same error without running (the transaction is aborted): whichever the caller waits for, it
        learns the first failure, a duplicate key say, not that the transaction was aborted. Inside the block the
        process's threads switch promptly (``SWITCH_INTERVAL``), so that the caller's work does not hold up the
        background's."""
        failed: list[BaseException] = []

        def run(function, *args):
            if failed:
                raise failed[0]
            try:
                return function(*args)
            except BaseException as exc:
                failed.append(exc)
                raise

        with _prompt_thread_switches(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake") as pool:

            def submit(function, *args) -> Future:
                # In a copy of the caller's context: its log lines carry the request's id, as the caller's do.
                return pool.submit(contextvars.copy_context().run, run, function, *args)

            try:
                yield submit
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise

    def _fetch(self, statement: str, params: list) -> list[tuple]:
        """Rows of ``statement``, its parameters bound by the server (Django's cursors bind them into the SQL text
        instead): arrays of thousands of keys go as ``%b``, binary, without quoting each element."""
        began = time.monotonic()
        with self._errors, psycopg.Cursor(self._connection) as cursor:
            cursor.execute(statement, params)
            rows = cursor.fetchall()
        self._log(statement, params, began)
        return rows

    def locked_rows(self, provider_id: int, external_ids: list[str], fields: tuple[str, ...]) -> list[tuple]:
        # One probe of the unique (external_id, provider_id) index per key, in key order: a LATERAL subquery per key
        # leaves the planner no other plan, whatever its statistics say. (With ``external_id = ANY(…)`` and stale
        # statistics, as when a provider's contacts have grown since the last ANALYZE, it scanned all the provider's
        # contacts once per chunk.) Sorted keys: concurrent requests lock shared rows in the same order.
        # FOR NO KEY UPDATE: the UPDATE that follows never changes a key, so rows that merely reference the contact
        # (an invoice line a concurrent run inserts, a logged read) need not wait for this request, nor this request
        # for the run's whole transaction.
        columns = ", ".join(f"c.{field}" for field in fields)
        return self._fetch(
            f"SELECT {columns} FROM unnest(%b::text[]) AS k(external_id) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT {', '.join(fields)} FROM {Contact._meta.db_table} "
            "WHERE provider_id = %s AND external_id = k.external_id FOR NO KEY UPDATE) AS c",
            [sorted(external_ids), provider_id],
        )

    def rows_by_id(self, ids: list[int], fields: tuple[str, ...]) -> list[tuple]:
        """``fields`` of these contacts, each a tuple (locked already by ``locked_rows``)."""
        return self._fetch(
            f"SELECT {', '.join(fields)} FROM {Contact._meta.db_table} WHERE id = ANY(%b)",  # noqa: S608
            [ids],
        )

    def same_patient_rows(self, provider_id: int, keys: list[tuple[str, dt.datetime, str]]) -> list[tuple]:
        """As ``_OrmWriter.same_patient_rows``: one probe of the (patient, start) index per key, which finds the
        patient's contacts of that minute and little else (an index by provider would walk through all the
        provider's contacts of the minute, or of all time). The subquery names only what that index holds, and
        ``OFFSET 0`` keeps the provider's condition out of it and the subquery a probe per key: whatever the
        statistics say (stale, as when a provider's contacts have grown since the last ANALYZE), the planner has no
        other index to probe nor a join to hash all the provider's contacts in."""
        if not keys:
            return []
        patients, minutes, external_ids = zip(*keys, strict=True)
        return self._fetch(
            "SELECT c.external_id, c.patient_id, c.started_at, c.manual_reasons "  # noqa: S608
            "FROM unnest(%b::text[], %b::timestamptz[], %b::text[]) AS k(patient_id, minute, external_id) "
            "CROSS JOIN LATERAL (SELECT provider_id, external_id, patient_id, started_at, manual_reasons "
            f"FROM {Contact._meta.db_table} WHERE patient_id = k.patient_id "
            "AND started_at >= k.minute AND started_at < k.minute + interval '1 minute' OFFSET 0) AS c "
            "WHERE c.provider_id = %s AND c.external_id <> k.external_id",
            [list(patients), list(minutes), list(external_ids), provider_id],
        )

    def reserve_ids(self, count: int) -> list[int]:
        """``count`` ids from the contacts' sequence, in one round trip. The sequence named by its oid: by its name,
        each ``nextval`` looked it up again (5.6 instead of 0.9 ms per 2 000 ids)."""
        if not count:
            return []
        table = Contact._meta.db_table
        info = self._connection.info
        # An oid is the database's own: a process may use another database (a test's, a benchmark's).
        key = (info.host, info.port, info.dbname, table)
        if key not in _SEQUENCES:
            (_SEQUENCES[key],) = self._fetch("SELECT pg_get_serial_sequence(%s, 'id')::regclass::oid", [table])[0]
        rows = self._fetch("SELECT nextval(%s::oid::regclass) FROM generate_series(1, %s)", [_SEQUENCES[key], count])
        return [row[0] for row in rows]

    def insert_contacts(self, rows: Iterable[tuple], ids: list[int] | None) -> list[int]:
        """COPY ``rows`` (values in ``CONTACT_COLUMNS`` order, one per id of ``ids``, from ``reserve_ids``); return the
        ids. On the request's psycopg connection, as the reads are."""
        if not ids:
            return []
        table = Contact._meta.db_table
        columns = ("id", *CONTACT_COLUMNS)
        # Binary COPY: no text formatting of dates, times and amounts on either side. Django does not translate
        # errors raised by psycopg's copy(); wrapped, a duplicate key from a concurrent request is Django's
        # IntegrityError, which contacts_upsert retries.
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        began = time.monotonic()
        with self._errors, self._connection.cursor() as cursor:
            types = self._column_types(cursor, table, columns)
            cursor.adapters.register_dumper(Decimal, _RepeatedDecimalBinaryDumper)
            with cursor.copy(statement) as copy:
                copy.set_types(types)
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *row))
        self._log(statement, None, began)
        return ids

    @staticmethod
    def _column_types(cursor, table: str, columns: tuple[str, ...]) -> list[str]:
        if (table, columns) in _COLUMN_TYPES:
            return _COLUMN_TYPES[table, columns]
        cursor.execute(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        types = dict(cursor.fetchall())
        _COLUMN_TYPES[table, columns] = [types[column] for column in columns]
        return _COLUMN_TYPES[table, columns]

    def update_contacts(self, rows: list[dict]) -> None:
        if not rows:
            return
        table = Contact._meta.db_table
        columns = ("id", *UPDATED_COLUMNS)
        # Identifiers below come from this module's constants and the model, never from input.
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE contact_update ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
            )
            types = self._column_types(cursor, table, columns)
            # Binary, as the new rows: a start sent with an offset PostgreSQL's text form refuses (beyond ±15:59,
            # which ISO 8601 and Python allow) goes as the moment it is.
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY contact_update ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.set_types(types)
                for row in rows:
                    copy.write_row(tuple(row[c] for c in columns))
            assignments = ", ".join(f"{c} = u.{c}" for c in UPDATED_COLUMNS)
            cursor.execute(f"UPDATE {table} AS c SET {assignments} FROM contact_update AS u WHERE c.id = u.id")  # noqa: S608
            cursor.execute("DROP TABLE contact_update")

    def insert_events(self, rows: list[tuple]) -> None:
        if not rows:
            return
        table = ContactEvent._meta.db_table
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                contact_id, at, kind, via, actor_id, changes, before, after, note = row
                copy.write_row(
                    (
                        contact_id,
                        at,
                        kind,
                        via,
                        actor_id,
                        orjson.dumps(changes).decode(),
                        None if before is None else orjson.dumps(before).decode(),
                        None if after is None else orjson.dumps(after).decode(),
                        note,
                    )
                )
