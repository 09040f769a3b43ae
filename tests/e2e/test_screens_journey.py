"""Journey 6 (issue 15): the lists readable at 1280 px, a draft kept from its buyer until it is submitted, and the
approved invoice's PDF read back as a buyer pays it (bankgiro, organisation numbers, reference)."""

import re

import pytest
from playwright.sync_api import expect

from billing.services import invoice_approve, invoice_submit
from contacts.intake import contacts_upsert
from contacts.models import Contact
from disputes.services import dispute_open
from regions.models import Region
from regions.services import region_billing_details_update
from tests.e2e.conftest import VIEWPORT, on, pdf_text
from tests.factories import ProviderFactory, contact_item, personnummer, valid_bankgiro

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _right_edges(page, selector: str) -> list[float]:
    return page.locator(selector).evaluate_all("cells => cells.map(cell => cell.getBoundingClientRect().right)")


def _assert_the_list_fits(page) -> None:
    """Every header and cell of the list inside the list's own box (``.results``, which scrolls sideways when its
    table is wider), and the page itself no wider than the screen."""
    box = page.locator("#changelist .results").bounding_box()
    right = box["x"] + box["width"]
    assert max(_right_edges(page, "#result_list thead th")) <= right
    assert max(_right_edges(page, "#result_list tbody td")) <= right
    assert page.locator("#changelist .results").evaluate("el => el.scrollWidth <= el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]


def _long_named_contact(world):
    """A patient of Västra Götaland (the longest region name) rejected for three reasons, from a provider whose name
    is long: the cells that pushed the contact list's last columns out of sight."""
    provider = ProviderFactory(region_id="04", name="Kry International AB Digital Vårdcentral Sverige")
    result = contacts_upsert(
        items=[
            contact_item(
                external_id="vgr-lång-1",
                provider=provider.hsa_id,
                home_region="14",
                patient_id=personnummer("19850312", "298"),
                started_at=on(20),
                mode="phone",
                triage=False,
                strong_authentication=False,
            )
        ],
        user=world.clerk04,
        channel="api",
    )
    assert result.errors == []
    return Contact.objects.get(pk=result.ids[0])


def test_every_column_of_the_invoice_list_is_visible_at_1280_px_and_the_sidebar_breaks_no_word(world, page_as, screens):
    shot = screens("screens")
    world.contacts()
    world.draft()
    page = page_as(world.clerk04)

    page.goto("/admin/billing/invoice/")

    headers = page.locator("#result_list thead th")
    expect(headers).to_have_count(9)  # the checkbox and eight columns
    assert max(_right_edges(page, "#result_list thead th")) <= VIEWPORT["width"]
    expect(page.locator("#result_list thead th").last).to_have_text("Förfallodatum")
    # The filters stand above the list, folded: the list has the page's width.
    filters = page.locator("#changelist-filter")
    assert filters.bounding_box()["y"] < page.locator("#result_list").bounding_box()["y"]
    expect(page.locator("#changelist-filter details[open]")).to_have_count(0)
    # The sidebar breaks a word only at a soft hyphen ("Ersättnings-|rekommendationer"), never between any letters.
    name = page.locator("#nav-sidebar th").filter(has_text="rekommendationer")
    wrapping = name.evaluate("th => [getComputedStyle(th).overflowWrap, getComputedStyle(th).wordBreak]")
    assert wrapping == ["normal", "normal"]
    expect(name.get_by_role("link")).to_have_text("Ersättnings\u00adrekommendationer")
    shot(page, "invoice-list-1280", full_page=False)


def test_the_buyer_sees_the_invoice_from_submission_and_pays_it_from_its_pdf(world, page_as, screens):
    shot = screens("screens")
    world.contacts()
    draft = world.draft()
    region_billing_details_update(
        region=Region.objects.get(code="04"), postal_code="611 88", city="Nyköping", invoice_reference="Karin Lindqvist"
    )
    region_billing_details_update(region=Region.objects.get(code="25"), invoice_reference="Lena Nilsson")

    page = page_as(world.clerk25)
    page.goto("/admin/billing/invoice/")
    expect(page.locator("#result_list tbody tr")).to_have_count(0)  # the draft is Sörmland's work in progress
    page.goto(f"/admin/billing/invoice/{draft.pk}/change/")
    expect(page).to_have_url(re.compile(r"/admin/$"))  # as for an invoice that does not exist

    submitted = invoice_submit(invoice=draft, by=world.clerk04, via="admin")
    page.goto("/admin/billing/invoice/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    approved = invoice_approve(invoice=submitted, by=world.manager04, via="admin")
    page.goto(f"/admin/billing/invoice/{approved.pk}/change/")

    text = pdf_text(page, page.get_by_role("link", name="Faktura (PDF)"))
    assert "SÄLJARE Region Sörmland 611 88 Nyköping Org.nr 232100-0032 Länskod 04 Vår referens: Karin Lindqvist" in text
    assert "KÖPARE Region Norrbotten Org.nr 232100-0230 Länskod 25 Er referens: Lena Nilsson" in text
    assert f"Bankgiro {valid_bankgiro(4)}" in text
    assert f"Betalningsreferens {approved.number}" in text
    assert f"Att betala {world.TOTAL}" in text  # (pdf_text reads every space as a space)
    shot(page, "buyer-invoice", full_page=False)


def test_every_column_of_the_contact_list_is_visible_at_1280_px(world, page_as, screens):
    shot = screens("contact-list")
    world.contacts()
    _long_named_contact(world)
    page = page_as(world.clerk04)

    page.goto("/admin/contacts/contact/")
    shot(page, "1280", full_page=False)

    headers = page.locator("#result_list thead th")
    expect(headers).to_have_count(10)  # the checkbox and nine columns
    expect(headers.last).to_have_text("Belopp")
    _assert_the_list_fits(page)
    # The regions and the profession by their codes, naming themselves on hover.
    row = page.locator("#result_list tbody tr").filter(has_text="vgr-lång-1")
    expect(row.locator("td.field-regions_display abbr")).to_have_text(["04", "14"])
    expect(row.locator("td.field-regions_display abbr").last).to_have_attribute("title", "Västra Götalandsregionen")
    expect(row.locator("td.field-profession_display abbr")).to_have_attribute("title", "Läkare")

    # The search box posts: a personnummer finds its contact, and the address never shows it.
    page.locator("#searchbar").fill("19850312-2981")
    page.get_by_role("button", name="Sök").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody tr td.field-external_id")).to_have_text("vgr-lång-1")
    assert re.search(r"[?&]qk=", page.url) and "2981" not in page.url and "19850312" not in page.url
    # The date range keeps the search: from the contact's day to the same day, then the day after.
    page.locator("details[data-filter-title='startdatum'] summary").click()
    day = on(20)[:10]
    page.locator("#started_from").fill(day)
    page.locator("#started_to").fill(day)
    page.locator(".started-range-filter").get_by_role("button", name="Filtrera").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    assert f"started_from={day}" in page.url and "qk=" in page.url
    shot(page, "search-and-range", full_page=False)
    page.locator("#started_from").fill(on(21)[:10])
    page.locator("#started_to").fill(on(21)[:10])
    page.locator(".started-range-filter").get_by_role("button", name="Filtrera").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(0)


def test_every_column_of_the_dispute_list_is_visible_at_1280_px(world, page_as, screens):
    shot = screens("dispute-list")
    world.contacts()
    contact = Contact.objects.get(external_id="tel-1")
    dispute_open(contact=contact, by=world.clerk04, reason="Telefonkontakten var ett videosamtal.", via="admin")
    dispute_open(contact=_long_named_contact(world), by=world.clerk04, reason="Triagering gjordes.", via="admin")
    page = page_as(world.clerk04)

    page.goto("/admin/disputes/dispute/")
    shot(page, "1280", full_page=False)

    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("#result_list thead th").last).to_have_text("Handläggs av")
    _assert_the_list_fits(page)
    # "Västra Götalandsregionen" on one line: a region's name breaks at its spaces only.
    cell = page.locator("#result_list td.field-home_region").filter(has_text="Västra Götalandsregionen")
    assert cell.evaluate("td => getComputedStyle(td).overflowWrap") == "normal"
    assert cell.evaluate("td => td.scrollWidth <= td.clientWidth")
