"""Journey 4: a clerk of the buyer region objects to one line of an approved invoice; the seller's clerk accepts
the objection and the credit note appears, as a draft that goes the invoice's way."""

import re

import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from disputes.services import dispute_open
from tests.e2e.conftest import confirm_click, field, sek

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REASON = "Patienten var folkbokförd i Region Jönköpings län vid kontakten, inte hos oss."


def test_the_buyer_objects_to_a_line_and_the_seller_credits_it(world, page_as, screens):
    shot = screens("objection")
    world.contacts()
    invoice = world.approved()
    period = world.period

    # Lena, a clerk of Norrbotten (the buyer), reviews the invoices her region received.
    page = page_as(world.clerk25)
    page.get_by_role("link", name="Granska fakturorna som er region har fått").click()
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("rowheader")).to_have_text(invoice.number)
    expect(row.get_by_role("cell")).to_contain_text(
        ["Region Sörmland", "Region Norrbotten", period, "Godkänd", sek(world.TOTAL), "4"]
    )
    row.get_by_role("link", name=invoice.number).click()
    objectable = page.get_by_role("row").filter(has=page.get_by_role("link", name="Invänd"))
    expect(objectable).to_have_count(4)
    objectable.filter(has_text="ps-1").get_by_role("link", name="Invänd").click()

    expect(page.get_by_text("ps-1 (Digitalläkaren AB, ")).to_be_visible()
    page.get_by_label("Skäl").fill(REASON)
    confirm_click(page, page.get_by_role("button", name="Öppna en tvist"))

    expect(page.get_by_text("Tvisten är öppnad.")).to_be_visible()
    expect(field(page, "Typ")).to_have_text("Invändning mot fakturerad kontakt")
    expect(field(page, "Status")).to_have_text("Öppen")
    expect(field(page, "Fakturarad")).to_have_text(f"{invoice.number}: {sek('405,00 kr')}")
    expect(field(page, "Öppnad av")).to_have_text("Lena Nilsson")
    shot(page, "objection")

    # Karin, the seller's clerk, has it on her start page and accepts it: Norrbotten was the wrong home region.
    page = page_as(world.clerk04)
    task = page.get_by_role("row").filter(has_text="Besluta om invändningar mot er regions fakturor")
    expect(task).to_have_text(re.compile(r"^\s*Besluta om invändningar mot er regions fakturor\s+1\s+405,00\s+kr\s*$"))
    task.get_by_role("link").click()
    # The seller's screen: the incoming objections by invoice and proposed credit reason (none proposed here).
    group = page.locator("table.objection-groups tbody tr")
    expect(group).to_have_count(1)
    expect(group.get_by_role("cell")).to_contain_text([invoice.number, "Region Norrbotten", "ingen föreslagen", "1"])
    group.get_by_role("link", name=invoice.number).click()
    cases = page.locator("#result_list tbody tr")
    expect(cases).to_have_count(1)
    expect(cases.get_by_role("rowheader")).to_have_text("ps-1")
    expect(cases.get_by_role("cell")).to_contain_text(
        ["Digitalläkaren AB", "Invändning mot fakturerad kontakt", "Öppen", "Region Sörmland", "Region Norrbotten"]
    )
    cases.get_by_role("link", name="ps-1").click()
    expect(field(page, "Skäl")).to_have_text(REASON)
    page.get_by_label("Beslut").select_option(label="Godta")
    page.get_by_label("Krediteringsorsak").select_option(label="Fel hemregion")
    page.get_by_label("Anteckning").fill("Folkbokföringen ändrades före kontakten; vi krediterar raden.")
    shot(page, "decision")
    question = confirm_click(page, page.get_by_role("button", name="Besluta"))

    assert question == "Ett beslut kan inte ångras. Fortsätta?"
    expect(page.get_by_text("Beslutet är registrerat.")).to_be_visible()
    expect(field(page, "Status")).to_have_text("Godtagen")
    expect(field(page, "Beslutad av")).to_have_text("Karin Lindqvist")
    expect(field(page, "Krediteringsorsak")).to_have_text("Fel hemregion")

    # The credit note: a draft against the invoice, the line negative.
    page.get_by_role("link", name=f"Kreditfaktura till Region Norrbotten, {period}").click()
    expect(page.get_by_role("heading", name=f"Kreditfaktura till Region Norrbotten, {period}")).to_be_visible()
    expect(field(page, "Typ")).to_have_text("Kreditfaktura")
    expect(field(page, "Status")).to_have_text("Utkast")
    expect(field(page, "Krediterar faktura")).to_have_text(invoice.number)
    expect(field(page, "Krediteringsorsak")).to_have_text("Fel hemregion")
    expect(field(page, "Summa")).to_have_text(sek("-405,00 kr"))
    lines = field(page, "Rader").locator("tbody").get_by_role("row")
    expect(lines.get_by_role("cell")).to_have_text(
        ["ps-1", f"{period}-06", "PS Psykolog", "SKR-2026-04", sek("405,00 kr"), sek("0,00 kr"), sek("-405,00 kr")]
    )
    expect(page.get_by_role("button", name="Skicka in")).to_be_visible()
    shot(page, "credit-note")


def test_a_party_comments_on_an_open_dispute(world, page_as):
    world.contacts()
    world.approved()
    dispute_open(contact=Contact.objects.get(external_id="ps-1"), by=world.clerk25, reason=REASON, via="admin")

    page = page_as(world.clerk25)
    page.get_by_role("rowheader", name="Tvister", exact=True).get_by_role("link").click()
    page.locator("#result_list tbody tr").get_by_role("link", name="ps-1").click()
    page.get_by_label("Kommentar").fill("Intyg från Skatteverket om folkbokföringen finns hos oss.")
    page.get_by_role("button", name="Kommentera").click()

    expect(page.get_by_text("Kommentaren är tillagd.")).to_be_visible()
    expect(page.get_by_text("Intyg från Skatteverket om folkbokföringen finns hos oss.")).to_be_visible()
