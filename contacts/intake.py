"""The one intake path: validate → evaluate → upsert on (provider, external_id) with history rows.

The API's single create, the bulk API and the admin's CSV upload all call ``contacts_upsert``; they differ
only in how items arrive and how errors are reported. Valid items are stored even when others are not;
sending the same items again creates and changes nothing; a contact on a submitted or approved invoice
(``locked``) is refused per item. A new or changed item with the same provider, patient and start minute as
another contact is marked ``possible_duplicate`` (a manual reason: a dispute can override it), so that one contact
sent under two external ids is not billed twice.

This module is the orchestration: validation (``contacts.validation``), the evaluation in one shape
(``contacts.evaluation``: facts, decision, the stored result) and the set-based writes (``contacts.bulk_writer``:
COPY on PostgreSQL, Django's bulk operations elsewhere).
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter, itemgetter

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.bulk_writer import contact_writer, start_minute
from contacts.eligibility import Decision
from contacts.evaluation import (
    Decider,
    decision_columns,
    facts_of_item,
    result_of_decision,
    status_of,
    stored_result,
)
from contacts.identifiers import mask_personal_identity
from contacts.models import EventKind
from contacts.reasons import Reason, ordered
from contacts.validation import ACCEPTED_FIELDS, ContactInput, ProviderRef, References, validate_contact
from kernel.business_time import stockholm_date
from kernel.history import Via
from kernel.metrics import INTAKE_ITEMS
from regions.models import Profession, Provider, RateRecommendation, Region
from regions.rates import Timeline
from regions.selectors import recommendation_timeline, scope_of, visible_to

MAX_BULK_ITEMS = 10_000

# The stored column of each input field compared to decide "unchanged" (the key fields excluded).
_INPUT_COLUMNS = {"home_region": "home_region_id", "profession": "profession_id"}
COMPARED = tuple(
    (name, _INPUT_COLUMNS.get(name, name)) for name in ACCEPTED_FIELDS if name not in {"external_id", "provider"}
)
COMPARED_FIELDS = tuple(column for _name, column in COMPARED)


@dataclass
class ItemError:
    index: int
    external_id: str | None
    errors: dict[str, list[str]]

    def as_dict(self) -> dict:
        return {"index": self.index, "external_id": self.external_id, "errors": self.errors}


@dataclass
class IntakeResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ItemError] = field(default_factory=list)
    # The stored contact id of each valid item, by its index in the request.
    ids: dict[int, int] = field(default_factory=dict)
    # What became of each stored item, by its index: "created", "updated" or "unchanged" (refused items are absent).
    outcomes: dict[int, str] = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [e.as_dict() for e in self.errors],
        }


def load_references(user, *, now: dt.datetime | None = None) -> References:
    """The reference data one request validates against, limited to the providers the user may report for."""
    now = now or timezone.now()
    scope = scope_of(user)
    own = None
    providers: dict[str, ProviderRef] = {}
    if scope.role is not None:
        rows = visible_to(user, Provider.objects.all()).values_list("id", "hsa_id", "region_id", "ended_on")
        providers = {
            hsa: ProviderRef(id=pk, hsa_id=hsa, region=region, ended_on=ended_on) for pk, hsa, region, ended_on in rows
        }
        if scope.is_provider:
            own = next((p for p in providers.values() if p.id == scope.provider_id), None)
    return References(
        providers=providers,
        regions=frozenset(Region.objects.values_list("code", flat=True)),
        professions={code: (category or None) for code, category in Profession.objects.values_list("code", "category")},
        own_provider=own,
        now=now,
        today=stockholm_date(now),
    )


def _result_of_row(row: dict) -> dict:
    """The stored result of a row as ``_existing_rows`` reads it."""
    return stored_result(
        status=row["status"],
        reasons=row["reasons"].split() if row["reasons"] else [],
        recommendation=row["recommendation_code"],
        rate=row["rate"],
        amount=row["amount"],
    )


def _external_id_of(raw) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("external_id"), str):
        return raw["external_id"][:64]
    return None


_COMPARED_NAMES = attrgetter(*(name for name, _column in COMPARED))


def _input_values(item: ContactInput) -> tuple:
    """The item's values of ``COMPARED_FIELDS``, in that order."""
    return _COMPARED_NAMES(item)


def _display(name: str, value):
    if name == "patient_id":
        return mask_personal_identity(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def contacts_upsert(
    *,
    items: list,
    user,
    channel: str,
    text_booleans: bool = False,
    lines: list[int] | None = None,
    earlier_lines: dict[tuple[int, str], int] | None = None,
) -> IntakeResult:
    """Validate, evaluate and upsert contact items; report per-item errors, keep every valid item.

    A CSV file's money cells are text as a spreadsheet writes it (Swedish Excel: ``100,00``, ``1 234,50``), so the
    CSV channel reads a decimal comma as well as a point; the JSON API's contract is a point (``"100.00"``).
    ``lines`` are the items' line numbers in an uploaded file: a repeated contact then names the file's line.
    ``earlier_lines`` carries a file's contacts across the calls that store it in parts ((provider id, external_id)
    → its line): a contact already on an earlier part's line is refused as repeated, as within one call, and this
    call's contacts are added to it.
    """
    refs = load_references(user)
    timeline = recommendation_timeline()
    result = IntakeResult()
    first_index: dict[tuple[int, str], int] = {}
    chunks = _validated_chunks(
        items,
        refs,
        result,
        first_index,
        text_booleans=text_booleans,
        decimal_comma=channel == Via.CSV,
        lines=lines,
        earlier_lines=earlier_lines,
    )

    actor_id = user.pk if user is not None and user.is_authenticated else None
    # Validation runs inside the first attempt's transaction, chunk by chunk, so that the stored rows of one chunk
    # are read, and its new contacts written, while the next is validated. A concurrent request may insert the
    # same (provider, external_id) between our read and our write; the unique constraint stops it, and a retry
    # (with the items validated already) sees the row and treats the item as an update. Two requests writing some
    # of the same contacts take their keys in one order (``_validated_chunks``), but a request locks a chunk's
    # stored contacts before it writes the chunk's new ones, so two whose chunks split the shared keys differently
    # can still wait for each other: PostgreSQL then fails one of them (a deadlock), which is retried likewise.
    valid: list[tuple[int, ContactInput]] = []
    source: Iterable[list[tuple[int, ContactInput]]] = chunks
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                outcome = _write(source, valid, timeline=timeline, actor_id=actor_id, channel=channel)
            break
        except (IntegrityError, OperationalError) as exc:
            if attempt == ATTEMPTS - 1 or not _worth_retrying(exc):
                raise
            remaining = [*valid, *(entry for chunk in chunks for entry in chunk)]
            source, valid = [remaining[n : n + CHUNK] for n in range(0, len(remaining), CHUNK)], []
    if earlier_lines is not None and lines is not None:
        earlier_lines.update((key, lines[index]) for key, index in first_index.items())
    result.created, result.updated, result.unchanged, locked_errors, result.ids, result.outcomes = outcome
    result.errors.extend(locked_errors)
    result.errors.sort(key=lambda e: e.index)
    refused = len(result.errors)
    # Counted once the request's transaction commits: an upload checked without storing (its transaction rolled
    # back, contacts.uploads.dry_run) or a request that fails later received nothing.
    transaction.on_commit(lambda: _count_items(str(channel), accepted=len(items) - refused, refused=refused))
    return result


# Valid items per read of their stored rows and per write of the new ones: the first read starts early, and a few
# round trips cover a request.
CHUNK = 2_000
# Attempts at storing a request that collides with a concurrent one (see ``contacts_upsert``).
ATTEMPTS = 3
# PostgreSQL's SQLSTATE of a deadlock it broke by failing this transaction's statement.
DEADLOCK_DETECTED = "40P01"


def _worth_retrying(exc: Exception) -> bool:
    """A unique key taken by a concurrent request, or a deadlock with one: retried. Any other operational error (a
    lost connection, a statement timeout) is not."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED


def _processing_order(items: list, own_provider: bool) -> list[int]:
    """The indexes of ``items`` in the order of their keys (provider, external_id), items of one key in request order.

    Requests writing some of the same contacts at once then take their keys (the unique index's entries of new
    contacts, the row locks of stored ones) in one order, so that one waits for the other instead of each holding
    keys the other waits for. The key is read as validation will normalise it (the text stripped, the HSA-id in
    capitals; a provider system's own provider for every item), so that the items of one key stay together and the
    first of them in the request is the one kept (``_validated_chunks``). An item without such a key sorts first;
    validation refuses it.
    """

    def key(index: int) -> tuple[str, str]:
        raw = items[index]
        if not isinstance(raw, dict):
            return ("", "")
        provider, external_id = raw.get("provider"), raw.get("external_id")
        return (
            provider.strip().upper() if isinstance(provider, str) and not own_provider else "",
            external_id.strip() if isinstance(external_id, str) else "",
        )

    return sorted(range(len(items)), key=key)


def _validated_chunks(
    items: list,
    refs: References,
    result: IntakeResult,
    first_index: dict[tuple[int, str], int],
    *,
    text_booleans: bool,
    decimal_comma: bool,
    lines: list[int] | None,
    earlier_lines: dict[tuple[int, str], int] | None,
) -> Iterator[list[tuple[int, ContactInput]]]:
    """The valid items as (index, item), in chunks of ``CHUNK``, in the order of their keys (``_processing_order``);
    the invalid and repeated ones go to ``result.errors``, and ``first_index`` gets each key's index."""
    chunk: list[tuple[int, ContactInput]] = []
    for index in _processing_order(items, refs.own_provider is not None):
        raw = items[index]
        checked = validate_contact(raw, refs, text_booleans=text_booleans, decimal_comma=decimal_comma)
        if isinstance(checked, dict):
            result.errors.append(ItemError(index, _external_id_of(raw), checked))
            continue
        key = (checked.provider_id, checked.external_id)
        if earlier_lines is not None and key in earlier_lines:
            message = _("The same contact (provider and external_id) is on line %(line)d of the file already.") % {
                "line": earlier_lines[key]
            }
            result.errors.append(ItemError(index, checked.external_id, {"external_id": [message]}))
            continue
        if key in first_index:
            if lines is not None:
                message = _("The same contact (provider and external_id) is on line %(line)d of the file already.") % {
                    "line": lines[first_index[key]]
                }
            else:
                message = _(
                    "The same contact (provider and external_id) appears earlier in this request, at %(index)d."
                ) % {"index": first_index[key]}
            result.errors.append(ItemError(index, checked.external_id, {"external_id": [message]}))
            continue
        first_index[key] = index
        chunk.append((index, checked))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _count_items(channel: str, *, accepted: int, refused: int) -> None:
    INTAKE_ITEMS.labels(channel=channel, outcome="accepted").inc(accepted)
    INTAKE_ITEMS.labels(channel=channel, outcome="refused").inc(refused)


def _write(chunks: Iterable[list[tuple[int, ContactInput]]], valid: list, *, timeline: Timeline, actor_id, channel):
    """Store the items of ``chunks`` (each added to ``valid`` as it comes) and report what became of them.

    Python and PostgreSQL work at the same time, one chunk apart. While a chunk is validated, the chunk before it
    has its stored rows read (and locked) in the background, with the stored contacts of the same patient and start
    minute as its new and changed items (ids for its new contacts taken from the sequence as well); then its new
    contacts are decided and written, with one COPY in the background, while the chunk after is validated. A new
    contact is written as a possible duplicate as far as the request's chunks so far tell; once every chunk is read,
    the possible duplicates are found over the whole request, the few new contacts a later chunk decided otherwise
    (a stored contact the request moves away, a changed one it moves onto a new contact's minute, two new ones in
    another order than the request's) are decided again, and the changed contacts are written set-based with their
    history."""
    stamp = {
        "version_ids": dict(RateRecommendation.objects.published().values_list("code", "id")),
        "now": timezone.now(),
        "channel": channel,
        "actor_id": actor_id,
    }
    writer = contact_writer()
    codes = dict(RateRecommendation.objects.values_list("id", "code"))
    decide = Decider(timeline)
    unchanged_indexes: list[int] = []
    errors: list[ItemError] = []
    ids: dict[int, int] = {}
    # New and changed items: (index, item, stored row as a dict or None, input values).
    pending: list[tuple[int, ContactInput, dict | None, tuple]] = []
    # By provider, its stored contacts of the same patient and start minute as a new or changed item.
    same_patient: dict[int, list[tuple]] = {}
    claims = _Claims()
    # The start minute of each new and changed item, by index (``_read_chunk``).
    minutes: dict[int, dt.datetime] = {}
    # The new items as written: their decisions, and whether written as possible duplicates.
    created: dict[int, Decision] = {}
    marked: set[int] = set()
    with writer.background() as submit:
        # The writes of the new contacts: (their indexes, the future of their ids).
        writes: list[tuple[list[int], Future]] = []

        def take(chunk: list[tuple[int, ContactInput]], read: Future) -> None:
            found, chunk_values, chunk_ids, same, chunk_minutes = read.result()
            minutes.update(chunk_minutes)
            for provider_id, rows in same.items():
                same_patient.setdefault(provider_id, []).extend(rows)
            claims.add_stored(same)
            new: list[tuple[int, ContactInput]] = []
            for (index, item), values in zip(chunk, chunk_values, strict=True):
                row = found.get((item.provider_id, item.external_id))
                if row is None:
                    pending.append((index, item, None, values))
                    new.append((index, item))
                    continue
                ids[index] = row[0]
                # Unchanged is unchanged, locked or not: re-sending (re-uploading) what is stored is never an error.
                if row[_COMPARED_AT:] == values:
                    unchanged_indexes.append(index)
                    continue
                if row[_LOCKED_AT]:
                    message = _("This contact is on a submitted or approved invoice and can no longer be changed.")
                    errors.append(ItemError(index, item.external_id, {"non_field_errors": [message]}))
                    continue
                pending.append((index, item, dict(zip(EXISTING_FIELDS, row, strict=True)), values))
                claims.add_changed(item, minutes[index])
            # Claimed in request order, as ``_possible_duplicates`` does; written in key order.
            for index, item in sorted(new, key=itemgetter(0)):
                manual = [DUPLICATE] if claims.claim_new(item, minutes[index]) else []
                if manual:
                    marked.add(index)
                created[index] = decide(facts_of_item(item), manual_reasons=manual)
            rows = [
                _new_row(item, created[index], [DUPLICATE] if index in marked else [], **stamp) for index, item in new
            ]
            if rows:
                writes.append(([index for index, _item in new], submit(writer.insert_contacts, rows, chunk_ids)))

        previous = None
        for chunk in chunks:
            valid.extend(chunk)
            read = submit(_read_chunk, writer, chunk)
            if previous is not None:
                take(*previous)
            previous = (chunk, read)
        if previous is not None:
            take(*previous)
        changed = {row["id"]: row for _index, _item, row, _values in pending if row is not None}
        changed_results = submit(writer.rows_by_id, list(changed), RESULT_FIELDS) if changed else None

        # While the last chunk is written. The reads of later chunks may have found new contacts of earlier ones:
        # the request's own, not stored ones.
        own = claims.new_keys
        stored = {
            provider_id: [row for row in rows if (provider_id, row[0]) not in own]
            for provider_id, rows in same_patient.items()
        }
        duplicates = _possible_duplicates(pending, stored, minutes)

        for indexes, write in writes:
            ids.update(zip(indexes, write.result(), strict=True))
        if changed_results is not None:
            for result in changed_results.result():
                row = changed[result[0]]
                row.update(zip(RESULT_FIELDS, result, strict=True))
                row["recommendation_code"] = codes.get(row["recommendation_id"])

    # Changed contacts, and new ones a later chunk decided otherwise: (columns, history or None, decision).
    updates: list[tuple[dict, dict | None, Decision]] = []
    for index, item, row, values in pending:
        if row is None:
            if (index in duplicates) != (index in marked):
                manual = [DUPLICATE] if index in duplicates else []
                created[index] = decide(facts_of_item(item), manual_reasons=manual)
                columns = _columns(item, ids[index], created[index], manual, False, **stamp)
                updates.append((columns, None, created[index]))
            continue
        manual = [r for r in row["manual_reasons"].split() if r != DUPLICATE] if row["manual_reasons"] else []
        if index in duplicates:
            manual = list(ordered([*manual, DUPLICATE]))
        overridden = bool(row["overridden"])
        decision = decide(facts_of_item(item), manual_reasons=manual, overridden=overridden)
        changes = {
            name: [_display(name, row[name]), _display(name, value)]
            for name, value in zip(COMPARED_FIELDS, values, strict=True)
            if row[name] != value
        }
        history = {"changes": changes, "before": _result_of_row(row)}
        updates.append((_columns(item, row["id"], decision, manual, overridden, **stamp), history, decision))
    writer.update_contacts([columns for columns, _history, _decision in updates])

    # Creation is recorded on the row itself (created_at/_via/_by); each later change adds an event.
    now = stamp["now"]
    events = [
        (
            columns["id"],
            now,
            EventKind.UPDATED,
            channel,
            actor_id,
            history["changes"],
            history["before"],
            result_of_decision(decision),
            "",
        )
        for columns, history, decision in updates
        if history is not None
    ]
    writer.insert_events(events)
    outcomes = {index: "unchanged" for index in unchanged_indexes}
    outcomes.update((index, "created") for index in created)
    outcomes.update((index, "updated") for index, _item, row, _values in pending if row is not None)
    return len(created), len(events), len(unchanged_indexes), errors, ids, outcomes


class _Claims:
    """Which new items to write as possible duplicates, as far as the chunks read so far tell (``_write``).

    As ``_possible_duplicates`` decides over the whole request: a (provider, patient, start minute) is claimed by a
    stored contact (not itself a possible duplicate, nor one of this request's), by a changed item, or by the first
    new item; within a chunk the changed items claim first, then the new ones in request order. A later chunk can
    still change that (it changes the stored contact, or moves a changed one onto the minute, or holds a new item
    earlier in the request): ``_write`` corrects those few once the whole request is known.
    """

    def __init__(self):
        # By (provider, patient, start minute): the stored contacts' external ids that claim it.
        self._stored: dict[tuple, set[str]] = {}
        # Claimed by an item of the request.
        self._claimed: set[tuple] = set()
        # The stored contacts the request changes, and its new contacts: (provider, external_id).
        self._changed: set[tuple[int, str]] = set()
        self.new_keys: set[tuple[int, str]] = set()

    def add_stored(self, same: dict[int, list[tuple]]) -> None:
        for provider_id, rows in same.items():
            for external_id, patient_id, started_at, manual_reasons in rows:
                if DUPLICATE not in manual_reasons.split():
                    key = (provider_id, patient_id, start_minute(started_at))
                    self._stored.setdefault(key, set()).add(external_id)

    def add_changed(self, item: ContactInput, minute: dt.datetime) -> None:
        self._changed.add((item.provider_id, item.external_id))
        self._claimed.add((item.provider_id, item.patient_id, minute))

    def claim_new(self, item: ContactInput, minute: dt.datetime) -> bool:
        """Claim the item's minute for a new item; True when it is claimed already (a possible duplicate)."""
        provider_id = item.provider_id
        self.new_keys.add((provider_id, item.external_id))
        key = (provider_id, item.patient_id, minute)
        if key in self._claimed:
            return True
        self._claimed.add(key)
        stored = self._stored.get(key)
        return stored is not None and any(
            (provider_id, external_id) not in self._changed and (provider_id, external_id) not in self.new_keys
            for external_id in stored
        )


def _read_chunk(writer, chunk: list[tuple[int, ContactInput]]):
    """In the background: the stored rows (``EXISTING_FIELDS``) of the chunk's keys, locked against concurrent
    changes until the transaction ends; the items' values of ``COMPARED_FIELDS``, in chunk order; ids for its new
    contacts (the keys of a request are distinct, so the new contacts are those not found), or None where the
    insert gives them; by provider, the stored contacts of the same patient and start minute as its new or changed
    items (``_possible_duplicates``); and the start minute of each of those items, by index."""
    by_provider: dict[int, list[str]] = {}
    for _index, item in chunk:
        by_provider.setdefault(item.provider_id, []).append(item.external_id)
    found: dict[tuple[int, str], tuple] = {}
    for provider_id, external_ids in by_provider.items():
        for row in writer.locked_rows(provider_id, external_ids, EXISTING_FIELDS):
            found[(row[1], row[2])] = row
    keys: dict[int, list[tuple[str, dt.datetime, str]]] = {}
    values = [_input_values(item) for _index, item in chunk]
    minutes: dict[int, dt.datetime] = {}
    new = 0
    for (index, item), item_values in zip(chunk, values, strict=True):
        row = found.get((item.provider_id, item.external_id))
        new += row is None
        if row is None or (not row[_LOCKED_AT] and row[_COMPARED_AT:] != item_values):
            minute = minutes[index] = start_minute(item.started_at)
            keys.setdefault(item.provider_id, []).append((item.patient_id, minute, item.external_id))
    same = {provider_id: writer.same_patient_rows(provider_id, same_keys) for provider_id, same_keys in keys.items()}
    return found, values, writer.reserve_ids(new), same, minutes


def _columns(item: ContactInput, pk: int, decision: Decision, manual, overridden: bool, **stamp) -> dict:
    """The columns an update writes (``contacts.bulk_writer.UPDATED_COLUMNS``) for ``item`` as decided."""
    now = stamp["now"]
    return {
        **dict(zip(COMPARED_FIELDS, _input_values(item), strict=True)),
        "id": pk,
        "patient_birth_date": item.patient_birth_date,
        "patient_sex": item.patient_sex,
        "billing_region_id": item.billing_region,
        **decision_columns(decision, stamp["version_ids"]),
        "manual_reasons": " ".join(manual),
        "overridden": overridden,
        "updated_at": now,
        "updated_via": stamp["channel"],
        "updated_by_id": stamp["actor_id"],
        "evaluated_at": now,
        "locked": False,
    }


def _new_row(
    item: ContactInput, decision: Decision, manual: list[str], *, version_ids: dict[str, int], now, channel, actor_id
) -> tuple:
    """A new contact's values in the writer's column order (``contacts.bulk_writer.CONTACT_COLUMNS``)."""
    return (
        item.provider_id,
        item.external_id,
        item.patient_id,
        item.patient_birth_date,
        item.patient_sex,
        item.home_region,
        item.profession,
        item.started_at,
        item.mode,
        item.strong_authentication,
        item.triage,
        item.documented,
        item.content,
        item.patient_fee,
        item.listing_unit,
        item.care_unit,
        item.home_municipality,
        item.billing_region,
        status_of(decision),
        " ".join(decision.reasons),
        " ".join(manual),
        False,
        version_ids.get(decision.recommendation),
        decision.rate,
        decision.amount,
        now,
        channel,
        actor_id,
        now,
        channel,
        actor_id,
        now,
        False,
    )


DUPLICATE = Reason.POSSIBLE_DUPLICATE.value


def _possible_duplicates(
    pending: list[tuple[int, ContactInput, dict | None, tuple]],
    stored: dict[int, list],
    minutes: dict[int, dt.datetime],
) -> set[int]:
    """The request indexes of new or changed items that are possible duplicates: the same provider, patient and
    start minute as another contact, so that billing both would bill one contact twice.

    Each (provider, patient, minute) has at most one claimant, the contact that is billed: a stored contact this
    request does not change, unless it is itself a possible duplicate (it is not billed); then the changed items,
    oldest contact first; then the new items in request order. An item whose key already has a claimant is a
    possible duplicate; one that no longer collides loses the mark. Stored contacts the request does not touch
    keep theirs until they are sent again.

    ``stored`` holds, by provider, its stored contacts of the same patient and start minute as an item
    (``_read_chunk``), the request's new contacts left out; ``minutes`` the start minute of each item, by index.
    """
    by_provider: dict[int, list[tuple[int, ContactInput, dict | None, tuple]]] = {}
    for entry in pending:
        by_provider.setdefault(entry[1].provider_id, []).append(entry)
    flagged: set[int] = set()
    for provider_id, entries in by_provider.items():
        keys = {index: (item.patient_id, minutes[index]) for index, item, _row, _values in entries}
        # The stored rows of changed items are replaced by this request: their new values take part instead.
        changed = {item.external_id for _index, item, row, _values in entries if row is not None}
        claimed: set[tuple[str, dt.datetime]] = set()
        for external_id, patient_id, started_at, manual_reasons in stored.get(provider_id, ()):
            if external_id not in changed and DUPLICATE not in manual_reasons.split():
                claimed.add((patient_id, start_minute(started_at)))
        ordered_entries = sorted(entries, key=lambda e: (0, e[2]["id"]) if e[2] is not None else (1, e[0]))
        for index, _item, _row, _values in ordered_entries:
            key = keys[index]
            if key in claimed:
                flagged.add(index)
            else:
                claimed.add(key)
    return flagged


# What is read (and locked) of every stored contact an item names: enough to tell unchanged from changed.
EXISTING_FIELDS = ("id", "provider_id", "external_id", "locked", *COMPARED_FIELDS)
# Where a stored row (``EXISTING_FIELDS``) holds ``locked`` and where its compared input values begin.
_LOCKED_AT = EXISTING_FIELDS.index("locked")
_COMPARED_AT = len(EXISTING_FIELDS) - len(COMPARED_FIELDS)
# What is read besides of a contact an item changes (its stored result, manual reasons and override), only for those:
# a resend of 10 000 unchanged contacts loads no more than it compares.
RESULT_FIELDS = ("id", "manual_reasons", "overridden", "status", "reasons", "rate", "amount", "recommendation_id")
