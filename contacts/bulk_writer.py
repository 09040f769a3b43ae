"""The bulk storage writer of contacts and their history rows: COPY on PostgreSQL, Django's bulk operations elsewhere.

Intake (``contacts.intake``) and re-evaluation (``contacts.services``) decide what to write; this module only writes
it, set-based: on PostgreSQL new rows go in with binary COPY (ids taken from the sequence up front), changed rows
with COPY into a temporary table followed by one UPDATE … FROM, history rows with COPY; elsewhere (SQLite, the
embedded default) with ``bulk_create``/``bulk_update``.
"""

import datetime as dt
from operator import itemgetter

import orjson
from django.db import connection

from contacts.models import Contact, ContactEvent

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
EVENT_COLUMNS = ("contact_id", "at", "kind", "via", "actor_id", "changes", "result_before", "result_after", "note")


def contact_writer():
    """The bulk writer for the current database: COPY on PostgreSQL, Django's bulk operations elsewhere."""
    return _PostgresWriter() if connection.vendor == "postgresql" else _OrmWriter()


class _OrmWriter:
    """Django bulk operations: portable (SQLite, the embedded default)."""

    def locked_rows(self, provider_id: int, external_ids: list[str], fields: tuple[str, ...]):
        """``fields`` of the provider's contacts with these external ids, each a dict, locked against concurrent
        changes until the transaction ends."""
        return (
            Contact.objects.select_for_update(no_key=True)
            .filter(provider_id=provider_id, external_id__in=external_ids)
            .values(*fields)
        )

    def same_patient_rows(self, provider_id: int, patient_ids: list[str], start: dt.datetime, end: dt.datetime):
        """(external_id, patient_id, started_at, manual_reasons) of the provider's contacts of these patients that
        start in [start, end)."""
        return (
            Contact.objects.filter(
                provider_id=provider_id, patient_id__in=patient_ids, started_at__gte=start, started_at__lt=end
            )
            .values_list("external_id", "patient_id", "started_at", "manual_reasons")
            .iterator(chunk_size=2000)
        )

    def insert_contacts(self, rows: list[dict]) -> list[int]:
        objects = Contact.objects.bulk_create([Contact(**row) for row in rows], batch_size=500)
        return [obj.pk for obj in objects]

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
    """COPY for speed: ids come from the sequence up front, so rows and their events go in with COPY."""

    def locked_rows(self, provider_id: int, external_ids: list[str], fields: tuple[str, ...]):
        # One array parameter instead of 10 000 placeholders. FOR NO KEY UPDATE: the UPDATE that follows never
        # changes a key, so rows that merely reference the contact (an invoice line a concurrent run inserts, a
        # logged read) need not wait for this request, nor this request for the run's whole transaction.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(fields)} FROM {Contact._meta.db_table} "  # noqa: S608
                "WHERE provider_id = %s AND external_id = ANY(%s) FOR NO KEY UPDATE",
                [provider_id, external_ids],
            )
            return [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]

    def same_patient_rows(self, provider_id: int, patient_ids: list[str], start: dt.datetime, end: dt.datetime):
        """As ``_OrmWriter.same_patient_rows``, with one array parameter for the patients (the patient_id index)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT external_id, patient_id, started_at, manual_reasons "  # noqa: S608
                f"FROM {Contact._meta.db_table} "
                "WHERE provider_id = %s AND patient_id = ANY(%s) AND started_at >= %s AND started_at < %s",
                [provider_id, patient_ids, start, end],
            )
            return cursor.fetchall()

    def _next_ids(self, cursor, table: str, count: int) -> list[int]:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]

    def insert_contacts(self, rows: list[dict]) -> list[int]:
        if not rows:
            return []
        table = Contact._meta.db_table
        with connection.cursor() as cursor:
            ids = self._next_ids(cursor, table, len(rows))
            columns = ("id", *CONTACT_COLUMNS)
            types = self._column_types(cursor, table, columns)
            # Binary COPY: no text formatting of dates, times and amounts on either side. Django does not
            # translate errors raised by psycopg's copy(); wrapped, a duplicate key from a concurrent request
            # is Django's IntegrityError, which contacts_upsert retries.
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.set_types(types)
                values_of = itemgetter(*CONTACT_COLUMNS)
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *values_of(row)))
        return ids

    @staticmethod
    def _column_types(cursor, table: str, columns: tuple[str, ...]) -> list[str]:
        cursor.execute(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        types = dict(cursor.fetchall())
        return [types[column] for column in columns]

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
