import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.models import Contact
from disputes.models import Dispute, DisputeEvent
from regions.models import Role
from tests.disputes.test_disputes import approved  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_a_provider_opens_a_rejection_dispute_and_the_seller_decides_it(api_as, january, providers):
    phone = Contact.objects.get(external_id="phone")
    provider = api_as(Role.PROVIDER, provider=providers["04a"])
    seller = api_as(Role.CLERK, "04")

    opened = provider.post("/api/v1/disputes/", {"contact": phone.pk, "reason": "Video"}, format="json")
    again = provider.post("/api/v1/disputes/", {"contact": phone.pk, "reason": "Igen"}, format="json")
    detail_id = opened.json()["id"]
    comment = seller.post(f"/api/v1/disputes/{detail_id}/comments/", {"text": "Vi kollar"}, format="json")
    by_provider = provider.post(
        f"/api/v1/disputes/{detail_id}/resolve/", {"outcome": "accepted", "note": "x"}, format="json"
    )
    resolved = seller.post(
        f"/api/v1/disputes/{detail_id}/resolve/", {"outcome": "accepted", "note": "Godtas"}, format="json"
    )
    detail = provider.get(f"/api/v1/disputes/{detail_id}/").json()

    assert opened.status_code == 201
    assert (opened.json()["kind"], opened.json()["status"], opened.json()["contact"]) == ("rejection", "open", phone.pk)
    assert again.status_code == 409
    assert comment.status_code == 201
    assert by_provider.status_code == 403
    assert resolved.status_code == 200 and resolved.json()["status"] == "accepted"
    assert [(c["author"], c["text"]) for c in detail["comments"]] == [(comment.json()["author"], "Vi kollar")]
    assert Contact.objects.get(pk=phone.pk).status == "eligible"


def test_the_buyer_objects_and_an_accepted_objection_returns_the_credit_note(api_as, approved):  # noqa: F811
    contact = Contact.objects.get(external_id="lk-30")
    buyer, seller = api_as(Role.CLERK, "25"), api_as(Role.CLERK, "04")

    opened = buyer.post("/api/v1/disputes/", {"contact": contact.pk, "reason": "Listad hos oss"}, format="json")
    missing_reason = seller.post(
        f"/api/v1/disputes/{opened.json()['id']}/resolve/", {"outcome": "accepted", "note": "ok"}, format="json"
    )
    resolved = seller.post(
        f"/api/v1/disputes/{opened.json()['id']}/resolve/",
        {"outcome": "accepted", "note": "ok", "credit_reason": 1},
        format="json",
    )

    assert (opened.status_code, opened.json()["kind"], opened.json()["invoice"]) == (201, "objection", approved.pk)
    assert missing_reason.status_code == 400
    body = resolved.json()
    assert (body["status"], body["credit_reason"]) == ("accepted", 1)
    credit = buyer.get(f"/api/v1/invoices/{body['credit_note']}/").json()
    assert (credit["kind"], credit["credits"], credit["total"], credit["status"]) == (
        "credit_note",
        approved.pk,
        "-335.00",
        "draft",
    )


def test_scope_and_filters(api_as, january, providers):
    phone = Contact.objects.get(external_id="phone")
    provider = api_as(Role.PROVIDER, provider=providers["04a"])
    dispute_id = provider.post("/api/v1/disputes/", {"contact": phone.pk, "reason": "x"}, format="json").json()["id"]

    third = api_as(Role.CLERK, "06")
    other_provider = api_as(Role.PROVIDER, provider=providers["04b"])
    seller = api_as(Role.CLERK, "04")

    assert third.get(f"/api/v1/disputes/{dispute_id}/").status_code == 404
    assert other_provider.get(f"/api/v1/disputes/{dispute_id}/").status_code == 404
    assert other_provider.post("/api/v1/disputes/", {"contact": phone.pk, "reason": "x"}, format="json").json() == {
        "contact": ["Okänd kontakt."]
    }
    assert [
        d["id"] for d in seller.get("/api/v1/disputes/?status=open&kind=rejection&region=04").json()["results"]
    ] == [dispute_id]
    assert seller.get("/api/v1/disputes/?region=06").json()["results"] == []


def test_an_attachment_over_the_limit_is_refused_with_a_clear_message(api_as, january, providers, settings):
    settings.DISPUTE_ATTACHMENT_MAX_BYTES = 1024
    phone = Contact.objects.get(external_id="phone")
    provider = api_as(Role.PROVIDER, provider=providers["04a"])
    dispute_id = provider.post("/api/v1/disputes/", {"contact": phone.pk, "reason": "x"}, format="json").json()["id"]

    response = provider.post(
        f"/api/v1/disputes/{dispute_id}/comments/",
        {
            "text": "Bilaga",
            "attachments": [SimpleUploadedFile("stor.pdf", b"x" * 2048, content_type="application/pdf")],
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"attachments": ["stor.pdf är 2,0\xa0kB; bilagor får vara högst 1,0\xa0kB."]}
    assert Dispute.objects.get(pk=dispute_id).comments.count() == 0


def test_the_api_refuses_the_opener_a_decision_and_a_colleague_decides(api_as, january, staff):
    opener, colleague = api_as(Role.CLERK, "04"), api_as(Role.CLERK, "04")
    phone = Contact.objects.get(external_id="phone")
    opened = opener.post("/api/v1/disputes/", {"contact": phone.pk, "reason": "Video avsedd"}, format="json")
    url = f"/api/v1/disputes/{opened.json()['id']}/resolve/"

    refused = opener.post(url, {"outcome": "accepted", "note": "Godtas"}, format="json")
    events = DisputeEvent.objects.filter(dispute_id=opened.json()["id"]).count()
    decided = colleague.post(url, {"outcome": "dismissed", "note": "Telefon enligt journalen"}, format="json")

    assert opened.status_code == 201
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "Du öppnade tvisten; en kollega i Region Sörmland måste besluta om den."},
    )
    assert events == 1  # only its opening: the refusal recorded nothing
    phone.refresh_from_db()
    assert (phone.status, phone.overridden) == ("rejected", False)
    assert (decided.status_code, decided.json()["status"]) == (200, "dismissed")
