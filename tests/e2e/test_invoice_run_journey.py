"""Journey 2: a clerk starts last month's invoice run from the start page, watches it finish, opens the draft it
made, previews its PDF and submits it."""

import pytest
from playwright.sync_api import expect

from billing.tasks import invoice_run_task
from tests.e2e.conftest import confirm_click, field, pdf_text, sek

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch):
    """The job queue, with the worker taking a run when the test says so (Celery is otherwise eager in the tests,
    and the run would have finished before its page opened)."""
    queued = []
    monkeypatch.setattr(invoice_run_task, "delay", queued.append)

    def take_the_run():
        (run_id,) = queued
        invoice_run_task(run_id)

    return take_the_run


def test_a_clerk_runs_last_months_invoicing_and_submits_the_draft(world, page_as, screens, worker):
    shot = screens("invoice-run")
    world.contacts()
    period = world.period

    # The start page offers last month's run.
    page = page_as(world.clerk04)
    expect(page.get_by_role("heading", name="Att göra: Region Sörmland (handläggare)")).to_be_visible()
    shot(page, "start")
    question = confirm_click(page, page.get_by_role("button", name=f"Starta faktureringskörning för {period}"))
    assert question == (
        f"Starta faktureringskörningen för Region Sörmland, {period}? Den skapar eller uppdaterar periodens "
        "fakturautkast med alla fakturerbara kontakter som ännu inte fakturerats."
    )

    # The run's page: queued until a worker takes it; the page reloads itself until the run has finished.
    expect(page.get_by_text(f"Faktureringskörning för 04 Region Sörmland {period} startad.")).to_be_visible()
    expect(field(page, "Status")).to_have_text("I kö")
    expect(field(page, "Förlopp").get_by_role("progressbar")).to_have_attribute("value", "0")
    expect(field(page, "Fakturor")).to_have_text(
        "Körningen är inte klar: sidan uppdateras av sig själv tills den är det."
    )
    shot(page, "run-queued")
    worker()
    expect(field(page, "Status")).to_have_text("Klar", timeout=10_000)  # no click: the page reloaded itself
    expect(field(page, "Förlopp").get_by_role("progressbar")).to_have_attribute("value", "100")
    expect(field(page, "Fakturor")).to_contain_text(
        f"Faktura till Region Norrbotten, {period} – Utkast, " + sek("1 310,00 kr")
    )
    shot(page, "run-progress")

    # The draft: the total, the totals per rate category and every line.
    page.get_by_role("link", name=f"Faktura till Region Norrbotten, {period}").click()
    expect(page.get_by_role("heading", name=f"Faktura till Region Norrbotten, {period}")).to_be_visible()
    expect(field(page, "Status")).to_have_text("Utkast")
    expect(field(page, "Köpare")).to_have_text("25 Region Norrbotten")
    expect(field(page, "Summa")).to_have_text(sek(world.TOTAL))
    expect(field(page, "Kontakter")).to_have_text("4")
    categories = field(page, "Summor per kategori").get_by_role("row")
    expect(categories.nth(1).get_by_role("cell")).to_have_text(
        ["Läkare", "2", sek("435,00 kr"), sek("870,00 kr"), sek("100,00 kr"), sek("770,00 kr")]
    )
    expect(categories.nth(2).get_by_role("cell")).to_have_text(
        [
            "Psykolog, kurator eller psykoterapeut",
            "1",
            sek("405,00 kr"),
            sek("405,00 kr"),
            sek("0,00 kr"),
            sek("405,00 kr"),
        ]
    )
    expect(categories.nth(3).get_by_role("cell")).to_have_text(
        ["Annan legitimerad personal", "1", sek("235,00 kr"), sek("235,00 kr"), sek("100,00 kr"), sek("135,00 kr")]
    )
    lines = field(page, "Rader").locator("tbody").get_by_role("row")
    expect(lines).to_have_count(4)
    expect(lines.nth(0).get_by_role("cell")).to_have_text(
        ["lk-1", f"{period}-03", "LK Läkare", "SKR-2026-04", sek("435,00 kr"), sek("100,00 kr"), sek("335,00 kr")]
    )
    shot(page, "draft-invoice")

    # The PDF preview opens in the browser: marked as a preview, with the totals the page shows.
    preview = pdf_text(page, page.get_by_role("link", name="Förhandsvisning (PDF)"))
    assert "FÖRHANDSVISNING – utkast utan fakturanummer, inte en faktura" in preview
    assert "SÄLJARE Region Sörmland" in preview
    assert "KÖPARE Region Norrbotten" in preview
    assert f"Period {period}" in preview
    assert "Läkare 2 435,00 kr 870,00 kr 100,00 kr 770,00 kr" in preview
    assert "Att betala (ej föremål för moms) 1 310,00 kr" in preview
    shot(page, "pdf-preview", full_page=False)
    page.go_back()

    # Submitted: the buttons that remain, the status and who did it.
    question = confirm_click(page, page.get_by_role("button", name="Skicka in"))
    assert question == (
        f"Skicka in Faktura till Region Norrbotten, {period} ({sek(world.TOTAL)}) för godkännande? "
        "Dess kontakter låses tills en chef godkänner eller returnerar fakturan."
    )
    expect(page.get_by_text(f"Inskickning av Faktura till Region Norrbotten, {period} klar.")).to_be_visible()
    expect(field(page, "Status")).to_have_text("Inskickad")
    expect(field(page, "Inskickad av")).to_have_text("Karin Lindqvist")
    shot(page, "submitted")
