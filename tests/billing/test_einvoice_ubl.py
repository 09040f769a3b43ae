"""The e-invoice (Peppol BIS Billing 3.0, UBL 2.1): parsed back field by field for a mixed month and a credit note,
the business rules it relies on each broken once, and where it is delivered (task, PDF/A-3b attachment, API, admin).
"""

import copy
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from billing.documents import render_invoice_pdf, ubl_filename
from billing.einvoice.ubl import (
    CREDIT_NOTE_NS,
    CUSTOMIZATION_ID,
    INVOICE_NS,
    PROFILE_ID,
    UblError,
    buyer_reference,
    render_ubl,
)
from billing.einvoice.ubl_rules import NS, is_swedish_org_number, ubl_problems
from billing.models import Invoice, InvoiceLine
from billing.selectors import invoice_totals
from billing.services import invoice_approve, invoice_credit, invoice_submit
from billing.tasks import render_documents_task
from contacts.intake import contacts_upsert
from contacts.models import Contact
from kernel.api import throttling
from kernel.history import Via
from regions.models import Region, Role
from tests.billing.conftest import run_now
from tests.conftest import _page
from tests.factories import contact_item

pytestmark = pytest.mark.django_db


def _parse(xml: bytes):
    return etree.fromstring(xml)


def _all(node, path: str) -> list[str]:
    return [element.text for element in node.xpath(path, namespaces=NS)]


def _one(node, path: str) -> str:
    values = _all(node, path)
    assert len(values) == 1, (path, values)
    return values[0]


def _approve(invoice, staff, *, render=False, capture=None):
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    if render:
        with capture(execute=True):
            invoice = invoice_approve(invoice=invoice, by=staff["manager04"])
    else:
        invoice = invoice_approve(invoice=invoice, by=staff["manager04"])
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def addressed():
    """The parties with the postal addresses and references their admins enter."""
    Region.objects.filter(code="04").update(
        address="Region Sörmland", postal_code="611 88", city="Nyköping", invoice_reference="Karin Lindqvist"
    )
    Region.objects.filter(code="25").update(
        address="Box 1", postal_code="971 89", city="Luleå", invoice_reference="Fakturagranskning utomlän"
    )


@pytest.fixture
def approved(january, staff, addressed):
    run_now()
    return _approve(Invoice.objects.get(buyer_id="25"), staff)


@pytest.fixture
def credit_note(approved, staff):
    contacts = [Contact.objects.get(external_id=e).pk for e in ("lk-29", "ps-30")]
    note = invoice_credit(
        invoice=approved, contact_ids=contacts, reason=2, note="Fel pris", by=staff["clerk04"], via=Via.API
    )
    return _approve(note, staff)


# --- The document, field by field -----------------------------------------------------------------------------


def test_a_mixed_month_is_a_peppol_invoice_field_by_field(approved):
    root = _parse(render_ubl(approved))

    assert root.tag == f"{{{INVOICE_NS}}}Invoice"
    assert _one(root, "cbc:CustomizationID") == CUSTOMIZATION_ID
    assert CUSTOMIZATION_ID == "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    assert _one(root, "cbc:ProfileID") == PROFILE_ID == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert _one(root, "cbc:ID") == approved.number == "04-2026-000001"
    assert _one(root, "cbc:IssueDate") == "2026-02-10" == approved.issue_date.isoformat()
    assert _one(root, "cbc:DueDate") == "2026-03-12" == approved.due_date.isoformat()
    assert _one(root, "cbc:InvoiceTypeCode") == "380"
    assert _one(root, "cbc:DocumentCurrencyCode") == "SEK"
    assert _one(root, "cbc:BuyerReference") == "Fakturagranskning utomlän"
    assert _one(root, "cac:InvoicePeriod/cbc:StartDate") == "2026-01-01"
    assert _one(root, "cac:InvoicePeriod/cbc:EndDate") == "2026-01-31"
    assert _one(root, "cac:AdditionalDocumentReference/cbc:ID") == approved.specification_id
    assert approved.specification_id == "ZVF23210000322601000001"
    assert _all(root, "cbc:Note") == []
    assert _all(root, "cac:BillingReference") == []

    seller = root.xpath("cac:AccountingSupplierParty/cac:Party", namespaces=NS)[0]
    assert seller.xpath("cbc:EndpointID/@schemeID", namespaces=NS) == ["0007"]
    assert _one(seller, "cbc:EndpointID") == "2321000032"
    assert _one(seller, "cac:PartyName/cbc:Name") == "Region Sörmland"
    assert _one(seller, "cac:PostalAddress/cbc:StreetName") == "Region Sörmland"
    assert _one(seller, "cac:PostalAddress/cbc:PostalZone") == "611 88"
    assert _one(seller, "cac:PostalAddress/cbc:CityName") == "Nyköping"
    assert _one(seller, "cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "SE"
    assert _one(seller, "cac:PartyLegalEntity/cbc:RegistrationName") == "Region Sörmland"
    assert _one(seller, "cac:PartyLegalEntity/cbc:CompanyID") == "2321000032"
    assert seller.xpath("cac:PartyLegalEntity/cbc:CompanyID/@schemeID", namespaces=NS) == ["0007"]
    assert _one(seller, "cac:Contact/cbc:Name") == "Karin Lindqvist"
    assert seller.xpath("cac:PartyTaxScheme", namespaces=NS) == []  # outside the scope of VAT: no VAT number

    buyer = root.xpath("cac:AccountingCustomerParty/cac:Party", namespaces=NS)[0]
    assert _one(buyer, "cbc:EndpointID") == "2321000230"
    assert buyer.xpath("cbc:EndpointID/@schemeID", namespaces=NS) == ["0007"]
    assert _one(buyer, "cac:PartyLegalEntity/cbc:RegistrationName") == "Region Norrbotten"
    assert _one(buyer, "cac:PartyLegalEntity/cbc:CompanyID") == "2321000230"
    assert _one(buyer, "cac:PostalAddress/cbc:StreetName") == "Box 1"
    assert _one(buyer, "cac:PostalAddress/cbc:PostalZone") == "971 89"
    assert _one(buyer, "cac:PostalAddress/cbc:CityName") == "Luleå"
    assert _one(buyer, "cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "SE"
    assert buyer.xpath("cac:PartyTaxScheme", namespaces=NS) == []

    assert _one(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == "30"
    assert _one(root, "cac:PaymentMeans/cbc:PaymentID") == "04-2026-000001"
    assert _one(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == approved.seller.bankgiro.replace("-", "")
    assert _one(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID") == (
        "SE:BANKGIRO"
    )

    assert _one(root, "cac:TaxTotal/cbc:TaxAmount") == "0.00"
    assert _one(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount") == "1140.00"
    assert _one(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount") == "0.00"
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/"
    assert _one(root, category + "cbc:ID") == "O"
    assert _one(root, category + "cbc:TaxExemptionReasonCode") == "VATEX-EU-O"
    assert _one(root, category + "cbc:TaxExemptionReason") == (
        "Ej föremål för mervärdesskatt: ersättning mellan regioner för utomlänsvård"
    )
    assert _all(root, category + "cbc:Percent") == []
    assert _one(root, category + "cac:TaxScheme/cbc:ID") == "VAT"
    for name in ("LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount", "PayableAmount"):
        assert _one(root, f"cac:LegalMonetaryTotal/cbc:{name}") == "1140.00"
    assert Decimal("1140.00") == approved.total
    assert set(root.xpath("//@currencyID")) == {"SEK"}

    lines = [
        (
            _one(line, "cbc:ID"),
            _one(line, "cbc:InvoicedQuantity"),
            line.xpath("cbc:InvoicedQuantity/@unitCode", namespaces=NS)[0],
            _one(line, "cac:Item/cbc:Name"),
            _one(line, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
            _one(line, "cac:Price/cbc:PriceAmount"),
            _all(line, "cac:AllowanceCharge/cbc:Amount"),
            _all(line, "cac:AllowanceCharge/cbc:AllowanceChargeReason"),
            _one(line, "cbc:LineExtensionAmount"),
            _one(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        )
        for line in root.xpath("cac:InvoiceLine", namespaces=NS)
    ]
    assert lines == [
        ("1", "1", "C62", "Läkare", "physician:SKL-2019", "500.00", ["100.00"], ["Patientavgifter"], "400.00", "O"),
        ("2", "1", "C62", "Läkare", "physician:SKR-2026-01", "435.00", ["100.00"], ["Patientavgifter"], "335.00", "O"),
        ("3", "1", "C62", "Psykolog, kurator eller psykoterapeut", "psychologist:SKR-2026-01", "405.00", [], [],
         "405.00", "O"),
        ("4", "1", "C62", "Annan legitimerad personal", "other_licensed:SKR-2026-01", "235.00", ["235.00"],
         ["Patientavgifter"], "0.00", "O"),
    ]  # fmt: skip
    assert _all(root, "cac:InvoiceLine/cac:Item/cbc:Description")[0] == (
        "Kontakter i digital utomlänsvård till ersättningen i SKR:s rekommendation SKL-2019"
    )
    assert ubl_problems(render_ubl(approved)) == []


def test_the_lines_add_up_to_the_invoice_and_its_rows_to_the_ore(approved):
    root = _parse(render_ubl(approved))

    nets = [Decimal(text) for text in _all(root, "cac:InvoiceLine/cbc:LineExtensionAmount")]
    assert sum(nets) == approved.total == Decimal(_one(root, "cac:LegalMonetaryTotal/cbc:PayableAmount"))
    counts = sum(int(text) for text in _all(root, "cac:InvoiceLine/cbc:InvoicedQuantity"))
    assert counts == approved.contact_count == 4
    fees = sum(Decimal(text) for text in _all(root, "cac:InvoiceLine/cac:AllowanceCharge/cbc:Amount"))
    assert fees == sum(row.patient_fees for row in invoice_totals(approved)) == Decimal("435.00")


def test_several_contacts_at_one_version_are_one_line_with_their_count(january, staff, providers, addressed):
    hsa = providers["04a"].hsa_id
    more = [
        contact_item(provider=hsa, external_id="lk-30b", started_at="2026-01-30T12:00:00+01:00", patient_fee="50.00"),
        contact_item(provider=hsa, external_id="lk-30c", started_at="2026-01-30T13:00:00+01:00", patient_fee="0.00"),
    ]
    assert contacts_upsert(items=more, user=staff["clerk04"], channel="api").errors == []
    run_now()
    invoice = _approve(Invoice.objects.get(buyer_id="25"), staff)

    root = _parse(render_ubl(invoice))

    line = root.xpath("cac:InvoiceLine[cac:Item/cac:SellersItemIdentification/cbc:ID='physician:SKR-2026-01']",
                      namespaces=NS)  # fmt: skip
    assert len(line) == 1
    assert _one(line[0], "cbc:InvoicedQuantity") == "3"
    assert _one(line[0], "cac:Price/cbc:PriceAmount") == "435.00"
    assert _all(line[0], "cac:AllowanceCharge/cbc:Amount") == ["150.00"]
    assert _one(line[0], "cbc:LineExtensionAmount") == "1155.00"  # 3 × 435 − (100 + 50 + 0)
    assert _one(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "1960.00" == f"{invoice.total:.2f}"
    assert len(root.xpath("cac:InvoiceLine", namespaces=NS)) == 4
    assert ubl_problems(render_ubl(invoice)) == []


def test_the_buyer_reference_defaults_to_the_buyer_regions_name(january, staff):
    run_now()
    invoice = _approve(Invoice.objects.get(buyer_id="25"), staff)
    assert invoice.buyer.invoice_reference == ""

    root = _parse(render_ubl(invoice))

    assert _one(root, "cbc:BuyerReference") == "Region Norrbotten" == buyer_reference(invoice.buyer)
    # Without a postal address the address is the country alone (no empty elements: PEPPOL-EN16931-R008).
    assert [etree.QName(e).localname for e in root.xpath("cac:AccountingCustomerParty//cac:PostalAddress/*",
                                                         namespaces=NS)] == ["Country"]  # fmt: skip
    assert root.xpath("cac:AccountingSupplierParty/cac:Party/cac:Contact", namespaces=NS) == []
    assert ubl_problems(render_ubl(invoice)) == []


def test_a_credit_note_is_a_peppol_credit_note_with_positive_amounts(approved, credit_note):
    root = _parse(render_ubl(credit_note))

    assert credit_note.total == Decimal("-805.00")
    assert root.tag == f"{{{CREDIT_NOTE_NS}}}CreditNote"
    assert _one(root, "cbc:ID") == credit_note.number == "04-2026-000002"
    assert _one(root, "cbc:CreditNoteTypeCode") == "381"
    assert _all(root, "cbc:InvoiceTypeCode") == [] and _all(root, "cbc:DueDate") == []
    assert _one(root, "cbc:Note") == "Krediterar faktura 04-2026-000001. Krediteringsorsak 2: Fel pris."
    assert _one(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == approved.number
    assert _one(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == "2026-02-10"
    assert _one(root, "cbc:BuyerReference") == "Fakturagranskning utomlän"
    assert _one(root, "cac:AdditionalDocumentReference/cbc:ID") == credit_note.specification_id
    assert _all(root, "cac:PaymentMeans") == []  # nothing to pay: set off against the invoice
    assert _one(root, "cac:PaymentTerms/cbc:Note") == (
        "Inget att betala: Region Norrbotten krediteras 805.00 SEK. Beloppet kvittas mot faktura 04-2026-000001; "
        "är den redan betald återbetalar Region Sörmland beloppet till Region Norrbotten."
    )
    for name in ("LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount", "PayableAmount"):
        assert _one(root, f"cac:LegalMonetaryTotal/cbc:{name}") == "805.00"
    assert _one(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount") == "805.00"
    lines = [
        (
            _one(line, "cbc:CreditedQuantity"),
            _one(line, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
            _one(line, "cac:Price/cbc:PriceAmount"),
            _all(line, "cac:AllowanceCharge/cbc:Amount"),
            _one(line, "cbc:LineExtensionAmount"),
        )
        for line in root.xpath("cac:CreditNoteLine", namespaces=NS)
    ]
    assert lines == [
        ("1", "physician:SKL-2019", "500.00", ["100.00"], "400.00"),
        ("1", "psychologist:SKR-2026-01", "405.00", [], "405.00"),
    ]
    assert root.xpath("cac:InvoiceLine", namespaces=NS) == []
    assert ubl_problems(render_ubl(credit_note)) == []


def test_no_patient_data_reaches_the_e_invoice(approved, credit_note):
    for invoice in (approved, credit_note):
        xml = render_ubl(invoice).decode()
        for line in InvoiceLine.objects.filter(invoice=invoice):
            for value in (line.patient_id, line.patient_id[:8], line.external_id, line.care_unit, line.listing_unit):
                if value:
                    assert value not in xml
        assert "198503" not in xml and "19700101" not in xml


def test_a_draft_has_no_e_invoice(january):
    run_now()
    with pytest.raises(UblError, match="not approved"):
        render_ubl(Invoice.objects.get(buyer_id="25"))


@override_settings(EINVOICE_VAT_CATEGORY="S")
def test_a_vat_category_other_than_o_or_e_is_refused(approved):
    with pytest.raises(UblError, match="EINVOICE_VAT_CATEGORY"):
        render_ubl(approved)


@override_settings(EINVOICE_VAT_CATEGORY="E", EINVOICE_VAT_EXEMPTION_REASON_CODE="VATEX-EU-132-1B")
def test_category_e_carries_a_zero_rate_as_its_rules_want(approved):
    root = _parse(render_ubl(approved))

    assert _one(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == "E"
    assert _one(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent") == "0"
    assert _one(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode") == "VATEX-EU-132-1B"
    assert set(_all(root, "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent")) == {"0"}
    assert ubl_problems(render_ubl(approved)) == []


# --- The rules, each broken once --------------------------------------------------------------------------------


def test_every_regions_organisation_number_is_a_valid_electronic_address(reference):
    numbers = dict(Region.objects.values_list("code", "org_number"))
    assert len(numbers) == 21 and all(is_swedish_org_number(number) for number in numbers.values())
    assert not is_swedish_org_number("2321000231") and not is_swedish_org_number("232100023")


def _remove(path):
    def change(root):
        for element in root.xpath(path, namespaces=NS):
            element.getparent().remove(element)

    return change


def _set(path, value, attribute=None):
    def change(root):
        element = root.xpath(path, namespaces=NS)[0]
        if attribute:
            element.set(attribute, value)
        else:
            element.text = value

    return change


def _add(path, xml):
    def change(root):
        parent = root.xpath(path, namespaces=NS)[0]
        parent.append(etree.fromstring(f'<x xmlns:cac="{NS["cac"]}" xmlns:cbc="{NS["cbc"]}">{xml}</x>')[0])

    return change


SELLER = "cac:AccountingSupplierParty/cac:Party"
BUYER = "cac:AccountingCustomerParty/cac:Party"
ACCOUNT = "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"
SUBTOTAL = "cac:TaxTotal/cac:TaxSubtotal"
TOTALS = "cac:LegalMonetaryTotal"
LINE = "cac:InvoiceLine[1]"

BREAKS = {
    "PEPPOL-EN16931-R003": _remove("cbc:BuyerReference"),
    "PEPPOL-EN16931-R004": _set("cbc:CustomizationID", "urn:cen.eu:en16931:2017"),
    "PEPPOL-EN16931-R001": _set("cbc:ProfileID", "urn:fdc:peppol.eu:2017:poacc:billing:99:1.0"),
    "PEPPOL-EN16931-R008": _set("cbc:BuyerReference", " "),
    "PEPPOL-EN16931-R051": _set(f"{TOTALS}/cbc:PayableAmount", "EUR", "currencyID"),
    "PEPPOL-EN16931-R020": _remove(f"{SELLER}/cbc:EndpointID"),
    "PEPPOL-EN16931-R010": _remove(f"{BUYER}/cbc:EndpointID"),
    "UTL-03": _set(f"{BUYER}/cbc:EndpointID", "0088", "schemeID"),
    "PEPPOL-COMMON-R049": _set(f"{BUYER}/cac:PartyLegalEntity/cbc:CompanyID", "2321000231"),
    "SE-R-013": _set(f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID", "2321000033"),
    "BR-CO-26": _remove(f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID"),
    "BR-09": _set(f"{SELLER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "NO"),
    "BR-CO-10": _set(f"{TOTALS}/cbc:LineExtensionAmount", "1140.01"),
    "BR-CO-13": _set(f"{TOTALS}/cbc:TaxExclusiveAmount", "1139.99"),
    "BR-CO-15": _set(f"{TOTALS}/cbc:TaxInclusiveAmount", "1141.00"),
    "BR-CO-16": _set(f"{TOTALS}/cbc:PayableAmount", "1100.00"),
    "BR-CO-14": _set("cac:TaxTotal/cbc:TaxAmount", "1.00"),
    "BR-CO-25": _remove("cbc:DueDate"),
    "BR-O-08": _set(f"{SUBTOTAL}/cbc:TaxableAmount", "1000.00"),
    "BR-O-09": _set(f"{SUBTOTAL}/cbc:TaxAmount", "0.01"),
    "BR-O-10": lambda root: (
        _remove(f"{SUBTOTAL}/cac:TaxCategory/cbc:TaxExemptionReason")(root),
        _remove(f"{SUBTOTAL}/cac:TaxCategory/cbc:TaxExemptionReasonCode")(root),
    ),
    "BR-O-02": _add(
        SELLER,
        "<cac:PartyTaxScheme><cbc:CompanyID>SE232100003201</cbc:CompanyID>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
    ),
    "BR-O-05": _add(f"{LINE}/cac:Item/cac:ClassifiedTaxCategory", "<cbc:Percent>0</cbc:Percent>"),
    "BR-O-12": _set(f"{LINE}/cac:Item/cac:ClassifiedTaxCategory/cbc:ID", "S"),
    "BR-O-11": _add(
        "cac:TaxTotal",
        "<cac:TaxSubtotal><cbc:TaxableAmount currencyID='SEK'>0.00</cbc:TaxableAmount>"
        "<cbc:TaxAmount currencyID='SEK'>0.00</cbc:TaxAmount><cac:TaxCategory><cbc:ID>E</cbc:ID>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>",
    ),
    "PEPPOL-EN16931-P0105": _set(f"{SUBTOTAL}/cac:TaxCategory/cbc:ID", "E"),
    "PEPPOL-EN16931-R120": _set(f"{LINE}/cac:AllowanceCharge/cbc:Amount", "50.00"),
    "BR-CO-23": _remove(f"{LINE}/cac:AllowanceCharge/cbc:AllowanceChargeReason"),
    "BR-27": _set(f"{LINE}/cac:Price/cbc:PriceAmount", "-500.00"),
    "BR-61": _remove(ACCOUNT),
    "SE-R-008": _set(ACCOUNT, "5000-0041"),
    "SE-R-009": _set(ACCOUNT, "500004"),
    "UTL-06": _set(ACCOUNT, "50000042"),
    "SE-R-011": _set("cac:PaymentMeans/cbc:PaymentMeansCode", "56"),
    "UTL-02": _set("cbc:InvoiceTypeCode", "381"),
    "BR-16": _remove("cac:InvoiceLine"),
}


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_each_rule_fails_on_a_document_that_breaks_it(approved, rule):
    root = copy.deepcopy(_parse(render_ubl(approved)))
    BREAKS[rule](root)

    problems = ubl_problems(etree.tostring(root))

    assert rule in {problem.partition(":")[0] for problem in problems}, problems


CREDIT_BREAKS = {
    "UTL-05": _remove("cac:BillingReference"),
    "UTL-04": lambda root: (
        _set("cac:CreditNoteLine[1]/cbc:LineExtensionAmount", "-400.00")(root),
        _set("cac:CreditNoteLine[1]/cac:Price/cbc:PriceAmount", "-400.00")(root),
        _remove("cac:CreditNoteLine[1]/cac:AllowanceCharge")(root),
    ),
}


@pytest.mark.parametrize("rule", sorted(CREDIT_BREAKS))
def test_each_credit_note_rule_fails_on_a_credit_note_that_breaks_it(credit_note, rule):
    root = _parse(render_ubl(credit_note))
    CREDIT_BREAKS[rule](root)

    problems = ubl_problems(etree.tostring(root))

    assert rule in {problem.partition(":")[0] for problem in problems}, problems


# --- Delivery -------------------------------------------------------------------------------------------------------


@pytest.fixture
def rendered(january, staff, addressed, django_capture_on_commit_callbacks):
    run_now()
    return _approve(Invoice.objects.get(buyer_id="25"), staff, render=True, capture=django_capture_on_commit_callbacks)


def test_the_documents_task_stores_the_ubl_with_the_pdfs(rendered):
    assert rendered.ubl.name.startswith("invoices/faktura-04-2026-000001")
    stored = rendered.ubl.open("rb").read()
    assert stored == render_ubl(rendered)
    assert ubl_filename(rendered) == "faktura-04-2026-000001.xml"
    assert render_documents_task(rendered.pk) == "rendered"  # again: idempotent, replaces the three
    rendered.refresh_from_db()
    assert rendered.ubl.open("rb").read() == stored


def test_the_invoice_pdf_is_pdf_a_3b_with_the_ubl_embedded(rendered):
    reader = PdfReader(io.BytesIO(rendered.pdf.open("rb").read()))

    assert reader.attachments == {"faktura-04-2026-000001.xml": [rendered.ubl.open("rb").read()]}
    files = reader.trailer["/Root"]["/AF"]
    # One associated file, the UBL, as an alternative form of the invoice (WeasyPrint lists it twice in /AF).
    assert {(spec.idnum, spec.get_object()["/AFRelationship"]) for spec in files} == {(files[0].idnum, "/Alternative")}
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in metadata and b'pdfaid:conformance="B"' in metadata
    assert "04-2026-000001" in reader.pages[0].extract_text()


def test_a_credit_notes_pdf_embeds_its_credit_note(approved, credit_note):
    ubl = render_ubl(credit_note)

    reader = PdfReader(io.BytesIO(render_invoice_pdf(credit_note, ubl=ubl)))

    assert reader.attachments == {"kreditfaktura-04-2026-000002.xml": [ubl]}


def test_a_preview_pdf_embeds_nothing(january):
    run_now()
    reader = PdfReader(io.BytesIO(render_invoice_pdf(Invoice.objects.get(buyer_id="25"))))
    assert reader.attachments == {}


def test_the_api_serves_the_stored_ubl_to_both_parties(api_as, rendered):
    for region in ("04", "25"):
        response = api_as(Role.CLERK, region).get(f"/api/v1/invoices/{rendered.pk}/ubl/")

        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml"
        assert response["Content-Disposition"] == 'inline; filename="faktura-04-2026-000001.xml"'
        assert b"".join(response.streaming_content) == rendered.ubl.open("rb").read()


def test_the_api_hides_the_ubl_from_other_regions(api_as, rendered):
    response = api_as(Role.CLERK, "06").get(f"/api/v1/invoices/{rendered.pk}/ubl/")

    assert response.status_code == 404


def test_the_api_answers_202_until_the_ubl_is_rendered(api_as, january, staff):
    run_now()
    invoice = _approve(Invoice.objects.get(buyer_id="25"), staff)  # the render task waits for the commit

    response = api_as(Role.CLERK, "25").get(f"/api/v1/invoices/{invoice.pk}/ubl/")

    assert response.status_code == 202
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "E-fakturan skapas; försök igen om en stund."}


def test_a_draft_has_no_ubl_in_the_api(api_as, january):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")

    response = api_as(Role.CLERK, "04").get(f"/api/v1/invoices/{invoice.pk}/ubl/")

    assert response.status_code == 404
    assert response.json() == {"detail": "En faktura har en e-faktura när den är godkänd."}


def test_the_ubl_shares_the_document_endpoints_budget(api_as, rendered, settings, monkeypatch):
    cache.clear()
    monkeypatch.setattr(throttling.time, "time", lambda: 1_800_000_015.0)  # 15 s into a minute
    settings.API_THROTTLE_RATE = "100/min"
    settings.API_DOCUMENTS_THROTTLE_RATE = "2/min"
    api = api_as(Role.CLERK, "25")
    base = f"/api/v1/invoices/{rendered.pk}"

    documents = [api.get(f"{base}/ubl/").status_code, api.get(f"{base}/pdf/").status_code]
    refused = api.get(f"{base}/ubl/")
    other = api.get(f"{base}/").status_code
    cache.clear()

    assert documents == [200, 200]
    assert (refused.status_code, refused["Retry-After"]) == (429, "45")
    assert other == 200


def test_the_invoice_page_links_the_ubl_next_to_the_pdfs(client, staff, rendered):
    page = _page(client, staff["clerk25"], reverse("admin:billing_invoice_change", args=[rendered.pk]))

    assert f'<a href="/api/v1/invoices/{rendered.pk}/ubl/">E-faktura (UBL)</a>' in page
