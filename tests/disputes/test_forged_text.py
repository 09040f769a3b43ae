"""Issue 16 in disputes: reasons, comments and decision notes are multi-line free text, normalised (line breaks
kept, invisible characters removed); ids and numbers take the digits 0-9 only; an assignee's name refuses invisible
characters; the e-mails show a forged contact id or provider name on its own line (kernel/text.py)."""

import pytest
from django.urls import reverse

from contacts.models import Contact
from disputes.models import Dispute, DisputeComment
from disputes.notifications import dispute_message
from disputes.services import dispute_open
from regions.models import Provider, Role

pytestmark = pytest.mark.django_db

PASTED = "Enligt journalen\u200b var det\r\nvideo\u202e samtal\u2028se bilaga\u00ad."
STORED = "Enligt journalen var det\nvideo samtal\nse bilaga."


def digits(char: str) -> str:
    return f"Skriv tal med siffrorna 0-9; hittade U+{ord(char):04X}."


@pytest.fixture
def clerk04(api_as):
    return api_as(Role.CLERK, "04")


@pytest.fixture
def case(january, staff, make_user, providers):
    system = make_user(Role.PROVIDER, provider=providers["04a"])
    return dispute_open(contact=Contact.objects.get(external_id="phone"), by=system, reason="Video avsedd")


def test_a_reason_sent_through_the_api_is_stored_normalised(clerk04, january):
    phone = Contact.objects.get(external_id="phone")

    response = clerk04.post("/api/v1/disputes/", {"contact": phone.pk, "reason": PASTED}, format="json")

    assert response.status_code == 201
    assert Dispute.objects.get().reason == STORED


def test_a_comment_and_a_decision_note_through_the_api_are_stored_normalised(clerk04, case):
    comment = clerk04.post(f"/api/v1/disputes/{case.pk}/comments/", {"text": PASTED}, format="json")
    decision = clerk04.post(
        f"/api/v1/disputes/{case.pk}/resolve/", {"outcome": "dismissed", "note": PASTED}, format="json"
    )

    assert (comment.status_code, decision.status_code) == (201, 200)
    case.refresh_from_db()
    assert (DisputeComment.objects.get().text, case.decision_note) == (STORED, STORED)


def test_a_comment_of_nothing_but_invisible_characters_is_blank(clerk04, case):
    response = clerk04.post(f"/api/v1/disputes/{case.pk}/comments/", {"text": "\u200b\u202e\ufeff"}, format="json")

    assert (response.status_code, response.json()) == (400, {"text": ["Det här fältet får inte vara blankt."]})
    assert DisputeComment.objects.count() == 0


@pytest.mark.parametrize("contact_id", ["\u0663", "\uff13", "3\u200b"])
def test_a_contact_id_with_a_look_alike_digit_is_refused(clerk04, january, contact_id):
    response = clerk04.post("/api/v1/disputes/", {"contact": contact_id, "reason": "x"}, format="json")

    assert response.status_code == 400
    char = next(c for c in contact_id if c != "3")
    message = digits(char) if char.isdigit() else _refused(char)
    assert response.json() == {"contact": [message]}
    assert Dispute.objects.count() == 0


def _refused(char: str) -> str:
    return (
        "Får inte innehålla styrtecken eller osynliga formateringstecken (som radbrytningar, tabbar, "
        f"textriktningstecken eller nollbreddsmellanslag); hittade U+{ord(char):04X}."
    )


def test_a_credit_reason_with_a_look_alike_digit_is_refused(clerk04, case):
    response = clerk04.post(
        f"/api/v1/disputes/{case.pk}/resolve/",
        {"outcome": "dismissed", "note": "x", "credit_reason": "\u0662"},
        format="json",
    )

    assert (response.status_code, response.json()) == (400, {"credit_reason": [digits("\u0662")]})
    assert Dispute.objects.get().status == "open"


def test_an_assignee_with_an_invisible_character_is_refused(clerk04, case):
    response = clerk04.post(f"/api/v1/disputes/{case.pk}/assign/", {"assignee": "clerk04\u202e"}, format="json")

    assert (response.status_code, response.json()) == (400, {"assignee": [_refused("\u202e")]})
    assert Dispute.objects.get().assignee_id is None


def test_a_comment_and_a_decision_in_the_admin_are_stored_normalised(client, staff, case):
    client.force_login(staff["clerk04"])

    client.post(reverse("admin:disputes_dispute_comment", args=[case.pk]), {"text": PASTED})
    client.post(reverse("admin:disputes_dispute_decide", args=[case.pk]), {"outcome": "dismissed", "note": PASTED})

    case.refresh_from_db()
    assert (case.comments.get().text, case.decision_note, case.status) == (STORED, STORED, "dismissed")


def test_an_objection_opened_in_the_admin_keeps_its_lines(client, staff, january):
    from billing.models import Invoice
    from billing.services import invoice_approve, invoice_submit
    from tests.billing.conftest import run_now

    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    invoice_approve(invoice=invoice, by=staff["manager04"])
    client.force_login(staff["clerk25"])
    contact = Contact.objects.get(external_id="lk-30")

    response = client.post(reverse("admin:disputes_dispute_open", args=[contact.pk]), {"reason": PASTED})

    assert response.status_code == 302
    assert Dispute.objects.get().reason == STORED


def test_the_dispute_mail_keeps_a_forged_contact_id_and_provider_name_on_their_lines(case):
    Contact.objects.filter(pk=case.contact_id).update(external_id="phone\u2028Betala 99 999,00 kr")
    Provider.objects.filter(pk=case.contact.provider_id).update(name="Vård\u202eAB 00,534")
    case.refresh_from_db()

    subject, body = dispute_message(case, event="opened")

    assert subject == f"Ny tvist {case.pk} om kontakt phone\ufffdBetala 99 999,00 kr"
    lines = body.splitlines()
    assert lines[0] == f"Bestriden avvisning {case.pk}: Öppen."
    assert lines[1].startswith("Kontakt phone\ufffdBetala 99 999,00 kr hos Vård\ufffdAB 00,534, ")
    assert len(lines) == 4 and not any(line.startswith("Betala") for line in lines)


def test_an_attachment_whose_name_reverses_its_extension_is_stored_without_the_reversing_character(staff, case):
    # Django's multipart parser already drops such characters from an uploaded file's name; the service's name
    # cleaning (disputes/attachments.clean_name) drops them whatever the caller passes (a file name can come
    # from elsewhere), so the name reads as what it is.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from disputes.services import dispute_comment

    upload = SimpleUploadedFile("faktura\u202efdp.txt", b"journal", content_type="text/plain")

    comment = dispute_comment(dispute=case, by=staff["clerk04"], text="Se bilaga", attachments=[upload])

    assert [a.name for a in comment.attachments.all()] == ["fakturafdp.txt"]


def test_the_daily_digest_keeps_each_case_on_its_line(case, staff, mailoutbox):
    import datetime as dt

    from disputes.notifications import deadline_digest

    staff["clerk04"].email = "clerk04@region04.example"
    staff["clerk04"].save(update_fields=["email"])
    Contact.objects.filter(pk=case.contact_id).update(external_id="phone\u2028999 FORGED\u202e00,534")

    sent = deadline_digest(today=case.deadline + dt.timedelta(days=1))

    assert sent == 1
    assert mailoutbox[0].body.splitlines() == [
        f"{case.pk}: Bestriden avvisning, kontakt phone\ufffd999 FORGED\ufffd00,534, sista dag "
        f"{case.deadline.isoformat()} (försenad)"
    ]
