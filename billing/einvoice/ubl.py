"""The approved invoice or credit note as a Peppol BIS Billing 3.0 document (UBL 2.1 Invoice 380 / CreditNote 381).

What a region's accounts-payable system imports through its Peppol access point, or fetches from
``/api/v1/invoices/{id}/ubl/``. It follows EN 16931 with the Peppol BIS Billing 3.0 rules (PEPPOL-EN16931-R*,
BR-*, BR-O-*) and the Swedish national rules (SE-R-*); ``billing.einvoice.ubl_rules`` checks the rules this output
relies on.

- **Parties**: seller and buyer are regions, each with ``EndpointID`` and ``PartyLegalEntity/CompanyID`` of scheme
  ``0007`` (the 10-digit organisationsnummer), its name, postal address (country SE) and, for the seller, its
  invoice reference as contact point ("Our reference"). No VAT identifier: the supply is outside the scope of VAT
  (BR-O-02).
- **BuyerReference** (PEPPOL-EN16931-R003) is always present: the buyer region's ``invoice_reference`` ("Your
  reference", which its admin keeps), or the buyer region's name when it has none, so that the buyer's system can
  still route the invoice to its out-of-county care.
- **Lines**: one per rate category and recommendation version (and rate): the contacts as quantity (unit C62), the
  rate as price, and the patient fees deducted as a line allowance ("Patientavgifter"), so the line net is
  count × rate − fees, exactly the sum of the invoice's lines. Chosen over net-only lines because the buyer's
  controller checks exactly these three figures against the specification and the recommendation (what the PDF
  shows per row); the allowance keeps every amount positive, as the rules want (BR-27: no negative price).
- **VAT**: compensation between regions for out-of-county care is outside the scope of VAT: every line and the one
  VAT breakdown have category ``EINVOICE_VAT_CATEGORY`` (default ``O``, "not subject to VAT") with the exemption
  reason code and text of the settings (``VATEX-EU-O``), tax amount 0, no VAT rate (BR-O-05..BR-O-12).
- **Payment**: an invoice is paid by credit transfer (code 30) to the seller's Bankgiro: the account id is its
  digits, the branch ``SE:BANKGIRO`` (SE-R-008/009/011), the invoice number the payment id. A credit note is not
  paid but set off against the invoice it credits: it names that invoice (``BillingReference``, number and issue
  date), carries its credit reason as its note and the settlement as its payment terms.
- **A credit note's amounts are positive** (the document type says it credits); the ledger stores them negative.
- **No patient data**: only aggregates per category; the fakturaunderlag carries the contacts.

Memory: the document holds the invoice's aggregates only (a few lines whatever the number of contacts; the
database groups the lines), so it is built as a small tree. The query over the lines dominates its time.
"""

import calendar
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import translation
from django.utils.translation import gettext
from lxml import etree

from billing.models import Invoice, InvoiceKind, InvoiceLine
from kernel.business_time import parse_period
from kernel.money import ZERO, to_money
from kernel.text import neutralise
from regions.models import RateCategory, Region

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NAMESPACES = {"cac": CAC, "cbc": CBC}

INVOICE_TYPE_CODE = "380"  # commercial invoice
CREDIT_NOTE_TYPE_CODE = "381"  # credit note
ORG_NUMBER_SCHEME = "0007"  # ISO 6523 ICD: Swedish organisationsnummer
CURRENCY = "SEK"
COUNTRY = "SE"
UNIT = "C62"  # UN/ECE Rec 20 "one": a contact
CREDIT_TRANSFER = "30"
BANKGIRO_BRANCH = "SE:BANKGIRO"
VAT_CATEGORIES = ("O", "E")  # the two a compensation without VAT can be sent as (see the settings)


class UblError(ValueError):
    """The invoice cannot be written as a valid e-invoice (not approved, parties without organisation number,
    lines not adding up to its total)."""


@dataclass(frozen=True)
class UblLine:
    """One line of the e-invoice: a rate category at one recommendation version and rate, amounts positive."""

    category: str
    recommendation: str
    rate: Decimal
    count: int
    fees: Decimal
    net: Decimal


def ubl_lines(invoice: Invoice) -> list[UblLine]:
    """The invoice's lines grouped per rate category, recommendation version and rate, amounts as the e-invoice
    writes them (a credit note's turned positive)."""
    rows = (
        InvoiceLine.objects.filter(invoice=invoice)
        .values("category", "recommendation__code", "rate")
        .annotate(count=Count("id"), fees=Sum("fee_deducted"), net=Sum("amount"))
        .order_by()
    )
    sign = -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1
    order = {category: index for index, category in enumerate(RateCategory.values)}
    lines = [
        UblLine(
            category=row["category"],
            recommendation=row["recommendation__code"],
            rate=to_money(row["rate"]),
            count=row["count"],
            fees=to_money(sign * (row["fees"] or ZERO)),
            net=to_money(sign * (row["net"] or ZERO)),
        )
        for row in rows
    ]
    return sorted(lines, key=lambda line: (order.get(line.category, 99), line.recommendation, -line.rate))


def _money(value: Decimal) -> str:
    return f"{to_money(value):.2f}"


class _Writer:
    """Elements in the UBL namespaces; an element with no text is left out (PEPPOL-EN16931-R008: no empty
    elements), and every text is neutralised (kernel/text.py: a stored control character cannot reach XML)."""

    def __init__(self, root_ns: str, root: str):
        self.root = etree.Element(f"{{{root_ns}}}{root}", nsmap={None: root_ns, **NAMESPACES})

    @staticmethod
    def _tag(name: str) -> str:
        prefix, _, local = name.partition(":")
        return f"{{{NAMESPACES[prefix]}}}{local}"

    def group(self, parent, name: str):
        return etree.SubElement(parent, self._tag(name))

    def value(self, parent, name: str, text, **attributes):
        if text is None or str(text).strip() == "":
            return None
        element = etree.SubElement(parent, self._tag(name), {key: str(val) for key, val in attributes.items()})
        element.text = neutralise(str(text))
        return element

    def amount(self, parent, name: str, value: Decimal):
        return self.value(parent, name, _money(value), currencyID=CURRENCY)


def _period_dates(period: str) -> tuple[str, str]:
    year, month = parse_period(period)
    return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def buyer_reference(buyer: Region) -> str:
    """BT-10: the buyer region's invoice reference, or its name when it has none (always present: R003)."""
    return (buyer.invoice_reference or "").strip() or buyer.name


def _vat_category() -> tuple[str, str, str]:
    category = settings.EINVOICE_VAT_CATEGORY
    if category not in VAT_CATEGORIES:
        raise UblError(f"EINVOICE_VAT_CATEGORY must be one of {', '.join(VAT_CATEGORIES)}, got {category!r}.")
    return category, settings.EINVOICE_VAT_EXEMPTION_REASON_CODE, settings.EINVOICE_VAT_EXEMPTION_REASON


def _party(w: _Writer, parent, region: Region, *, seller: bool) -> None:
    party = w.group(w.group(parent, "cac:AccountingSupplierParty" if seller else "cac:AccountingCustomerParty"),
                    "cac:Party")  # fmt: skip
    w.value(party, "cbc:EndpointID", region.org_number, schemeID=ORG_NUMBER_SCHEME)
    w.value(w.group(party, "cac:PartyName"), "cbc:Name", region.name)
    address = w.group(party, "cac:PostalAddress")
    w.value(address, "cbc:StreetName", region.address)
    w.value(address, "cbc:CityName", region.city)
    w.value(address, "cbc:PostalZone", region.postal_code)
    w.value(w.group(address, "cac:Country"), "cbc:IdentificationCode", COUNTRY)
    legal = w.group(party, "cac:PartyLegalEntity")
    w.value(legal, "cbc:RegistrationName", region.name)
    w.value(legal, "cbc:CompanyID", region.org_number, schemeID=ORG_NUMBER_SCHEME)
    if seller and region.invoice_reference.strip():
        w.value(w.group(party, "cac:Contact"), "cbc:Name", region.invoice_reference)


def _check(invoice: Invoice, lines: list[UblLine]) -> None:
    if not invoice.is_frozen or not invoice.number or not invoice.issue_date:
        raise UblError(f"Invoice {invoice.pk} is not approved: it has no e-invoice.")
    for region in (invoice.seller, invoice.buyer):
        if not region.org_number:
            raise UblError(f"{region.name} has no organisation number: it has no electronic address.")
    expected = -invoice.total if invoice.kind == InvoiceKind.CREDIT_NOTE else invoice.total
    if sum((line.net for line in lines), ZERO) != expected:
        raise UblError(f"The lines of invoice {invoice.number} do not add up to its total {invoice.total}.")
    if invoice.kind == InvoiceKind.INVOICE and not invoice.seller.bankgiro:
        raise UblError(f"{invoice.seller.name} has no bankgiro: invoice {invoice.number} cannot be paid.")


def render_ubl(invoice: Invoice) -> bytes:
    """The approved invoice or credit note as UBL 2.1 (UTF-8), in the product's language (Swedish) like its PDF."""
    with translation.override(settings.LANGUAGE_CODE):
        return _render(invoice)


def _render(invoice: Invoice) -> bytes:
    lines = ubl_lines(invoice)
    _check(invoice, lines)
    category, reason_code, reason = _vat_category()
    credit = invoice.kind == InvoiceKind.CREDIT_NOTE
    total = sum((line.net for line in lines), ZERO)
    seller, buyer = invoice.seller, invoice.buyer

    w = _Writer(CREDIT_NOTE_NS if credit else INVOICE_NS, "CreditNote" if credit else "Invoice")
    root = w.root
    w.value(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
    w.value(root, "cbc:ProfileID", PROFILE_ID)
    w.value(root, "cbc:ID", invoice.number)
    w.value(root, "cbc:IssueDate", invoice.issue_date.isoformat())
    if credit:
        w.value(root, "cbc:CreditNoteTypeCode", CREDIT_NOTE_TYPE_CODE)
        original = invoice.credits
        w.value(
            root,
            "cbc:Note",
            gettext("Credits invoice %(number)s. Credit reason %(code)d: %(reason)s.")
            % {"number": original.number, "code": invoice.credit_reason, "reason": invoice.get_credit_reason_display()},
        )
    else:
        w.value(root, "cbc:DueDate", invoice.due_date.isoformat() if invoice.due_date else None)
        w.value(root, "cbc:InvoiceTypeCode", INVOICE_TYPE_CODE)
    w.value(root, "cbc:DocumentCurrencyCode", CURRENCY)
    w.value(root, "cbc:BuyerReference", buyer_reference(buyer))
    start, end = _period_dates(invoice.period)
    period = w.group(root, "cac:InvoicePeriod")
    w.value(period, "cbc:StartDate", start)
    w.value(period, "cbc:EndDate", end)
    if credit:
        reference = w.group(w.group(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        w.value(reference, "cbc:ID", original.number)
        w.value(reference, "cbc:IssueDate", original.issue_date.isoformat() if original.issue_date else None)
    if invoice.specification_id:
        document = w.group(root, "cac:AdditionalDocumentReference")
        w.value(document, "cbc:ID", invoice.specification_id)
        w.value(document, "cbc:DocumentDescription", gettext("Specification (fakturaunderlag)"))
    _party(w, root, seller, seller=True)
    _party(w, root, buyer, seller=False)
    if credit:
        w.value(
            w.group(root, "cac:PaymentTerms"),
            "cbc:Note",
            gettext(
                "Nothing to pay: %(buyer)s is credited %(amount)s. The amount is set off against invoice "
                "%(original)s; if that invoice is already paid, %(seller)s refunds it to %(buyer)s."
            )
            % {
                "buyer": buyer.name,
                "amount": f"{_money(total)} {CURRENCY}",
                "original": original.number,
                "seller": seller.name,
            },
        )
    else:
        means = w.group(root, "cac:PaymentMeans")
        w.value(means, "cbc:PaymentMeansCode", CREDIT_TRANSFER)
        w.value(means, "cbc:PaymentID", invoice.number)
        account = w.group(means, "cac:PayeeFinancialAccount")
        w.value(account, "cbc:ID", seller.bankgiro.replace("-", ""))
        w.value(w.group(account, "cac:FinancialInstitutionBranch"), "cbc:ID", BANKGIRO_BRANCH)

    tax_total = w.group(root, "cac:TaxTotal")
    w.amount(tax_total, "cbc:TaxAmount", ZERO)
    subtotal = w.group(tax_total, "cac:TaxSubtotal")
    w.amount(subtotal, "cbc:TaxableAmount", total)
    w.amount(subtotal, "cbc:TaxAmount", ZERO)
    tax_category = w.group(subtotal, "cac:TaxCategory")
    w.value(tax_category, "cbc:ID", category)
    if category != "O":
        w.value(tax_category, "cbc:Percent", "0")  # BR-E-05; category O has no rate (BR-O-05)
    w.value(tax_category, "cbc:TaxExemptionReasonCode", reason_code)
    w.value(tax_category, "cbc:TaxExemptionReason", reason)
    w.value(w.group(tax_category, "cac:TaxScheme"), "cbc:ID", "VAT")

    monetary = w.group(root, "cac:LegalMonetaryTotal")
    for name in ("LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount", "PayableAmount"):
        w.amount(monetary, f"cbc:{name}", total)

    for number, line in enumerate(lines, start=1):
        _line(w, root, number, line, credit=credit, category=category)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _line(w: _Writer, root, number: int, line: UblLine, *, credit: bool, category: str) -> None:
    element = w.group(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
    w.value(element, "cbc:ID", number)
    w.value(element, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity", line.count, unitCode=UNIT)
    w.amount(element, "cbc:LineExtensionAmount", line.net)
    if line.fees:
        allowance = w.group(element, "cac:AllowanceCharge")
        w.value(allowance, "cbc:ChargeIndicator", "false")
        w.value(allowance, "cbc:AllowanceChargeReason", gettext("Patient fees"))
        w.amount(allowance, "cbc:Amount", line.fees)
    item = w.group(element, "cac:Item")
    w.value(
        item,
        "cbc:Description",
        gettext("Digital out-of-county care contacts at the rate of SKR's recommendation %(code)s")
        % {"code": line.recommendation},
    )
    w.value(
        item, "cbc:Name", RateCategory(line.category).label if line.category in RateCategory.values else line.category
    )
    w.value(w.group(item, "cac:SellersItemIdentification"), "cbc:ID", f"{line.category}:{line.recommendation}")
    classified = w.group(item, "cac:ClassifiedTaxCategory")
    w.value(classified, "cbc:ID", category)
    if category != "O":
        w.value(classified, "cbc:Percent", "0")
    w.value(w.group(classified, "cac:TaxScheme"), "cbc:ID", "VAT")
    price = w.group(element, "cac:Price")
    w.amount(price, "cbc:PriceAmount", line.rate)
    w.value(price, "cbc:BaseQuantity", 1, unitCode=UNIT)
