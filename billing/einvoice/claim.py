"""Inera's fakturaunderlag: the patient-level attachment of an invoice or credit note as the RIVTA contract
``ProcessClaimSpecification`` (domain financial:billing:claim, schemas in ``schemas/inera``, Apache 2.0 from Inera).

The invoice itself carries no patient data; this document lists every line, and the buyer's system matches it to the
invoice on its id (our specification id, ``ZVF`` + the seller's organisation number + YYMM + 6 digits). It follows
Inera's field rules (tjänstekontraktsbeskrivning financial:billing:claim 1.1, "Fältregler" and "Övriga regler"):

- ``typeOfInvoice`` 380 (invoice) or 381 (credit note); a credit note names the invoice it credits
  (``referenceToInvoice``), that invoice's attachment (``referenceToProcessClaimSpecificationId``), and on each line
  the original line id (``referenceToLineId``) and Inera's credit reason (1-9, ours are the same codes);
- every amount is written positive (a credit note is a credit by its type), SEK with code system 1.0.4217;
- parties by organisation number (root ``1.3.7``, 10 digits; rules ÖR3, ÖR46, ÖR48), the region's name as contact;
- line ids are the invoice lines' ids: unique and ascending in the document (ÖR43), and what a credit note refers to;
- the patient by personnummer (``1.2.752.129.2.1.3.1``) or samordningsnummer (``1.2.752.129.2.1.3.3``), 12 digits;
  county (kv län ``1.2.752.129.2.2.1.18``) = the buyer, municipality (kv kommun ``1.2.752.129.2.2.1.17``) when the
  contact has one, sex by ISO 5218 (kv kön ``1.2.752.129.2.2.1.1``) from the number's second-last digit;
- the contact: visit date and time in Swedish time (the contract's dates carry no zone), yrkeskod, care unit HSA-id
  (``1.2.752.129.2.1.4.1``; the provider's when the contact names none) and name (the provider's);
- price: product category 04 (kontaktersättning), one patient-specific item (the rate category, count 1, price the
  rate, with the recommendation's code); the fee paid, where it lowered the amount, as ``outPatientCareFeePaid``;
  gross = rate − fee (Inera's formula ÖR27), net = gross (ÖR28: no charges, allowances or discounts);
- ``payableAmount`` = the invoice's total, which is the sum of the lines' net amounts (ÖR5 allows ±1 kr; ours is
  exact, checked by ``billing.einvoice.claim_rules``).

Written incrementally: lines are read from the database in chunks and each is serialised as it comes, so memory
stays flat however many lines an invoice has (``bench`` renders one of 150 000).
"""

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from lxml import etree

from billing.models import Invoice, InvoiceKind, InvoiceLine
from contacts.identifiers import identity_oid, is_pseudonym, iso5218_sex
from kernel.business_time import stockholm_date
from kernel.text import neutralise

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas" / "inera"
RESPONDER_XSD = (
    SCHEMA_DIR / "interactions" / "ProcessClaimSpecificationInteraction" / "ProcessClaimSpecificationResponder_1.0.xsd"
)
RESPONDER_NS = "urn:riv:financial:billing:claim:ProcessClaimSpecificationResponder:1"
CLAIM_NS = "urn:riv:financial:billing:claim:1"
NSMAP = {"rsp": RESPONDER_NS, None: CLAIM_NS}  # the lines, most of the document, unprefixed

INVOICE_TYPE = "380"
CREDIT_NOTE_TYPE = "381"
ORG_NUMBER_ROOT = "1.3.7"
HSA_ID_ROOT = "1.2.752.129.2.1.4.1"
CURRENCY_SYSTEM = "1.0.4217"
COUNTY_SYSTEM = "1.2.752.129.2.2.1.18"
MUNICIPALITY_SYSTEM = "1.2.752.129.2.2.1.17"
SEX_SYSTEM = "1.2.752.129.2.2.1.1"
CARE_FORM_SYSTEM = "1.2.752.29.4.16"  # HSA's vård- och omsorgsform
OUTPATIENT_CARE = "01"
CONTACT_COMPENSATION = "04"  # product category: kontaktersättning
PRIMARY_CARE = "1"  # care level: primärvård
LINE_CHUNK = 2_000

# Names of the patient-specific items (the rate categories), Swedish as the document's readers are.
CATEGORY_NAMES = {
    "physician": "Digital vårdkontakt, läkare",
    "psychologist": "Digital vårdkontakt, psykolog, kurator eller psykoterapeut",
    "other_licensed": "Digital vårdkontakt, annan legitimerad personal",
}

_LINE_FIELDS = (
    "id",
    "credited_line_id",
    "external_id",
    "started_at",
    "profession",
    "category",
    "recommendation__code",
    "rate",
    "patient_fee",
    "fee_deducted",
    "amount",
    "care_unit",
    "patient_id",
    "patient_sex",
    "home_municipality",
    "contact__provider__hsa_id",
    "contact__provider__name",
)


def _q(name: str) -> str:
    return f"{{{CLAIM_NS}}}{name}"


def _sub(parent, name: str, text: str | None = None):
    element = etree.SubElement(parent, _q(name))
    if text is not None:
        element.text = text
    return element


def _amount(parent, name: str, value: Decimal) -> None:
    """An AmountType: the amount positive with two decimals, SEK."""
    element = _sub(parent, name)
    _sub(element, "amount", f"{abs(value):.2f}")
    currency = _sub(element, "currency")
    _sub(currency, "code", "SEK")
    _sub(currency, "codeSystem", CURRENCY_SYSTEM)


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _party(parent, name: str, region) -> None:
    party = _sub(parent, name)
    identification = _sub(party, "identification")
    _sub(identification, "root", ORG_NUMBER_ROOT)
    _sub(identification, "extension", region.org_number)
    contact = _sub(party, "sellerContact" if name == "supplierParty" else "buyerContact")
    _sub(contact, "name", neutralise(region.name))


def _header(invoice: Invoice) -> list:
    """The document's elements before its lines, in the schema's order."""
    credit = invoice.kind == InvoiceKind.CREDIT_NOTE
    issue = invoice.issue_date or stockholm_date(timezone.now())
    root = etree.Element(_q("header"), nsmap={None: CLAIM_NS})
    _sub(root, "id", invoice.specification_id or "")
    _sub(root, "issueDate", _date(issue))
    _sub(root, "typeOfInvoice", CREDIT_NOTE_TYPE if credit else INVOICE_TYPE)
    if invoice.number:
        _sub(root, "invoiceId", invoice.number)
    if invoice.issue_date:
        _sub(root, "invoiceDateOfIssue", _date(invoice.issue_date))
    if credit:
        original = invoice.credits
        _sub(root, "referenceToInvoice", original.number or "")
        _sub(root, "referenceToProcessClaimSpecificationId", original.specification_id or "")
    _amount(root, "payableAmount", invoice.total)
    _party(root, "supplierParty", invoice.seller)
    _party(root, "customerParty", invoice.buyer)
    return list(root)


def _text(value) -> str:
    """Text from outside as XML character data: control and invisible formatting characters shown as U+FFFD (XML 1.0
    forbids most of them; kernel/text.py), then ``&``, ``<`` and ``>`` escaped."""
    return escape(neutralise(value))


# The same few values on most lines (a provider's name and HSA-id, professions, rate categories): escaped once.
_known_text = lru_cache(maxsize=4096)(_text)


def _amount_xml(name: str, value: Decimal) -> str:
    return f"<{name}><amount>{abs(value):.2f}</amount>{_SEK}</{name}>"


_SEK = f"<currency><code>SEK</code><codeSystem>{CURRENCY_SYSTEM}</codeSystem></currency>"


def _gender(patient_id: str, patient_sex: str) -> str:
    """ISO/IEC 5218 sex from the number, as Skatteverket assigns it; from the sex the line keeps once the number is
    a pseudonym (contacts.retention), whose digits say nothing."""
    if is_pseudonym(patient_id):
        return {"M": "1", "F": "2"}.get(patient_sex, "0")
    return iso5218_sex(patient_id)


def _line(row: tuple, *, county: str, credit_reason: int | None, medical_field: str, local) -> str:
    """One ``healthCareServicesSpecificationLine``, serialised: the hot path of a 150 000-line document, so a
    template (in the claim namespace, the document's default) rather than an element tree per line; every text from
    outside goes through ``_text``, and the tests validate the result against Inera's schema."""
    (line_id, credited_line_id, external_id, started_at, profession, category, recommendation, rate, patient_fee,
     fee_deducted, amount, care_unit, patient_id, patient_sex, municipality, provider_hsa_id,
     provider_name) = row  # fmt: skip
    visit = started_at.astimezone(local)
    patient = patient_id if patient_id.isascii() and patient_id.isdigit() else _text(patient_id)
    municipality_code = f"<code>{_known_text(municipality)}</code>" if municipality else ""
    credit = ""
    if credited_line_id is not None:
        credit = f"<referenceToLineId>{credited_line_id}</referenceToLineId>"
        if credit_reason is not None:
            credit += f"<reasonForCredit>{credit_reason}</reasonForCredit>"
    fees = ""
    if abs(patient_fee) != abs(fee_deducted):
        # A fee above the rate: what the patient paid, of which the rate was deducted (the amount is then 0).
        fees += _amount_xml("outPatientCareFee", patient_fee)
    if fee_deducted:
        fees += _amount_xml("outPatientCareFeePaid", fee_deducted)
    item_name = f"{CATEGORY_NAMES.get(category, category)} ({recommendation})"
    rate_xml = f"<amount>{abs(rate):.2f}</amount>{_SEK}"
    net = _amount_xml("patientCareInvoiceGrossAmount", amount) + _amount_xml("patientCareInvoiceNetAmount", amount)
    return (
        "<healthCareServicesSpecificationLine><patientInformation>"
        f"<patientIdentity><root>{identity_oid(patient_id)}</root><extension>{patient}</extension>"
        "</patientIdentity><patientOtherInformation>"
        f"<county><code>{county}</code><codeSystem>{COUNTY_SYSTEM}</codeSystem></county>"
        # Required by the schema; the code only where the contact has one (no empty element: rule ÖR1).
        f"<municipality>{municipality_code}<codeSystem>{MUNICIPALITY_SYSTEM}</codeSystem></municipality>"
        f"<gender><code>{_gender(patient_id, patient_sex)}</code><codeSystem>{SEX_SYSTEM}</codeSystem></gender>"
        "</patientOtherInformation></patientInformation><healthcarePerformed>"
        f"<lineId>{line_id}</lineId><careContactId>{_text(external_id)}</careContactId>{credit}"
        f"<healthcareCategory><typeOfCare><code>{OUTPATIENT_CARE}</code><codeSystem>{CARE_FORM_SYSTEM}</codeSystem>"
        # A digital contact is taken when the patient asks for it: no time agreed beforehand (Socialstyrelsen's
        # "oplanerat öppenvårdsbesök").
        "</typeOfCare><plannedHealthcare>false</plannedHealthcare></healthcareCategory>"
        f"<timespan><healthcareVisitDateTime><careVisitDate>{visit:%Y%m%d}</careVisitDate>"
        f"<careVisitTime>{visit:%H%M%S}</careVisitTime></healthcareVisitDateTime></timespan>"
        f"<healthcareUnit><careUnitId><root>{HSA_ID_ROOT}</root><extension>{_known_text(care_unit or provider_hsa_id)}"
        f"</extension></careUnitId><careUnitName>{_known_text(provider_name)}</careUnitName>"
        f"<professionCodeForHealthcare>{_known_text(profession)}</professionCodeForHealthcare></healthcareUnit>"
        f"<categorization><productCategory>{CONTACT_COMPENSATION}</productCategory><patientSpecificCare>"
        f"<patientSpecificCareCode>{_known_text(category)}</patientSpecificCareCode>"
        f"<patientSpecificCareCodeName>{_known_text(item_name)}</patientSpecificCareCodeName>"
        "<numberOfPatientSpecificCare>1</numberOfPatientSpecificCare>"
        f"<patientSpecificCarePrice>{rate_xml}</patientSpecificCarePrice>"
        f"<patientSpecificCareTotalAmount>{rate_xml}</patientSpecificCareTotalAmount></patientSpecificCare>"
        f"</categorization><invoicedAmountDetails>{net}{fees}</invoicedAmountDetails>"
        f"<activity><medicalFieldCode>{medical_field}</medicalFieldCode><careLevel>{PRIMARY_CARE}</careLevel>"
        "</activity></healthcarePerformed></healthCareServicesSpecificationLine>"
    )


def _line_rows(invoice: Invoice) -> Iterator[tuple]:
    lines = InvoiceLine.objects.filter(invoice=invoice).order_by("id").values_list(*_LINE_FIELDS)
    return lines.iterator(chunk_size=LINE_CHUNK)


def write_claim_specification(invoice: Invoice, out: BinaryIO) -> int:
    """Write the invoice's (or credit note's) fakturaunderlag to ``out`` as UTF-8 XML; returns the number of lines.

    ``invoice`` with its seller, buyer and (credit note) the invoice it credits. lxml writes the envelope and the
    header (``etree.xmlfile``); the lines are read in chunks and their serialised text written to ``out`` between,
    a chunk at a time (constant memory)."""
    credit_reason = invoice.credit_reason if invoice.kind == InvoiceKind.CREDIT_NOTE else None
    medical_field = escape(settings.CLAIM_MEDICAL_FIELD_CODE)
    county = escape(invoice.buyer_id)
    local = timezone.get_current_timezone()
    count = 0
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with (
            xf.element(f"{{{RESPONDER_NS}}}ProcessClaimSpecification", nsmap=NSMAP),
            xf.element(f"{{{RESPONDER_NS}}}claimSpecification"),
        ):
            for element in _header(invoice):
                xf.write(element)
            xf.flush()  # what lxml wrote is in ``out``; the lines follow it there
            chunk: list[str] = []
            for row in _line_rows(invoice):
                chunk.append(
                    _line(row, county=county, credit_reason=credit_reason, medical_field=medical_field, local=local)
                )
                count += 1
                if len(chunk) == LINE_CHUNK:
                    out.write("".join(chunk).encode())
                    chunk = []
            out.write("".join(chunk).encode())
    return count


def claim_specification_filename(invoice: Invoice) -> str:
    return f"fakturaunderlag-{invoice.number or invoice.pk}.xml"


_schema: etree.XMLSchema | None = None


def claim_schema() -> etree.XMLSchema:
    """Inera's schema of the ProcessClaimSpecification request (parsed once)."""
    global _schema
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(str(RESPONDER_XSD)))
    return _schema
