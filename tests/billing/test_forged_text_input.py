"""Issue 16 at billing's ways in: invoice runs, returns and credits through the API and the admin. Periods, codes,
ids and amounts take the digits 0-9 only; notes are normalised (kernel/text.py)."""

import pytest
from django.urls import reverse

from billing.models import Invoice, InvoiceEvent, InvoiceKind, InvoiceRun
from billing.services import invoice_approve, invoice_submit
from contacts.models import Contact
from regions.models import Role
from tests.billing.conftest import run_now

pytestmark = pytest.mark.django_db

PASTED = "Fel\u200b pris\r\nenligt\u202e avtal\u2028rad 3"
STORED = "Fel pris\nenligt avtal\nrad 3"


def digits(char: str) -> str:
    return f"Skriv tal med siffrorna 0-9; hittade U+{ord(char):04X}."


def refused(char: str) -> str:
    return (
        "Får inte innehålla styrtecken eller osynliga formateringstecken (som radbrytningar, tabbar, "
        f"textriktningstecken eller nollbreddsmellanslag); hittade U+{ord(char):04X}."
    )


@pytest.fixture
def clerk04(api_as):
    return api_as(Role.CLERK, "04")


@pytest.fixture
def approved(january, staff):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    return invoice_approve(invoice=invoice, by=staff["manager04"])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"billing_region": "04", "period": "2026-0\u0668"}, {"period": [digits("\u0668")]}),
        ({"billing_region": "\u0660\u0664", "period": "2026-01"}, {"billing_region": [digits("\u0660")]}),
        ({"billing_region": "04", "period": "2026\u200b01"}, {"period": [refused("\u200b")]}),
    ],
)
def test_an_invoice_run_for_a_look_alike_period_or_region_is_a_400(clerk04, reference, body, errors):
    response = clerk04.post("/api/v1/invoice-runs/", body, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert InvoiceRun.objects.count() == 0


def test_an_invoice_run_started_in_the_admin_for_a_look_alike_period_is_refused(client, staff):
    client.force_login(staff["clerk04"])

    body = {"billing_region": "04", "period": "2026-\uff10\uff11"}

    response = client.post(reverse("admin:billing_invoicerun_add"), body)

    assert response.status_code == 200
    assert response.context["form"].errors == {"period": [digits("\uff10")]}
    assert InvoiceRun.objects.count() == 0


def test_a_return_note_through_the_api_is_stored_normalised(january, staff, api_as):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=staff["clerk04"])

    manager = api_as(Role.MANAGER, "04")

    response = manager.post(f"/api/v1/invoices/{invoice.pk}/return/", {"note": PASTED}, format="json")

    assert response.status_code == 200
    assert InvoiceEvent.objects.filter(invoice=invoice, action="return").get().note == STORED


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"contacts": ["\u0663"]}, {"contacts": {"0": [digits("\u0663")]}}),
        ({"correction": {"patient_fee": "\u0663\u0660\u0660"}}, {"correction": {"patient_fee": [digits("\u0663")]}}),
        ({"correction": {"home_region": "0\u202e1"}}, {"correction": {"home_region": [refused("\u202e")]}}),
    ],
)
def test_a_credit_through_the_api_refuses_look_alike_ids_and_amounts(clerk04, approved, changes, errors):
    body = {"contacts": [Contact.objects.get(external_id="lk-30").pk], "credit_reason": 2, "note": "x"}
    body.update(changes, rebill="correction" in changes)

    response = clerk04.post(f"/api/v1/invoices/{approved.pk}/credit/", body, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()


def test_a_credit_note_through_the_api_keeps_its_note_normalised(clerk04, approved):
    body = {"contacts": [Contact.objects.get(external_id="lk-30").pk], "credit_reason": 2, "note": PASTED}

    response = clerk04.post(f"/api/v1/invoices/{approved.pk}/credit/", body, format="json")

    assert response.status_code == 201
    assert credit_note_notes() == [STORED]


def test_the_admins_credit_form_refuses_a_look_alike_patient_fee(client, staff, approved):
    client.force_login(staff["clerk04"])
    contact = Contact.objects.get(external_id="lk-30")
    url = reverse("admin:billing_invoice_credit", args=[approved.pk]) + f"?contact={contact.pk}"

    response = client.post(
        url, {"credit_reason": "2", "note": "Fel pris", "rebill": "on", "patient_fee": "\uff13\uff10\uff10"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"patient_fee": [digits("\uff13")]}
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()


def test_the_admins_credit_form_keeps_its_note_normalised(client, staff, approved):
    client.force_login(staff["clerk04"])
    contact = Contact.objects.get(external_id="lk-30")
    url = reverse("admin:billing_invoice_credit", args=[approved.pk]) + f"?contact={contact.pk}"

    response = client.post(url, {"credit_reason": "2", "note": PASTED})

    assert response.status_code == 302
    assert credit_note_notes() == [STORED]


def credit_note_notes() -> list[str]:
    """The why of each credit on the credit note, as its history records it ("Säljarens rättelse av …: <why>")."""
    credit_note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    return [event.note.partition("): ")[2] for event in credit_note.events.filter(note__contains="rättelse")]
