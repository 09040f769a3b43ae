"""Retention of personal data (issue 20 item 6): past the retention period the identity numbers are pseudonymised
everywhere they are kept (contacts, invoice lines, stored specification documents, dispute texts and evidence), the
logs of reads and uploads removed, and every amount, count and report figure stays exactly what it was."""

import csv
import datetime as dt
import io
import logging
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from billing.models import Invoice, InvoiceAction, InvoiceEvent, InvoiceLine, InvoiceStatus
from billing.reports.models import ContactSummary, ListingUnitSummary
from billing.reports.refresh import summaries_refresh
from billing.services import invoice_approve, invoice_submit
from billing.specification_sv import specification_csv_sv
from billing.tasks import render_documents_task
from config.celery import app as celery_app
from contacts.audit.models import IdentityRead, ReadVia
from contacts.identifiers import (
    PERSONNUMMER_OID,
    PSEUDONYM_LENGTH,
    PSEUDONYM_MASKED,
    identity_oid,
    iso5218_sex,
    mask_personal_identity,
)
from contacts.intake import contacts_upsert
from contacts.models import Contact, ContactUpload, PseudonymisationBatch
from contacts.retention import pseudonym, retention_cutoff, text_pseudonymise
from disputes.models import Dispute, DisputeAttachment, DisputeComment, DisputeStatus
from disputes.retention import contacts_due_for_pseudonymisation, personal_data_pseudonymise
from disputes.services import dispute_comment, dispute_open, dispute_resolve
from kernel.business_time import STOCKHOLM
from regions.models import Role
from tests.billing.conftest import run_now
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

P1 = personnummer("19850312", "238")  # two contacts of the same woman
P2 = personnummer("19850372", "231")  # a samordningsnummer (born 12 March 1985), a man
P3 = personnummer("19700101", "123")  # objected to: the case is open
P4 = personnummer("19620505", "246")  # objected to, dismissed: named in the case's texts and evidence
P5 = personnummer("19900101", "011")  # on the draft invoice to Stockholm
P6 = personnummer("19991231", "111")  # a rejected telephone contact, never invoiced
P7 = personnummer("20010704", "246")  # February: after the cut-off
ALL = (P1, P2, P3, P4, P5, P6, P7)
BEFORE = dt.date(2026, 2, 1)  # January 2026 is past, February is not


def digits(number: str) -> str:
    return number.replace("-", "")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def people(make_user, providers):
    return {
        "clerk04": make_user(Role.CLERK, "04", username="clerk04"),
        "manager04": make_user(Role.MANAGER, "04", username="manager04"),
        "clerk25": make_user(Role.CLERK, "25", username="clerk25"),
        "provider": make_user(Role.PROVIDER, provider=providers["04a"], username="provider04a"),
    }


@pytest.fixture
def old(billing_day, media, people, providers, django_capture_on_commit_callbacks):
    """January 2026 billed by Sörmland (04): the invoice to Norrbotten (25) approved with its documents, the one to
    Stockholm (01) a draft; an open objection and a dismissed one with evidence; a rejected telephone contact; a
    contact of February."""
    hsa = providers["04a"].hsa_id

    def item(external_id, started, patient_id, **facts):
        return contact_item(provider=hsa, external_id=external_id, started_at=started, patient_id=patient_id, **facts)

    items = [
        item("p1-a", "2026-01-15T10:00:00+01:00", P1, patient_fee="100.00"),  # 500 − 100
        item("p1-b", "2026-01-20T10:00:00+01:00", P1, profession="PS", patient_fee="0.00"),  # 425
        item("p2", "2026-01-31T10:00:00+01:00", P2, profession="SJ", patient_fee="50.00"),  # 235 − 50
        item("p3", "2026-01-22T10:00:00+01:00", P3),  # 400
        item("p4", "2026-01-23T10:00:00+01:00", P4, home_municipality="2580"),  # 400
        item("p5", "2026-01-24T10:00:00+01:00", P5, home_region="01", patient_fee="0.00"),  # 500, draft
        item("p6", "2026-01-25T10:00:00+01:00", P6, mode="phone"),  # rejected
        item("p7", "2026-02-03T10:00:00+01:00", P7),
    ]
    assert contacts_upsert(items=items, user=people["clerk04"], channel="api").errors == []
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=people["clerk04"])
    invoice = invoice_approve(invoice=invoice, by=people["manager04"])
    render_documents_task(invoice.pk)
    invoice.refresh_from_db()
    open_case = dispute_open(
        contact=Contact.objects.get(external_id="p3"), by=people["clerk25"], reason=f"Listad i Norrbotten: {P3}"
    )
    closed = dispute_open(
        contact=Contact.objects.get(external_id="p4"), by=people["clerk25"], reason=f"Patienten {P4} är listad hos oss"
    )
    evidence = SimpleUploadedFile(f"listning {digits(P4)}.txt", f"Listning {P4}\n".encode(), "text/plain")
    dispute_comment(
        dispute=closed, by=people["clerk25"], text=f"Se bifogat om {digits(P4)[2:]}", attachments=[evidence]
    )
    closed = dispute_resolve(
        dispute=closed, by=people["manager04"], outcome=DisputeStatus.DISMISSED, note=f"{P4} var inte listad då"
    )
    summaries_refresh(since=None)
    return {"invoice": invoice, "draft": Invoice.objects.get(buyer_id="01"), "open": open_case, "closed": closed}


def ledger() -> dict:
    """Every figure the retention must leave alone: invoices, lines, contacts (all but the identity) and rollups."""
    return {
        "invoices": list(
            Invoice.objects.order_by("pk").values_list("pk", "status", "total", "contact_count", "number", "period")
        ),
        "lines": list(
            InvoiceLine.objects.order_by("pk").values_list(
                "pk",
                "invoice_id",
                "contact_id",
                "rate",
                "patient_fee",
                "fee_deducted",
                "amount",
                "category",
                "patient_sex",
                "started_at",
                "external_id",
                "billing_round",
                "credit",
            )
        ),
        "contacts": list(
            Contact.objects.order_by("pk").values_list(
                "pk",
                "status",
                "reasons",
                "rate",
                "amount",
                "patient_fee",
                "patient_birth_date",
                "patient_sex",
                "home_region",
                "started_at",
                "locked",
                "updated_at",
            )
        ),
        "contact_summaries": sorted(
            ContactSummary.objects.values_list(
                "month",
                "billing_region",
                "home_region",
                "profession",
                "age_group",
                "sex",
                "status",
                "reasons",
                "patient_fee",
                "contacts",
                "amount",
            )
        ),
        "listing_summaries": sorted(
            ListingUnitSummary.objects.values_list("month", "listing_unit", "contacts", "amount")
        ),
        "disputes": list(Dispute.objects.order_by("pk").values_list("pk", "status", "kind", "contact_id")),
    }


def identities() -> dict:
    return {
        "contacts": dict(Contact.objects.values_list("external_id", "patient_id")),
        "lines": dict(InvoiceLine.objects.values_list("external_id", "patient_id")),
    }


def sv_csv_sums(invoice) -> tuple[int, Decimal]:
    rows = list(
        csv.reader(
            io.StringIO("".join(specification_csv_sv(invoice, full_identity=True)).removeprefix("\ufeff")),
            delimiter=";",
        )
    )
    header, lines = rows[0], rows[1:]
    net = header.index("Netto (kr)")
    body = [row for row in lines if row and row[0].isdigit()]
    return len(body), sum((Decimal(row[net].replace("\u00a0", "").replace(",", ".")) for row in body), Decimal(0))


def pdf_text(field) -> str:
    with field.open("rb") as stored:
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages)


def test_everything_past_the_period_is_pseudonymised_and_every_figure_stays(
    old, caplog, django_capture_on_commit_callbacks
):
    invoice = old["invoice"]
    figures = ledger()
    csv_sums = sv_csv_sums(invoice)
    old_pdf, old_claim = invoice.specification_pdf.name, invoice.claim_specification.name
    old_pdf_text = pdf_text(invoice.specification_pdf)
    attachment = DisputeAttachment.objects.get()
    evidence_name = attachment.file.name
    storage = attachment.file.storage
    assert digits(P1) in old_pdf_text and storage.exists(evidence_name)

    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        counts = personal_data_pseudonymise(before=BEFORE, batch_size=2)

    # p1-a, p1-b, p2, p4 (approved, closed case), p6 (never invoiced); not p3 (open case), p5 (draft), p7 (February)
    assert counts == {
        "contacts": 5,
        "invoice_lines": 4,
        # the reason and the decision note, each also the note of the case's history; the comment; the evidence's name
        "texts": 6,
        "dispute_attachments": 1,
        "documents": 1,
        "identity_reads": 0,
        "uploads": 0,
    }
    now = identities()
    assert now["contacts"] == {
        "p1-a": pseudonym(digits(P1)),
        "p1-b": pseudonym(digits(P1)),  # the same patient, the same pseudonym
        "p2": pseudonym(digits(P2)),
        "p3": digits(P3),
        "p4": pseudonym(digits(P4)),
        "p5": digits(P5),
        "p6": pseudonym(digits(P6)),
        "p7": digits(P7),
    }
    assert now["lines"] == {
        "p1-a": pseudonym(digits(P1)),
        "p1-b": pseudonym(digits(P1)),
        "p2": pseudonym(digits(P2)),
        "p3": digits(P3),
        "p4": pseudonym(digits(P4)),
        "p5": digits(P5),
    }
    alias = pseudonym(digits(P1))
    assert alias.startswith("PSEUDO-") and len(alias) == PSEUDONYM_LENGTH == 27
    assert len({pseudonym(digits(number)) for number in ALL}) == len(ALL)

    # Every figure as it was, the rollups rebuilt from the pseudonymised contacts too.
    assert ledger() == figures
    summaries_refresh(since=None)
    assert ledger() == figures
    invoice.refresh_from_db()
    assert sv_csv_sums(invoice) == csv_sums == (5, invoice.total)
    assert invoice.total == Decimal("400.00") + Decimal("425.00") + Decimal("185.00") + Decimal("400.00") * 2

    # The stored specification documents: rendered again from the lines, the old files gone.
    assert invoice.specification_pdf.name != old_pdf and invoice.claim_specification.name != old_claim
    assert not storage.exists(old_pdf) and not storage.exists(old_claim)
    new_pdf_text = pdf_text(invoice.specification_pdf)
    for number in (P1, P2, P4):
        assert digits(number) not in new_pdf_text
    assert digits(P3) in new_pdf_text  # the open case's contact keeps its number
    assert new_pdf_text.count("PSEUDO-") == 4
    with invoice.claim_specification.open("rb") as stored:
        claim = stored.read().decode()
    for number in (P1, P2, P4):
        assert digits(number) not in claim
    tree = etree.fromstring(claim.encode())
    patients = {
        line.findtext(".//{*}careContactId"): (
            line.findtext(".//{*}patientIdentity/{*}root"),
            line.findtext(".//{*}patientIdentity/{*}extension"),
            line.findtext(".//{*}gender/{*}code"),
        )
        for line in tree.iter("{*}healthCareServicesSpecificationLine")
    }
    assert patients == {
        "p1-a": (PERSONNUMMER_OID, alias, "2"),
        "p1-b": (PERSONNUMMER_OID, alias, "2"),
        "p2": (PERSONNUMMER_OID, pseudonym(digits(P2)), "1"),  # the sex the line kept, the kind no longer known
        "p3": (identity_oid(digits(P3)), digits(P3), iso5218_sex(digits(P3))),
        "p4": (PERSONNUMMER_OID, pseudonym(digits(P4)), "2"),
    }
    event = InvoiceEvent.objects.get(invoice=invoice, action=InvoiceAction.PSEUDONYMISED)
    assert (event.actor, event.via, event.changes) == (None, "system", {"pseudonymised_lines": [0, 4]})
    assert invoice.status == InvoiceStatus.APPROVED and invoice.pdf and invoice.ubl

    # The closed case: its texts carry pseudonyms, its evidence file is gone (its record stays); the open one as it was.
    closed = Dispute.objects.get(pk=old["closed"].pk)
    p4_alias = pseudonym(digits(P4))
    assert closed.reason == f"Patienten {p4_alias} är listad hos oss"
    assert closed.decision_note == f"{p4_alias} var inte listad då"
    assert DisputeComment.objects.get(dispute=closed).text == f"Se bifogat om {p4_alias}"
    attachment.refresh_from_db()
    assert (attachment.file.name, attachment.name) == ("", f"listning {p4_alias}.txt")
    assert not storage.exists(evidence_name)
    assert Dispute.objects.get(pk=old["open"].pk).reason == f"Listad i Norrbotten: {P3}"

    # One history row per batch (three batches of at most two contacts), then the documents; no user, no number.
    batches = list(
        PseudonymisationBatch.objects.order_by("id").values_list(
            "via", "before", "contacts", "invoice_lines", "dispute_attachments", "documents"
        )
    )
    assert batches == [
        ("system", BEFORE, 2, 2, 0, 0),
        ("system", BEFORE, 2, 2, 1, 0),
        ("system", BEFORE, 1, 0, 0, 0),
        ("system", BEFORE, 0, 0, 0, 1),
    ]
    for number in ALL:
        assert digits(number) not in caplog.text and number not in caplog.text
        assert digits(number)[2:] not in caplog.text

    # A second run finds nothing to do and changes nothing.
    before_second = identities(), ledger(), invoice.specification_pdf.name
    with django_capture_on_commit_callbacks(execute=True):
        again = personal_data_pseudonymise(before=BEFORE)
    assert set(again.values()) == {0}
    invoice.refresh_from_db()
    assert (identities(), ledger(), invoice.specification_pdf.name) == before_second
    assert PseudonymisationBatch.objects.count() == 4


def test_held_contacts_are_due_once_their_hold_ends(old, people, django_capture_on_commit_callbacks):
    """The open case and the draft hold their contacts; once the case is decided, the next run takes it."""
    with django_capture_on_commit_callbacks(execute=True):
        personal_data_pseudonymise(before=BEFORE)
    dispute_resolve(dispute=old["open"], by=people["manager04"], outcome=DisputeStatus.DISMISSED, note="Nej")

    with django_capture_on_commit_callbacks(execute=True):
        counts = personal_data_pseudonymise(before=BEFORE)

    assert (counts["contacts"], counts["invoice_lines"], counts["documents"]) == (1, 1, 1)
    assert Contact.objects.get(external_id="p3").patient_id == pseudonym(digits(P3))
    invoice = Invoice.objects.get(pk=old["invoice"].pk)
    assert digits(P3) not in pdf_text(invoice.specification_pdf)
    changes = list(
        InvoiceEvent.objects.filter(invoice=invoice, action=InvoiceAction.PSEUDONYMISED)
        .order_by("id")
        .values_list("changes", flat=True)
    )
    assert changes == [{"pseudonymised_lines": [0, 4]}, {"pseudonymised_lines": [4, 5]}]
    assert Contact.objects.get(external_id="p5").patient_id == digits(P5)  # still on a draft


@pytest.mark.parametrize(
    ("before", "due"),
    [
        # The invoiced contacts count from their invoice's period (January 2026), whatever their own date.
        (dt.date(2026, 1, 31), {"p6"}),  # January not yet over on the cut-off day
        (dt.date(2026, 2, 1), {"p1-a", "p1-b", "p2", "p4", "p6"}),
        (dt.date(2026, 2, 2), {"p1-a", "p1-b", "p2", "p4", "p6"}),
        # The never invoiced one counts from its own Stockholm date, 25 January.
        (dt.date(2026, 1, 25), set()),  # begun on the cut-off day: kept
        (dt.date(2026, 1, 26), {"p6"}),  # the day after: due
    ],
)
def test_the_cut_off_boundary(old, before, due):
    assert set(contacts_due_for_pseudonymisation(before=before).values_list("external_id", flat=True)) == due


@pytest.mark.parametrize(
    ("started", "due"),
    [
        ("2026-01-09T22:59:00+00:00", True),  # 9 January 23:59 in Stockholm: the day before the cut-off
        ("2026-01-09T23:00:00+00:00", False),  # 10 January 00:00 in Stockholm (still the 9th in UTC): the cut-off day
        ("2026-01-10T12:00:00+01:00", False),  # the cut-off day itself
        ("2026-01-11T10:00:00+01:00", False),  # the day after
    ],
)
def test_a_never_invoiced_contact_counts_from_its_stockholm_date(billing_day, people, providers, started, due):
    item = contact_item(provider=providers["04a"].hsa_id, external_id="x", started_at=started, mode="phone")
    assert contacts_upsert(items=[item], user=people["clerk04"], channel="api").errors == []

    result = set(contacts_due_for_pseudonymisation(before=dt.date(2026, 1, 10)).values_list("external_id", flat=True))

    assert result == ({"x"} if due else set())


def test_the_cut_off_follows_bokforingslagen():
    """Kept to the end of the seventh year after the calendar year the period ended in: December 2025 is due on
    1 January 2033, not on 31 December 2032."""
    assert retention_cutoff(today=dt.date(2032, 12, 31), years=7) == dt.date(2025, 1, 1)
    assert retention_cutoff(today=dt.date(2033, 1, 1), years=7) == dt.date(2026, 1, 1)
    assert retention_cutoff(today=dt.date(2033, 6, 15)) == dt.date(2026, 1, 1)
    assert settings.PERSONAL_DATA_RETENTION_YEARS == 7


def test_old_logs_of_reads_and_uploads_are_removed(old, people, django_capture_on_commit_callbacks):
    contact = Contact.objects.get(external_id="p7")
    reads = IdentityRead.objects.bulk_create(
        [
            IdentityRead(user_id=people["clerk04"].pk, at=at, via=ReadVia.API_DETAIL, contact_id=contact.pk)
            for at in (
                dt.datetime(2026, 1, 31, 23, 59, tzinfo=STOCKHOLM),
                dt.datetime(2026, 2, 1, 0, 0, tzinfo=STOCKHOLM),
            )
        ]
    )
    upload = ContactUpload.objects.create(
        uploaded_by=people["clerk04"], region_id="04", file_name="jan.csv", file_size=1, sha256="0" * 64, row_count=1
    )
    ContactUpload.objects.filter(pk=upload.pk).update(created_at=dt.datetime(2026, 1, 5, tzinfo=STOCKHOLM))

    with django_capture_on_commit_callbacks(execute=True):
        counts = personal_data_pseudonymise(before=BEFORE)

    assert (counts["identity_reads"], counts["uploads"]) == (1, 1)
    assert list(IdentityRead.objects.filter(contact=contact).values_list("pk", flat=True)) == [reads[1].pk]
    assert not ContactUpload.objects.filter(pk=upload.pk).exists()


def test_free_text_keeps_no_number():
    today = dt.date(2026, 2, 10)
    text = f"{P1}, {digits(P1)}, {digits(P1)[2:]} och 850312 2387; fel: 198503122388; org 232100-0016"
    alias = pseudonym(digits(P1))
    assert text_pseudonymise(text, today=today) == (
        f"{alias}, {alias}, {alias} och {alias}; fel: 19850312-****; org 232100-0016"
    )


def test_pseudonyms_are_keyed(settings):
    settings.PERSONAL_DATA_PSEUDONYM_KEY = "one key"
    first = pseudonym(digits(P1))
    settings.PERSONAL_DATA_PSEUDONYM_KEY = "another key"
    assert pseudonym(digits(P1)) != first
    assert pseudonym(first) == first  # a pseudonym is never hashed again


def test_masking_accepts_a_pseudonym():
    alias = pseudonym(digits(P1))
    assert mask_personal_identity(alias) == PSEUDONYM_MASKED == "PSEUDO-****"
    assert (identity_oid(alias), iso5218_sex(alias)) == (PERSONNUMMER_OID, "0")


def test_screens_and_documents_of_a_pseudonymised_contact(
    old, people, client, api_as, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        personal_data_pseudonymise(before=BEFORE)
    contact = Contact.objects.get(external_id="p1-a")
    invoice = Invoice.objects.get(pk=old["invoice"].pk)
    alias = pseudonym(digits(P1))

    clerk = api_as(Role.CLERK, "04")
    assert clerk.get(f"/api/v1/contacts/{contact.pk}/").json()["patient_id"] == alias
    provider = api_as(Role.PROVIDER, provider=contact.provider)
    assert provider.get(f"/api/v1/contacts/{contact.pk}/").json()["patient_id"] == "PSEUDO-****"
    lines = clerk.get(f"/api/v1/invoices/{invoice.pk}/lines/").json()["results"]
    assert {line["patient_id"] for line in lines} == {alias, pseudonym(digits(P2)), pseudonym(digits(P4)), digits(P3)}

    machine = clerk.get(f"/api/v1/invoices/{invoice.pk}/specification.csv")
    assert machine.status_code == 200
    assert alias in b"".join(machine.streaming_content).decode()
    swedish = clerk.get(f"/api/v1/invoices/{invoice.pk}/specification-sv.csv")
    assert swedish.status_code == 200
    assert alias in b"".join(swedish.streaming_content).decode("utf-8-sig")
    pdf = clerk.get(f"/api/v1/invoices/{invoice.pk}/specification-pdf/")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    claim = clerk.get(f"/api/v1/invoices/{invoice.pk}/claim-specification/")
    assert claim.status_code == 200
    assert alias in b"".join(claim.streaming_content).decode()

    client.force_login(people["manager04"])
    page = client.get(reverse("admin:contacts_contact_change", args=[contact.pk]))
    assert page.status_code == 200 and alias in page.content.decode()
    listing = client.get(reverse("admin:contacts_contact_changelist"))
    assert listing.status_code == 200 and alias in listing.content.decode()
    specification = client.get(reverse("admin:billing_invoice_specification", args=[invoice.pk]))
    assert specification.status_code == 200
    assert client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).status_code == 200


def test_the_evidence_of_a_pseudonymised_case_is_gone_not_broken(old, api_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        personal_data_pseudonymise(before=BEFORE)
    attachment = DisputeAttachment.objects.get()
    seller = api_as(Role.CLERK, "04")

    response = seller.get(f"/api/v1/disputes/{old['closed'].pk}/attachments/{attachment.pk}/")

    assert response.status_code == 404
    assert seller.get(f"/api/v1/disputes/{old['closed'].pk}/").status_code == 200


def test_the_nightly_task_and_the_command(old, capsys, django_capture_on_commit_callbacks):
    schedule = settings.CELERY_BEAT_SCHEDULE["nightly-personal-data-retention"]
    assert schedule["task"] == "disputes.personal_data_retention"
    assert schedule["task"] in celery_app.tasks
    assert (schedule["schedule"].hour, schedule["schedule"].minute) == ({4}, {15})

    # On 1 January 2034, January 2026 is past the seven years (1 January 2027 is the cut-off).
    with time_machine.travel(dt.datetime(2034, 1, 1, 1, 0, tzinfo=STOCKHOLM), tick=False):
        call_command("pseudonymise_personal_data", "--dry-run")
        out = capsys.readouterr().out
        assert identities()["contacts"]["p1-a"] == digits(P1)  # the dry run changed nothing
        # p3's case is still open and p5's invoice a draft; p7 of February is due too by then.
        assert out.splitlines() == [
            "Would pseudonymise (dry run), cut-off 2027-01-01:",
            "  contacts: 6",
            "  invoice_lines: 4",
            "  texts: 1",
            "  dispute_attachments: 1",
            "  documents: 0",
            "  identity_reads: 0",
            "  uploads: 0",
        ]
        with django_capture_on_commit_callbacks(execute=True):
            result = celery_app.tasks["disputes.personal_data_retention"].apply().get()
    assert result["contacts"] == 6
    assert Contact.objects.filter(patient_id__startswith="PSEUDO-").count() == 6
    assert Contact.objects.get(external_id="p3").patient_id == digits(P3)


def test_fewer_years_than_the_law_stop_start_up():
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PERSONAL_DATA")}
    environment.update(DEBUG="1", PERSONAL_DATA_RETENTION_YEARS="6")
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert "PERSONAL_DATA_RETENTION_YEARS must be at least 7 (bokföringslagen 7 kap. 2 §), got 6" in result.stderr


def test_the_command_refuses_a_cut_off_inside_the_period(old):
    refusal = r"--before 2027-01-02 is inside the retention period: at most 2027-01-01"
    with (
        time_machine.travel(dt.datetime(2034, 1, 1, 1, 0, tzinfo=STOCKHOLM), tick=False),
        pytest.raises(CommandError, match=refusal),
    ):
        call_command("pseudonymise_personal_data", "--before", "2027-01-02")
    assert not Contact.objects.filter(patient_id__startswith="PSEUDO-").exists()


def test_a_batch_costs_the_same_statements_however_many_contacts_it_holds(
    billing_day, people, providers, django_capture_on_commit_callbacks
):
    """Set-based: one UPDATE per table and batch, never a statement per contact."""

    def run(count: int, prefix: str) -> int:
        items = [
            contact_item(
                provider=providers["04a"].hsa_id,
                external_id=f"{prefix}-{n}",
                started_at="2026-01-05T10:00:00+01:00",
                patient_id=personnummer("19800101", f"{n:03d}"),
                mode="phone",
            )
            for n in range(count)
        ]
        assert contacts_upsert(items=items, user=people["clerk04"], channel="api").errors == []
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            counts = personal_data_pseudonymise(before=BEFORE, batch_size=100)
        assert counts["contacts"] == count
        return len(queries)

    assert run(5, "few") == run(60, "many")
    assert Contact.objects.exclude(patient_id__startswith="PSEUDO-").count() == 0
