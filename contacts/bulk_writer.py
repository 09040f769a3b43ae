"""The bulk storage writer of contacts and their history rows: COPY on PostgreSQL, Django's bulk operations elsewhere.

Intake (``contacts.intake``) and re-evaluation (``contacts.services``) decide what to write; this module only writes
it, set-based: on PostgreSQL new rows go in with binary COPY (ids taken from the sequence up front), changed rows
with COPY into a temporary table followed by one UPDATE … FROM, history rows with COPY; elsewhere (SQLite, the
embedded default) with ``bulk_create``/``bulk_update``.

Intake's reads can run in the background (``reads``): on PostgreSQL a thread of its own sends them on the request's
connection, inside its transaction, while the request goes on validating and evaluating, so that Python and
PostgreSQL work at the same time instead of taking turns; new rows are written there too, as the caller produces them.
"""

import contextvars
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import orjson
from django.db import connection

from contacts.models import Contact, ContactEvent

sql_logger = logging.getLogger("django.db.backends")

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
EVENT_COLUMNS = ("contact_id", "at", "kind", "via", "actor_id", "changes", "result_before", "result_after", "note")


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
    def reads(self) -> Iterator[Callable[..., Future]]:
        """``submit(function, *args)``: here each read runs at once (SQLite has one writer and little to overlap)."""
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

    def same_patient_rows(
        self, provider_id: int, patient_ids: list[str], start: dt.datetime, end: dt.datetime, *, besides: list[str]
    ):
        """(external_id, patient_id, started_at, manual_reasons) of the provider's contacts of these patients that
        start in [start, end), but for those with the external ids ``besides``."""
        return list(
            Contact.objects.filter(
                provider_id=provider_id, patient_id__in=patient_ids, started_at__gte=start, started_at__lt=end
            )
            .exclude(external_id__in=besides)
            .values_list("external_id", "patient_id", "started_at", "manual_reasons")
            .iterator(chunk_size=2000)
        )

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

    The reads (``locked_rows``, ``rows_by_id``, ``same_patient_rows``, ``reserve_ids``) use the request's psycopg
    connection directly, so that ``reads`` can run them on a thread of its own: Django's connection object belongs
    to the thread that opened it, psycopg's connection serialises its users, and the transaction is the
    connection's."""

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
    def reads(self) -> Iterator[Callable[..., Future]]:
        """``submit(function, *args)`` runs reads in submission order on one thread, on this transaction's
        connection, while the caller goes on; the caller must not use the connection until it leaves the block,
        which waits for every read (an error drops those not yet started)."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-reads") as pool:

            def submit(function, *args) -> Future:
                # In a copy of the caller's context: its log lines carry the request's id, as the caller's do.
                return pool.submit(contextvars.copy_context().run, function, *args)

            try:
                yield submit
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        began = time.monotonic()
        with self._errors, self._connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        self._log(sql, params, began)
        return rows

    def locked_rows(self, provider_id: int, external_ids: list[str], fields: tuple[str, ...]) -> list[tuple]:
        # One array parameter instead of 10 000 placeholders. FOR NO KEY UPDATE: the UPDATE that follows never
        # changes a key, so rows that merely reference the contact (an invoice line a concurrent run inserts, a
        # logged read) need not wait for this request, nor this request for the run's whole transaction.
        return self._fetch(
            f"SELECT {', '.join(fields)} FROM {Contact._meta.db_table} "  # noqa: S608
            "WHERE provider_id = %s AND external_id = ANY(%s) FOR NO KEY UPDATE",
            [provider_id, external_ids],
        )

    def rows_by_id(self, ids: list[int], fields: tuple[str, ...]) -> list[tuple]:
        """``fields`` of these contacts, each a tuple (locked already by ``locked_rows``)."""
        return self._fetch(
            f"SELECT {', '.join(fields)} FROM {Contact._meta.db_table} WHERE id = ANY(%s)",  # noqa: S608
            [ids],
        )

    def same_patient_rows(
        self, provider_id: int, patient_ids: list[str], start: dt.datetime, end: dt.datetime, *, besides: list[str]
    ):
        """As ``_OrmWriter.same_patient_rows``, with one array parameter for the patients (the patient_id index)."""
        return self._fetch(
            "SELECT external_id, patient_id, started_at, manual_reasons "  # noqa: S608
            f"FROM {Contact._meta.db_table} "
            "WHERE provider_id = %s AND patient_id = ANY(%s) AND started_at >= %s AND started_at < %s "
            "AND NOT external_id = ANY(%s)",
            [provider_id, patient_ids, start, end, besides],
        )

    def reserve_ids(self, count: int) -> list[int]:
        """``count`` ids from the contacts' sequence, in one round trip."""
        if not count:
            return []
        rows = self._fetch(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Contact._meta.db_table, count],
        )
        return [row[0] for row in rows]

    def insert_contacts(self, rows: Iterable[tuple], ids: list[int] | None) -> list[int]:
        """COPY ``rows`` (values in ``CONTACT_COLUMNS`` order, one per id of ``ids``, from ``reserve_ids``) as they
        come: a lazy ``rows`` is computed while PostgreSQL stores the rows before. Like the reads, on the request's
        psycopg connection, so that ``reads`` can run it in the background."""
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
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY contact_update ({', '.join(columns)}) FROM STDIN") as copy,
            ):
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
