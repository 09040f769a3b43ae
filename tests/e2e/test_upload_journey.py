"""Journey (issue 15): a clerk uploads contacts as Excel saves them: a Windows-1252 file with semicolons, then a
UTF-8 file with local times (``2026-11-20 14:30``) large enough to go to the background (the threshold lowered for
the journey), uploads that file again (every row unchanged, none refused), and follows the link to the contacts the
rules rejected, which is a filter on the upload batch."""

import pytest
from playwright.sync_api import expect

from contacts.uploads import services
from contacts.uploads.models import ContactUpload
from tests.e2e.conftest import last_month
from tests.factories import personnummer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = (
    "external_id;provider;patient_id;home_region;profession;started_at;mode;"
    "strong_authentication;triage;documented;content;patient_fee;listing_unit;care_unit"
)


def local(day: int, time: str = "14:30") -> str:
    """A moment of last month as Swedish Excel writes it: Stockholm time without an offset."""
    return f"{last_month().replace(day=day):%Y-%m-%d} {time}"


def test_a_clerk_uploads_excel_files_uploads_one_again_and_follows_the_rules_rejected_link(
    world, page_as, screens, tmp_path, monkeypatch
):
    shot = screens("uploads")
    monkeypatch.setattr(services, "SYNC_MAX_ROWS", 2)  # the three-row file goes to the background
    hsa = world.provider.hsa_id
    excel = tmp_path / "kontakter-åby.csv"
    excel.write_bytes(
        "\r\n".join(
            [
                HEADER,
                f"Åby-1;{hsa};{personnummer('19850312', '201')};25;LK;{local(3, '09:15')};video;SANT;SANT;SANT;"
                "assessment;100,00;;",
                f"Öst-2;{hsa};{personnummer('19850312', '202')};25;PS;{local(4, '10:00')};chat;ja;ja;ja;assessment;0;;",
            ]
        ).encode("cp1252")
        + b"\r\n"
    )
    utf8 = tmp_path / "kontakter-utf8.csv"
    utf8.write_text(
        "\n".join(
            [
                HEADER,
                f"u-1;{hsa};{personnummer('19850312', '203')};25;LK;{local(20)};video;ja;ja;ja;assessment;100,00;;",
                f"u-2;{hsa};{personnummer('19850312', '204')};25;LK;{local(20, '15:30')};phone;ja;ja;ja;assessment;"
                "100,00;;",  # a telephone contact: stored, the rules reject it
                f"u-3;{hsa};{personnummer('19850312', '205')};04;SJ;{local(21)};chat;ja;ja;ja;assessment;0;;",  # own
            ]
        )
        + "\n",
        encoding="utf-8-sig",
    )

    page = page_as(world.clerk04)
    page.goto("/admin/contacts/contact/upload-csv/")
    button = page.get_by_role("button", name="Ladda upp")
    # Sent once, the button is disabled (a listener after ours holds the form back, so the state can be read).
    page.evaluate("window.addEventListener('submit', (event) => event.preventDefault())")
    page.get_by_label("CSV- eller XLSX-fil").set_input_files(excel)
    button.click()
    expect(page.locator("input[type=submit][data-disable-on-submit]")).to_be_disabled()
    expect(page.locator("input[type=submit][data-disable-on-submit]")).to_have_value("Laddar upp …")
    page.reload()

    # 1. The Windows-1252 file: stored at once, its result on the page.
    page.get_by_label("CSV- eller XLSX-fil").set_input_files(excel)
    button.click()
    expect(page.get_by_text("Skapade: 2")).to_be_visible()
    expect(page.get_by_text("Avvisade rader: 0")).to_be_visible()
    expect(page.get_by_text("Inga av filens sparade kontakter avvisades av reglerna.")).to_be_visible()
    shot(page, "excel-1252")

    # 2. The UTF-8 file goes to the background: the upload's own page shows it done, with the same result.
    page.get_by_label("CSV- eller XLSX-fil").set_input_files(utf8)
    page.get_by_role("button", name="Ladda upp").click()
    page.wait_for_url("**/admin/contacts/contactupload/*/change/")
    expect(page.locator("#upload-status")).to_have_text("Klar")
    expect(page.locator("#upload-progress")).to_have_text("100 %")
    expect(page.get_by_text("Skapade: 3")).to_be_visible()
    expect(page.get_by_text("Avvisade rader: 0")).to_be_visible()
    expect(page.locator("#rules-rejected")).to_have_text("2")
    shot(page, "background-upload")
    first_page = page.url

    # 3. The same file again: every row unchanged, none refused.
    page.goto("/admin/contacts/contact/upload-csv/")
    page.get_by_label("CSV- eller XLSX-fil").set_input_files(utf8)
    page.get_by_role("button", name="Ladda upp").click()
    page.wait_for_url("**/admin/contacts/contactupload/*/change/")
    assert page.url != first_page
    expect(page.get_by_text("Skapade: 0")).to_be_visible()
    expect(page.get_by_text("Oförändrade: 3")).to_be_visible()
    expect(page.get_by_text("Avvisade rader: 0")).to_be_visible()
    expect(page.locator("table.upload-errors")).to_have_count(0)

    # 4. The link to the contacts the rules rejected: the telephone contact and the patient of Sörmland itself, with
    # their local times as written in the file.
    page.get_by_role("link", name="Visa dem i kontaktlistan").click()
    again = ContactUpload.objects.latest("id")
    assert f"upload={again.pk}" in page.url and "status__exact=rejected" in page.url
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("u-3")
    expect(rows.nth(0)).to_contain_text(f"{last_month().replace(day=21):%Y-%m-%d} 14:30")
    expect(rows.nth(1)).to_contain_text("u-2")
    expect(rows.nth(1)).to_contain_text(f"{last_month().replace(day=20):%Y-%m-%d} 15:30")
    shot(page, "rules-rejected")

    # The filter names the upload; the list of uploads has all three, newest first.
    expect(page.locator("#changelist-filter")).to_contain_text("uppladdning")
    page.goto("/admin/contacts/contactupload/")
    names = page.locator("#result_list tbody tr .field-file_name")
    expect(names).to_have_text(["kontakter-utf8.csv", "kontakter-utf8.csv", "kontakter-åby.csv"])
