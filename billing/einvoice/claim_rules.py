"""Inera's rules for a fakturaunderlag that its schema does not express ("Övriga regler" of the contract description,
checked by Inera's schematron; ``ÖR`` numbers as there), as plain checks over a parsed document.

``claim_violations(document)`` returns one message per broken rule (empty: the document keeps them). The writer
(``billing.einvoice.claim``) relies on each; the tests break a document per rule and see its check fail.
"""

import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from billing.einvoice.claim import (
    CLAIM_NS,
    COUNTY_SYSTEM,
    CREDIT_NOTE_TYPE,
    CURRENCY_SYSTEM,
    INVOICE_TYPE,
    MUNICIPALITY_SYSTEM,
    ORG_NUMBER_ROOT,
)
from contacts.identifiers import PERSONNUMMER_OID, SAMORDNINGSNUMMER_OID, identity_oid

NS = {"c": CLAIM_NS}
# ÖR5: the invoice amount and the sum of the lines' net amounts may differ by at most one krona (öresavrundning).
AMOUNT_TOLERANCE = Decimal("1.00")
CREDIT_REASONS = frozenset(str(code) for code in range(1, 10))
SEXES = frozenset({"0", "1", "2", "9"})
_SPECIFICATION_ID = re.compile(r"ZVF[0-9]{10}[0-9]{4}[0-9]{6}", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def _text(element, path: str) -> str | None:
    found = element.find(path, NS)
    return None if found is None else (found.text or "")


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value is not None else None
    except InvalidOperation:
        return None


def _specification(document) -> etree._Element:
    root = document.getroot() if hasattr(document, "getroot") else document
    return root if root.tag == f"{{{CLAIM_NS}}}claimSpecification" else root[0]


def claim_violations(document, *, original_line_ids: set[int] | None = None) -> list[str]:
    """Every rule the document breaks. ``original_line_ids``: a credit note's original attachment's line ids, when
    known, which each ``referenceToLineId`` must name."""
    spec = _specification(document)
    problems: list[str] = []
    problems += _identity_of_document(spec)
    problems += _parties(spec)
    problems += _line_ids(spec)
    problems += _patients(spec)
    problems += _line_amounts(spec)
    problems += _payable_amount(spec)
    problems += _credit_references(spec, original_line_ids)
    problems += _currencies(spec)
    return problems


def _identity_of_document(spec) -> list[str]:
    problems = []
    spec_id = _text(spec, "c:id") or ""
    if _SPECIFICATION_ID.fullmatch(spec_id) is None:
        problems.append(f"ÖR37: id {spec_id!r} is not ZVF + 20 digits (23 characters).")
    kind = _text(spec, "c:typeOfInvoice")
    if kind not in (INVOICE_TYPE, CREDIT_NOTE_TYPE):
        problems.append(f"ÖR4: typeOfInvoice {kind!r} is neither 380 nor 381.")
    return problems


def _parties(spec) -> list[str]:
    problems = []
    for party in ("supplierParty", "customerParty"):
        identifications = spec.findall(f"c:{party}/c:identification", NS)
        org_numbers = [_text(i, "c:extension") or "" for i in identifications if _text(i, "c:root") == ORG_NUMBER_ROOT]
        if len(org_numbers) != 1 or _DIGITS.fullmatch(org_numbers[0]) is None or len(org_numbers[0]) != 10:
            problems.append(f"ÖR3/ÖR46: {party} needs one organisation number (root 1.3.7) of 10 digits.")
    return problems


def _lines(spec):
    return spec.findall("c:healthCareServicesSpecificationLine", NS)


def _line_ids(spec) -> list[str]:
    previous = 0
    for line in _lines(spec):
        value = _text(line, "c:healthcarePerformed/c:lineId") or ""
        if _DIGITS.fullmatch(value) is None or int(value) <= previous:
            return [f"ÖR43: lineId {value!r} after {previous} is not unique and ascending."]
        previous = int(value)
    return []


def _patients(spec) -> list[str]:
    problems = []
    for line in _lines(spec):
        line_id = _text(line, "c:healthcarePerformed/c:lineId")
        root = _text(line, "c:patientInformation/c:patientIdentity/c:root")
        number = _text(line, "c:patientInformation/c:patientIdentity/c:extension") or ""
        if len(number) != 12 or _DIGITS.fullmatch(number) is None:
            problems.append(f"Line {line_id}: the patient id is not 12 digits.")
        elif root not in (PERSONNUMMER_OID, SAMORDNINGSNUMMER_OID) or root != identity_oid(number):
            problems.append(f"ÖR7: line {line_id}: root {root} is not the OID of the number's kind.")
        other = "c:patientInformation/c:patientOtherInformation"
        county = _text(line, f"{other}/c:county/c:code") or ""
        if len(county) != 2 or _text(line, f"{other}/c:county/c:codeSystem") != COUNTY_SYSTEM:
            problems.append(f"ÖR8/ÖR40: line {line_id}: county {county!r} is not a län code of kv län.")
        municipality = _text(line, f"{other}/c:municipality/c:code")
        wrong_code = municipality is not None and (len(municipality) != 4 or not municipality.startswith(county))
        if wrong_code or _text(line, f"{other}/c:municipality/c:codeSystem") != MUNICIPALITY_SYSTEM:
            problems.append(f"ÖR9/ÖR41: line {line_id}: municipality {municipality!r} is not a kommun of län {county}.")
        sex = _text(line, f"{other}/c:gender/c:code")
        if sex is not None and sex not in SEXES:
            problems.append(f"ÖR10: line {line_id}: gender {sex!r} is not 0, 1, 2 or 9.")
    return problems


def _line_amounts(spec) -> list[str]:
    problems = []
    for line in _lines(spec):
        performed = line.find("c:healthcarePerformed", NS)
        line_id = _text(performed, "c:lineId")
        details = "c:invoicedAmountDetails"
        gross = _decimal(_text(performed, f"{details}/c:patientCareInvoiceGrossAmount/c:amount"))
        net = _decimal(_text(performed, f"{details}/c:patientCareInvoiceNetAmount/c:amount"))
        fee = _decimal(_text(performed, f"{details}/c:outPatientCareFeePaid/c:amount")) or Decimal(0)
        items = performed.findall("c:categorization/c:patientSpecificCare", NS)
        if not items:
            problems.append(f"ÖR44: line {line_id}: no patient-specific item or DRG cost.")
            continue
        total = Decimal(0)
        for item in items:
            count = _decimal(_text(item, "c:numberOfPatientSpecificCare"))
            price = _decimal(_text(item, "c:patientSpecificCarePrice/c:amount"))
            item_total = _decimal(_text(item, "c:patientSpecificCareTotalAmount/c:amount"))
            if None in (count, price, item_total) or item_total != count * price:
                problems.append(f"ÖR26: line {line_id}: the item's total is not count × price.")
            total += item_total or 0
        if gross is None or gross != total - fee:
            problems.append(f"ÖR27: line {line_id}: gross {gross} is not {total - fee} (items − fee paid).")
        if net is None or net != gross:
            problems.append(f"ÖR28: line {line_id}: net {net} is not gross {gross}.")
        if (gross is not None and gross < 0) or (net is not None and net < 0):
            problems.append(f"Line {line_id}: amounts are written positive.")
    return problems


def _payable_amount(spec) -> list[str]:
    payable = _decimal(_text(spec, "c:payableAmount/c:amount"))
    nets = [
        _decimal(element.text)
        for element in spec.iterfind(
            "c:healthCareServicesSpecificationLine/c:healthcarePerformed/c:invoicedAmountDetails/"
            "c:patientCareInvoiceNetAmount/c:amount",
            NS,
        )
    ]
    lines = sum((net for net in nets if net is not None), Decimal(0))
    if payable is None or abs(payable - lines) > AMOUNT_TOLERANCE:
        return [f"ÖR5: payableAmount {payable} and the lines' net sum {lines} differ by more than 1 kr."]
    return []


def _credit_references(spec, original_line_ids: set[int] | None) -> list[str]:
    problems = []
    credit = _text(spec, "c:typeOfInvoice") == CREDIT_NOTE_TYPE
    references = (_text(spec, "c:referenceToInvoice"), _text(spec, "c:referenceToProcessClaimSpecificationId"))
    if credit:
        if not references[0]:
            problems.append("A credit note names the invoice it credits (referenceToInvoice).")
        if _SPECIFICATION_ID.fullmatch(references[1] or "") is None:
            problems.append("ÖR52: a credit note names the original (referenceToProcessClaimSpecificationId).")
    elif any(reference is not None for reference in references):
        problems.append("An invoice (380) refers to no invoice or attachment.")
    for line in _lines(spec):
        line_id = _text(line, "c:healthcarePerformed/c:lineId")
        reference = _text(line, "c:healthcarePerformed/c:referenceToLineId")
        reason = _text(line, "c:healthcarePerformed/c:reasonForCredit")
        if not credit:
            if reference is not None or reason is not None:
                problems.append(f"Line {line_id}: an invoice's line refers to no line and has no credit reason.")
            continue
        if reference is None or _DIGITS.fullmatch(reference) is None:
            problems.append(f"Line {line_id}: a credit note's line names the original line (referenceToLineId).")
        elif original_line_ids is not None and int(reference) not in original_line_ids:
            problems.append(f"Line {line_id}: referenceToLineId {reference} is no line of the original attachment.")
        if reason not in CREDIT_REASONS:
            problems.append(f"ÖR36: line {line_id}: reasonForCredit {reason!r} is not 1-9.")
    return problems


def _currencies(spec) -> list[str]:
    for currency in spec.iter(f"{{{CLAIM_NS}}}currency"):
        if _text(currency, "c:code") != "SEK" or _text(currency, "c:codeSystem") != CURRENCY_SYSTEM:
            return ["ÖR35: every currency is SEK with code system 1.0.4217."]
    return []
