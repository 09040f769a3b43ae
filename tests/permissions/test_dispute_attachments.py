"""The matrix over evidence downloads (issue 16.3): a case's files are read by its parties only, through the API and
the admin's case page, each download recorded in the case's history; every refusal records nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from disputes.models import DisputeAttachment, DisputeEvent
from disputes.services import dispute_comment
from tests.permissions.conftest import LOGIN, admin_answer, matrix, snapshot

EVIDENCE = b"%PDF-1.4\n% journalutdrag\n%%EOF\n"


@pytest.fixture
def evidence(world, settings, tmp_path) -> dict[str, DisputeAttachment]:
    """A PDF in each case's thread: the provider's in the rejection, the buyer's in the objection."""
    settings.MEDIA_ROOT = str(tmp_path)
    files = {}
    for kind, author in (("rejection", "provider"), ("objection", "clerk-buyer")):
        comment = dispute_comment(
            dispute=world.disputes[kind],
            by=world.users[author],
            text="Journalutdrag bifogas",
            attachments=[SimpleUploadedFile(f"journal-{kind}.pdf", EVIDENCE, content_type="application/pdf")],
        )
        files[kind] = comment.attachments.get()
    return files


API_READ = {
    "rejection": matrix(
        anonymous=401,
        provider=200,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
    "objection": matrix(
        anonymous=401,
        provider=404,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
}


def _by_kind(table):
    return [pytest.param(kind, *c.values, id=f"{kind}-{c.values[0]}") for kind, cases in table.items() for c in cases]


def _downloads(dispute) -> list[tuple]:
    return list(
        DisputeEvent.objects.filter(dispute=dispute, action="downloaded").values_list(
            "actor__username", "via", "attachment_id", "note"
        )
    )


@pytest.mark.parametrize(("kind", "actor", "expected"), _by_kind(API_READ))
def test_api_download(world, evidence, kind, actor, expected):
    dispute, attachment = world.disputes[kind], evidence[kind]
    before = snapshot()

    response = world.api(actor).get(f"/api/v1/disputes/{dispute.pk}/attachments/{attachment.pk}/")

    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == EVIDENCE
        assert (response["Content-Type"], response["Content-Disposition"]) == (
            "application/pdf",
            f'attachment; filename="journal-{kind}.pdf"',
        )
        assert _downloads(dispute) == [(f"api:api-{actor}", "api", attachment.pk, f"journal-{kind}.pdf")]
    else:
        assert snapshot() == before


def test_another_provider_downloads_nothing(world, evidence):
    before = snapshot()

    for kind in ("rejection", "objection"):
        dispute, attachment = world.disputes[kind], evidence[kind]
        response = world.api("provider-other").get(f"/api/v1/disputes/{dispute.pk}/attachments/{attachment.pk}/")
        assert (response.status_code, response.json()) == (404, {"detail": "Hittades inte."})
    assert snapshot() == before


def test_a_file_is_reached_only_through_its_own_case(world, evidence):
    """The objection's file named under the rejection's id: the provider (a party to the rejection) gets nothing."""
    before = snapshot()

    response = world.api("provider").get(
        f"/api/v1/disputes/{world.disputes['rejection'].pk}/attachments/{evidence['objection'].pk}/"
    )

    assert (response.status_code, response.json()) == (404, {"detail": "Hittades inte."})
    assert snapshot() == before


ADMIN_READ = {
    "rejection": matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
    "objection": matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
}


@pytest.mark.parametrize(("kind", "actor", "expected"), _by_kind(ADMIN_READ))
def test_admin_download_from_the_case_page(world, evidence, kind, actor, expected):
    dispute, attachment = world.disputes[kind], evidence[kind]
    url = reverse("admin:disputes_dispute_attachment", args=[dispute.pk, attachment.pk])
    before = snapshot()

    response = world.web(actor).get(url)

    assert admin_answer(response) == expected
    if expected == 200:
        page = world.web(actor).get(reverse("admin:disputes_dispute_change", args=[dispute.pk])).content.decode()
        assert f'<a href="{url}" download data-action="download">journal-{kind}.pdf</a>' in page
        assert (
            f"<td>Bilaga nedladdad</td><td>web-{actor}</td><td>Admin</td><td>–</td><td>journal-{kind}.pdf</td>" in page
        )
        assert b"".join(response.streaming_content) == EVIDENCE
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
        assert response["Content-Disposition"] == f'attachment; filename="journal-{kind}.pdf"'
        assert _downloads(dispute) == [(f"web-{actor}", "admin", attachment.pk, f"journal-{kind}.pdf")]
    else:
        assert snapshot() == before
