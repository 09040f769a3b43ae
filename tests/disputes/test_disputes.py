import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import Invoice
from billing.services import invoice_approve, invoice_submit
from contacts.models import Contact, ContactEvent
from disputes.models import Dispute, DisputeEvent
from disputes.permissions import can_resolve_dispute
from disputes.services import dispute_assign, dispute_comment, dispute_open, dispute_resolve
from kernel.errors import InvalidInput, NotAllowed, StateConflict
from regions.models import Role
from tests.billing.conftest import run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def system04(make_user, providers):
    return make_user(Role.PROVIDER, provider=providers["04a"])


@pytest.fixture
def approved(january, staff):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    return invoice_approve(invoice=invoice, by=staff["manager04"])


def test_a_rejected_contact_disputed_and_accepted_is_invoiced_by_the_next_run(january, staff, system04):
    phone = Contact.objects.get(external_id="phone")
    assert (phone.status, phone.reasons) == ("rejected", "not_digital")

    dispute = dispute_open(contact=phone, by=system04, reason="Videosamtalet föll tillbaka på telefon")
    decided = dispute_resolve(dispute=dispute, by=staff["clerk04"], outcome="accepted", note="Godtas: video avsedd")
    run_now()

    phone.refresh_from_db()
    assert (dispute.kind, decided.status, decided.decided_by) == ("rejection", "accepted", staff["clerk04"])
    assert (phone.status, phone.reasons, phone.overridden, phone.amount) == ("eligible", "", True, Decimal("400.00"))
    event = ContactEvent.objects.get(contact=phone, kind="overridden")
    assert (event.actor, event.note, event.result_before["status"]) == (
        staff["clerk04"],
        "Godtas: video avsedd",
        "rejected",
    )
    assert Invoice.objects.get(buyer_id="25", status="draft").lines.filter(contact=phone).exists()


def test_an_invoiced_contact_objected_to_and_accepted_gets_a_credit_note_with_its_own_number(approved, staff):
    contact = Contact.objects.get(external_id="lk-30")

    dispute = dispute_open(contact=contact, by=staff["clerk25"], reason="Patienten är listad hos oss")
    decided = dispute_resolve(dispute=dispute, by=staff["clerk04"], outcome="accepted", note="Korrekt", credit_reason=7)
    credit_note = decided.credit_note
    invoice_submit(invoice=credit_note, by=staff["clerk04"])
    credit_note = invoice_approve(invoice=credit_note, by=staff["manager04b"])

    approved.refresh_from_db()
    assert (dispute.kind, decided.credit_reason) == ("objection", 7)
    assert (credit_note.kind, credit_note.credits, credit_note.status) == ("credit_note", approved, "approved")
    assert credit_note.total == Decimal("-335.00")
    assert credit_note.number == approved.number[:-6] + "000002"
    assert (approved.status, approved.total, approved.contact_count) == ("approved", Decimal("1140.00"), 4)
    assert approved.total + credit_note.total == Decimal("805.00")
    contact.refresh_from_db()
    assert contact.status == "credited"


def test_several_accepted_objections_on_one_invoice_share_the_credit_note_draft(approved, staff):
    notes = []
    for external_id in ["lk-29", "ps-30"]:
        dispute = dispute_open(contact=Contact.objects.get(external_id=external_id), by=staff["clerk25"], reason="x")
        notes.append(
            dispute_resolve(
                dispute=dispute, by=staff["clerk04"], outcome="accepted", note="ok", credit_reason=9
            ).credit_note
        )

    assert notes[0].pk == notes[1].pk
    shared = Invoice.objects.get(pk=notes[0].pk)
    assert (shared.contact_count, shared.total, shared.credit_reason) == (2, Decimal("-805.00"), 9)


def test_dismissal_changes_nothing_but_the_case(january, staff, system04):
    phone = Contact.objects.get(external_id="phone")
    dispute = dispute_open(contact=phone, by=system04, reason="x")

    decided = dispute_resolve(dispute=dispute, by=staff["manager04"], outcome="dismissed", note="Telefon är telefon")

    phone.refresh_from_db()
    assert decided.status == "dismissed" and decided.credit_note is None
    assert (phone.status, phone.overridden) == ("rejected", False)
    assert not ContactEvent.objects.filter(contact=phone).exists()
    assert list(DisputeEvent.objects.filter(dispute=dispute).values_list("action", flat=True)) == [
        "opened",
        "dismissed",
    ]


def test_one_open_case_per_contact(january, staff, system04):
    phone = Contact.objects.get(external_id="phone")
    first = dispute_open(contact=phone, by=system04, reason="x")

    with pytest.raises(StateConflict, match=f"Kontakt {phone.pk} har redan en öppen tvist"):
        dispute_open(contact=phone, by=staff["clerk04"], reason="y")
    dispute_resolve(dispute=first, by=staff["clerk04"], outcome="dismissed", note="nej")
    second = dispute_open(contact=phone, by=staff["clerk04"], reason="Ny uppgift")

    assert Dispute.objects.filter(contact=phone).count() == 2 and second.status == "open"


def test_the_objection_period_is_three_months_from_the_invoice_date(approved, staff, monkeypatch):
    from disputes import services

    contact = Contact.objects.get(external_id="lk-30")
    monkeypatch.setattr(services, "stockholm_today", lambda: services.add_months(approved.issue_date, 3))
    dispute_open(contact=contact, by=staff["clerk25"], reason="sista dagen")  # the last day still counts

    later = Contact.objects.get(external_id="lk-29")
    monkeypatch.setattr(
        services, "stockholm_today", lambda: services.add_months(approved.issue_date, 3) + dt.timedelta(days=1)
    )
    with pytest.raises(StateConflict, match="Invändningstiden för faktura"):
        dispute_open(contact=later, by=staff["clerk25"], reason="för sent")
    assert Dispute.objects.filter(contact=later).count() == 0


def test_the_response_deadline_is_thirty_days(january, staff, system04):
    dispute = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system04, reason="x")

    assert (dispute.deadline - dispute.opened_at.date()).days == 30


@pytest.mark.parametrize(
    ("opener", "contact", "allowed"),
    [
        ("system04", "phone", True),  # the provider contests its rejection
        ("clerk04", "phone", True),  # the billing region too
        ("clerk25", "phone", False),  # the buyer does not contest rejections
        ("clerk06", "phone", False),  # a third region
    ],
)
def test_who_may_contest_a_rejection(january, staff, system04, opener, contact, allowed):
    user = system04 if opener == "system04" else staff[opener]
    target = Contact.objects.get(external_id=contact)

    if allowed:
        assert dispute_open(contact=target, by=user, reason="x").kind == "rejection"
    else:
        with pytest.raises(NotAllowed):
            dispute_open(contact=target, by=user, reason="x")
        assert not Dispute.objects.exists()


@pytest.mark.parametrize(("opener", "allowed"), [("clerk25", True), ("clerk04", False), ("clerk06", False)])
def test_who_may_object(approved, staff, opener, allowed):
    target = Contact.objects.get(external_id="lk-30")

    if allowed:
        assert dispute_open(contact=target, by=staff[opener], reason="x").kind == "objection"
    else:
        with pytest.raises(NotAllowed):
            dispute_open(contact=target, by=staff[opener], reason="x")


@pytest.mark.parametrize(("decider", "allowed"), [("clerk04", True), ("manager04", True), ("clerk25", False)])
def test_who_may_decide(approved, staff, decider, allowed):
    dispute = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=staff["clerk25"], reason="x")

    if allowed:
        assert dispute_resolve(dispute=dispute, by=staff[decider], outcome="dismissed", note="n").status == "dismissed"
    else:
        with pytest.raises(NotAllowed):
            dispute_resolve(dispute=dispute, by=staff[decider], outcome="accepted", note="n", credit_reason=1)
        dispute.refresh_from_db()
        assert dispute.status == "open"


def test_an_accepted_objection_needs_a_credit_reason(approved, staff):
    dispute = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=staff["clerk25"], reason="x")

    with pytest.raises(InvalidInput) as excinfo:
        dispute_resolve(dispute=dispute, by=staff["clerk04"], outcome="accepted", note="ok", credit_reason=10)

    assert excinfo.value.errors == {
        "credit_reason": ["En godkänd invändning behöver en krediteringsorsak från 1 till 9."]
    }


def test_comments_by_parties_with_attachments_within_the_limits(january, staff, system04, settings):
    settings.DISPUTE_ATTACHMENT_MAX_BYTES = 1024 * 1024
    dispute = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system04, reason="x")
    evidence = SimpleUploadedFile("journal.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    too_big = SimpleUploadedFile("stor.pdf", b"x" * (1536 * 1024), content_type="application/pdf")
    wrong = SimpleUploadedFile("makro.docm", b"x", content_type="application/vnd.ms-word.document.macroEnabled.12")

    comment = dispute_comment(dispute=dispute, by=staff["clerk04"], text="Se journalen", attachments=[evidence])
    with pytest.raises(InvalidInput) as big:
        dispute_comment(dispute=dispute, by=system04, text="Bilaga", attachments=[too_big])
    with pytest.raises(InvalidInput) as kind:
        dispute_comment(dispute=dispute, by=system04, text="Bilaga", attachments=[wrong])
    with pytest.raises(NotAllowed):
        dispute_comment(dispute=dispute, by=staff["clerk25"], text="Vi är inte part")

    assert comment.attachments.get().name == "journal.pdf"
    assert big.value.errors == {"attachments": ["stor.pdf är 1,5\xa0MB; bilagor får vara högst 1,0\xa0MB."]}
    # Judged by its bytes (issue 16.3): one "x" is plain text, and a name of another kind is refused for it.
    assert kind.value.errors == {
        "attachments": ["makro.docm är ren text enligt innehållet; namnet måste sluta på .txt."]
    }
    assert dispute.comments.count() == 1


def _with_email(user, address):
    user.email = address
    user.save(update_fields=["email"])
    return user


def test_the_other_party_is_mailed_when_a_case_is_opened_commented_and_decided(
    january, staff, system04, mailoutbox, django_capture_on_commit_callbacks
):
    _with_email(system04, "journal@vardgivare.example")
    _with_email(staff["clerk04"], "clerk04@region04.example")
    _with_email(staff["clerk25"], "clerk25@region25.example")  # not a party to a rejection dispute

    with django_capture_on_commit_callbacks(execute=True):
        dispute = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system04, reason="x")
    with django_capture_on_commit_callbacks(execute=True):
        dispute_comment(dispute=dispute, by=staff["clerk04"], text="Vi tittar på det")
    with django_capture_on_commit_callbacks(execute=True):
        dispute_resolve(dispute=dispute, by=staff["clerk04"], outcome="dismissed", note="Nej")

    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        (["clerk04@region04.example"], f"Ny tvist {dispute.pk} om kontakt phone"),
        (["journal@vardgivare.example"], f"Ny kommentar i tvist {dispute.pk}"),
        (["journal@vardgivare.example"], f"Tvist {dispute.pk} avslagen"),
    ]


def test_a_rejection_the_billing_region_contests_itself_is_mailed_to_the_colleagues_who_decide_it(
    january, staff, system04, mailoutbox, django_capture_on_commit_callbacks
):
    _with_email(system04, "journal@vardgivare.example")
    _with_email(staff["clerk04"], "clerk04@region04.example")
    _with_email(staff["manager04"], "manager04@region04.example")
    _with_email(staff["clerk25"], "clerk25@region25.example")  # not a party to a rejection dispute

    with django_capture_on_commit_callbacks(execute=True):
        dispute = dispute_open(contact=Contact.objects.get(external_id="phone"), by=staff["clerk04"], reason="Video")

    assert [(sorted(mail.to), mail.subject) for mail in mailoutbox] == [
        (
            ["journal@vardgivare.example", "manager04@region04.example"],
            f"Ny tvist {dispute.pk} om kontakt phone",
        )
    ]


def test_a_mail_server_that_cannot_be_reached_loses_nothing_and_says_so_in_the_case(
    january, staff, system04, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from disputes import notifications

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(notifications, "send_mass_mail", unreachable)
    _with_email(staff["clerk04"], "clerk04@region04.example")

    with django_capture_on_commit_callbacks(execute=True):
        dispute = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system04, reason="x")

    assert list(dispute.events.order_by("id").values_list("action", "note")) == [
        ("opened", "x"),
        (
            "mail_failed",
            "E-posten om det här steget (opened) till 1 mottagare kunde inte skickas: ConnectionRefusedError.",
        ),
    ]
    assert f"Mail about dispute {dispute.pk} (opened) to 1 recipients failed" in caplog.text


def test_the_daily_digest_lists_cases_near_or_past_their_deadline(january, staff, system04, mailoutbox):
    from disputes.notifications import deadline_digest

    _with_email(staff["clerk04"], "clerk04@region04.example")
    dispute = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system04, reason="x")

    quiet = deadline_digest(today=dispute.deadline - dt.timedelta(days=10))
    sent = deadline_digest(today=dispute.deadline + dt.timedelta(days=1))

    assert (quiet, sent) == (0, 1)
    assert mailoutbox[0].to == ["clerk04@region04.example"]
    assert mailoutbox[0].subject == "1 tvist att hantera (1 försenad)"
    assert f"{dispute.pk}: Bestriden avvisning, kontakt phone, sista dag {dispute.deadline.isoformat()} (försenad)" in (
        mailoutbox[0].body
    )


def test_the_override_shows_on_the_contact_and_on_the_specification_line(january, staff, system04, api_as):
    import csv
    import io

    from billing.documents import specification_csv

    phone = Contact.objects.get(external_id="phone")
    dispute = dispute_open(contact=phone, by=system04, reason="x")
    dispute_resolve(dispute=dispute, by=staff["clerk04"], outcome="accepted", note="ok")
    run_now()
    invoice = Invoice.objects.get(buyer_id="25", status="draft")

    contact = api_as(Role.CLERK, "04").get(f"/api/v1/contacts/{phone.pk}/").json()
    rows = list(
        csv.DictReader(
            io.StringIO("".join(specification_csv(invoice, full_identity=True)).lstrip("\ufeff")), delimiter=";"
        )
    )

    assert (contact["overridden"], contact["status"]) == (True, "eligible")
    assert {row["external_id"]: row["rejection_overridden"] for row in rows} == {
        "lk-29": "",
        "lk-30": "",
        "ps-30": "",
        "sj-31": "",
        "phone": "yes",
    }


def test_a_rejection_no_dispute_can_lift_is_refused_and_nothing_changes(january, staff, system04):
    # Contacts of January are past the invoicing deadline in August.
    run_now(run_date=dt.date(2026, 8, 1))
    late = Contact.objects.get(external_id="lk-30")
    assert late.reasons == "invoicing_deadline_passed"
    dispute = dispute_open(contact=late, by=system04, reason="Fakturan skickades för sent av misstag")

    with pytest.raises(
        StateConflict,
        match=r"^Kontakt lk-30 kan inte faktureras även om tvisten godtas: Faktureringsfristen har passerats\.$",
    ):
        dispute_resolve(dispute=dispute, by=staff["clerk04"], outcome="accepted", note="ok")

    late.refresh_from_db()
    dispute.refresh_from_db()
    assert (late.status, late.overridden, dispute.status) == ("rejected", False, "open")


def test_who_may_decide_a_case(contested, named, make_user, providers):
    deciders = {
        "the opener": named["clerk04"],
        "a colleague clerk": make_user(Role.CLERK, "04"),
        "a manager": named["manager04"],
        "the buyer's clerk": named["clerk25"],
        "another region's clerk": make_user(Role.CLERK, "06"),
        "the provider": make_user(Role.PROVIDER, provider=providers["04a"]),
        "a national admin": make_user(Role.ADMIN),
    }

    allowed = {who: can_resolve_dispute(user, contested) for who, user in deciders.items()}

    assert allowed == {
        "the opener": False,
        "a colleague clerk": True,
        "a manager": True,
        "the buyer's clerk": False,
        "another region's clerk": False,
        "the provider": False,
        "a national admin": False,
    }


def test_a_case_is_never_assigned_to_the_one_who_opened_it(contested, named):
    # The opener is refused with the answer every name the case cannot go to gets (issue 16.10): no name in it.
    with pytest.raises(InvalidInput) as refused:
        dispute_assign(dispute=contested, assignee=named["clerk04"], by=named["manager04"])

    assert refused.value.errors == {
        "assignee": [
            "Region Sörmland har ingen handläggare eller chef med det användarnamnet som får besluta i ärendet "
            "(den som öppnade det får inte)."
        ]
    }

    contested.refresh_from_db()
    assert contested.assignee_id is None
    assert (
        dispute_assign(dispute=contested, assignee=named["manager04"], by=named["clerk04"]).assignee
        == named["manager04"]
    )
