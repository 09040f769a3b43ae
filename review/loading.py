"""Loading a register file into a buyer region's register: upsert, or replace a period, in one transaction.

- **upsert**: each row is written under its key (region, identity, valid from): a new key is inserted, a known
  one has its values and valid-to rewritten (counted as updated). Valid rows are stored, refused rows reported.
- **replace a period**: the region's entries overlapping the period (valid from ≤ period end and valid to empty or
  ≥ period start) are deleted, then the file's rows written as an upsert. A file with any refused row stores
  nothing: deleting a period and writing back part of it would silently drop people.

The file is read and validated in batches (``review.register_files``), each batch stored as soon as it is read, in
one transaction with a savepoint that undoes them when the file turns out not to be storable. On PostgreSQL a
batch goes by COPY into a temporary table and is merged with one INSERT … ON CONFLICT, on a thread of its own
while the next batch is read (``_Writer``); elsewhere by the ORM's bulk_create.
"""

import datetime as dt
import io
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from review.models import ListingEntry, LoadMode, PopulationEntry, RegisterKind, RegisterLoad
from review.register_files import RegisterFile, RegisterRow, register_file_parse

ORM_BATCH = 2_000


@dataclass(frozen=True)
class _Target:
    model: type
    table: str
    first: str
    second: str


def _target(kind: str) -> _Target:
    if kind == RegisterKind.POPULATION:
        return _Target(PopulationEntry, PopulationEntry._meta.db_table, "lan_code", "municipality_code")
    return _Target(ListingEntry, ListingEntry._meta.db_table, "unit_hsa_id", "unit_org_number")


class RegisterLoadError(ValueError):
    """The load's own parameters are wrong (not a row of the file)."""


def register_load(
    *,
    region_code: str,
    kind: str,
    data: bytes,
    user,
    via: str,
    mode: str = LoadMode.UPSERT,
    file_name: str = "",
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
) -> RegisterLoad:
    """Parse and load one register file for ``region_code``; returns the load's history row (always written)."""
    if kind not in RegisterKind.values:
        raise RegisterLoadError(_("Unknown register: %(kind)s.") % {"kind": kind})
    if mode not in LoadMode.values:
        raise RegisterLoadError(_("Unknown mode: %(mode)s.") % {"mode": mode})
    if mode == LoadMode.REPLACE_PERIOD:
        if period_from is None or period_to is None:
            raise RegisterLoadError(_("Replacing a period needs its first and last day."))
        if period_to < period_from:
            raise RegisterLoadError(_("The period ends before it begins."))
    else:
        period_from = period_to = None
    started = time.monotonic()
    target = _target(kind)
    load = RegisterLoad(
        region_id=region_code,
        kind=kind,
        mode=mode,
        via=via,
        file_name=file_name[:200],
        loaded_by=user,
        loaded_at=timezone.now(),
        period_from=period_from,
        period_to=period_to,
    )
    all_or_nothing = mode == LoadMode.REPLACE_PERIOD
    with transaction.atomic():
        try:
            # A savepoint: the rows are stored batch by batch as the file is read, and undone when the file turns
            # out not to be storable (refused as a whole, or a refused row when replacing a period).
            with transaction.atomic():
                if mode == LoadMode.REPLACE_PERIOD:
                    load.deleted = _delete_period(target, region_code, period_from, period_to)
                with _Writer(target, region_code) as writer:
                    parsed = register_file_parse(
                        data, kind, file_name=file_name, sink=writer.write, all_or_nothing=all_or_nothing
                    )
                if parsed.refused_file or (all_or_nothing and parsed.errors):
                    raise _Undo
                load.inserted, load.updated = writer.inserted, writer.updated
        except _Undo:
            load.deleted = load.inserted = load.updated = 0
        stored = load.inserted + load.updated
        load.rows, load.errors = parsed.row_count, parsed.errors
        load.refused = parsed.row_count - stored
        load.seconds = Decimal(f"{time.monotonic() - started:.2f}")
        load.save()
    return load


class _Undo(Exception):
    """The file may not be stored: undo what was."""


class _Writer:
    """Stores the parser's batches of valid rows (``_merge``). On PostgreSQL a batch is stored by a thread of its
    own on the request's connection while the next batch is read and validated (the database's work and Python's
    overlap, on two cores); at most one batch is in flight, and the batches are stored in their order. Leaving
    the block waits for the last batch and raises what storing it raised."""

    def __init__(self, target: _Target, region_code: str):
        self.target = target
        self.region_code = region_code
        self.inserted = self.updated = 0
        self.pool = ThreadPoolExecutor(max_workers=1) if connection.vendor == "postgresql" else None
        self.pending: Future | None = None
        self.raw = None

    def __enter__(self) -> "_Writer":
        if self.pool is not None:
            connection.ensure_connection()
            self.raw = connection.connection
            with self.raw.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMPORARY TABLE register_rows (personal_identity varchar(12), first varchar(31), "
                    "second varchar(10), valid_from date, valid_to date) ON COMMIT DROP"
                )
        return self

    def write(self, rows: list[RegisterRow]) -> None:
        if self.pool is None:
            self._count(_merge_orm(self.target, self.region_code, rows))
            return
        self._wait()
        self.pending = self.pool.submit(_merge_postgresql, self.raw, self.target, self.region_code, rows)

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self._count(pending.result())

    def _count(self, counts: tuple[int, int]) -> None:
        self.inserted += counts[0]
        self.updated += counts[1]

    def __exit__(self, kind, value, traceback) -> None:
        if self.pool is None:
            return
        try:
            if kind is None:
                self._wait()
            elif self.pending is not None:
                wait([self.pending])  # never leave the connection in use by the thread
        finally:
            self.pool.shutdown(wait=True)
        if kind is None:
            with self.raw.cursor() as cursor:
                cursor.execute("DROP TABLE register_rows")


def _delete_period(target: _Target, region_code: str, first: dt.date, last: dt.date) -> int:
    overlapping = target.model.objects.filter(region_id=region_code, valid_from__lte=last).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=first)
    )
    return overlapping._raw_delete(overlapping.db)


def _merge_postgresql(raw, target: _Target, region_code: str, rows: list[RegisterRow]) -> tuple[int, int]:
    """COPY into the temporary table, then one set-based INSERT … ON CONFLICT DO UPDATE; ``xmax = 0`` tells an
    inserted row from an updated one. A known row whose values are the same is not written again (a monthly
    extract is mostly the month before's): it counts as updated, as every row of a known key does."""
    buffer = io.StringIO()
    write = buffer.write
    for row in rows:
        # Every value is validated (digits, codes, HSA-ids of letters and digits): nothing to escape.
        write(
            f"{row.personal_identity}\t{row.first}\t{row.second}\t{row.valid_from.isoformat()}\t"
            f"{row.valid_to.isoformat() if row.valid_to else '\\N'}\n"
        )
    with raw.cursor() as cursor:
        with cursor.copy("COPY register_rows FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        # The table and column names are the models' own, never input.
        cursor.execute(
            f"""
            WITH merged AS (
                INSERT INTO {target.table} AS entry (region_id, personal_identity, {target.first},
                                                     {target.second}, valid_from, valid_to)
                SELECT %s, personal_identity, first, second, valid_from, valid_to FROM register_rows
                ORDER BY personal_identity, valid_from  -- the unique index's order: its pages are written in turn
                ON CONFLICT (region_id, personal_identity, valid_from) DO UPDATE
                SET {target.first} = EXCLUDED.{target.first}, {target.second} = EXCLUDED.{target.second},
                    valid_to = EXCLUDED.valid_to
                WHERE (entry.{target.first}, entry.{target.second}, entry.valid_to)
                      IS DISTINCT FROM (EXCLUDED.{target.first}, EXCLUDED.{target.second}, EXCLUDED.valid_to)
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted) FROM merged
            """,  # noqa: S608
            [region_code],
        )
        (inserted,) = cursor.fetchone()
        cursor.execute("TRUNCATE register_rows")
    return inserted, len(rows) - inserted


def _merge_orm(target: _Target, region_code: str, rows: list[RegisterRow]) -> tuple[int, int]:
    model = target.model
    inserted = updated = 0
    for start in range(0, len(rows), ORM_BATCH):
        batch = rows[start : start + ORM_BATCH]
        known = set(
            model.objects.filter(
                region_id=region_code, personal_identity__in={row.personal_identity for row in batch}
            ).values_list("personal_identity", "valid_from")
        )
        objects = [
            model(
                region_id=region_code,
                personal_identity=row.personal_identity,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                **{target.first: row.first, target.second: row.second},
            )
            for row in batch
        ]
        model.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["region", "personal_identity", "valid_from"],
            update_fields=[target.first, target.second, "valid_to"],
        )
        hits = sum((row.personal_identity, row.valid_from) in known for row in batch)
        updated += hits
        inserted += len(batch) - hits
    return inserted, updated


def register_retention_purge(*, today: dt.date, days: int) -> dict[str, int]:
    """Delete every register entry whose validity ended more than ``days`` days before ``today`` (valid to earlier
    than ``today - days``); entries still valid (no valid-to) are kept. Returns the count per register."""
    cutoff = today - dt.timedelta(days=days)
    counts = {}
    for kind in RegisterKind.values:
        expired = _target(kind).model.objects.filter(valid_to__lt=cutoff)
        counts[kind] = expired._raw_delete(expired.db)
    return counts


__all__ = ["RegisterFile", "RegisterLoadError", "register_load", "register_retention_purge"]
