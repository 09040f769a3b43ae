"""Invoices a buyer can pay (issue 15): the regions' billing details, approval's check and what the PDF says.

The shared ``reference`` fixture gives every region a bankgiro (tests.factories.regions_payable); the reference data
has all 21 organisation numbers. Tests take away what they need missing.
"""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from billing.documents import render_invoice_pdf
from billing.models import Invoice, NumberSequence
from billing.services import invoice_approve, invoice_submit
from contacts.models import Contact
from disputes.services import dispute_open, dispute_resolve
from kernel.errors import InvalidInput, StateConflict
from regions.models import Region, RegionEvent, Role
from regions.reference_data import REGIONS
from regions.services import region_billing_details_update
from tests.billing.conftest import run_now
from tests.factories import valid_bankgiro

NBSP = "\xa0"


def pdf_lines(invoice: Invoice) -> list[str]:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(render_invoice_pdf(invoice))).pages).split(
        "\n"
    )


def submitted(staff, buyer: str = "25") -> Invoice:
    run_now()
    invoice = Invoice.objects.get(seller_id="04", buyer_id=buyer, period="2026-01")
    return invoice_submit(invoice=invoice, by=staff["clerk04"])


@pytest.mark.django_db
def test_the_reference_data_has_every_regions_organisation_number(reference):
    from stdnum.se import orgnr

    numbers = dict(Region.objects.values_list("code", "org_number"))

    assert len(numbers) == 21 and all(orgnr.is_valid(number) for number in numbers.values())
    assert (numbers["25"], numbers["09"]) == ("2321000230", "2120000803")  # Gotland is a municipality
    assert numbers == {code: number for code, _name, _care, number in REGIONS}


@pytest.mark.django_db
def test_approval_is_refused_naming_what_the_seller_lacks_and_changes_nothing(january, staff, signed_in):
    Region.objects.filter(code="04").update(bankgiro="")
    invoice = submitted(staff)

    response = signed_in(staff["manager04"]).post(f"/api/v1/invoices/{invoice.pk}/approve/")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Faktura till Region Norrbotten, 2026-01 kan inte godkännas: Region Sörmland saknar bankgironummer. "
        "Lägg först till uppgifterna under Regioner i administrationen."
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.specification_id) == ("submitted", None, None)
    assert not NumberSequence.objects.exists()


@pytest.mark.django_db
def test_approval_is_refused_when_the_buyer_has_no_organisation_number(january, staff):
    Region.objects.filter(code="25").update(org_number="")
    invoice = submitted(staff)

    with pytest.raises(StateConflict) as refused:
        invoice_approve(invoice=invoice, by=staff["manager04"])

    assert "Region Norrbotten saknar organisationsnummer" in str(refused.value)
    # The other buyer's invoice is payable: approved as usual.
    other = invoice_submit(invoice=Invoice.objects.get(buyer_id="01"), by=staff["clerk04"])
    assert invoice_approve(invoice=other, by=staff["manager04"]).number == "04-2026-000001"


@pytest.mark.django_db
def test_a_credit_note_needs_no_bankgiro_it_is_settled_against_the_invoice(january, staff):
    invoice = invoice_approve(invoice=submitted(staff), by=staff["manager04"])
    dispute = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=staff["clerk25"], reason="Fel pris")
    credit_note = dispute_resolve(
        dispute=dispute, by=staff["clerk04"], outcome="accepted", note="Godtas", credit_reason=2
    ).credit_note
    Region.objects.filter(code="04").update(bankgiro="")
    invoice_submit(invoice=credit_note, by=staff["clerk04"])

    credit_note = invoice_approve(invoice=credit_note, by=staff["manager04b"])

    lines = pdf_lines(credit_note)
    assert f"Krediteras (ej föremål för moms) -335,00{NBSP}kr" in lines
    text = " ".join(lines)
    assert (
        f"Inget att betala: Region Norrbotten krediteras -335,00{NBSP}kr. Beloppet kvittas mot faktura "
        f"{invoice.number}; är den redan betald återbetalar Region Sörmland beloppet till Region Norrbotten."
    ) in text
    assert "Betalas senast" not in text and "Att betala" not in text


@pytest.mark.django_db
def test_the_invoice_says_where_to_pay_with_which_reference_and_to_whom(january, staff):
    region_billing_details_update(
        region=Region.objects.get(code="04"),
        address="Region Sörmland",
        postal_code="61188",
        city="Nyköping",
        invoice_reference="Karin Lindqvist",
    )
    region_billing_details_update(
        region=Region.objects.get(code="25"),
        address="Region Norrbotten",
        postal_code="971 89",
        city="Luleå",
        invoice_reference="Maria Nilsson",
    )

    invoice = invoice_approve(invoice=submitted(staff), by=staff["manager04"])

    lines = pdf_lines(invoice)
    seller = lines.index("SÄLJARE")
    assert lines[seller + 1 : seller + 7] == [
        "Region Sörmland",
        "Region Sörmland",
        "611 88 Nyköping",
        "Org.nr 232100-0032",
        "Länskod 04",
        "Vår referens: Karin Lindqvist",
    ]
    buyer = lines.index("KÖPARE")
    assert lines[buyer + 3 : buyer + 7] == [
        "971 89 Luleå",
        "Org.nr 232100-0230",
        "Länskod 25",
        "Er referens: Maria Nilsson",
    ]
    payment = lines.index("Betalning")
    assert lines[payment + 1 : payment + 4] == [
        f"Bankgiro {valid_bankgiro(4)}",
        f"Betalningsreferens {invoice.number}",
        f"Att betala 1{NBSP}140,00{NBSP}kr",
    ]
    assert invoice.total == Decimal("1140.00")


# --- The regions' billing details ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_billing_details_are_validated_normalised_and_each_change_recorded(reference, make_user):
    admin = make_user(Role.ADMIN)
    region = Region.objects.get(code="06")

    with pytest.raises(InvalidInput) as refused:
        region_billing_details_update(region=region, bankgiro="5000-0042", postal_code="5511")
    saved = region_billing_details_update(region=region, bankgiro="50000074", postal_code="55111", by=admin)

    assert refused.value.errors == {
        "bankgiro": ["Bankgironumret '5000-0042' har fel kontrollsiffra."],
        "postal_code": ["Postnumret ska ha 5 siffror (NNN NN), fick '5511'."],
    }
    assert (saved.bankgiro, saved.postal_code) == ("5000-0074", "551 11")
    event = RegionEvent.objects.get(region=region)
    assert (event.action, event.actor, event.changes) == (
        "changed",
        admin,
        {"bankgiro": [valid_bankgiro(6), "5000-0074"], "postal_code": ["", "551 11"]},
    )
    # Saving the same again records nothing.
    region_billing_details_update(region=saved, bankgiro="5000-0074")
    assert RegionEvent.objects.filter(region=region).count() == 1


@pytest.mark.django_db
def test_a_regions_admin_keeps_its_own_billing_details_but_not_its_reference_data(client, reference, make_user):
    own = make_user(Role.ADMIN, "06")
    client.force_login(own)
    page = reverse("admin:regions_region_change", args=["06"])
    form = client.get(page).context["adminform"].form
    assert sorted(form.fields) == ["address", "bankgiro", "city", "invoice_reference", "postal_code"]

    response = client.post(
        page,
        {
            "bankgiro": "5000 0074",
            "address": "Box 1024",
            "postal_code": "55111",
            "city": "Jönköping",
            "invoice_reference": "Utomlänsfakturering",
            "name": "Ändrat namn",  # read-only for it: ignored
            "populations-TOTAL_FORMS": "0",
            "populations-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    region = Region.objects.get(code="06")
    assert (region.name, region.bankgiro, region.postal_lines) == (
        "Region Jönköpings län",
        "5000-0074",
        ["Box 1024", "551 11 Jönköping"],
    )
    assert RegionEvent.objects.get(region=region).via == "admin"
    other = client.post(reverse("admin:regions_region_change", args=["04"]), {"bankgiro": "5000-0074"})
    assert other.status_code == 403
    assert Region.objects.get(code="04").bankgiro == valid_bankgiro(4)


@pytest.mark.django_db
def test_the_start_page_says_what_keeps_the_invoices_from_being_approved(client, january, staff):
    Region.objects.filter(code="04").update(bankgiro="")
    Region.objects.filter(code="25").update(org_number="")
    run_now()
    client.force_login(staff["clerk04"])

    task = next(task for task in client.get("/admin/").context["start"].tasks if task.key == "payment_details")

    assert [detail.text for detail in task.details] == [
        "Region Sörmland saknar bankgironummer",
        "Region Norrbotten saknar organisationsnummer",
    ]
    assert [detail.url for detail in task.details] == [
        reverse("admin:regions_region_change", args=["04"]),
        reverse("admin:regions_region_change", args=["25"]),
    ]
    Region.objects.filter(code="04").update(bankgiro=valid_bankgiro(4))
    Region.objects.filter(code="25").update(org_number="2321000230")
    assert all(task.key != "payment_details" for task in client.get("/admin/").context["start"].tasks)
