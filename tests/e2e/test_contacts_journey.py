"""Journey 1: a clerk uploads a CSV of contacts, reads the row errors, looks at a rejected contact and why it
was rejected, and contests the rejection in a dispute."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import breadcrumb, confirm_click, field, on, sek
from tests.factories import personnummer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = (
    "external_id;provider;patient_id;home_region;profession;started_at;mode;"
    "strong_authentication;triage;documented;content;patient_fee;listing_unit;care_unit"
)


def test_a_clerk_uploads_contacts_and_contests_a_rejection(world, page_as, screens, tmp_path):
    shot = screens("contacts")
    hsa, patient = world.provider.hsa_id, personnummer("19850312", "238")
    upload = tmp_path / "kontakter-digitalläkaren.csv"
    upload.write_text(
        "\n".join(
            [
                HEADER,
                f"up-1;{hsa};{patient};25;LK;{on(4)};video;ja;ja;ja;assessment;100.00;;",
                f"up-2;{hsa};{patient};25;PS;{on(5)};chat;ja;ja;ja;assessment;0;;",
                f"up-3;{hsa};{patient};25;LK;{on(6)};phone;SANT;SANT;SANT;assessment;100,00;;",  # Swedish Excel
                f"up-4;{hsa};{patient[:-1]}0;25;LK;{on(7)};video;ja;ja;ja;assessment;100.00;;",  # wrong check digit
                f"up-5;{hsa};{patient};99;LK;{on(8)};video;ja;ja;ja;assessment;100.00;;",  # no such region
                f"up-6;{hsa};{patient};25;LK;{on(9)};chatt;ja;ja;ja;assessment;100.00;;",  # Swedish, not the code
            ]
        )
        + "\n",
        encoding="utf-8",
    )

    # The start page, then the contacts and their CSV upload.
    page = page_as(world.clerk04)
    expect(page.get_by_text("Välkommen, Karin")).to_be_visible()
    shot(page, "start", full_page=False)
    page.get_by_role("rowheader", name="Kontakter", exact=True).get_by_role("link").click()
    page.get_by_role("link", name="Ladda upp kontakter (CSV)").click()
    expect(page.get_by_role("heading", name="Ladda upp kontakter (CSV)")).to_be_visible()

    page.get_by_label("CSV- eller XLSX-fil").set_input_files(upload)
    page.get_by_role("button", name="Ladda upp").click()

    # Three rows stored, three refused, each with its line, its id and what is wrong.
    expect(page.get_by_text("Skapade: 3")).to_be_visible()
    expect(page.get_by_text("Avvisade rader: 3")).to_be_visible()
    expect(page.get_by_text("Raderna nedan sparades inte; alla andra rader sparades.")).to_be_visible()
    errors = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Fel")).get_by_role("row")
    expect(errors).to_have_count(4)  # the header and three rows
    expect(errors.nth(1).get_by_role("cell")).to_have_text(
        ["5", "up-4", "patient_id: Personnumret 19850312-**** har fel kontrollsiffra."]
    )
    expect(errors.nth(2).get_by_role("cell")).to_have_text(
        ["6", "up-5", "home_region: Okänd region '99'; ange en länskod som '04'."]
    )
    expect(errors.nth(3).get_by_role("cell")).to_have_text(
        ["7", "up-6", "mode: Ska vara något av: video, chat, phone."]
    )
    shot(page, "csv-upload-errors")

    # The start page now has the rejected contact to review: which one, and why.
    breadcrumb(page, "Hem").click()
    page.get_by_role("link", name="Granska de senaste månadernas avvisade kontakter").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("cell")).to_contain_text(
        ["up-3", "Digitalläkaren AB", "04\u00a0→ 25", "LK", "Avvisad"]  # regions and profession by code (issue 15)
    )
    expect(rows.get_by_role("cell")).to_contain_text(["Inte en digital kontakt (telefon)", sek("0,00 kr")])
    page.get_by_role("link", name="up-3").click()

    expect(field(page, "Status")).to_have_text("Avvisad")
    expect(field(page, "Kontaktform")).to_have_text("Telefon")
    expect(field(page, "Skäl")).to_contain_text("Inte en digital kontakt (telefon)")
    expect(field(page, "Patientavgift")).to_have_text(sek("100,00 kr"))
    expect(field(page, "Ersättning")).to_have_text(sek("435,00 kr"))
    expect(field(page, "Belopp")).to_have_text(sek("0,00 kr"))
    criterion = page.get_by_role("row").filter(has_text="Kontakten är digital (chatt eller video), inte telefon")
    expect(criterion).to_contain_text("Ej uppfyllt")
    expect(page.get_by_role("cell", name="Uppfyllt", exact=True)).to_have_count(12)  # every other criterion met
    shot(page, "rejected-contact")

    # The clerk contests it: the video call broke off and went on by telephone.
    page.get_by_role("link", name="Öppna en tvist").click()
    expect(page.get_by_text("up-3")).to_be_visible()
    page.get_by_label("Skäl").fill("Videosamtalet bröts och fortsatte per telefon; journalen visar videobesök.")
    question = confirm_click(page, page.get_by_role("button", name="Öppna en tvist"))

    assert question == "Öppna tvisten? Motparten meddelas direkt, och ärendet finns sedan kvar."

    expect(page.get_by_text("Tvisten är öppnad.")).to_be_visible()
    expect(field(page, "Typ")).to_have_text("Bestriden avvisning")
    expect(field(page, "Status")).to_have_text("Öppen")
    expect(field(page, "Skäl")).to_have_text(
        "Videosamtalet bröts och fortsatte per telefon; journalen visar videobesök."
    )
    expect(field(page, "Öppnad av")).to_have_text("Karin Lindqvist")
    shot(page, "dispute")
