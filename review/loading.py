"""Loading a register file into a buyer region's register: upsert, or replace a period, in one transaction.

- **upsert**: each row is written under its key (region, identity, valid from): a new key is inserted, a known
  one has its values and valid-to rewritten (counted as updated). Valid rows are stored, refused rows reported.
- **replace a period**: the region's entries overlapping the period (valid from ≤ period end and valid to empty or
  ≥ period start) are deleted, then the file's rows written as an upsert. A file with any refused row stores
  nothing: deleting a period and writing back part of it would silently drop people.

On PostgreSQL the rows go by COPY into a temporary table and are merged with one INSERT … ON CONFLICT (about
2.5 million rows a minute, most of it the parsing); elsewhere by the ORM's bulk_create.
"""

import datetime as dt
import io
import time
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
    parsed = register_file_parse(data, kind, file_name=file_name)
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
        rows=parsed.row_count,
        errors=parsed.errors,
    )
    store = not parsed.refused_file and not (mode == LoadMode.REPLACE_PERIOD and parsed.errors)
    with transaction.atomic():
        if store:
            target = _target(kind)
            if mode == LoadMode.REPLACE_PERIOD:
                load.deleted = _delete_period(target, region_code, period_from, period_to)
            load.inserted, load.updated = _merge(target, region_code, parsed.rows)
        load.refused = parsed.row_count - (len(parsed.rows) if store else 0)
        load.seconds = Decimal(f"{time.monotonic() - started:.2f}")
        load.save()
    return load


def _delete_period(target: _Target, region_code: str, first: dt.date, last: dt.date) -> int:
    overlapping = target.model.objects.filter(region_id=region_code, valid_from__lte=last).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=first)
    )
    return overlapping._raw_delete(overlapping.db)


def _merge(target: _Target, region_code: str, rows: list[RegisterRow]) -> tuple[int, int]:
    if not rows:
        return 0, 0
    if connection.vendor == "postgresql":
        return _merge_postgresql(target, region_code, rows)
    return _merge_orm(target, region_code, rows)


def _merge_postgresql(target: _Target, region_code: str, rows: list[RegisterRow]) -> tuple[int, int]:
    """COPY into a temporary table, then one set-based INSERT … ON CONFLICT DO UPDATE; ``xmax = 0`` tells an
    inserted row from an updated one."""
    buffer = io.StringIO()
    for row in rows:
        # Every value is validated (digits, codes, HSA-ids of letters and digits): nothing to escape.
        buffer.write(
            f"{row.personal_identity}\t{row.first}\t{row.second}\t{row.valid_from.isoformat()}\t"
            f"{row.valid_to.isoformat() if row.valid_to else '\\N'}\n"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE register_rows (personal_identity varchar(12), first varchar(31), "
            "second varchar(10), valid_from date, valid_to date) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY register_rows FROM STDIN") as copy:
            value = buffer.getvalue()
            for start in range(0, len(value), 8 * 1024 * 1024):
                copy.write(value[start : start + 8 * 1024 * 1024])
        # The table and column names are the models' own, never input.
        cursor.execute(
            f"""
            WITH merged AS (
                INSERT INTO {target.table} (region_id, personal_identity, {target.first}, {target.second},
                                            valid_from, valid_to)
                SELECT %s, personal_identity, first, second, valid_from, valid_to FROM register_rows
                ORDER BY personal_identity, valid_from  -- the unique index's order: its pages are written in turn
                ON CONFLICT (region_id, personal_identity, valid_from) DO UPDATE
                SET {target.first} = EXCLUDED.{target.first}, {target.second} = EXCLUDED.{target.second},
                    valid_to = EXCLUDED.valid_to
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged
            """,  # noqa: S608
            [region_code],
        )
        inserted, updated = cursor.fetchone()
        cursor.execute("DROP TABLE register_rows")
    return inserted, updated


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
