"""The business rules our e-invoices rely on, checked on the XML itself (what a receiver's validator checks).

A subset of the published Peppol BIS Billing 3.0 validation artefacts (EN 16931 ``BR-*``, ``BR-CO-*``, ``BR-O-*``;
``PEPPOL-EN16931-R*``, ``PEPPOL-COMMON-R049``; the Swedish ``SE-R-*``), written in Python because the artefacts are
XSLT 2.0 Schematron, which lxml cannot run: the rules each part of ``billing.einvoice.ubl`` depends on, plus the
project's own (``UTL-*``: endpoint scheme 0007, a credit note's positive amounts and its reference). The tests break
a rendered document rule by rule and see each check fail; the official artefacts remain the reference.

``ubl_problems(xml)`` returns the broken rules as ``"RULE-ID: message"``, empty when the document passes.
"""

from decimal import Decimal, InvalidOperation

from lxml import etree
from stdnum import luhn

from billing.einvoice.ubl import (
    BANKGIRO_BRANCH,
    CAC,
    CBC,
    CREDIT_NOTE_NS,
    CUSTOMIZATION_ID,
    INVOICE_NS,
    ORG_NUMBER_SCHEME,
    PROFILE_ID,
)

NS = {"cac": CAC, "cbc": CBC, "inv": INVOICE_NS, "cn": CREDIT_NOTE_NS}


def _decimal(text) -> Decimal | None:
    try:
        return Decimal(str(text).strip())
    except (InvalidOperation, TypeError):
        return None


def _amount(root, path: str) -> Decimal | None:
    found = root.xpath(path, namespaces=NS)
    return _decimal(found[0].text) if found else None


def _text(root, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    return (found[0].text or "").strip() if found else ""


def is_swedish_org_number(value: str) -> bool:
    """PEPPOL-COMMON-R049 / SE-R-003, SE-R-004, SE-R-013: 10 digits, the last a Luhn check digit."""
    return len(value) == 10 and value.isascii() and value.isdigit() and luhn.is_valid(value)


# A document to check may come from elsewhere: no entities expanded, nothing fetched.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def ubl_problems(xml: bytes) -> list[str]:
    root = etree.fromstring(xml, parser=_PARSER)
    problems: list[str] = []

    def fail(rule: str, message: str) -> None:
        problems.append(f"{rule}: {message}")

    credit = root.tag == f"{{{CREDIT_NOTE_NS}}}CreditNote"
    if root.tag not in (f"{{{INVOICE_NS}}}Invoice", f"{{{CREDIT_NOTE_NS}}}CreditNote"):
        fail("UTL-01", "The document is neither a UBL Invoice nor a CreditNote.")
        return problems
    line_path = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    quantity_name = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"

    # Document level
    if not _text(root, "cbc:CustomizationID").startswith(CUSTOMIZATION_ID):
        fail("PEPPOL-EN16931-R004", "Specification identifier must be the BIS Billing 3.0 one.")
    if _text(root, "cbc:ProfileID") != PROFILE_ID:
        fail("PEPPOL-EN16931-R001", "Business process must be billing 01.")
    if not _text(root, "cbc:BuyerReference") and not _text(root, "cac:OrderReference/cbc:ID"):
        fail("PEPPOL-EN16931-R003", "A buyer reference or purchase order reference must be provided.")
    for element in root.iter():
        if isinstance(element.tag, str) and len(element) == 0 and not (element.text or "").strip():
            fail("PEPPOL-EN16931-R008", f"Empty element {etree.QName(element).localname}.")
    type_code = _text(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode")
    if type_code != ("381" if credit else "380"):
        fail("UTL-02", f"Type code {type_code!r}: a credit note is 381, an invoice 380.")
    currency = _text(root, "cbc:DocumentCurrencyCode")
    for element in root.xpath("//*[@currencyID]"):
        if element.get("currencyID") != currency:
            fail("PEPPOL-EN16931-R051", "Every currencyID must be the invoice currency.")
            break
    for document in root.xpath("cac:AdditionalDocumentReference", namespaces=NS):
        if not _text(document, "cbc:ID"):
            fail("BR-52", "Each additional supporting document must have a reference.")

    # Parties
    for role, path in (("Seller", "cac:AccountingSupplierParty"), ("Buyer", "cac:AccountingCustomerParty")):
        party = root.xpath(f"{path}/cac:Party", namespaces=NS)
        if not party:
            fail("BR-06" if role == "Seller" else "BR-07", f"{role} missing.")
            continue
        party = party[0]
        endpoint = party.xpath("cbc:EndpointID", namespaces=NS)
        if not endpoint:
            fail("PEPPOL-EN16931-R020" if role == "Seller" else "PEPPOL-EN16931-R010", f"{role} electronic address.")
        elif endpoint[0].get("schemeID") != ORG_NUMBER_SCHEME:
            fail("UTL-03", f"{role} electronic address must have scheme 0007 (organisationsnummer).")
        if not _text(party, "cac:PartyLegalEntity/cbc:RegistrationName"):
            fail("BR-06" if role == "Seller" else "BR-07", f"{role} name missing.")
        if _text(party, "cac:PostalAddress/cac:Country/cbc:IdentificationCode") != "SE":
            fail("BR-09" if role == "Seller" else "BR-11", f"{role} country code must be SE.")
        company = party.xpath("cac:PartyLegalEntity/cbc:CompanyID", namespaces=NS)
        if role == "Seller" and not company:
            fail("BR-CO-26", "Seller legal registration identifier missing.")
        for identifier in party.xpath(
            "cbc:EndpointID[@schemeID='0007'] | cac:PartyLegalEntity/cbc:CompanyID[@schemeID='0007']", namespaces=NS
        ):
            if not is_swedish_org_number((identifier.text or "").strip()):
                fail("PEPPOL-COMMON-R049", f"{role} organisation number {identifier.text!r} is not valid.")
        if role == "Seller" and company and not is_swedish_org_number((company[0].text or "").strip()):
            fail("SE-R-013", "Seller organisation number: 10 digits with a valid check digit.")

    # VAT: category O throughout
    lines = root.xpath(line_path, namespaces=NS)
    subtotals = root.xpath("cac:TaxTotal/cac:TaxSubtotal", namespaces=NS)
    if len(root.xpath("cac:TaxTotal[cac:TaxSubtotal]", namespaces=NS)) != 1:
        fail("PEPPOL-EN16931-R053", "Exactly one tax total with tax subtotals.")
    categories = [_text(subtotal, "cac:TaxCategory/cbc:ID") for subtotal in subtotals]
    line_categories = [_text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID") for line in lines]
    if "O" in categories or "O" in line_categories:
        if categories.count("O") != 1:
            fail("BR-O-01", "Exactly one VAT breakdown of category O.")
        if any(category != "O" for category in categories):
            fail("BR-O-11", "No other VAT breakdown beside category O.")
        if any(category != "O" for category in line_categories):
            fail("BR-O-12", "Every line of category O.")
        if root.xpath("//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID", namespaces=NS):
            fail("BR-O-02", "No seller or buyer VAT identifier with category O.")
        if root.xpath("//cac:ClassifiedTaxCategory[cbc:ID='O']/cbc:Percent", namespaces=NS):
            fail("BR-O-05", "A line of category O has no VAT rate.")
    for subtotal in subtotals:
        category = subtotal.xpath("cac:TaxCategory", namespaces=NS)[0]
        if _text(category, "cbc:TaxExemptionReasonCode").upper() == "VATEX-EU-O" and _text(category, "cbc:ID") != "O":
            fail("PEPPOL-EN16931-P0105", "Exemption reason VATEX-EU-O needs category O.")
        if _text(category, "cbc:ID") == "O":
            if _amount(subtotal, "cbc:TaxAmount") != 0:
                fail("BR-O-09", "Tax amount of category O is 0.")
            if not (_text(category, "cbc:TaxExemptionReasonCode") or _text(category, "cbc:TaxExemptionReason")):
                fail("BR-O-10", "Category O needs an exemption reason.")
            line_sum = sum((_amount(line, "cbc:LineExtensionAmount") or 0 for line in lines), Decimal(0))
            if _amount(subtotal, "cbc:TaxableAmount") != line_sum:
                fail("BR-O-08", "Taxable amount of category O = Σ line net amounts.")

    # Totals
    tax = _amount(root, "cac:TaxTotal/cbc:TaxAmount")
    if tax != sum((_amount(s, "cbc:TaxAmount") or 0 for s in subtotals), Decimal(0)):
        fail("BR-CO-14", "Total VAT = Σ VAT of the breakdowns.")
    line_total = _amount(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount")
    exclusive = _amount(root, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount")
    inclusive = _amount(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")
    payable = _amount(root, "cac:LegalMonetaryTotal/cbc:PayableAmount")
    allowances = _amount(root, "cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount") or 0
    charges = _amount(root, "cac:LegalMonetaryTotal/cbc:ChargeTotalAmount") or 0
    prepaid = _amount(root, "cac:LegalMonetaryTotal/cbc:PrepaidAmount") or 0
    rounding = _amount(root, "cac:LegalMonetaryTotal/cbc:PayableRoundingAmount") or 0
    if None in (line_total, exclusive, inclusive, payable, tax):
        fail("BR-12", "The document totals are incomplete.")
        return problems
    if line_total != sum((_amount(line, "cbc:LineExtensionAmount") or 0 for line in lines), Decimal(0)):
        fail("BR-CO-10", "Sum of line net amounts = Σ line net amounts.")
    if exclusive != line_total - allowances + charges:
        fail("BR-CO-13", "Total without VAT = line total − allowances + charges.")
    if inclusive != exclusive + tax:
        fail("BR-CO-15", "Total with VAT = total without VAT + VAT.")
    if payable != inclusive - prepaid + rounding:
        fail("BR-CO-16", "Amount due = total with VAT − paid + rounding.")
    if not credit and payable > 0 and not (_text(root, "cbc:DueDate") or _text(root, "cac:PaymentTerms/cbc:Note")):
        fail("BR-CO-25", "A positive amount due needs a due date or payment terms.")

    # Lines
    if not lines:
        fail("BR-16", "At least one line.")
    for line in lines:
        quantity = _amount(line, quantity_name)
        price = _amount(line, "cac:Price/cbc:PriceAmount")
        base = _amount(line, "cac:Price/cbc:BaseQuantity") or Decimal(1)
        net = _amount(line, "cbc:LineExtensionAmount")
        line_allowances = sum(
            (_decimal(a.text) or 0 for a in line.xpath("cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount",
                                                       namespaces=NS)),
            Decimal(0),
        )  # fmt: skip
        line_charges = sum(
            (_decimal(a.text) or 0 for a in line.xpath("cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount",
                                                       namespaces=NS)),
            Decimal(0),
        )  # fmt: skip
        if None in (quantity, price, net):
            fail("BR-22", "Each line has a quantity, a net amount and a price.")
            continue
        if abs(net - (quantity * price / base + line_charges - line_allowances)) > Decimal("0.02"):
            fail("PEPPOL-EN16931-R120", "Line net = quantity × price + charges − allowances.")
        if price < 0:
            fail("BR-27", "The item net price is not negative.")
        for allowance in line.xpath("cac:AllowanceCharge", namespaces=NS):
            if not (_text(allowance, "cbc:AllowanceChargeReason") or _text(allowance, "cbc:AllowanceChargeReasonCode")):
                fail("BR-CO-23", "Each line allowance has a reason.")
        if credit and (quantity < 0 or net < 0 or line_allowances < 0):
            fail("UTL-04", "A credit note's lines are positive (the document type says it credits).")
    if credit and payable < 0:
        fail("UTL-04", "A credit note's amounts are positive.")

    # Payment (Swedish national rules)
    if credit and not _text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"):
        fail("UTL-05", "A credit note names the invoice it credits (BillingReference).")
    for means in root.xpath("cac:PaymentMeans", namespaces=NS):
        code = _text(means, "cbc:PaymentMeansCode")
        account = _text(means, "cac:PayeeFinancialAccount/cbc:ID")
        if code in ("30", "58") and not account:
            fail("BR-61", "A credit transfer needs the payment account.")
        if code in ("50", "56"):
            fail("SE-R-011", "Bankgiro is code 30 with branch SE:BANKGIRO, not 50 or 56.")
        if code == "30" and _text(means, "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID") == (
            BANKGIRO_BRANCH
        ):
            if not account.isdigit():
                fail("SE-R-008", "The Bankgiro account id is numeric.")
            if len(account) not in (7, 8):
                fail("SE-R-009", "The Bankgiro account id has 7 or 8 digits.")
            elif account.isdigit() and not luhn.is_valid(account):
                fail("UTL-06", "The Bankgiro number's check digit is wrong.")
    return problems
