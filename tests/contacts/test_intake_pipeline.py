"""Intake in chunks (issue 19, "intake pipelined"): the stored rows of one chunk are read while the next is
validated, a repeated value is checked once per request, new rows are written as they are put together. The
outcome is the one of a request taken whole: the same counts, errors, ids, duplicates and history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError

import contacts.intake
from contacts.intake import contacts_upsert, load_references
from contacts.models import Contact, ContactEvent
from contacts.validation import validate_contact
from regions.models import Role
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

PATIENT = personnummer("19700101", "123")


@pytest.fixture
def clerk04(make_user):
    return make_user(Role.CLERK, "04")


@pytest.fixture
def small_chunks(monkeypatch):
    """Two valid items per chunk: a request of a few items reads its stored rows in several rounds."""
    monkeypatch.setattr(contacts.intake, "CHUNK", 2)


def _item(hsa: str, external_id: str, minute: int, **overrides) -> dict:
    """A contact of its own patient and minute unless told otherwise (no accidental possible duplicates)."""
    serial = f"{100 + minute:03d}"
    values = {
        "provider": hsa,
        "external_id": external_id,
        "patient_id": personnummer("19850312", serial),
        "started_at": f"2026-10-05T10:{minute:02d}:00+02:00",
    }
    return contact_item(**{**values, **overrides})


def test_a_request_in_several_chunks_has_the_outcome_of_the_whole_request(clerk04, providers, small_chunks):
    hsa = providers["04a"].hsa_id
    contacts_upsert(
        items=[
            _item(hsa, "keep", 1),
            _item(hsa, "change", 2, patient_id=PATIENT),
            _item(hsa, "lock", 3),
        ],
        user=clerk04,
        channel="bulk",
    )
    Contact.objects.filter(external_id="lock").update(locked=True, status="invoiced")
    items = [
        # A new contact of the same patient and minute as a changed contact further on: the changed contact is
        # billed, whichever chunk either is in.
        _item(hsa, "n1", 4, patient_id=PATIENT, started_at="2026-10-05T10:30:40+02:00"),
        _item(hsa, "bad-1", 5, patient_fee="-5.00"),
        _item(hsa, "keep", 1),
        _item(hsa, "n1", 6),
        _item(hsa, "lock", 3, mode="chat"),
        _item(hsa, "change", 2, patient_id=PATIENT, started_at="2026-10-05T10:30:00+02:00"),
        _item(hsa, "bad-2", 7, patient_fee="-5.00"),
        _item(hsa, "n2", 8),
    ]

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert (result.created, result.updated, result.unchanged) == (2, 1, 1)
    assert [(e.index, e.external_id, e.errors) for e in result.errors] == [
        (1, "bad-1", {"patient_fee": ["Får inte vara negativt."]}),
        (
            3,
            "n1",
            {"external_id": ["Samma kontakt (vårdgivare och external_id) finns tidigare i detta anrop, på plats 0."]},
        ),
        (
            4,
            "lock",
            {"non_field_errors": ["Kontakten finns på en inskickad eller godkänd faktura och kan inte längre ändras."]},
        ),
        (6, "bad-2", {"patient_fee": ["Får inte vara negativt."]}),
    ]
    stored = {c.external_id: c for c in Contact.objects.all()}
    assert result.ids == {
        0: stored["n1"].pk,
        2: stored["keep"].pk,
        4: stored["lock"].pk,
        5: stored["change"].pk,
        7: stored["n2"].pk,
    }
    assert result.outcomes == {0: "created", 2: "unchanged", 5: "updated", 7: "created"}
    assert (stored["n1"].status, stored["n1"].reasons, stored["n1"].manual_reasons) == (
        "rejected",
        "possible_duplicate",
        "possible_duplicate",
    )
    assert (stored["change"].status, stored["change"].manual_reasons) == ("eligible", "")
    assert (stored["n2"].status, stored["n2"].amount, stored["n2"].created_via) == (
        "eligible",
        Decimal("335.00"),
        "bulk",
    )
    assert stored["lock"].mode == "video"
    event = ContactEvent.objects.get()
    assert (event.contact_id, event.changes) == (
        stored["change"].pk,
        {"started_at": ["2026-10-05T08:02:00+00:00", "2026-10-05T10:30:00+02:00"]},
    )


def test_a_request_of_new_contacts_only_stores_each_with_its_own_id(clerk04, providers, small_chunks):
    hsa = providers["04a"].hsa_id
    items = [_item(hsa, f"new-{n}", n) for n in range(5)]

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert (result.created, result.updated, result.unchanged, result.errors) == (5, 0, 0, [])
    stored = dict(Contact.objects.values_list("external_id", "pk"))
    assert result.ids == {n: stored[f"new-{n}"] for n in range(5)}
    assert result.outcomes == dict.fromkeys(range(5), "created")
    assert sorted(Contact.objects.values_list("started_at__minute", flat=True)) == [0, 1, 2, 3, 4]


def test_a_new_contact_inserted_with_an_earlier_chunk_is_marked_once_a_later_one_turns_out_to_claim_it_first(
    clerk04, providers, small_chunks
):
    """New contacts are inserted chunk by chunk, before the possible duplicates of the whole request are known:
    the one that is a possible duplicate is corrected in the same transaction, and only it."""
    hsa = providers["04a"].hsa_id
    items = [
        _item(hsa, "first", 1, patient_id=PATIENT, started_at="2026-10-05T10:30:10+02:00"),
        _item(hsa, "other", 2),
        _item(hsa, "second", 3, patient_id=PATIENT, started_at="2026-10-05T10:30:50+02:00"),
        _item(hsa, "third", 4, patient_id=PATIENT, started_at="2026-10-05T10:31:00+02:00"),
    ]

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert (result.created, result.updated, result.unchanged, result.errors) == (4, 0, 0, [])
    assert result.outcomes == dict.fromkeys(range(4), "created")
    stored = {c.external_id: (c.status, c.reasons, c.manual_reasons, c.amount) for c in Contact.objects.all()}
    assert stored == {
        "first": ("eligible", "", "", Decimal("335.00")),
        "other": ("eligible", "", "", Decimal("335.00")),
        "second": ("rejected", "possible_duplicate", "possible_duplicate", Decimal("0.00")),
        "third": ("eligible", "", "", Decimal("335.00")),  # the next minute
    }
    assert ContactEvent.objects.count() == 0  # a correction within the request is no change in history

    again = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_a_retry_after_a_collision_stores_every_chunk_and_reports_each_error_once(
    clerk04, providers, small_chunks, monkeypatch
):
    """A concurrent request inserting the same new contact makes the insert fail; the retry reuses what was
    validated (see test_intake_concurrency for the real collision on PostgreSQL)."""
    hsa = providers["04a"].hsa_id
    items = [_item(hsa, f"c-{n}", n) for n in range(5)]
    items.insert(2, _item(hsa, "bad", 9, home_region="99"))
    real_writer = contacts.intake.contact_writer
    collisions = []

    def colliding_writer():
        writer = real_writer()
        if not collisions:
            collisions.append(writer)

            def insert_contacts(rows, ids):
                list(rows)
                raise IntegrityError("duplicate key value violates unique constraint contact_unique_per_provider")

            writer.insert_contacts = insert_contacts
        return writer

    monkeypatch.setattr(contacts.intake, "contact_writer", colliding_writer)

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert len(collisions) == 1
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    assert [(e.index, e.errors) for e in result.errors] == [
        (2, {"home_region": ["Okänd region '99'; ange en länskod som '04'."]})
    ]
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == [f"c-{n}" for n in range(5)]


def test_a_repeated_value_is_checked_once_and_reported_for_every_item_with_its_own_field(clerk04, providers):
    """Memoised per request by field and value: the second item with a bad value gets the same messages, and a
    listing unit and a care unit with the same bad value each report under their own field."""
    hsa = providers["04a"].hsa_id
    items = [
        _item(hsa, "a", 1, home_region="99", profession="xx", listing_unit="nonsense", patient_fee="1e2"),
        _item(hsa, "b", 2, home_region="99", profession="xx", care_unit="nonsense", patient_fee="1e2"),
    ]

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    first, second = (e.errors for e in result.errors)
    assert sorted(first) == ["home_region", "listing_unit", "patient_fee", "profession"]
    assert sorted(second) == ["care_unit", "home_region", "patient_fee", "profession"]
    assert first["home_region"] == second["home_region"] == ["Okänd region '99'; ange en länskod som '04'."]
    assert first["profession"] == second["profession"] == ["Okänd yrkeskod 'XX' (Kv yrkeskod)."]
    assert first["patient_fee"] == second["patient_fee"] == ['Ska vara ett belopp, t.ex. "100.00".']
    assert first["listing_unit"] == second["care_unit"]
    assert first["listing_unit"] is not second["care_unit"]  # each item's errors are its own lists
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    ("fee", "outcome"),
    [
        (100, Decimal("100.00")),
        (True, {"patient_fee": ["Ska vara ett belopp."]}),
        ("100", Decimal("100.00")),
        (1, Decimal("1.00")),
    ],
)
def test_values_that_python_finds_equal_are_memoised_apart_by_their_type(fee, outcome, clerk04, providers):
    """``True == 1`` in Python, but a JSON true is no amount: the memo tells them apart, in either order."""
    refs = load_references(clerk04)
    hsa = providers["04a"].hsa_id
    for other in (1, True, 100, "100"):
        validate_contact(_item(hsa, "x", 1, patient_fee=other), refs)

    checked = validate_contact(_item(hsa, "x", 1, patient_fee=fee), refs)

    assert (checked if isinstance(checked, dict) else checked.patient_fee) == outcome


@pytest.mark.parametrize("chunk", [2, 2_000])
def test_a_new_contact_is_no_possible_duplicate_of_a_stored_one_a_later_chunk_moves_away(
    chunk, clerk04, providers, monkeypatch
):
    """The new contact is written before the chunk changing the stored one is read: written as a possible duplicate,
    it is decided again once the whole request is known, as a request in one chunk decides it at once."""
    monkeypatch.setattr(contacts.intake, "CHUNK", chunk)
    hsa = providers["04a"].hsa_id
    contacts_upsert(
        items=[_item(hsa, "z-stored", 1, patient_id=PATIENT, started_at="2026-10-05T10:30:00+02:00")],
        user=clerk04,
        channel="bulk",
    )
    items = [
        _item(hsa, "z-stored", 1, patient_id=PATIENT, started_at="2026-10-05T10:45:00+02:00"),
        _item(hsa, "a-new", 2, patient_id=PATIENT, started_at="2026-10-05T10:30:20+02:00"),
        _item(hsa, "b-other", 3),
    ]

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert (result.created, result.updated, result.unchanged, result.errors) == (2, 1, 0, [])
    assert result.outcomes == {0: "updated", 1: "created", 2: "created"}
    stored = {c.external_id: (c.status, c.reasons, c.manual_reasons, c.amount) for c in Contact.objects.all()}
    assert stored == {
        "z-stored": ("eligible", "", "", Decimal("335.00")),
        "a-new": ("eligible", "", "", Decimal("335.00")),
        "b-other": ("eligible", "", "", Decimal("335.00")),
    }
    assert list(ContactEvent.objects.values_list("contact__external_id", flat=True)) == ["z-stored"]


@pytest.mark.parametrize("chunk", [2, 2_000])
def test_of_two_new_contacts_of_one_minute_the_first_in_the_request_is_billed_whatever_the_order_of_their_keys(
    chunk, clerk04, providers, monkeypatch
):
    """Written in the order of their keys ("a-second" before "z-first"), claimed in the order of the request."""
    monkeypatch.setattr(contacts.intake, "CHUNK", chunk)
    hsa = providers["04a"].hsa_id
    items = [
        _item(hsa, "z-first", 1, patient_id=PATIENT, started_at="2026-10-05T10:30:10+02:00"),
        _item(hsa, "m-other", 2),
        _item(hsa, "a-second", 3, patient_id=PATIENT, started_at="2026-10-05T10:30:50+02:00"),
    ]

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert (result.created, result.errors) == (3, [])
    stored = {c.external_id: (c.status, c.reasons, c.manual_reasons) for c in Contact.objects.all()}
    assert stored == {
        "z-first": ("eligible", "", ""),
        "m-other": ("eligible", "", ""),
        "a-second": ("rejected", "possible_duplicate", "possible_duplicate"),
    }
    assert ContactEvent.objects.count() == 0


def test_a_request_reads_and_writes_its_contacts_in_the_order_of_their_keys_across_chunks(
    clerk04, providers, small_chunks, monkeypatch
):
    """Two requests with some of the same contacts take their keys in one order (see test_intake_concurrency)."""
    hsa = providers["04a"].hsa_id
    contacts_upsert(items=[_item(hsa, "c-3", 3), _item(hsa, "c-0", 0)], user=clerk04, channel="bulk")
    real_writer = contacts.intake.contact_writer
    taken = []

    def recording_writer():
        writer = real_writer()
        locked_rows, insert_contacts = writer.locked_rows, writer.insert_contacts

        def record_locked_rows(provider_id, external_ids, fields):
            taken.append(("read", sorted(external_ids)))
            return locked_rows(provider_id, external_ids, fields)

        def record_insert_contacts(rows, ids):
            taken.append(("write", [row[1] for row in rows]))
            return insert_contacts(rows, ids)

        writer.locked_rows, writer.insert_contacts = record_locked_rows, record_insert_contacts
        return writer

    monkeypatch.setattr(contacts.intake, "contact_writer", recording_writer)
    items = [_item(hsa, f"c-{n}", n, mode="chat") for n in (4, 2, 3, 1, 0)]

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert (result.created, result.updated) == (3, 2)
    assert taken == [
        ("read", ["c-0", "c-1"]),
        ("read", ["c-2", "c-3"]),
        ("write", ["c-1"]),
        ("read", ["c-4"]),
        ("write", ["c-2"]),
        ("write", ["c-4"]),
    ]
    assert result.outcomes == {0: "created", 1: "created", 2: "updated", 3: "created", 4: "updated"}


def test_the_first_of_two_items_with_one_key_in_the_request_is_kept_however_each_writes_the_key(clerk04, providers):
    """Items are taken in the order of their keys as validation reads them: the HSA-id in any case and with spaces
    around it, the external id with spaces around it, are the same key, and the first in the request is kept."""
    hsa = providers["04a"].hsa_id
    items = [
        _item(hsa, "b", 1),
        _item(f" {hsa.lower()} ", " a ", 2),
        _item(hsa, "a", 3),
        _item(hsa, " b", 4),
    ]

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert result.created == 2
    assert [(e.index, e.errors) for e in result.errors] == [
        (2, {"external_id": ["Samma kontakt (vårdgivare och external_id) finns tidigare i detta anrop, på plats 1."]}),
        (3, {"external_id": ["Samma kontakt (vårdgivare och external_id) finns tidigare i detta anrop, på plats 0."]}),
    ]
    assert dict(Contact.objects.values_list("external_id", "started_at__minute")) == {"a": 2, "b": 1}


def test_repeated_amounts_are_stored_each_as_sent(clerk04, providers):
    """On PostgreSQL each distinct amount of a COPY is encoded once and reused: the repeats must store the same."""
    hsa = providers["04a"].hsa_id
    fees = ["0.00", "100.00", "150.50", "100", 100, "0.5", "99999.99", "150.50", "0"]
    items = [_item(hsa, f"f-{n}", n, patient_fee=fee) for n, fee in enumerate(fees)]

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert (result.created, result.errors) == (9, [])
    stored = dict(Contact.objects.values_list("external_id", "patient_fee"))
    expected = ["0.00", "100.00", "150.50", "100.00", "100.00", "0.50", "99999.99", "150.50", "0.00"]
    assert {f"f-{n}": str(stored[f"f-{n}"]) for n in range(9)} == {f"f-{n}": fee for n, fee in enumerate(expected)}
    # The rate (435 kr) less the fee, none when the fee covers it.
    amounts = dict(Contact.objects.values_list("external_id", "amount"))
    assert [str(amounts[f"f-{n}"]) for n in range(9)] == [
        "435.00",
        "335.00",
        "284.50",
        "335.00",
        "335.00",
        "434.50",
        "0.00",
        "284.50",
        "435.00",
    ]


def test_a_start_with_an_offset_postgresql_cannot_write_is_stored_and_changed_as_the_moment_it_names(
    clerk04, providers
):
    """ISO 8601 and Python allow offsets up to ±23:59, PostgreSQL's text form only ±15:59: the changed contact went
    to PostgreSQL as text and the request failed (a 500)."""
    hsa = providers["04a"].hsa_id
    sent = _item(hsa, "far-east", 1, started_at="2026-10-05T23:30:00+16:41")
    assert contacts_upsert(items=[sent], user=clerk04, channel="bulk").created == 1

    changed = contacts_upsert(items=[{**sent, "mode": "chat"}], user=clerk04, channel="bulk")
    again = contacts_upsert(items=[{**sent, "mode": "chat"}], user=clerk04, channel="bulk")

    assert (changed.updated, changed.errors, again.unchanged) == (1, [], 1)
    contact = Contact.objects.get(external_id="far-east")
    assert (contact.started_at, contact.mode) == (dt.datetime(2026, 10, 5, 6, 49, tzinfo=dt.UTC), "chat")
