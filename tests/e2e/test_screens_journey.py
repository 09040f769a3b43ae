"""Journey 6 (issue 15): the lists readable at 1280 px, a draft kept from its buyer until it is submitted, and the
approved invoice's PDF read back as a buyer pays it (bankgiro, organisation numbers, reference)."""

import re

import pytest
from playwright.sync_api import expect

from billing.services import invoice_approve, invoice_submit
from regions.models import Region
from regions.services import region_billing_details_update
from tests.e2e.conftest import VIEWPORT, pdf_text
from tests.factories import valid_bankgiro

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _right_edges(page, selector: str) -> list[float]:
    return page.locator(selector).evaluate_all("cells => cells.map(cell => cell.getBoundingClientRect().right)")


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
