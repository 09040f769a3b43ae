from decimal import Decimal

import pytest

from contacts.intake import contacts_upsert
from contacts.models import Contact, ContactEvent
from regions.models import Role
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk04(make_user):
    return make_user(Role.CLERK, "04")


def test_a_valid_contact_is_stored_evaluated_and_priced(clerk04, providers):
    provider = providers["04a"]

    result = contacts_upsert(items=[contact_item(provider=provider.hsa_id)], user=clerk04, channel="api")

    assert (result.created, result.updated, result.unchanged, result.errors) == (1, 0, 0, [])
    contact = Contact.objects.get()
    assert contact.status == "eligible"
    assert contact.reasons == ""
    assert contact.billing_region_id == "04"
    assert contact.recommendation.code == "SKR-2026-04"
    assert contact.rate == Decimal("435.00")
    assert contact.amount == Decimal("335.00")
    assert contact.patient_id == "198503122387"
    assert contact.patient_sex == "F"  # the ninth digit (8) is even
    assert contact.created_via == "api" and contact.created_by == clerk04
    assert contact.created_at == contact.updated_at == contact.evaluated_at
    # Creation is recorded on the row; the history holds later changes only.
    assert ContactEvent.objects.count() == 0


def test_resending_the_same_items_changes_nothing(clerk04, providers):
    items = [contact_item(provider=providers["04a"].hsa_id, external_id=f"c-{n}") for n in range(5)]
    contacts_upsert(items=items, user=clerk04, channel="bulk")

    again = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 5, [])
    assert Contact.objects.count() == 5
    assert ContactEvent.objects.count() == 0


def test_a_changed_item_is_updated_with_history_before_and_after(clerk04, providers):
    hsa = providers["04a"].hsa_id
    contacts_upsert(items=[contact_item(provider=hsa)], user=clerk04, channel="bulk")

    result = contacts_upsert(
        items=[contact_item(provider=hsa, mode="phone", patient_fee="50.00")], user=clerk04, channel="csv"
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    contact = Contact.objects.get()
    assert (contact.status, contact.reasons, contact.amount) == ("rejected", "not_digital", Decimal("0.00"))
    assert contact.updated_via == "csv"
    event = ContactEvent.objects.get(kind="updated")
    assert event.changes == {"mode": ["video", "phone"], "patient_fee": ["100.00", "50.00"]}
    assert event.result_before["status"] == "eligible" and event.result_before["amount"] == "335.00"
    assert event.result_after == {
        "status": "rejected",
        "reasons": ["not_digital"],
        "recommendation": "SKR-2026-04",
        "rate": "435.00",
        "amount": "0.00",
    }


def test_valid_items_are_kept_when_others_fail(clerk04, providers):
    hsa = providers["04a"].hsa_id
    items = [
        contact_item(provider=hsa, external_id="ok-1"),
        contact_item(provider=hsa, external_id="bad-1", patient_id="19850312-2384"),
        contact_item(provider=hsa, external_id="ok-2"),
        contact_item(provider=hsa, external_id="bad-2", home_region="99", mode="fax"),
        contact_item(provider=hsa, external_id="ok-1"),
    ]

    result = contacts_upsert(items=items, user=clerk04, channel="bulk")

    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert [(e.index, e.external_id, sorted(e.errors)) for e in result.errors] == [
        (1, "bad-1", ["patient_id"]),
        (3, "bad-2", ["home_region", "mode"]),
        (4, "ok-1", ["external_id"]),
    ]
    assert "2384" not in str(result.errors[0].errors)  # the full number is never echoed
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["ok-1", "ok-2"]


def test_a_locked_contact_is_refused_per_item(clerk04, providers):
    hsa = providers["04a"].hsa_id
    contacts_upsert(items=[contact_item(provider=hsa)], user=clerk04, channel="bulk")
    Contact.objects.update(locked=True, status="invoiced")

    result = contacts_upsert(items=[contact_item(provider=hsa, mode="chat")], user=clerk04, channel="bulk")

    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert result.errors[0].errors == {
        "non_field_errors": ["Kontakten finns på en inskickad eller godkänd faktura och kan inte längre ändras."]
    }
    assert Contact.objects.get().mode == "video"


def test_a_clerk_cannot_report_for_another_regions_provider(clerk04, providers):
    result = contacts_upsert(items=[contact_item(provider=providers["06"].hsa_id)], user=clerk04, channel="api")

    assert result.created == 0
    assert result.errors[0].errors == {"provider": [f"Okänd vårdgivare {providers['06'].hsa_id}."]}


def test_a_provider_system_reports_for_itself_only(make_user, providers):
    system = make_user(Role.PROVIDER, provider=providers["04a"])

    own = contacts_upsert(items=[contact_item()], user=system, channel="bulk")
    other = contacts_upsert(items=[contact_item(provider=providers["04b"].hsa_id)], user=system, channel="bulk")

    assert own.created == 1 and Contact.objects.get().provider == providers["04a"]
    assert other.errors[0].errors == {"provider": ["Ett vårdgivarsystem får bara rapportera sina egna kontakter."]}


def test_samordningsnummer_is_accepted(clerk04, providers):
    result = contacts_upsert(
        items=[contact_item(provider=providers["04a"].hsa_id, patient_id=personnummer("19850372", "238"))],
        user=clerk04,
        channel="api",
    )

    assert result.errors == []
    contact = Contact.objects.get()
    assert contact.patient_id.startswith("19850372")
    assert str(contact.patient_birth_date) == "1985-03-12"
