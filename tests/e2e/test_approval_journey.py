"""Journey 3: the clerk who submitted an invoice cannot approve it; a manager approves it (four eyes) and downloads
the invoice PDF and the CSV specification."""

import csv
import datetime as dt

import pytest
from playwright.sync_api import expect

from kernel.business_time import stockholm_today
from tests.e2e.conftest import confirm_click, field, pdf_text, sek

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_only_another_manager_approves_and_the_documents_follow(world, page_as, screens):
    shot = screens("approval")
    world.contacts()
    world.submitted()  # by Karin, the clerk
    period, today = world.period, stockholm_today()
    number = f"04-{today.year}-000001"

    # Karin sees her invoice waiting for a manager, and no way to approve it herself.
    page = page_as(world.clerk04)
    waiting = page.get_by_role("region", name="Väntar på andra")
    expect(waiting.get_by_role("row")).to_have_text(
        [f"Inskickade fakturor som väntar på en chefs godkännande 1 {sek('1 310,00 kr')}"]
    )
    waiting.get_by_role("link", name="Inskickade fakturor som väntar på en chefs godkännande").click()
    page.get_by_role("row").filter(has_text="Region Norrbotten").get_by_role("link").first.click()
    expect(field(page, "Status")).to_have_text("Inskickad")
    expect(page.get_by_role("button", name="Godkänn")).to_have_count(0)
    expect(page.get_by_role("button", name="Skicka in")).to_have_count(0)
    shot(page, "clerk-cannot-approve")

    # Anders, a manager, has it on his start page.
    page = page_as(world.manager04)
    task = page.get_by_role("row").filter(has_text="Godkänn fakturor som en kollega har skickat in")
    expect(task).to_have_text(f"Godkänn fakturor som en kollega har skickat in 1 {sek('1 310,00 kr')}")
    task.get_by_role("link").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link").first.click()
    expect(field(page, "Inskickad av")).to_have_text("Karin Lindqvist")

    question = confirm_click(page, page.get_by_role("button", name="Godkänn"))
    assert question == (
        f"Godkänna Faktura till Region Norrbotten, {period} ({sek(world.TOTAL)})? "
        "Fakturan får sitt nummer och kan aldrig ändras igen: rättelser görs med en kreditfaktura."
    )
    expect(page.get_by_text(f"Godkännande av {number} klar.")).to_be_visible()

    expect(field(page, "Status")).to_have_text("Godkänd")
    expect(field(page, "Nummer")).to_have_text(number)
    expect(field(page, "Fakturadatum")).to_have_text(today.isoformat())
    expect(field(page, "Förfallodatum")).to_have_text((today + dt.timedelta(days=30)).isoformat())
    expect(field(page, "Godkänd av")).to_have_text("Anders Berg")
    shot(page, "approved")

    # The invoice PDF: the number, the parties and what to pay; no patient data.
    invoice = pdf_text(page, page.get_by_role("link", name="Faktura (PDF)"))
    assert "FÖRHANDSVISNING" not in invoice
    assert f"Fakturanummer {number}" in invoice
    assert f"Fakturadatum {today.isoformat()}" in invoice
    assert "SÄLJARE Region Sörmland Org.nr 232100-0032" in invoice
    assert "KÖPARE Region Norrbotten" in invoice
    assert "Att betala (ej föremål för moms) 1 310,00 kr" in invoice
    assert "19850312" not in invoice
    shot(page, "invoice-pdf", full_page=False)
    page.go_back()

    # The CSV specification: one row per contact, the amounts adding up to the total.
    with page.expect_download() as download:
        page.get_by_role("link", name="Fakturaunderlag (CSV)").click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as file:
        specification = list(csv.DictReader(file, delimiter=";"))
    assert [
        (row["external_id"], row["profession"], row["rate"], row["patient_fee"], row["amount"]) for row in specification
    ] == [
        ("lk-1", "LK", "435.00", "100.00", "335.00"),
        ("ps-1", "PS", "405.00", "0.00", "405.00"),
        ("sj-1", "SJ", "235.00", "100.00", "135.00"),
        ("lk-2", "LK", "435.00", "0.00", "435.00"),
    ]
    assert {row["home_region"] for row in specification} == {"25"}
    assert all(row["started_at"].startswith(f"{period}-") for row in specification)
