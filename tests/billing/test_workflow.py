import re
from decimal import Decimal

import pytest

from billing.display import invoice_label
from billing.models import Invoice, InvoiceEvent, InvoiceLine
from billing.services import (
    TRANSITION_SERVICES,
    invoice_approve,
    invoice_mark_paid,
    invoice_mark_sent,
    invoice_return,
    invoice_submit,
)
from contacts.intake import contacts_upsert
from contacts.models import Contact
from contacts.services import contact_reject
from kernel.errors import ImmutableObject, InvalidInput, NotAllowed, StateConflict
from tests.billing.conftest import run_now
from tests.factories import contact_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(january):
    run_now()
    return Invoice.objects.get(buyer_id="25", status="draft")


def _move(invoice, transition, by, note="ok"):
    service = TRANSITION_SERVICES[transition]
    kwargs = {"note": note} if transition == "return" else {}
    return service(invoice=invoice, by=by, **kwargs)


def _to_status(invoice, status, staff):
    path = {
        "draft": [],
        "submitted": [("submit", "clerk04")],
        "approved": [("submit", "clerk04"), ("approve", "manager04")],
        "sent": [("submit", "clerk04"), ("approve", "manager04"), ("mark_sent", "clerk04")],
        "paid": [("submit", "clerk04"), ("approve", "manager04"), ("mark_sent", "clerk04"), ("mark_paid", "clerk04")],
    }[status]
    for transition, user in path:
        invoice = _move(invoice, transition, staff[user])
    return invoice


ALLOWED = {
    ("draft", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "return"): "draft",
    ("approved", "mark_sent"): "sent",
    ("sent", "mark_paid"): "paid",
}
STATUSES = ["draft", "submitted", "approved", "sent", "paid"]
TRANSITIONS = ["submit", "approve", "return", "mark_sent", "mark_paid"]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("transition", TRANSITIONS)
def test_the_full_transition_table(draft, staff, status, transition):
    invoice = _to_status(draft, status, staff)
    user = staff["manager04b"]  # a manager who did not submit: allowed every transition the table allows

    if (status, transition) in ALLOWED:
        moved = _move(invoice, transition, user)
        assert moved.status == ALLOWED[(status, transition)]
        assert InvoiceEvent.objects.filter(invoice=invoice, action=transition).count() == 1
    else:
        events_before = InvoiceEvent.objects.filter(invoice=invoice).count()
        # Named as its page names it: its number once approved, else its buyer and period.
        with pytest.raises(StateConflict, match=f"inte möjligt för {re.escape(invoice_label(invoice))} med status"):
            _move(invoice, transition, user)
        invoice.refresh_from_db()
        assert invoice.status == status
        assert InvoiceEvent.objects.filter(invoice=invoice).count() == events_before


def test_the_submitter_cannot_approve(draft, staff):
    submitted = invoice_submit(invoice=draft, by=staff["manager04"])

    with pytest.raises(NotAllowed, match="en annan chef måste godkänna"):
        invoice_approve(invoice=submitted, by=staff["manager04"])

    submitted.refresh_from_db()
    assert (submitted.status, submitted.number) == ("submitted", None)
    approved = invoice_approve(invoice=submitted, by=staff["manager04b"])
    assert approved.status == "approved"


def test_approval_assigns_gap_free_numbers_and_the_specification_id(january, staff):
    run_now()
    numbers = []
    for invoice in Invoice.objects.order_by("buyer_id"):
        invoice_submit(invoice=invoice, by=staff["clerk04"])
        numbers.append(invoice_approve(invoice=invoice, by=staff["manager04"]))

    year = numbers[0].issue_date.year
    assert [i.number for i in numbers] == [f"04-{year}-000001", f"04-{year}-000002"]
    assert [i.specification_id for i in numbers] == [
        "ZVF23210000322601000001",
        "ZVF23210000322601000002",
    ]
    assert (numbers[0].due_date - numbers[0].issue_date).days == 30


def test_submitting_locks_the_contacts_and_returning_unlocks_them(draft, staff, providers):
    submitted = invoice_submit(invoice=draft, by=staff["clerk04"])
    on_invoice = Contact.objects.filter(invoice_lines__invoice=submitted)

    assert sorted(on_invoice.values_list("status", "locked").distinct()) == [("invoiced", True)]
    change = contacts_upsert(
        items=[
            contact_item(
                provider=providers["04a"].hsa_id,
                external_id="lk-30",
                started_at="2026-01-30T10:00:00+01:00",
                mode="chat",
            )
        ],
        user=staff["clerk04"],
        channel="bulk",
    )
    assert change.errors[0].errors == {
        "non_field_errors": ["Kontakten finns på en inskickad eller godkänd faktura och kan inte längre ändras."]
    }
    with pytest.raises(StateConflict):
        contact_reject(contact=on_invoice.first(), by=staff["clerk04"], note="x")

    with pytest.raises(InvalidInput):
        invoice_return(invoice=submitted, by=staff["manager04"], note=" ")
    returned = invoice_return(invoice=submitted, by=staff["manager04"], note="Fel period")

    assert returned.status == "draft"
    assert sorted(on_invoice.values_list("status", "locked").distinct()) == [("eligible", False)]
    assert InvoiceEvent.objects.get(invoice=returned, action="return").note == "Fel period"


def test_a_stale_draft_cannot_be_submitted(draft, staff):
    Contact.objects.filter(external_id="lk-30").update(amount=Decimal("1.00"))

    with pytest.raises(StateConflict, match="ändrats sedan den byggdes"):
        invoice_submit(invoice=draft, by=staff["clerk04"])

    draft.refresh_from_db()
    assert draft.status == "draft"
    assert not Contact.objects.filter(locked=True).exists()


def test_an_approved_invoice_is_immutable(draft, staff):
    approved = _to_status(draft, "approved", staff)

    with pytest.raises(ImmutableObject):
        InvoiceLine.objects.filter(invoice=approved).update(amount=Decimal("0.00"))
    with pytest.raises(ImmutableObject):
        InvoiceLine.objects.filter(invoice=approved).delete()
    with pytest.raises(ImmutableObject):
        approved.delete()
    assert approved.lines.count() == 4


def test_mark_sent_and_paid_record_who_and_when(draft, staff):
    approved = _to_status(draft, "approved", staff)

    sent = invoice_mark_sent(invoice=approved, by=staff["clerk04"])
    paid = invoice_mark_paid(invoice=sent, by=staff["clerk04"])

    assert paid.status == "paid" and paid.sent_at <= paid.paid_at
    assert list(InvoiceEvent.objects.filter(invoice=paid).values_list("action", "from_status", "to_status")) == [
        ("created", "", "draft"),
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "approved"),
        ("mark_sent", "approved", "sent"),
        ("mark_paid", "sent", "paid"),
    ]


def test_an_approved_invoices_content_cannot_be_saved_by_any_path(draft, staff):
    approved = _to_status(draft, "approved", staff)

    approved.total = Decimal("1.00")
    with pytest.raises(ImmutableObject, match="är godkänd och kan inte ändras"):
        approved.save()
    with pytest.raises(ImmutableObject):
        approved.save(update_fields=["total"])

    approved.refresh_from_db()
    assert approved.total == Decimal("1140.00")
