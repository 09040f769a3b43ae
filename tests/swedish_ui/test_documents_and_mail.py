"""Swedish UI (issue 8): the PDFs and e-mails a person reads are in Swedish with ISO dates and amounts in kronor
(``1 234,50 kr``); the CSV stays a machine format."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from billing.documents import render_invoice_pdf, render_specification_pdf, specification_csv
from billing.models import Invoice
from contacts.models import Contact
from disputes.notifications import deadline_digest
from disputes.services import dispute_open, dispute_resolve
from regions.models import Role
from tests.billing.conftest import run_now

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


# --- PDFs: always in the product's language, ISO dates, amounts in kronor ----------------------------------


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_invoice_pdf_is_swedish_with_iso_dates_and_amounts_in_kronor(approved, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 2, 10, 6, 17, tzinfo=dt.UTC))

    text = _pdf_text(render_invoice_pdf(approved))

    issued, due = approved.issue_date.isoformat(), approved.due_date.isoformat()
    for line in [
        "Faktura",
        "Fakturanummer 04-2026-000001",
        f"Fakturadatum {issued}",
        f"Förfallodatum {due}",
        "Period 2026-01",
        "Ersättningskategori Antal Ersättning Brutto Patientavgifter Netto",
        "Läkare 1 500,00 kr 500,00 kr 100,00 kr 400,00 kr".replace(" kr", f"{NBSP}kr"),
        "Läkare 1 435,00 kr 435,00 kr 100,00 kr 335,00 kr".replace(" kr", f"{NBSP}kr"),
        "Annan legitimerad personal 1 235,00 kr 235,00 kr 235,00 kr 0,00 kr".replace(" kr", f"{NBSP}kr"),
        f"Att betala (ej föremål för moms) 1{NBSP}140,00{NBSP}kr",
        "Sida 1 av 1",
    ]:
        assert line in text.splitlines(), line
    lines = text.splitlines()
    payment = lines.index("Betalning")
    assert lines[payment + 1 : payment + 5] == [
        "Bankgiro 5000-0041",  # the seller's (tests.factories.regions_payable)
        "Betalningsreferens 04-2026-000001",
        f"Att betala 1{NBSP}140,00{NBSP}kr",
        f"Betalas senast {due}",
    ]
    assert lines[lines.index("SÄLJARE") + 2 :][:3] == ["Org.nr 232100-0032", "Länskod 04", "Vår referens: –"]
    assert lines[lines.index("KÖPARE") + 2 :][:3] == ["Org.nr 232100-0230", "Länskod 25", "Er referens: –"]
    # Printed at 06:17 UTC, which is 07:17 in Stockholm.
    assert (
        "Ersättning mellan regioner för utomlänsvård är inte föremål för moms. Invändningar mot fakturan görs inom 3 "
        "månader\nfrån fakturadatum. Utskriven 2026-02-10 07:17." in text
    )


def test_the_invoice_pdf_says_exempt_from_vat_when_the_e_invoice_does(approved, settings):
    settings.EINVOICE_VAT_CATEGORY = "E"  # a region whose tax adviser wants "exempt" (README: VAT)

    lines = _pdf_text(render_invoice_pdf(approved)).splitlines()

    assert f"Att betala (momsfritt) 1{NBSP}140,00{NBSP}kr" in lines
    assert any(line.startswith("Hälso- och sjukvård mellan regioner är undantagen från moms.") for line in lines)
    assert not any("föremål för moms" in line for line in lines)


def test_the_invoice_pdf_names_the_objection_period_of_the_settings(approved, settings):
    settings.OBJECTION_PERIOD_MONTHS = 1

    text = _pdf_text(render_invoice_pdf(approved))

    assert "Invändningar mot fakturan görs inom 1 månad från" in text


def test_the_specification_pdf_writes_amounts_dates_and_codes_for_a_swedish_reader(approved):
    lines = _pdf_text(render_specification_pdf(approved, full_identity=True)).splitlines()

    assert lines[0] == "Fakturaunderlag ZVF23210000322601000001 – faktura 04-2026-000001"
    assert lines[1] == (
        "Region Sörmland (org.nr 232100-0032) till Region Norrbotten (org.nr 232100-0230), period 2026-01. "
        "Belopp i kronor: ersättning, betald patientavgift och netto (ersättning − avdragen avgift)."
    )
    assert lines[2].split() == [
        "Rad", "Kontakt", "Externt", "id", "Tid", "Yrke", "Kategori", "Version", "Ersättn.", "Avgift", "Netto",
        "Vårdenhet", "Personnummer", "Län", "Kön", "Hävd",
    ]  # fmt: skip
    body = [line.split()[2:] for line in lines[4:8]]
    identity = ["198503122387", "25", "K"]  # full personal identity number, home region, sex (K: kvinna)
    assert body == [
        ["lk-29", "2026-01-29", "10:00", "LK", "Läkare", "SKL-2019", "500,00", "100,00", "400,00", *identity],
        ["lk-30", "2026-01-30", "10:00", "LK", "Läkare", "SKR-2026-01", "435,00", "100,00", "335,00", *identity],
        [
            "ps-30",
            "2026-01-30",
            "11:00",
            "PS",
            "Psykolog",
            "m.fl.",
            "SKR-2026-01",
            "405,00",
            "0,00",
            "405,00",
            *identity,
        ],
        ["sj-31", "2026-01-31", "23:30", "SJ", "Annan", "legit.", "SKR-2026-01", "235,00", "300,00", "0,00", *identity],
    ]
    # The sums of the lines (the net is the invoice's total), then the page's footer: drawn onto the page since
    # issue 19, which numbers pages of the whole document ("del 1" was WeasyPrint's part of 1 000 lines). reportlab
    # writes a no-break space with the space's code, so it reads back as a space.
    assert lines[8:] == [
        "Summa 4 rader: ersättning 1 575,00 kr, betald patientavgift 500,00 kr, netto 1 140,00 kr.",
        "Fakturaunderlag ZVF23210000322601000001 – sida 1 av 1",
    ]


def test_the_csv_specification_keeps_its_machine_format(approved):
    rows = list(
        csv.reader(
            io.StringIO("".join(specification_csv(approved, full_identity=False)).lstrip("\ufeff")), delimiter=";"
        )
    )

    assert rows[2][3:10] == ["2026-01-30T10:00+01:00", "LK", "physician", "SKR-2026-01", "435.00", "100.00", "335.00"]
    assert rows[2][13] == "F"


def test_a_user_who_chose_english_still_previews_a_swedish_invoice(client, january, staff):
    run_now()
    draft = Invoice.objects.get(buyer_id="25")
    client.force_login(staff["clerk04"])
    client.cookies["django_language"] = "en"

    response = client.get(f"/admin/billing/invoice/{draft.pk}/pdf/")

    text = _pdf_text(response.content)
    assert "FÖRHANDSVISNING – utkast utan fakturanummer, inte en faktura" in text
    assert f"Att betala (ej föremål för moms) 1{NBSP}140,00{NBSP}kr" in text.splitlines()


# --- e-mails --------------------------------------------------------------------------------------------


def _with_email(user, address):
    user.email = address
    user.save(update_fields=["email"])
    return user


def test_an_objection_mail_has_iso_dates_and_the_amount_in_kronor(
    approved, staff, mailoutbox, django_capture_on_commit_callbacks
):
    _with_email(staff["clerk04"], "clerk04@region04.example")
    contact = Contact.objects.get(external_id="lk-30")

    with django_capture_on_commit_callbacks(execute=True):
        dispute = dispute_open(contact=contact, by=staff["clerk25"], reason="Patienten är listad hos oss")

    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (["clerk04@region04.example"], f"Ny tvist {dispute.pk} om kontakt lk-30")
    assert mail.body == (
        f"Invändning mot fakturerad kontakt {dispute.pk}: Öppen.\n"
        f"Kontakt lk-30 hos {contact.provider.name}, 2026-01-30 10:00 (period 2026-01).\n"
        "Fakturerat belopp: 335,00 kr (faktura 04-2026-000001).\n".replace(" kr", f"{NBSP}kr")
        + f"Svara senast {dispute.deadline.isoformat()}."
    )


def test_a_decision_mail_on_a_contested_rejection(
    january, staff, providers, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    system = _with_email(make_user(Role.PROVIDER, provider=providers["04a"]), "journal@vardgivare.example")
    _with_email(staff["clerk04"], "clerk04@region04.example")
    phone = Contact.objects.get(external_id="phone")
    dispute = dispute_open(contact=phone, by=system, reason="Videosamtalet föll tillbaka på telefon")

    with django_capture_on_commit_callbacks(execute=True):
        dispute_resolve(dispute=dispute, by=staff["clerk04"], outcome="dismissed", note="Telefon")

    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (["journal@vardgivare.example"], f"Tvist {dispute.pk} avslagen")
    assert mail.body == (
        f"Bestriden avvisning {dispute.pk}: Avslagen.\n"
        f"Kontakt phone hos {phone.provider.name}, 2026-01-20 10:00 (period 2026-01).\n"
        f"Ersättning 500,00{NBSP}kr, patientavgift 100,00{NBSP}kr."
    )


def test_the_daily_digest_counts_in_swedish(approved, staff, providers, make_user, mailoutbox):
    _with_email(staff["clerk04"], "clerk04@region04.example")
    system = make_user(Role.PROVIDER, provider=providers["04a"])
    first = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system, reason="x")
    second = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=staff["clerk25"], reason="y")

    deadline_digest(today=first.deadline + dt.timedelta(days=1))

    [mail] = mailoutbox
    assert mail.subject == "2 tvister att hantera (2 försenade)"
    assert mail.body.splitlines() == [
        f"{first.pk}: Bestriden avvisning, kontakt phone, sista dag {first.deadline.isoformat()} (försenad)",
        f"{second.pk}: Invändning mot fakturerad kontakt, kontakt lk-30, sista dag {second.deadline.isoformat()} "
        "(försenad)",
    ]
