"""The four-eyes rule lives once, in billing.permissions, in two forms: a predicate for one invoice (the service's
check, the admin's buttons) and a condition for querysets (the "awaiting my approval" filter, the start page). Over a
matrix of invoices × users the two forms select exactly the same invoices, and the service refuses exactly where the
predicate does."""

from decimal import Decimal

import pytest

from billing.bulk import invoices_bulk_preview
from billing.models import Invoice, InvoiceStatus, Transition
from billing.permissions import (
    allowed_transitions,
    awaiting_approval_of,
    awaits_approval_of,
    four_eyes_allow,
    four_eyes_q,
)
from billing.selectors import approval_queue_of
from billing.services import invoice_approve
from kernel.errors import NotAllowed
from regions.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def matrix(make_user):
    """Five users (two managers of the seller, its clerk, a manager of the buyer, a national admin) and invoices in
    every status before approval and after, submitted by each manager, by the clerk or by no one recorded."""
    users = {
        "manager_a": make_user(Role.MANAGER, "04"),
        "manager_b": make_user(Role.MANAGER, "04"),
        "clerk": make_user(Role.CLERK, "04"),
        "buyer_manager": make_user(Role.MANAGER, "25"),
        "admin": make_user(Role.ADMIN),
    }
    submitters = {"nobody": None, "manager_a": users["manager_a"], "manager_b": users["manager_b"]}
    submitters["clerk"] = users["clerk"]
    invoices = []
    month = 0
    for status in (InvoiceStatus.DRAFT, InvoiceStatus.SUBMITTED, InvoiceStatus.APPROVED):
        for name, submitter in submitters.items():
            month += 1
            invoices.append(
                Invoice.objects.create(
                    seller_id="04",
                    buyer_id="25",
                    period=f"2025-{month:02d}",
                    status=status,
                    submitted_by=submitter,
                    number=f"04-2025-{month}" if status == InvoiceStatus.APPROVED else None,
                    total="100.00",
                )
            )
    return users, invoices


def test_the_queryset_form_and_the_predicate_select_the_same_invoices(matrix):
    users, invoices = matrix
    every = Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices])
    awaiting_counts = {}
    for name, user in users.items():
        by_query = set(every.filter(four_eyes_q(user)).values_list("pk", flat=True))
        by_predicate = {invoice.pk for invoice in invoices if four_eyes_allow(user, invoice)}
        assert by_query == by_predicate, name

        by_query = set(every.filter(awaiting_approval_of(user)).values_list("pk", flat=True))
        by_predicate = {invoice.pk for invoice in invoices if awaits_approval_of(user, invoice)}
        assert by_query == by_predicate, name
        awaiting_counts[name] = len(by_query)
    # The matrix has both outcomes: four submitted invoices (no one, manager A, manager B, the clerk recorded as the
    # submitter); each submitter sees the other three, everyone else all four.
    assert awaiting_counts == {"manager_a": 3, "manager_b": 3, "clerk": 3, "buyer_manager": 4, "admin": 4}


def test_the_admin_offers_an_approval_exactly_where_the_rule_and_the_role_allow_it(matrix):
    users, invoices = matrix
    for name, user in users.items():
        for invoice in invoices:
            offered = Transition.APPROVE in allowed_transitions(user, invoice)
            expected = (
                name in ("manager_a", "manager_b")
                and invoice.status == InvoiceStatus.SUBMITTED
                and invoice.submitted_by_id != user.pk
            )
            assert offered == expected == (awaits_approval_of(user, invoice) and name.startswith("manager_")), (
                name,
                invoice.period,
            )


def test_the_service_refuses_the_submitter_exactly_where_the_predicate_does(matrix):
    users, invoices = matrix
    submitted = [invoice for invoice in invoices if invoice.status == InvoiceStatus.SUBMITTED]
    own = next(invoice for invoice in submitted if invoice.submitted_by_id == users["manager_a"].pk)
    assert not four_eyes_allow(users["manager_a"], own)
    with pytest.raises(NotAllowed, match="en annan chef måste godkänna den"):
        invoice_approve(invoice=own, by=users["manager_a"])
    own.refresh_from_db()
    assert own.status == InvoiceStatus.SUBMITTED


def test_the_bulk_approval_and_the_approval_queue_follow_the_same_rule(matrix):
    """The bulk step refuses "four_eyes" exactly where the predicate refuses a submitted invoice, and the start page's
    queue counts exactly the invoices awaiting the user, for the managers who approve (no one else has a queue)."""
    users, invoices = matrix
    submitted = [invoice for invoice in invoices if invoice.status == InvoiceStatus.SUBMITTED]
    for name, user in users.items():
        queue = approval_queue_of(user)
        awaiting = [invoice for invoice in submitted if awaits_approval_of(user, invoice)]
        if name.startswith("manager_"):
            assert (queue.count, queue.total) == (len(awaiting), Decimal("100.00") * len(awaiting)), name
            preview = invoices_bulk_preview(
                transition=Transition.APPROVE, ids=[invoice.pk for invoice in submitted], by=user
            )
            refused = {o.id for o in preview if not o.done and o.refused.code == "four_eyes"}
            assert refused == {invoice.pk for invoice in submitted if not four_eyes_allow(user, invoice)}, name
            assert {o.id for o in preview if o.done} == {invoice.pk for invoice in awaiting}, name
        else:
            assert (queue.count, queue.total) == (0, Decimal("0.00")), name
