"""Journey (issue 20): a clerk checks a file without saving ("Kontrollera utan att spara"), reads what would be
stored and refused, downloads the refused rows, then stores the checked file with one click ("Spara")."""

import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from contacts.uploads.models import ContactUpload
from tests.e2e.test_upload_journey import HEADER, local
from tests.factories import personnummer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_clerk_checks_a_file_without_saving_downloads_its_refused_rows_then_saves_it(
    world, page_as, screens, tmp_path
):
    shot = screens("upload-check")
    hsa = world.provider.hsa_id
    file = tmp_path / "kontakter-kontroll.csv"
    file.write_text(
        "\r\n".join(
            [
                HEADER,
                f"k-1;{hsa};{personnummer('19850312', '211')};25;LK;{local(5)};video;ja;ja;ja;assessment;100,00;;",
                f"k-2;{hsa};{personnummer('19850312', '212')};25;LK;{local(6)};phone;ja;ja;ja;assessment;0;;",
                f"k-3;{hsa};{personnummer('19850312', '213')};25;LK;{local(7)};fax;ja;ja;ja;assessment;0;;",
            ]
        )
        + "\r\n",
        encoding="utf-8-sig",
    )
    contacts_before = Contact.objects.count()

    page = page_as(world.clerk04)
    page.goto("/admin/contacts/contact/upload-csv/")
    page.get_by_label("CSV- eller XLSX-fil").set_input_files(file)
    page.get_by_role("button", name="Kontrollera utan att spara").click()

    expect(page.get_by_text("Kontroll av kontakter-kontroll.csv: ingenting sparades")).to_be_visible()
    expect(page.locator("#dry-created")).to_have_text("2")
    expect(page.locator("#dry-rejected")).to_have_text("1")
    expect(page.locator("table.dry-run-decisions tr.line-3")).to_contain_text("Inte en digital kontakt (telefon)")
    expect(page.locator("table.dry-run-errors tr.line-4")).to_contain_text("Ska vara något av: video, chat, phone.")
    shot(page, "checked")
    assert (Contact.objects.count(), ContactUpload.objects.count()) == (contacts_before, 0)

    with page.expect_download() as download:
        page.locator("#checked-refused-csv").click()
    refused = download.value.path().read_bytes().decode("utf-8-sig").split("\r\n")
    assert refused[0].endswith(";Rad;Fel")
    assert refused[1].startswith(f"k-3;{hsa};")
    assert refused[1].endswith(";4;mode: Ska vara något av: video, chat, phone.")

    page.get_by_role("button", name="Spara", exact=True).click()
    expect(page.get_by_text("Skapade: 2")).to_be_visible()
    expect(page.get_by_text("Avvisade rader: 1")).to_be_visible()
    shot(page, "saved")
    upload = ContactUpload.objects.get()
    assert (upload.file_name, upload.created, upload.rejected) == ("kontakter-kontroll.csv", 2, 1)
    assert Contact.objects.count() == contacts_before + 2
