"""Inera's fakturaunderlag (billing.einvoice.claim): valid against Inera's schema, every field as billed, the rules it
relies on (billing.einvoice.claim_rules) each caught when broken, and its download (API and admin)."""

import copy
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from lxml import etree
from rest_framework.test import APIClient

import billing.api
from billing.einvoice.claim import CLAIM_NS, claim_schema, write_claim_specification
from billing.einvoice.claim_rules import claim_violations
from billing.models import Invoice, InvoiceLine
from billing.services import invoice_approve, invoice_credit, invoice_submit
from contacts.audit.models import IdentityRead, ReadVia
from contacts.intake import contacts_upsert
from contacts.models import Contact
from kernel.history import Via
from regions.models import Region, Role
from regions.services import api_client_create
from tests.billing.conftest import run_now
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

NS = {"c": CLAIM_NS, "r": "urn:riv:financial:billing:claim:ProcessClaimSpecificationResponder:1"}
SAMORDNINGSNUMMER = personnummer("19850372", "231")  # born 12 March 1985, day + 60; male (second-last digit 1)
PERSONNUMMER = personnummer()  # 19850312-2387: female (second-last digit 8)


@pytest.fixture
def mixed(billing_day, staff, providers):
    """January 2026 billed by Sörmland (04) to Norrbotten (25): two rate versions, a samordningsnummer, a kommun code,
    a fee above the rate, a care unit of its own."""
    Region.objects.filter(code="25").update(org_number="2321000230")  # the public register's number (issue 17)
    providers["04a"].name = "Vård & <Hälsa> AB"  # text for XML to escape
    providers["04a"].save(update_fields=["name"])
    hsa = providers["04a"].hsa_id

    def item(external_id, started, **facts):
        return contact_item(provider=hsa, external_id=external_id, started_at=started, **facts)

    items = [
        item("lk-29", "2026-01-29T10:00:00+01:00", patient_fee="100.00", home_municipality="2580"),  # 500 − 100
        item(
            "ps-30",
            "2026-01-30T11:05:09+01:00",
            profession="PS",
            patient_fee="0.00",
            patient_id=SAMORDNINGSNUMMER,
            care_unit="SE2321000032-VC1",
        ),  # 405
        item("sj-31", "2026-01-31T23:30:00+01:00", profession="SJ", patient_fee="300.00"),  # 235 − 235 = 0
    ]
    assert contacts_upsert(items=items, user=staff["clerk04"], channel="api").errors == []
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    return invoice_approve(invoice=invoice, by=staff["manager04"])


@pytest.fixture
def rendered(mixed, django_capture_on_commit_callbacks):
    """The approved invoice with its documents rendered by the task its approval queued."""
    from billing.tasks import render_documents_task

    render_documents_task(mixed.pk)
    mixed.refresh_from_db()
    return mixed


@pytest.fixture
def credit_note(rendered, staff):
    contacts = Contact.objects.filter(external_id__in=["lk-29", "ps-30"]).order_by("external_id")
    note = invoice_credit(
        invoice=rendered,
        contact_ids=[c.pk for c in contacts],
        reason=2,
        note="Fel pris",
        by=staff["clerk04"],
        via=Via.API,
    )
    invoice_submit(invoice=note, by=staff["clerk04"])
    return invoice_approve(invoice=note, by=staff["manager04"])


def _document(invoice) -> etree._ElementTree:
    out = io.BytesIO()
    write_claim_specification(Invoice.objects.select_related("seller", "buyer", "credits").get(pk=invoice.pk), out)
    return etree.parse(io.BytesIO(out.getvalue()))


def _t(element, path: str) -> str | None:
    found = element.find(path, NS)
    return None if found is None else found.text


def _spec(document):
    return document.getroot().find("r:claimSpecification", NS)


def _line_facts(line) -> dict:
    p = "c:patientInformation/c:patientIdentity/"
    o = "c:patientInformation/c:patientOtherInformation/"
    h = "c:healthcarePerformed/"
    d = h + "c:invoicedAmountDetails/"
    return {
        "patient": (_t(line, p + "c:root"), _t(line, p + "c:extension")),
        "county": (_t(line, o + "c:county/c:code"), _t(line, o + "c:county/c:codeSystem")),
        "municipality": (_t(line, o + "c:municipality/c:code"), _t(line, o + "c:municipality/c:codeSystem")),
        "gender": (_t(line, o + "c:gender/c:code"), _t(line, o + "c:gender/c:codeSystem")),
        "line": _t(line, h + "c:lineId"),
        "contact": _t(line, h + "c:careContactId"),
        "reference": (_t(line, h + "c:referenceToLineId"), _t(line, h + "c:reasonForCredit")),
        "care": (
            _t(line, h + "c:healthcareCategory/c:typeOfCare/c:code"),
            _t(line, h + "c:healthcareCategory/c:plannedHealthcare"),
        ),
        "visit": (
            _t(line, h + "c:timespan/c:healthcareVisitDateTime/c:careVisitDate"),
            _t(line, h + "c:timespan/c:healthcareVisitDateTime/c:careVisitTime"),
        ),
        "unit": (
            _t(line, h + "c:healthcareUnit/c:careUnitId/c:root"),
            _t(line, h + "c:healthcareUnit/c:careUnitId/c:extension"),
            _t(line, h + "c:healthcareUnit/c:careUnitName"),
            _t(line, h + "c:healthcareUnit/c:professionCodeForHealthcare"),
        ),
        "product": (
            _t(line, h + "c:categorization/c:productCategory"),
            _t(line, h + "c:categorization/c:patientSpecificCare/c:patientSpecificCareCode"),
            _t(line, h + "c:categorization/c:patientSpecificCare/c:patientSpecificCareCodeName"),
            _t(line, h + "c:categorization/c:patientSpecificCare/c:numberOfPatientSpecificCare"),
            _t(line, h + "c:categorization/c:patientSpecificCare/c:patientSpecificCarePrice/c:amount"),
            _t(line, h + "c:categorization/c:patientSpecificCare/c:patientSpecificCareTotalAmount/c:amount"),
        ),
        "amounts": (
            _t(line, d + "c:patientCareInvoiceGrossAmount/c:amount"),
            _t(line, d + "c:patientCareInvoiceNetAmount/c:amount"),
            _t(line, d + "c:outPatientCareFee/c:amount"),
            _t(line, d + "c:outPatientCareFeePaid/c:amount"),
        ),
        "activity": (_t(line, h + "c:activity/c:medicalFieldCode"), _t(line, h + "c:activity/c:careLevel")),
    }


# --- The document --------------------------------------------------------------------------------------------------


def test_the_stored_fakturaunderlag_of_a_mixed_month_is_valid_and_has_every_field(rendered, providers):
    document = etree.parse(rendered.claim_specification.open("rb"))
    lines = list(InvoiceLine.objects.filter(invoice=rendered).order_by("id").values_list("id", flat=True))
    spec = _spec(document)

    claim_schema().assertValid(document)
    assert claim_violations(document) == []
    name = rendered.claim_specification.name  # a suffix when another test's file took the name
    assert (name.startswith(f"invoices/fakturaunderlag-{rendered.number}"), name.endswith(".xml")) == (True, True)
    assert document.docinfo.encoding == "utf-8"
    assert [
        _t(spec, f"c:{name}")
        for name in ("id", "issueDate", "typeOfInvoice", "invoiceId", "invoiceDateOfIssue", "referenceToInvoice")
    ] == [rendered.specification_id, "20260210", "380", rendered.number, "20260210", None]
    assert rendered.specification_id.startswith("ZVF2321000032" + "2601")
    assert (_t(spec, "c:payableAmount/c:amount"), _t(spec, "c:payableAmount/c:currency/c:code")) == ("805.00", "SEK")
    assert _t(spec, "c:payableAmount/c:currency/c:codeSystem") == "1.0.4217"
    assert [
        (
            _t(spec, f"c:{party}/c:identification/c:root"),
            _t(spec, f"c:{party}/c:identification/c:extension"),
            _t(spec, f"c:{party}/c:{contact}/c:name"),
        )
        for party, contact in (("supplierParty", "sellerContact"), ("customerParty", "buyerContact"))
    ] == [("1.3.7", "2321000032", "Region Sörmland"), ("1.3.7", "2321000230", "Region Norrbotten")]

    facts = [_line_facts(line) for line in spec.findall("c:healthCareServicesSpecificationLine", NS)]
    provider = providers["04a"]
    common = {
        "county": ("25", "1.2.752.129.2.2.1.18"),
        "reference": (None, None),
        "care": ("01", "false"),
        "activity": ("100", "1"),
    }
    assert facts == [
        {
            **common,
            "patient": ("1.2.752.129.2.1.3.1", "198503122387"),
            "municipality": ("2580", "1.2.752.129.2.2.1.17"),
            "gender": ("2", "1.2.752.129.2.2.1.1"),
            "line": str(lines[0]),
            "contact": "lk-29",
            "visit": ("20260129", "100000"),
            "unit": ("1.2.752.129.2.1.4.1", provider.hsa_id, "Vård & <Hälsa> AB", "LK"),
            "product": ("04", "physician", "Digital vårdkontakt, läkare (SKL-2019)", "1", "500.00", "500.00"),
            "amounts": ("400.00", "400.00", None, "100.00"),
        },
        {
            **common,
            "patient": ("1.2.752.129.2.1.3.3", SAMORDNINGSNUMMER.replace("-", "")),
            "municipality": (None, "1.2.752.129.2.2.1.17"),
            "gender": ("1", "1.2.752.129.2.2.1.1"),
            "line": str(lines[1]),
            "contact": "ps-30",
            "visit": ("20260130", "110509"),
            "unit": ("1.2.752.129.2.1.4.1", "SE2321000032-VC1", "Vård & <Hälsa> AB", "PS"),
            "product": (
                "04",
                "psychologist",
                "Digital vårdkontakt, psykolog, kurator eller psykoterapeut (SKR-2026-01)",
                "1",
                "405.00",
                "405.00",
            ),
            "amounts": ("405.00", "405.00", None, None),
        },
        {
            **common,
            "patient": ("1.2.752.129.2.1.3.1", "198503122387"),
            "municipality": (None, "1.2.752.129.2.2.1.17"),
            "gender": ("2", "1.2.752.129.2.2.1.1"),
            "line": str(lines[2]),
            "contact": "sj-31",
            "visit": ("20260131", "233000"),
            "unit": ("1.2.752.129.2.1.4.1", provider.hsa_id, "Vård & <Hälsa> AB", "SJ"),
            "product": (
                "04",
                "other_licensed",
                "Digital vårdkontakt, annan legitimerad personal (SKR-2026-01)",
                "1",
                "235.00",
                "235.00",
            ),
            "amounts": ("0.00", "0.00", "300.00", "235.00"),  # a fee above the rate: the rate deducted
        },
    ]


def test_the_visit_date_and_time_are_swedish_time(billing_day, staff, providers):
    Region.objects.filter(code="25").update(org_number="2321000230")
    item = contact_item(provider=providers["04a"].hsa_id, external_id="s", started_at="2025-12-31T23:15:00+00:00")
    assert contacts_upsert(items=[item], user=staff["clerk04"], channel="api").errors == []
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")

    line = _spec(_document(invoice)).find("c:healthCareServicesSpecificationLine", NS)

    # 23:15 UTC on New Year's Eve is 00:15 on 1 January in Stockholm (the contract's times carry no zone).
    assert _line_facts(line)["visit"] == ("20260101", "001500")


def test_a_credit_notes_fakturaunderlag_references_the_original_attachment_and_lines(rendered, credit_note):
    from billing.tasks import render_documents_task

    render_documents_task(credit_note.pk)  # as its approval queued it
    credit_note.refresh_from_db()
    document = etree.parse(credit_note.claim_specification.open("rb"))
    spec = _spec(document)
    original = dict(InvoiceLine.objects.filter(invoice=rendered).values_list("external_id", "id"))
    credit_lines = list(InvoiceLine.objects.filter(invoice=credit_note).order_by("id").values_list("id", flat=True))

    claim_schema().assertValid(document)
    assert claim_violations(document, original_line_ids=set(original.values())) == []
    assert [
        _t(spec, f"c:{name}")
        for name in ("id", "typeOfInvoice", "invoiceId", "referenceToInvoice", "referenceToProcessClaimSpecificationId")
    ] == [credit_note.specification_id, "381", credit_note.number, rendered.number, rendered.specification_id]
    assert credit_note.specification_id != rendered.specification_id
    assert credit_note.total == Decimal("-805.00")
    assert _t(spec, "c:payableAmount/c:amount") == "805.00"  # every amount positive: the type says credit
    facts = [_line_facts(line) for line in spec.findall("c:healthCareServicesSpecificationLine", NS)]
    assert [(f["line"], f["contact"], f["reference"], f["amounts"]) for f in facts] == [
        (str(credit_lines[0]), "lk-29", (str(original["lk-29"]), "2"), ("400.00", "400.00", None, "100.00")),
        (str(credit_lines[1]), "ps-30", (str(original["ps-30"]), "2"), ("405.00", "405.00", None, None)),
    ]
    assert facts[0]["municipality"] == ("2580", "1.2.752.129.2.2.1.17")  # as billed


# --- The rules, each broken once -----------------------------------------------------------------------------------


def _broken(document, change) -> etree._ElementTree:
    broken = copy.deepcopy(document)
    change(_spec(broken))
    return broken


def _performed(spec, index: int):
    return spec.findall("c:healthCareServicesSpecificationLine/c:healthcarePerformed", NS)[index]


def test_line_ids_out_of_order_or_repeated_break_the_rule(rendered):
    document = _document(rendered)

    def swap(spec):
        first, second = (_performed(spec, i).find("c:lineId", NS) for i in (0, 1))
        first.text, second.text = second.text, first.text

    def repeat(spec):
        _performed(spec, 1).find("c:lineId", NS).text = _performed(spec, 0).find("c:lineId", NS).text

    for change in (swap, repeat):
        broken = _broken(document, change)
        claim_schema().assertValid(broken)  # the schema cannot see it
        assert [p for p in claim_violations(broken) if p.startswith("ÖR43")] == [
            p for p in claim_violations(broken) if "lineId" in p
        ]
        assert len([p for p in claim_violations(broken) if p.startswith("ÖR43")]) == 1


def test_a_patient_id_under_the_other_kinds_oid_breaks_the_rule(rendered):
    document = _document(rendered)
    line_id = _performed(_spec(document), 1).find("c:lineId", NS).text

    def personnummer_oid_for_samordningsnummer(spec):
        identity = spec.findall("c:healthCareServicesSpecificationLine", NS)[1].find(
            "c:patientInformation/c:patientIdentity/c:root", NS
        )
        identity.text = "1.2.752.129.2.1.3.1"

    broken = _broken(document, personnummer_oid_for_samordningsnummer)

    assert claim_violations(broken) == [
        f"ÖR7: line {line_id}: root 1.2.752.129.2.1.3.1 is not the OID of the number's kind."
    ]


def test_the_payable_amount_may_differ_from_the_lines_by_one_krona_not_more(rendered):
    document = _document(rendered)

    def payable(value: str):
        def change(spec):
            spec.find("c:payableAmount/c:amount", NS).text = value

        return change

    assert claim_violations(_broken(document, payable("806.00"))) == []  # öresavrundning: within ±1 kr
    assert claim_violations(_broken(document, payable("804.00"))) == []
    assert claim_violations(_broken(document, payable("806.01"))) == [
        "ÖR5: payableAmount 806.01 and the lines' net sum 805.00 differ by more than 1 kr."
    ]
    assert claim_violations(_broken(document, payable("803.99"))) == [
        "ÖR5: payableAmount 803.99 and the lines' net sum 805.00 differ by more than 1 kr."
    ]


def test_a_line_whose_net_is_not_rate_minus_fee_breaks_the_rules(rendered):
    document = _document(rendered)
    line_id = _performed(_spec(document), 0).find("c:lineId", NS).text

    def net(spec):
        details = _performed(spec, 0).find("c:invoicedAmountDetails", NS)
        details.find("c:patientCareInvoiceNetAmount/c:amount", NS).text = "500.00"

    assert claim_violations(_broken(document, net)) == [
        f"ÖR28: line {line_id}: net 500.00 is not gross 400.00.",
        "ÖR5: payableAmount 805.00 and the lines' net sum 905.00 differ by more than 1 kr.",
    ]


def test_a_credit_note_without_its_references_breaks_the_rules(rendered, credit_note):
    document = _document(credit_note)
    originals = set(InvoiceLine.objects.filter(invoice=rendered).values_list("id", flat=True))
    first = _performed(_spec(document), 0).find("c:lineId", NS).text

    def no_attachment(spec):
        spec.remove(spec.find("c:referenceToProcessClaimSpecificationId", NS))

    def no_line_reference(spec):
        performed = _performed(spec, 0)
        performed.remove(performed.find("c:referenceToLineId", NS))

    def foreign_line(spec):
        _performed(spec, 0).find("c:referenceToLineId", NS).text = "999999"

    def no_reason(spec):
        performed = _performed(spec, 0)
        performed.remove(performed.find("c:reasonForCredit", NS))

    assert claim_violations(_broken(document, no_attachment), original_line_ids=originals) == [
        "ÖR52: a credit note names the original (referenceToProcessClaimSpecificationId)."
    ]
    assert claim_violations(_broken(document, no_line_reference), original_line_ids=originals) == [
        f"Line {first}: a credit note's line names the original line (referenceToLineId)."
    ]
    assert claim_violations(_broken(document, foreign_line), original_line_ids=originals) == [
        f"Line {first}: referenceToLineId 999999 is no line of the original attachment."
    ]
    assert claim_violations(_broken(document, no_reason), original_line_ids=originals) == [
        f"ÖR36: line {first}: reasonForCredit None is not 1-9."
    ]


def test_an_invoice_that_refers_to_a_line_breaks_the_rule(rendered):
    document = _document(rendered)
    line_id = _performed(_spec(document), 0).find("c:lineId", NS).text

    def reference(spec):
        performed = _performed(spec, 0)
        element = etree.Element(f"{{{CLAIM_NS}}}referenceToLineId")
        element.text = "1"
        performed.insert(2, element)

    broken = _broken(document, reference)

    claim_schema().assertValid(broken)
    assert claim_violations(broken) == [
        f"Line {line_id}: an invoice's line refers to no line and has no credit reason."
    ]


def test_a_party_without_an_organisation_number_breaks_the_rule(rendered):
    document = _document(rendered)

    def blank(spec):
        spec.find("c:customerParty/c:identification/c:extension", NS).text = ""

    assert claim_violations(_broken(document, blank)) == [
        "ÖR3/ÖR46: customerParty needs one organisation number (root 1.3.7) of 10 digits."
    ]


# --- Where it is ---------------------------------------------------------------------------------------------------

URL = "/api/v1/invoices/{}/claim-specification/"


def test_the_api_answers_202_until_the_task_has_stored_it(api_as, mixed):
    response = api_as(Role.CLERK, "04").get(URL.format(mixed.pk))

    assert response.status_code == 202
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "Fakturaunderlaget skapas; försök igen om en stund."}
    assert IdentityRead.objects.count() == 0


def _token_client(name: str, role: Role, region: str) -> APIClient:
    _client, key = api_client_create(name=name, role=role, region_code=region)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_the_api_serves_the_stored_xml_to_either_party_and_records_the_read(rendered):
    path = URL.format(rendered.pk)
    for name, role, region in (("finance-04", Role.CLERK, "04"), ("finance-25", Role.MANAGER, "25")):
        response = _token_client(name, role, region).get(path)
        body = b"".join(response.streaming_content)

        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml"
        assert response["Content-Disposition"] == f'attachment; filename="fakturaunderlag-{rendered.number}.xml"'
        assert body == rendered.claim_specification.open("rb").read()
        reads = IdentityRead.objects.filter(user__username=f"api:{name}").values_list(
            "user__username", "via", "contact_id", "invoice_id", "contact_count", "path"
        )
        assert list(reads) == [(f"api:{name}", ReadVia.CLAIM_SPECIFICATION, None, rendered.pk, 3, path)]


def test_the_api_refuses_those_who_may_not_see_full_identity_numbers(api_as, rendered, monkeypatch):
    # Today everyone who sees an invoice may see its identity numbers; the gate stands for the rule changing.
    monkeypatch.setattr(billing.api, "sees_full_identity_on_invoice", lambda user, invoice: False)

    response = api_as(Role.CLERK, "25").get(URL.format(rendered.pk))

    assert response.status_code == 403
    assert IdentityRead.objects.count() == 0


def test_outside_the_scope_it_is_404_and_a_draft_has_none(api_as, rendered, staff, providers):
    assert api_as(Role.CLERK, "06").get(URL.format(rendered.pk)).status_code == 404
    assert api_as(Role.PROVIDER, provider=providers["04a"]).get(URL.format(rendered.pk)).status_code == 404
    assert api_as(Role.CLERK, "04").get(URL.format(rendered.pk + 1000)).status_code == 404
    draft = Invoice.objects.create(seller_id="04", buyer_id="06", period="2026-01")

    response = api_as(Role.CLERK, "04").get(URL.format(draft.pk))

    assert response.status_code == 409
    assert response.json() == {"detail": "Endast en godkänd faktura har ett fakturaunderlag (Inera XML)."}
    assert IdentityRead.objects.count() == 0


def test_the_invoice_page_links_the_download_for_those_allowed(client, rendered, staff, monkeypatch):
    client.force_login(staff["clerk25"])
    page = reverse("admin:billing_invoice_change", args=[rendered.pk])
    link = reverse("api-v1:invoice-claim-specification", args=[rendered.pk])

    shown = client.get(page).content.decode()
    monkeypatch.setattr("billing.admin.invoices.sees_full_identity_on_invoice", lambda user, invoice: False)
    hidden = client.get(page).content.decode()

    assert f'href="{link}"' in shown
    assert f'href="{link}"' not in hidden
