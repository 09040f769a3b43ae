"""The proof that a denied request changed nothing is only as good as the snapshot: it must see any change,
in any column, of any watched table, and a row more or less."""

from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from billing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceRun
from contacts.audit.models import IdentityRead
from contacts.models import Contact, ContactEvent
from disputes.models import Dispute, DisputeComment, DisputeEvent
from regions.models import ApiClient, Provider, RateRecommendation
from tests.permissions.conftest import WATCHED, snapshot

CHANGES = {
    "contact-amount": lambda w: Contact.objects.filter(pk=w.contacts["free"].pk).update(amount=Decimal("334.99")),
    "contact-event-added": lambda w: ContactEvent.objects.bulk_create(
        [ContactEvent(contact=w.contacts["free"], at=timezone.now(), kind="evaluated", via="api")]
    ),
    "invoice-status": lambda w: Invoice.objects.filter(pk=w.invoices["draft"].pk).update(status="submitted"),
    "invoice-line-amount": lambda w: InvoiceLine.objects.filter(invoice=w.invoices["draft"]).update(
        patient_fee=0, fee_deducted=0, amount=F("rate")
    ),
    "invoice-event-added": lambda w: InvoiceEvent.objects.bulk_create(
        [InvoiceEvent(invoice=w.invoices["draft"], at=timezone.now(), action="submit", via="api")]
    ),
    "run-progress": lambda w: InvoiceRun.objects.filter(pk=w.runs["draft"].pk).update(progress=99),
    "dispute-assignee": lambda w: Dispute.objects.filter(pk=w.disputes["rejection"].pk).update(
        assignee=w.users["clerk-seller"]
    ),
    "dispute-comment-added": lambda w: DisputeComment.objects.create(
        dispute=w.disputes["rejection"], author=w.users["clerk-seller"], at=timezone.now(), text="x"
    ),
    "dispute-event-added": lambda w: DisputeEvent.objects.bulk_create(
        [DisputeEvent(dispute=w.disputes["rejection"], at=timezone.now(), action="commented", via="api")]
    ),
    "provider-name": lambda w: Provider.objects.filter(pk=w.provider.pk).update(name="Annat namn AB"),
    "api-client-revoked": lambda w: ApiClient.objects.filter(name="api-clerk-third").update(revoked_at=timezone.now()),
    "recommendation-title": lambda w: RateRecommendation.objects.filter(pk=w.draft_recommendation.pk).update(
        title="Ändrad"
    ),
    "identity-read-added": lambda w: IdentityRead.objects.bulk_create(
        [IdentityRead(user=w.users["clerk-seller"], at=timezone.now(), via="api_detail", contact=w.contacts["free"])]
    ),
}


# The table each change above is made in.
TABLE = {
    "contact-amount": Contact,
    "contact-event-added": ContactEvent,
    "invoice-status": Invoice,
    "invoice-line-amount": InvoiceLine,
    "invoice-event-added": InvoiceEvent,
    "run-progress": InvoiceRun,
    "dispute-assignee": Dispute,
    "dispute-comment-added": DisputeComment,
    "dispute-event-added": DisputeEvent,
    "provider-name": Provider,
    "api-client-revoked": ApiClient,
    "recommendation-title": RateRecommendation,
    "identity-read-added": IdentityRead,
}


def test_every_watched_table_is_changed_by_one_case_here():
    assert sorted(model._meta.label for model in TABLE.values()) == sorted(model._meta.label for model in WATCHED)
    assert set(TABLE) == set(CHANGES)


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_snapshot_sees_the_change(world, change):
    before = snapshot()

    CHANGES[change](world)

    after = snapshot()
    assert [label for label in before if before[label] != after[label]] == [TABLE[change]._meta.label]
    assert snapshot() == after  # and reading twice without a change gives the same
