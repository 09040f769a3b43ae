"""Intake in chunks (issue 19, "intake pipelined"): the stored rows of one chunk are read while the next is
validated, a repeated value is checked once per request, new rows are written as they are put together. The
outcome is the one of a request taken whole: the same counts, errors, ids, duplicates and history."""

from decimal import Decimal

import pytest

from contacts.intake import contacts_upsert, load_references
from contacts.models import Contact
from contacts.validation import validate_contact
from regions.models import Role
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk04(make_user):
    return make_user(Role.CLERK, "04")


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
