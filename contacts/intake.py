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
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.bulk_writer import contact_writer
from contacts.eligibility import Decision
from contacts.evaluation import decide, decision_columns, facts_of_item, result_of_decision, stored_result
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


def _input_values(item: ContactInput) -> dict:
    return {column: getattr(item, name) for name, column in COMPARED}


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
    decimal_comma = channel == Via.CSV
    refs = load_references(user)
    timeline = recommendation_timeline()
    result = IntakeResult()
    valid: list[tuple[int, ContactInput]] = []
    first_index: dict[tuple[int, str], int] = {}
    for index, raw in enumerate(items):
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
        valid.append((index, checked))
    if earlier_lines is not None and lines is not None:
        earlier_lines.update((key, lines[index]) for key, index in first_index.items())

    actor_id = user.pk if user is not None and user.is_authenticated else None
    # A concurrent request may insert the same (provider, external_id) between our read and our write; the
    # unique constraint stops it, and a retry sees the row and treats the item as an update.
    for attempt in range(3):
        try:
            with transaction.atomic():
                outcome = _write(valid, timeline=timeline, actor_id=actor_id, channel=channel)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    result.created, result.updated, result.unchanged, locked_errors, result.ids, result.outcomes = outcome
    result.errors.extend(locked_errors)
    result.errors.sort(key=lambda e: e.index)
    refused = len(result.errors)
    # Counted once the request's transaction commits: an upload checked without storing (its transaction rolled
    # back, contacts.uploads.dry_run) or a request that fails later received nothing.
    transaction.on_commit(lambda: _count_items(str(channel), accepted=len(items) - refused, refused=refused))
    return result


def _count_items(channel: str, *, accepted: int, refused: int) -> None:
    INTAKE_ITEMS.labels(channel=channel, outcome="accepted").inc(accepted)
    INTAKE_ITEMS.labels(channel=channel, outcome="refused").inc(refused)


def _write(valid, *, timeline: Timeline, actor_id, channel):
    now = timezone.now()
    writer = contact_writer()
    existing = _existing_rows([item for _index, item in valid], writer)
    version_ids = dict(RateRecommendation.objects.published().values_list("code", "id"))
    creates: list[tuple[int, dict]] = []
    updates: list[tuple[int, dict, dict, Decision]] = []
    unchanged = 0
    unchanged_indexes: list[int] = []
    errors: list[ItemError] = []
    ids: dict[int, int] = {}
    # New and changed items: (index, item, stored row or None, input values).
    pending: list[tuple[int, ContactInput, dict | None, dict]] = []
    for index, item in valid:
        row = existing.get((item.provider_id, item.external_id))
        values = _input_values(item)
        if row is not None:
            ids[index] = row["id"]
            # Unchanged is unchanged, locked or not: re-sending (re-uploading) what is stored is never an error.
            if all(row[name] == values[name] for name in COMPARED_FIELDS):
                unchanged += 1
                unchanged_indexes.append(index)
                continue
            if row["locked"]:
                message = _("This contact is on a submitted or approved invoice and can no longer be changed.")
                errors.append(ItemError(index, item.external_id, {"non_field_errors": [message]}))
                continue
        pending.append((index, item, row, values))

    duplicates = _possible_duplicates(pending, writer)
    for index, item, row, values in pending:
        manual = [r for r in row["manual_reasons"].split() if r != DUPLICATE] if row and row["manual_reasons"] else []
        if index in duplicates:
            manual = list(ordered([*manual, DUPLICATE]))
        overridden = bool(row and row["overridden"])
        decision = decide(facts_of_item(item), timeline, manual_reasons=manual, overridden=overridden)
        columns = {
            **values,
            "provider_id": item.provider_id,
            "external_id": item.external_id,
            "patient_birth_date": item.patient_birth_date,
            "patient_sex": item.patient_sex,
            "billing_region_id": item.billing_region,
            **decision_columns(decision, version_ids),
            "manual_reasons": " ".join(manual),
            "overridden": overridden,
            "updated_at": now,
            "updated_via": channel,
            "updated_by_id": actor_id,
            "evaluated_at": now,
            "locked": False,
        }
        if row is None:
            columns.update(created_at=now, created_via=channel, created_by_id=actor_id)
            creates.append((index, columns))
        else:
            columns["id"] = row["id"]
            changes = {
                name: [_display(name, row[name]), _display(name, values[name])]
                for name in COMPARED_FIELDS
                if row[name] != values[name]
            }
            updates.append((index, columns, {"changes": changes, "before": _result_of_row(row)}, decision))

    created_ids = writer.insert_contacts([columns for _i, columns in creates])
    for (index, _columns), pk in zip(creates, created_ids, strict=True):
        ids[index] = pk
    writer.update_contacts([columns for _i, columns, _c, _d in updates])
    # Creation is recorded on the row itself (created_at/_via/_by); each later change adds an event.
    events = [
        (
            columns["id"],
            now,
            EventKind.UPDATED,
            channel,
            actor_id,
            extra["changes"],
            extra["before"],
            result_of_decision(decision),
            "",
        )
        for _i, columns, extra, decision in updates
    ]
    writer.insert_events(events)
    outcomes = {index: "unchanged" for index in unchanged_indexes}
    outcomes.update((index, "created") for index, _columns in creates)
    outcomes.update((index, "updated") for index, *_rest in updates)
    return len(creates), len(updates), unchanged, errors, ids, outcomes


DUPLICATE = Reason.POSSIBLE_DUPLICATE.value
_MINUTE = dt.timedelta(minutes=1)


def _minute(moment: dt.datetime) -> dt.datetime:
    """The start minute of a moment, in UTC (whatever offset it was sent or read with)."""
    return moment.astimezone(dt.UTC).replace(second=0, microsecond=0)


def _possible_duplicates(pending: list[tuple[int, ContactInput, dict | None, dict]], writer) -> set[int]:
    """The request indexes of new or changed items that are possible duplicates: the same provider, patient and
    start minute as another contact, so that billing both would bill one contact twice.

    Each (provider, patient, minute) has at most one claimant, the contact that is billed: a stored contact this
    request does not change, unless it is itself a possible duplicate (it is not billed); then the changed items,
    oldest contact first; then the new items in request order. An item whose key already has a claimant is a
    possible duplicate; one that no longer collides loses the mark. Stored contacts the request does not touch
    keep theirs until they are sent again.

    One query per provider: the provider's contacts of the items' patients within the items' time range.
    """
    by_provider: dict[int, list[tuple[int, ContactInput, dict | None, dict]]] = {}
    for entry in pending:
        by_provider.setdefault(entry[1].provider_id, []).append(entry)
    flagged: set[int] = set()
    for provider_id, entries in by_provider.items():
        keys = {index: (item.patient_id, _minute(item.started_at)) for index, item, _row, _values in entries}
        minutes = [minute for _patient, minute in keys.values()]
        patients = sorted({patient for patient, _minute_ in keys.values()})
        # The stored rows of changed items are replaced by this request: their new values take part instead.
        changed = {item.external_id for _index, item, row, _values in entries if row is not None}
        claimed: set[tuple[str, dt.datetime]] = set()
        stored = writer.same_patient_rows(provider_id, patients, min(minutes), max(minutes) + _MINUTE)
        for external_id, patient_id, started_at, manual_reasons in stored:
            if external_id not in changed and DUPLICATE not in manual_reasons.split():
                claimed.add((patient_id, _minute(started_at)))
        ordered_entries = sorted(entries, key=lambda e: (0, e[2]["id"]) if e[2] is not None else (1, e[0]))
        for index, _item, _row, _values in ordered_entries:
            key = keys[index]
            if key in claimed:
                flagged.add(index)
            else:
                claimed.add(key)
    return flagged


EXISTING_FIELDS = (
    "id",
    "provider_id",
    "external_id",
    "locked",
    "manual_reasons",
    "overridden",
    "status",
    "reasons",
    "rate",
    "amount",
    "recommendation_id",
    *COMPARED_FIELDS,
)


def _existing_rows(items: list[ContactInput], writer) -> dict[tuple[int, str], dict]:
    """The stored rows for the items' keys, locked against concurrent changes until the transaction ends."""
    by_provider: dict[int, list[str]] = {}
    for item in items:
        by_provider.setdefault(item.provider_id, []).append(item.external_id)
    found: dict[tuple[int, str], dict] = {}
    for provider_id, external_ids in by_provider.items():
        for row in writer.locked_rows(provider_id, external_ids, EXISTING_FIELDS):
            found[(row["provider_id"], row["external_id"])] = row
    if found:
        codes = dict(RateRecommendation.objects.values_list("id", "code"))
        for row in found.values():
            row["recommendation_code"] = codes.get(row["recommendation_id"])
    return found
