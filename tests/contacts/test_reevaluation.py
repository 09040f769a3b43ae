import datetime as dt
from decimal import Decimal

import pytest

from contacts.intake import contacts_upsert
from contacts.models import Contact, ContactEvent
from regions.models import RateRecommendation, Role
from regions.reference_data import BASE_CRITERIA
from regions.services import recommendation_create, recommendation_publish
from tests.factories import contact_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(make_user, providers):
    clerk = make_user(Role.CLERK, "04")
    hsa = providers["04a"].hsa_id
    contacts_upsert(
        items=[
            contact_item(provider=hsa, external_id="may", started_at="2026-05-10T10:00:00+02:00"),
            contact_item(provider=hsa, external_id="april", started_at="2026-04-01T10:00:00+02:00"),
            contact_item(provider=hsa, external_id="locked", started_at="2026-05-12T10:00:00+02:00"),
            contact_item(
                provider=hsa, external_id="referral", started_at="2026-05-13T10:00:00+02:00", content="referral"
            ),
        ],
        user=clerk,
        channel="api",
    )
    Contact.objects.filter(external_id="locked").update(locked=True, status="invoiced")
    return {c.external_id: c for c in Contact.objects.all()}


def _publish_may_correction(capture_on_commit):
    version = recommendation_create(
        code="SKR-2026-05",
        title="Rättad nivå",
        decided_on=dt.date(2026, 4, 30),
        effective_from=dt.date(2026, 5, 1),
        includes_patient_fee=True,
        source_reference="test",
        rates={"physician": "450.00", "psychologist": "405.00", "other_licensed": "235.00"},
        # No exclusion list in this version: a referral-only contact becomes billable.
        criteria=[str(c) for c in BASE_CRITERIA],
        supersedes=RateRecommendation.objects.get(code="SKR-2026-04"),
    )
    # Re-evaluation is queued when the publication commits (and runs in-process in tests).
    with capture_on_commit(execute=True) as callbacks:
        published = recommendation_publish(recommendation=version)
    assert len(callbacks) == 1
    return published


def test_publishing_a_version_reprices_the_unlocked_contacts_it_covers(stored, django_capture_on_commit_callbacks):
    _publish_may_correction(django_capture_on_commit_callbacks)

    may = Contact.objects.get(external_id="may")
    assert (may.recommendation.code, may.rate, may.amount) == ("SKR-2026-05", Decimal("450.00"), Decimal("350.00"))
    event = ContactEvent.objects.get(contact=may)
    assert event.kind == "evaluated" and event.via == "system"
    assert event.result_before == {
        "status": "eligible",
        "reasons": [],
        "recommendation": "SKR-2026-04",
        "rate": "435.00",
        "amount": "335.00",
    }
    assert event.result_after == {
        "status": "eligible",
        "reasons": [],
        "recommendation": "SKR-2026-05",
        "rate": "450.00",
        "amount": "350.00",
    }


def test_a_version_with_other_criteria_changes_the_decision(stored, django_capture_on_commit_callbacks):
    before = Contact.objects.get(external_id="referral")
    assert (before.status, before.reasons) == ("rejected", "referral_only")

    _publish_may_correction(django_capture_on_commit_callbacks)

    after = Contact.objects.get(external_id="referral")
    assert (after.status, after.reasons, after.amount) == ("eligible", "", Decimal("350.00"))
    assert ContactEvent.objects.get(contact=after).result_before["reasons"] == ["referral_only"]


def test_contacts_before_the_version_and_locked_contacts_are_left_alone(stored, django_capture_on_commit_callbacks):
    _publish_may_correction(django_capture_on_commit_callbacks)

    april = Contact.objects.get(external_id="april")
    locked = Contact.objects.get(external_id="locked")
    assert (april.recommendation.code, april.amount) == ("SKR-2026-01", Decimal("335.00"))
    assert (locked.recommendation.code, locked.amount) == ("SKR-2026-04", Decimal("335.00"))
    assert ContactEvent.objects.filter(contact__in=[april, locked]).count() == 0


def test_the_exclusion_list_applies_from_april_2026_only(make_user, providers):
    clerk = make_user(Role.CLERK, "04")
    hsa = providers["04a"].hsa_id

    contacts_upsert(
        items=[
            contact_item(provider=hsa, external_id="before", started_at="2026-04-21T23:30:00+02:00", content="results"),
            contact_item(provider=hsa, external_id="from", started_at="2026-04-21T22:30:00+00:00", content="results"),
        ],
        user=clerk,
        channel="api",
    )

    before = Contact.objects.get(external_id="before")  # 23:30 on 21 April in Stockholm: January version
    after = Contact.objects.get(external_id="from")  # 00:30 on 22 April in Stockholm: April version
    assert (before.status, before.recommendation.code, before.amount) == ("eligible", "SKR-2026-01", Decimal("335.00"))
    assert (after.status, after.reasons, after.amount) == ("rejected", "results_only", Decimal("0.00"))
