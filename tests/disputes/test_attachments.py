"""Evidence files through the API (issue 16.3): judged by their bytes, names cleaned, limited per comment and per
case, downloaded by the parties only as downloads, each download recorded in the case's history."""

import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contacts.models import Contact
from disputes.models import Dispute, DisputeAttachment, DisputeComment, DisputeEvent
from disputes.services import dispute_comment
from kernel.errors import InvalidInput
from regions.models import Role
from tests.disputes.test_attachment_rules import JPEG_BYTES, PNG_BYTES

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def case(january, providers, api_as, media):
    """A rejection the provider contests; the provider's and the seller's API clients."""
    provider = api_as(Role.PROVIDER, provider=providers["04a"])
    phone = Contact.objects.get(external_id="phone")
    opened = provider.post("/api/v1/disputes/", {"contact": phone.pk, "reason": "Video avsedd"}, format="json")
    assert opened.status_code == 201
    return {
        "dispute": Dispute.objects.get(pk=opened.json()["id"]),
        "provider": provider,
        "seller": api_as(Role.CLERK, "04"),
    }


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def comment(client, dispute, *files, text="Bevis bifogas"):
    return client.post(
        f"/api/v1/disputes/{dispute.pk}/comments/", {"text": text, "attachments": list(files)}, format="multipart"
    )


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def assert_nothing_stored(dispute, media):
    assert (DisputeComment.objects.filter(dispute=dispute).count(), DisputeAttachment.objects.count()) == (0, 0)
    assert list(DisputeEvent.objects.filter(dispute=dispute).values_list("action", flat=True)) == ["opened"]
    assert stored_files(media) == []


# --- What the issue found stored ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "message"),
    [
        pytest.param(
            upload("journal.txt", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>", "text/plain"),
            "journal.txt är text som läses som HTML, SVG eller XML; webbsidor och märkspråk tas inte emot som bevis "
            "(skicka en PDF eller en bild av den).",
            id="html-sent-as-text-plain",
        ),
        pytest.param(
            upload(
                "skarmbild.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/png"
            ),
            "skarmbild.png är text som läses som HTML, SVG eller XML; webbsidor och märkspråk tas inte emot som bevis "
            "(skicka en PDF eller en bild av den).",
            id="svg-with-a-script-sent-as-image-png",
        ),
        pytest.param(
            upload("journal.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8"),
            "journal.pdf är enligt innehållet ingen av de godtagna sorterna (PDF, PNG, JPEG, ren text (UTF-8)); namnet "
            "och den angivna typen räknas inte.",
            id="a-program-named-pdf",
        ),
        pytest.param(
            upload("journal\u202efdp.exe", PDF_BYTES),
            "journalfdp.exe är en PDF-fil enligt innehållet; namnet måste sluta på .pdf.",
            id="right-to-left-override-in-the-name",
        ),
        pytest.param(
            upload("foto.pdf", PNG_BYTES),
            "foto.pdf är en PNG-bild enligt innehållet; namnet måste sluta på .png.",
            id="a-picture-named-pdf",
        ),
        pytest.param(
            upload("bild.png", JPEG_BYTES, "image/png"),
            "bild.png är en JPEG-bild enligt innehållet; namnet måste sluta på .jpg eller .jpeg.",
            id="a-jpeg-named-png",
        ),
        pytest.param(
            upload("makro.docm", b"x", "application/vnd.ms-word.document.macroEnabled.12"),
            "makro.docm är ren text enligt innehållet; namnet måste sluta på .txt.",
            id="a-name-of-another-kind",
        ),
    ],
)
def test_a_file_is_judged_by_its_bytes_and_a_refused_one_refuses_the_comment(case, media, file, message):
    response = comment(case["provider"], case["dispute"], file)

    assert (response.status_code, response.json()) == (400, {"attachments": [message]})
    assert_nothing_stored(case["dispute"], media)


def test_every_problem_of_a_comment_is_listed_at_once(case, media):
    response = comment(
        case["seller"],
        case["dispute"],
        upload("ok.pdf", PDF_BYTES),
        upload("sida.txt", b"<html></html>", "text/plain"),
        upload("prog.pdf", b"\x7fELF\x02\x01\x01"),
    )

    assert response.status_code == 400
    assert response.json()["attachments"] == [
        "sida.txt är text som läses som HTML, SVG eller XML; webbsidor och märkspråk tas inte emot som bevis (skicka "
        "en PDF eller en bild av den).",
        "prog.pdf är enligt innehållet ingen av de godtagna sorterna (PDF, PNG, JPEG, ren text (UTF-8)); namnet och "
        "den angivna typen räknas inte.",
    ]
    assert_nothing_stored(case["dispute"], media)


def test_the_accepted_kinds_are_stored_as_their_bytes_show_under_a_name_of_ours(case, media):
    files = [
        upload("journal.pdf", PDF_BYTES, "application/octet-stream"),
        upload("skärm\u202ebild.PNG", PNG_BYTES, "application/pdf"),
        upload("foto.jpeg", JPEG_BYTES, "image/png"),
        upload("anteckning.txt", b"Patienten ringde via video.\n", "text/html"),
    ]

    response = comment(case["provider"], case["dispute"], *files)

    assert response.status_code == 201
    dispute = case["dispute"]
    rows = list(DisputeAttachment.objects.order_by("pk"))
    assert [(row.name, row.content_type, row.size) for row in rows] == [
        ("journal.pdf", "application/pdf", len(PDF_BYTES)),
        ("skärmbild.PNG", "image/png", len(PNG_BYTES)),
        ("foto.jpeg", "image/jpeg", len(JPEG_BYTES)),
        ("anteckning.txt", "text/plain; charset=utf-8", 28),
    ]
    for row, suffix in zip(rows, [".pdf", ".png", ".jpeg", ".txt"], strict=True):
        assert re.fullmatch(rf"disputes/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\{suffix}", row.file.name), row.file.name
    assert [(a["id"], a["name"], a["content_type"], a["download"]) for a in response.json()["attachments"]] == [
        (
            row.pk,
            row.name,
            row.content_type,
            f"http://testserver/api/v1/disputes/{dispute.pk}/attachments/{row.pk}/",
        )
        for row in rows
    ]
    assert [(media / row.file.name).read_bytes() for row in rows] == [
        PDF_BYTES,
        PNG_BYTES,
        JPEG_BYTES,
        b"Patienten ringde via video.\n",
    ]
    assert len(stored_files(media)) == 4


# --- Limits per request, per comment and per case -------------------------------------------------------------------


def test_six_files_of_nine_megabytes_are_refused_before_the_body_is_read(case, media):
    nine_mb = PDF_BYTES + b"0" * (9 * 1024 * 1024 - len(PDF_BYTES))

    response = comment(case["provider"], case["dispute"], *[upload(f"del-{n}.pdf", nine_mb) for n in range(6)])

    assert (response.status_code, response.json()) == (
        413,
        {"detail": "Anropet är större än 21,0\xa0MB; en kommentars bilagor får vara högst 20,0\xa0MB tillsammans."},
    )
    assert_nothing_stored(case["dispute"], media)


def test_at_most_five_files_per_comment(case, media):
    response = comment(case["provider"], case["dispute"], *[upload(f"del-{n}.pdf", PDF_BYTES) for n in range(6)])

    assert (response.status_code, response.json()) == (
        400,
        {"attachments": ["En kommentar får ha högst 5 bilagor; den här har 6."]},
    )
    assert_nothing_stored(case["dispute"], media)


def test_the_bytes_of_one_comment_are_limited(case, media, settings):
    settings.DISPUTE_ATTACHMENT_BYTES_PER_COMMENT = 3 * 1024
    two_kb = PDF_BYTES + b"0" * (2048 - len(PDF_BYTES))

    response = comment(case["provider"], case["dispute"], upload("a.pdf", two_kb), upload("b.pdf", two_kb))

    assert (response.status_code, response.json()) == (
        400,
        {"attachments": ["En kommentars bilagor får vara högst 3,0\xa0kB tillsammans; de här är 4,0\xa0kB."]},
    )
    assert_nothing_stored(case["dispute"], media)


def test_a_case_holds_a_limited_number_of_files_and_bytes(case, media, settings):
    settings.DISPUTE_ATTACHMENTS_PER_CASE = 3
    settings.DISPUTE_ATTACHMENT_BYTES_PER_CASE = 5 * 1024
    two_kb = PDF_BYTES + b"0" * (2048 - len(PDF_BYTES))
    first = comment(case["provider"], case["dispute"], upload("a.pdf", two_kb), upload("b.pdf", two_kb))

    too_many = comment(case["seller"], case["dispute"], upload("c.pdf", PDF_BYTES), upload("d.pdf", PDF_BYTES))
    too_much = comment(case["seller"], case["dispute"], upload("e.pdf", two_kb))
    fits = comment(case["seller"], case["dispute"], upload("f.pdf", PDF_BYTES))

    assert first.status_code == 201
    assert (too_many.status_code, too_many.json()) == (
        400,
        {"attachments": ["Ett ärende får ha högst 3 bilagor; det har 2 och kommentaren lägger till 2."]},
    )
    assert (too_much.status_code, too_much.json()) == (
        400,
        {
            "attachments": [
                "Ett ärendes bilagor får vara högst 5,0\xa0kB tillsammans; det har 4,0\xa0kB och kommentaren lägger "
                "till 2,0\xa0kB."
            ]
        },
    )
    assert fits.status_code == 201
    assert sorted(DisputeAttachment.objects.values_list("name", flat=True)) == ["a.pdf", "b.pdf", "f.pdf"]
    assert len(stored_files(media)) == 3


# --- Downloads ------------------------------------------------------------------------------------------------------


def test_a_party_downloads_the_file_as_a_download_and_the_case_records_it(case, media):
    posted = comment(case["provider"], case["dispute"], upload("skärmbild.png", PNG_BYTES, "image/png"))
    link = posted.json()["attachments"][0]["download"]
    attachment = DisputeAttachment.objects.get()

    response = case["seller"].get(link)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG_BYTES
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''sk%C3%A4rmbild.png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
    assert response["Cache-Control"] == "private, no-store"
    event = DisputeEvent.objects.filter(dispute=case["dispute"]).latest("id")
    assert (event.action, event.actor.username, event.via, event.attachment_id, event.note, event.changes) == (
        "downloaded",
        response.wsgi_request.user.username,
        "api",
        attachment.pk,
        "skärmbild.png",
        {},
    )


def test_a_file_of_another_case_or_none_at_all_is_not_found_and_nothing_is_recorded(case, media, providers, api_as):
    comment(case["provider"], case["dispute"], upload("journal.pdf", PDF_BYTES))
    attachment = DisputeAttachment.objects.get()
    other = Contact.objects.exclude(pk=case["dispute"].contact_id).filter(status="rejected").first()
    if other is None:  # the january data has one rejected contact: reject an eligible one of the provider
        other = Contact.objects.filter(provider=providers["04a"], status="eligible").first()
        assert (
            case["seller"].post(f"/api/v1/contacts/{other.pk}/reject/", {"note": "Fel"}, format="json").status_code
            == 200
        )
    second = case["provider"].post("/api/v1/disputes/", {"contact": other.pk, "reason": "Nej"}, format="json").json()
    events = DisputeEvent.objects.count()

    wrong_case = case["seller"].get(f"/api/v1/disputes/{second['id']}/attachments/{attachment.pk}/")
    missing = case["seller"].get(f"/api/v1/disputes/{case['dispute'].pk}/attachments/999999/")
    attachment.file.storage.delete(attachment.file.name)
    gone = case["seller"].get(f"/api/v1/disputes/{case['dispute'].pk}/attachments/{attachment.pk}/")

    for response in (wrong_case, missing, gone):
        assert (response.status_code, response.json()) == (404, {"detail": "Hittades inte."})
    assert DisputeEvent.objects.count() == events


def test_an_empty_file_is_refused_by_the_service_too(case, media):
    author = DisputeEvent.objects.get(dispute=case["dispute"]).actor
    with pytest.raises(InvalidInput) as refused:
        dispute_comment(dispute=case["dispute"], by=author, text="Tom", attachments=[upload("tom.pdf", b"")])

    assert refused.value.errors == {"attachments": ["tom.pdf är tom."]}
    assert_nothing_stored(case["dispute"], media)


def test_the_admin_comment_form_judges_files_alike_and_links_the_stored_one(staff, case, media):
    dispute = case["dispute"]
    url = reverse("admin:disputes_dispute_comment", args=[dispute.pk])

    def post(text, file):
        browser = Client()  # a browser per request: each response's messages are its own
        browser.force_login(staff["clerk04"])
        return browser.post(url, {"text": text, "attachment": file})

    markup = post("Se sidan", upload("sida.txt", b"<html></html>", "text/plain"))
    empty = post("Se filen", upload("tom.pdf", b""))
    nothing_yet = (DisputeComment.objects.filter(dispute=dispute).count(), stored_files(media))
    stored = post("Journalen", upload("journal\u202e.pdf", PDF_BYTES))
    browser = Client()
    browser.force_login(staff["clerk04"])
    page = browser.get(reverse("admin:disputes_dispute_change", args=[dispute.pk])).content.decode()

    assert [str(m) for m in get_messages(markup.wsgi_request)] == [
        "sida.txt är text som läses som HTML, SVG eller XML; webbsidor och märkspråk tas inte emot som bevis (skicka "
        "en PDF eller en bild av den)."
    ]
    assert [str(m) for m in get_messages(empty.wsgi_request)] == ["Den skickade filen var tom."]
    assert nothing_yet == (0, [])
    assert [str(m) for m in get_messages(stored.wsgi_request)] == ["Kommentaren är tillagd."]
    attachment = DisputeAttachment.objects.get()
    link = reverse("admin:disputes_dispute_attachment", args=[dispute.pk, attachment.pk])
    assert f'📎 <a href="{link}" download data-action="download">journal.pdf</a>' in page


def test_a_file_stored_before_the_checks_is_served_as_bytes_under_a_clean_name(case, media):
    posted = comment(case["provider"], case["dispute"], upload("journal.pdf", PDF_BYTES))
    # As the old code stored what a client declared: an HTML page, its name reversed by U+202E.
    DisputeAttachment.objects.update(name="sida\u202elmth.pdf", content_type="text/html")

    response = case["seller"].get(posted.json()["attachments"][0]["download"])

    assert response.status_code == 200
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "application/octet-stream",
        'attachment; filename="sidalmth.pdf"',
    )
    assert response["X-Content-Type-Options"] == "nosniff"
