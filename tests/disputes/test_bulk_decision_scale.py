"""The seller's bulk decision at the buyer's scale: a batch of objections (as ``objections_open_bulk`` opens up to
10 000 at once) accepted in one call, in parts of ``DECISION_CHUNK``, onto one credit note per invoice and reason
with exact totals, in a time that grows with the cases, not with their square.

``DECISION_SCALE_CASES`` sets the batch (default 1 200: more than one part); the figures of the README were measured
with 1 000 and 10 000 on PostgreSQL (``DECISION_SCALE_CASES=10000 pytest tests/disputes/test_bulk_decision_scale.py
-s`` prints the seconds)."""

import datetime as dt
import os
import time
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from billing.models import Invoice, InvoiceLine
from billing.services import invoice_approve, invoice_submit
from contacts.intake import contacts_upsert
from disputes.bulk import DECISION_CHUNK, objections_decide_bulk
from disputes.models import Dispute, DisputeEvent, DisputeKind
from regions.models import Role
from tests.billing.conftest import run_now
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

CASES = int(os.environ.get("DECISION_SCALE_CASES", "1200"))


def _items(count: int, hsa: str) -> list[dict]:
    first_birth = dt.date(1940, 1, 1)
    return [
        contact_item(
            provider=hsa,
            external_id=f"s-{n}",
            patient_id=personnummer(f"{first_birth + dt.timedelta(days=n // 800):%Y%m%d}", f"{100 + n % 800:03d}"),
            started_at=f"2026-01-{1 + n % 28:02d}T{8 + (n // 28) % 10:02d}:{(n // 280) % 60:02d}:00+01:00",
        )
        for n in range(count)
    ]


@pytest.fixture
def batch(billing_day, make_user, providers):
    """CASES objections of Norrbotten (25), opened as the review's bulk objection opens them, to the lines of one
    approved invoice of Sörmland (04): every other one proposing credit reason 1, the others 7."""
    clerk = make_user(Role.CLERK, "04")
    result = contacts_upsert(items=_items(CASES, providers["04a"].hsa_id), user=clerk, channel="bulk")
    assert result.errors == []
    run_now()
    invoice = invoice_submit(invoice=Invoice.objects.get(buyer_id="25"), by=clerk)
    invoice = invoice_approve(invoice=invoice, by=make_user(Role.MANAGER, "04"))
    assert invoice.contact_count == CASES
    buyer = make_user(Role.CLERK, "25")
    now = timezone.now()
    lines = list(invoice.lines.order_by("pk").values_list("pk", "contact_id"))
    Dispute.objects.bulk_create(
        [
            Dispute(
                contact_id=contact_id,
                kind=DisputeKind.OBJECTION,
                reason="Föreslagen krediteringsorsak",
                invoice_line_id=line_id,
                proposed_credit_reason=1 if n % 2 == 0 else 7,
                opened_by=buyer,
                opened_at=now,
                deadline=now.date() + dt.timedelta(days=30),
            )
            for n, (line_id, contact_id) in enumerate(lines)
        ],
        batch_size=2000,
    )
    return invoice


def test_a_batch_of_objections_is_accepted_onto_one_credit_note_per_reason(batch, make_user):
    ids = list(Dispute.objects.values_list("pk", flat=True))
    expected = {
        reason: batch.lines.filter(disputes__proposed_credit_reason=reason).aggregate(total=Sum("amount"))["total"]
        for reason in (1, 7)
    }

    started = time.perf_counter()
    outcomes = objections_decide_bulk(
        dispute_ids=ids, by=make_user(Role.CLERK, "04"), outcome="accepted", note="Godtas efter granskning"
    )
    seconds = time.perf_counter() - started
    print(f"\naccepted {CASES} objections in {seconds:.2f} s ({CASES / seconds:.0f} cases/s)")

    assert sum(o.done for o in outcomes) == CASES
    notes = Invoice.objects.filter(kind="credit_note", credits=batch).order_by("credit_reason")
    assert [(n.credit_reason, n.status, n.contact_count, n.total) for n in notes] == [
        (1, "draft", (CASES + 1) // 2, -expected[1]),
        (7, "draft", CASES // 2, -expected[7]),
    ]
    assert InvoiceLine.objects.filter(credit=True).count() == CASES
    assert Dispute.objects.filter(status="accepted").count() == CASES
    assert DisputeEvent.objects.filter(action="accepted").count() == CASES
    assert notes[0].total + notes[1].total == -batch.total
    assert batch.total > Decimal("0.00")
    assert CASES <= DECISION_CHUNK or len({o.dispute.credit_note_id for o in outcomes}) == 2
