"""Journey 5: the reports dashboard shows, in figures and charts, the totals of what was invoiced: to the seller's
manager as seller, and to the buyer's clerk as buyer, whose what-if chart names every rate category legibly."""

import itertools

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import NBSP, sek

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_shows_the_invoiced_totals(world, page_as, screens):
    shot = screens("dashboard")
    world.contacts()  # four billable contacts (1 310,00 kr), one rejected telephone contact, one not out-of-county
    world.approved()
    period = world.period

    # Anders, Sörmland's manager: the figures are computed in the background; he asks for them now.
    page = page_as(world.manager04)
    page.get_by_role("link", name="Rapporter").click()
    expect(page.get_by_role("heading", name="Översikt", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="Brödsmulor").get_by_role("listitem")).to_have_text(
        ["Hem", "Rapporter", "Översikt"]
    )
    page.get_by_role("button", name="Uppdatera nu").click()
    expect(page.get_by_text("Siffrorna uppdateras; ladda om sidan om en stund.")).to_be_visible()
    page.reload()
    page.get_by_label("Som säljare").check()
    page.get_by_role("button", name="Visa").click()

    key_figures = page.get_by_role("region", name="Nyckeltal")
    expect(key_figures).to_have_text(
        f"Kontakter 4 Kostnad {sek(world.TOTAL)} Avvisade kontakter 1 Andel avvisade 20,0{NBSP}%", use_inner_text=True
    )
    monthly = page.get_by_role("region", name="Kontakter och kostnad per månad")
    expect(bars(page, "Kontakter per månad", period)).to_have_text(f"{period} Kontakter: 4")
    expect(bars(page, "Kostnad per månad (kr)", period)).to_have_text(f"{period} Kostnad: {sek(world.TOTAL)}")
    expect(monthly.get_by_role("row").filter(has_text=period).get_by_role("cell")).to_have_text(
        [period, "4", sek(world.TOTAL), "1", f"20,0{NBSP}%", "5"]
    )
    shot(page, "seller", full_page=False)

    categories = page.get_by_role("img", name="Andel kontakter per yrkeskategori (%)", exact=True)
    expect(categories.locator("rect title")).to_have_text(
        [
            f"Läkare: 50,0{NBSP}%",
            f"Psykolog, kurator eller psykoterapeut: 25,0{NBSP}%",
            f"Annan legitimerad personal: 25,0{NBSP}%",
        ]
    )
    expect(page.get_by_role("region", name="Per yrkeskategori").locator("tfoot").get_by_role("cell")).to_have_text(
        ["Totalt", "4", f"100,0{NBSP}%", sek(world.TOTAL), f"100,0{NBSP}%"]
    )
    rejections = page.get_by_role("img", name="Andel avvisade per orsak (% av rapporterade kontakter)", exact=True)
    expect(rejections.locator("rect title")).to_have_text([f"Inte en digital kontakt (telefon): 20,0{NBSP}%"])
    categories.scroll_into_view_if_needed()
    shot(page, "categories", full_page=False)

    # Lena, Norrbotten's clerk, sees the same contacts as her region's cost (as buyer, the default).
    page = page_as(world.clerk25)
    page.get_by_role("link", name="Rapporter").click()
    expect(page.get_by_role("region", name="Nyckeltal")).to_have_text(
        f"Kontakter 4 Kostnad {sek(world.TOTAL)} Avvisade kontakter 1 Andel avvisade 20,0{NBSP}%", use_inner_text=True
    )
    expect(bars(page, "Kostnad per månad (kr)", period)).to_have_text(f"{period} Kostnad: {sek(world.TOTAL)}")

    # She opens "Tänk om": the rate categories under the bars are all there, none drawn over another.
    page.get_by_role("link", name="Tänk om").click()
    chart = page.get_by_role("img", name="Kostnad per ersättningskategori (kr)", exact=True)
    labels = chart.locator("text.report-axis-label")
    expect(labels).to_have_text(["Läkare", "Psykolog, kurator eller psykoterapeut", "Annan legitimerad personal"])
    boxes = labels.evaluate_all("(texts) => texts.map((t) => t.getBoundingClientRect().toJSON())")
    assert [overlapping(a, b) for a, b in itertools.pairwise(boxes)] == [False, False]
    chart.scroll_into_view_if_needed()
    shot(page, "what-if", full_page=False)


def overlapping(a: dict, b: dict) -> bool:
    """Whether two boxes the browser drew (its own font metrics) share any point."""
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def bars(page, chart: str, month: str):
    """The bar of one month in a chart, read by its tooltip (each bar's <title>)."""
    return page.get_by_role("img", name=chart, exact=True).locator("rect title").filter(has_text=month)
