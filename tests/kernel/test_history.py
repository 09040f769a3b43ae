import pytest

from billing.models import Invoice, InvoiceEvent
from contacts.models import Contact, ContactEvent
from contacts.services import contact_reject
from disputes.models import DisputeEvent
from disputes.services import dispute_open
from kernel.errors import ImmutableObject
from regions.models import ProviderEvent, RecommendationEvent
from regions.services import provider_update
from tests.billing.conftest import january, run_now, staff  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def histories(january, staff):  # noqa: F811
    run_now()
    contact = contact_reject(contact=Contact.objects.get(external_id="lk-29"), by=staff["clerk04"], note="Dubblett")
    dispute_open(contact=contact, by=staff["clerk04"], reason="Ändå korrekt")
    provider = contact.provider
    provider_update(provider=provider, name="Omdöpt AB", org_number=provider.org_number, region_code="04", active=True)
    return {
        "contact": ContactEvent.objects.get(contact=contact),
        "invoice": InvoiceEvent.objects.filter(invoice__in=Invoice.objects.all()).first(),
        "dispute": DisputeEvent.objects.get(),
        "provider": ProviderEvent.objects.get(provider=provider),
        "recommendation": RecommendationEvent.objects.filter(code="SKR-2026-04").first(),
    }


@pytest.mark.parametrize("kind", ["contact", "invoice", "dispute", "provider", "recommendation"])
def test_history_entries_are_never_changed_or_removed(histories, kind):
    event = histories[kind]
    model = type(event)
    before = model.objects.count()

    event.note = "rewritten"
    with pytest.raises(ImmutableObject, match="Historiken kan bara utökas"):
        event.save()
    with pytest.raises(ImmutableObject):
        event.delete()
    with pytest.raises(ImmutableObject):
        model.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(ImmutableObject):
        model.objects.filter(pk=event.pk).delete()

    assert model.objects.count() == before
    assert model.objects.get(pk=event.pk).note != "rewritten"
