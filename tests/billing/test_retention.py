"""Retention of personal data, billing's part (billing.retention): the lines of approved invoices and credit notes
get their contacts' pseudonyms and nothing else changes; the specification masks a pseudonym the same way on
PostgreSQL (COPY) and elsewhere; the invoice conditions of the rule."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.documents import specification_csv
from billing.models import Invoice, InvoiceLine, InvoiceStatus
from billing.retention import contacts_invoiced_since, contacts_on_open_invoices, invoice_lines_pseudonymise
from billing.services import invoice_approve, invoice_credit, invoice_submit
from contacts.models import Contact
from contacts.retention import contacts_pseudonymise, pseudonym
from tests.billing.conftest import _rows

pytestmark = pytest.mark.django_db


def amounts() -> list[tuple]:
    return list(
        InvoiceLine.objects.order_by("pk").values_list(
            "pk", "invoice_id", "contact_id", "credit", "credited_line_id", "rate", "fee_deducted", "amount"
        )
    )


@pytest.fixture
def credited(invoices, staff):
    """lk-29 and ps-30 credited (wrong price) on an approved credit note."""
    ids = list(Contact.objects.filter(external_id__in=["lk-29", "ps-30"]).values_list("pk", flat=True))
    note = invoice_credit(
        invoice=invoices["approved"], contact_ids=ids, reason=2, note="Fel pris", by=staff["clerk04"], via="api"
    )
    invoice_submit(invoice=note, by=staff["clerk04"])
    return invoice_approve(invoice=note, by=staff["manager04b"])


def test_frozen_debit_and_credit_lines_take_the_pseudonym_and_keep_every_amount(invoices, credited):
    contact = Contact.objects.get(external_id="lk-29")
    number = contact.patient_id
    before = amounts()
    totals = list(Invoice.objects.order_by("pk").values_list("pk", "total", "contact_count", "status"))

    changed = invoice_lines_pseudonymise(contact_ids=[contact.pk])

    assert changed == 2  # its debit line and the credit line
    assert set(InvoiceLine.objects.filter(contact=contact).values_list("patient_id", flat=True)) == {pseudonym(number)}
    assert amounts() == before
    assert list(Invoice.objects.order_by("pk").values_list("pk", "total", "contact_count", "status")) == totals
    assert credited.total == Decimal("-805.00")  # 500 − 100 and 405, credited
    assert invoice_lines_pseudonymise(contact_ids=[contact.pk]) == 0  # nothing left to do


@pytest.mark.parametrize("full_identity", [True, False])
def test_the_specification_shows_a_pseudonym_in_full_or_masked(invoices, full_identity):
    invoice = invoices["approved"]
    contact = Contact.objects.get(external_id="lk-30")
    alias = pseudonym(contact.patient_id)
    contacts_pseudonymise(contact_ids=[contact.pk])
    invoice_lines_pseudonymise(contact_ids=[contact.pk])

    rows = _rows(specification_csv(invoice, full_identity=full_identity))

    header = rows[0]
    shown = {row[header.index("external_id")]: row[header.index("patient_id")] for row in rows[1:]}
    assert shown["lk-30"] == (alias if full_identity else "PSEUDO-****")
    assert shown["lk-29"] == ("198503122387" if full_identity else "19850312-****")


def test_the_invoice_conditions_of_the_rule(invoices):
    due = Contact.objects.exclude(contacts_on_open_invoices()).exclude(
        contacts_invoiced_since(before=dt.date(2026, 2, 1))
    )
    # lk-01 is on the draft to Stockholm; the rest are on the approved invoice of January or on none.
    assert set(due.values_list("external_id", flat=True)) == {"lk-29", "lk-30", "ps-30", "sj-31", "phone", "feb"}
    assert invoices["draft"].status == InvoiceStatus.DRAFT
    january_not_over = Contact.objects.exclude(contacts_invoiced_since(before=dt.date(2026, 1, 31)))
    assert set(january_not_over.values_list("external_id", flat=True)) == {"phone", "feb"}
