"""The bulk objection from the review: one objection per selected flagged line with its reasons, in one transaction,
within the objection period; lines already objected to or credited skipped and reported; the same through the API
(``GET /invoices/{id}/review/``, ``POST /invoices/{id}/objections/``)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

import disputes.services
import review.screen
import review.services
from billing.models import CreditReason, Invoice, InvoiceStatus
from billing.services import invoice_line_credit
from contacts.audit.models import IdentityRead, ReadVia
from disputes.models import Dispute, DisputeKind, DisputeStatus
from kernel.errors import NotAllowed, StateConflict
from kernel.history import Via
from regions.models import Role
from review.services import objections_open_bulk
from tests.review.test_invoice_review import _number, bill  # noqa: F401 (the fixture)

TODAY = dt.date(2026, 11, 10)
FEE = {"fee_deducted": Decimal("100.00"), "amount": Decimal("335.00")}  # of the 435,00 kr rate


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    for module in (disputes.services, review.services, review.screen):
        monkeypatch.setattr(module, "stockholm_today", lambda: TODAY)


@pytest.fixture
def approved(bill):  # noqa: F811
    """Bill's invoice of 4 November 2026, approved: a late line, a care date after the invoice date, a duplicate
    (of ``first``) and a clean line."""
    lines = {
        "late": bill.line("2026-05-03 10:00", patient=2, **FEE),
        "after": bill.line("2026-11-05 10:00", patient=3, **FEE),
        "first": bill.line("2026-09-01 09:00", patient=4, **FEE),
        "again": bill.line("2026-09-01 15:00", patient=4, **FEE),
        "clean": bill.line("2026-08-01 10:00", patient=1, **FEE),
    }
    Invoice.objects.filter(pk=bill.invoice.pk).update(
        status=InvoiceStatus.APPROVED, number="04-2026-000001", approved_at=timezone.now()
    )
    bill.invoice.refresh_from_db()
    bill.lines = lines
    return bill


@pytest.fixture
def clerk01(make_user):
    return make_user(Role.CLERK, "01")


def test_objections_open_for_the_selected_lines_with_their_reasons(approved, clerk01):
    lines = approved.lines
    result = objections_open_bulk(
        invoice=approved.invoice, line_ids=[lines["late"].pk, lines["after"].pk], by=clerk01, via=Via.API
    )
    assert (len(result.opened), result.skipped) == (2, [])
    late = Dispute.objects.get(invoice_line=lines["late"])
    assert (late.kind, late.status, late.opened_by, late.contact_id) == (
        DisputeKind.OBJECTION,
        DisputeStatus.OPEN,
        clerk01,
        lines["late"].contact_id,
    )
    assert late.reason == (
        "Föreslagen krediteringsorsak: 6 Fakturerad mer än sex månader efter vårdtillfället.\n"
        "Vården gavs den 2026-05-03, mer än sex månader före fakturadatumet 2026-11-04."
    )
    after = Dispute.objects.get(invoice_line=lines["after"])
    assert after.reason.startswith("Föreslagen krediteringsorsak: 8 ")
    # The proposed reason is data too, for the seller's bulk decision (disputes.bulk).
    assert (late.proposed_credit_reason, after.proposed_credit_reason) == (6, 8)


def test_lines_already_objected_to_credited_or_not_flagged_are_skipped(approved, clerk01, make_user):
    lines = approved.lines
    objections_open_bulk(invoice=approved.invoice, line_ids=[lines["late"].pk], by=clerk01)
    # The objection to the late line decided (dismissed): still objected to once, not again.
    Dispute.objects.filter(invoice_line=lines["late"]).update(status=DisputeStatus.DISMISSED, decided_at=timezone.now())
    invoice_line_credit(
        line=lines["after"], reason=CreditReason.CARE_AFTER_INVOICE, by=make_user(Role.CLERK, "04"), via="api", note="x"
    )
    result = objections_open_bulk(
        invoice=approved.invoice,
        line_ids=[lines["late"].pk, lines["after"].pk, lines["again"].pk, lines["clean"].pk],
        by=clerk01,
    )
    assert [d.invoice_line_id for d in result.opened] == [lines["again"].pk]
    assert [(s.line_id, s.reason) for s in result.skipped] == [
        (lines["late"].pk, "redan invänd mot"),
        (lines["after"].pk, "redan krediterad"),
        (lines["clean"].pk, "inte en markerad rad på fakturan"),
    ]
    assert result.summary() == (
        f"1 invändningar öppnade, 3 hoppades över: {lines['late'].pk}: redan invänd mot; "
        f"{lines['after'].pk}: redan krediterad; {lines['clean'].pk}: inte en markerad rad på fakturan"
    )


def test_a_refusal_of_one_line_opens_nothing(approved, clerk01):
    """The contact of the third line has an open case already: the disputes refuse it, and none is opened."""
    lines = approved.lines
    Dispute.objects.create(
        contact=lines["again"].contact,
        kind=DisputeKind.REJECTION,
        reason="x",
        opened_by=clerk01,
        opened_at=timezone.now(),
        deadline=TODAY,
    )
    with pytest.raises(StateConflict) as refused:
        objections_open_bulk(
            invoice=approved.invoice, line_ids=[lines["late"].pk, lines["after"].pk, lines["again"].pk], by=clerk01
        )
    assert str(refused.value.detail if hasattr(refused.value, "detail") else refused.value) == (
        f"Kontakt {lines['again'].contact_id} har redan en öppen tvist."
    )
    assert Dispute.objects.count() == 1


def test_each_objection_has_its_opened_event_and_its_mail(
    approved, clerk01, mailoutbox, make_user, django_capture_on_commit_callbacks
):
    from disputes.models import DisputeEvent

    seller_clerk = make_user(Role.CLERK, "04")  # the seller's staff hear of the cases
    seller_clerk.email = "clerk04@region04.example"
    seller_clerk.save(update_fields=["email"])
    lines = approved.lines
    ids = [lines["late"].pk, lines["after"].pk, lines["again"].pk]
    with django_capture_on_commit_callbacks(execute=True):
        result = objections_open_bulk(invoice=approved.invoice, line_ids=ids, by=clerk01, via=Via.API)
    opened = sorted(result.opened, key=lambda dispute: dispute.pk)
    events = list(DisputeEvent.objects.order_by("dispute_id").values_list("dispute_id", "action", "actor_id", "via"))
    assert events == [(dispute.pk, "opened", clerk01.pk, Via.API) for dispute in opened]
    assert [dispute.deadline for dispute in opened] == [opened[0].deadline] * 3
    # One mail to the seller's staff listing the three cases, not a mail per case (10 000 at once are one mail).
    assert [(message.to, message.subject) for message in mailoutbox] == [
        (["clerk04@region04.example"], "3 nya invändningar")
    ]
    body = mailoutbox[0].body.splitlines()
    assert body[0] == f"Svara senast {opened[0].deadline.isoformat()}."
    assert [line.split(":")[0] for line in body[1:]] == [str(dispute.pk) for dispute in opened]
    assert body[1].startswith(f"{opened[0].pk}: kontakt {opened[0].contact.external_id} hos ")


def test_outside_the_objection_period_or_by_another_role_nothing_opens(approved, clerk01, make_user, monkeypatch):
    ids = [approved.lines["late"].pk]
    with pytest.raises(NotAllowed):
        objections_open_bulk(invoice=approved.invoice, line_ids=ids, by=make_user(Role.ADMIN, "01"))
    with pytest.raises(NotAllowed):
        objections_open_bulk(invoice=approved.invoice, line_ids=ids, by=make_user(Role.CLERK, "04"))
    # Three months from 4 November 2026: 4 February 2027 is the last day.
    monkeypatch.setattr(review.services, "stockholm_today", lambda: dt.date(2027, 2, 4))
    monkeypatch.setattr(disputes.services, "stockholm_today", lambda: dt.date(2027, 2, 4))
    objections_open_bulk(invoice=approved.invoice, line_ids=ids, by=clerk01)
    monkeypatch.setattr(review.services, "stockholm_today", lambda: dt.date(2027, 2, 5))
    with pytest.raises(StateConflict):
        objections_open_bulk(invoice=approved.invoice, line_ids=[approved.lines["after"].pk], by=clerk01)
    assert Dispute.objects.count() == 1


# --- The admin's action ---------------------------------------------------------------------------------------


def test_the_screen_objects_to_the_checked_lines(client, approved, clerk01):
    lines = approved.lines
    url = reverse("admin:billing_invoice_review", args=[approved.invoice.pk])
    client.force_login(clerk01)
    page = client.get(url).content.decode()
    assert 'data-action="object-selected">Invänd mot markerade rader</button>' in page
    assert re.findall(r'name="line" value="(\d+)"', page) == [str(lines[k].pk) for k in ("late", "after", "again")]
    response = client.post(url, {"line": [lines["late"].pk, lines["again"].pk]}, follow=True)
    assert "2 invändningar öppnade, 0 hoppades över" in response.content.decode()
    assert set(Dispute.objects.values_list("invoice_line_id", flat=True)) == {lines["late"].pk, lines["again"].pk}
    response = client.post(url, {"line": [lines["late"].pk]}, follow=True)
    assert f"0 invändningar öppnade, 1 hoppades över: {lines['late'].pk}: redan invänd mot" in (
        response.content.decode()
    )


def test_the_screen_offers_no_objection_to_a_manager_of_the_seller_or_after_the_period(
    client, approved, make_user, monkeypatch
):
    url = reverse("admin:billing_invoice_review", args=[approved.invoice.pk])
    admin01 = make_user(Role.ADMIN, "01")
    client.force_login(admin01)  # the region's admin reads the review but does not object
    page = client.get(url).content.decode()
    assert 'name="line"' not in page
    assert client.post(url, {"line": [approved.lines["late"].pk]}).status_code == 403
    client.force_login(make_user(Role.MANAGER, "01"))
    monkeypatch.setattr(review.screen, "stockholm_today", lambda: dt.date(2027, 2, 5))
    assert 'name="line"' not in client.get(url).content.decode()
    assert not Dispute.objects.exists()


# --- The API ----------------------------------------------------------------------------------------------------


@pytest.fixture
def api(clerk01):
    client = APIClient()
    client.force_authenticate(clerk01)
    return client


def test_the_api_review_gives_totals_and_flagged_lines_in_pages(api, approved):
    lines = approved.lines
    url = reverse("api-v1:invoice-review", args=[approved.invoice.pk])
    response = api.get(url, {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    totals = {t["flag"]: (t["lines"], t["amount"], t["credit_reason"]) for t in body["totals"]}
    assert totals["late"] == (1, "335.00", 6)
    assert totals["care_after_invoice"] == (1, "335.00", 8)
    assert totals["duplicate"] == (1, "335.00", 7)
    assert totals["listed"] == (0, "0.00", 9)
    assert [line["id"] for line in body["results"]] == [lines["late"].pk, lines["after"].pk]
    first = body["results"][0]
    assert first["patient_id"] == _number(2)
    assert first["date"] == "2026-05-03"
    assert first["flags"] == [
        {
            "flag": "late",
            "credit_reason": 6,
            "explanation": "Vården gavs den 2026-05-03, mer än sex månader före fakturadatumet 2026-11-04.",
        }
    ]
    assert set(IdentityRead.objects.values_list("contact_id", "via")) == {
        (lines["late"].contact_id, ReadVia.API_INVOICE_LINES),
        (lines["after"].contact_id, ReadVia.API_INVOICE_LINES),
    }
    following = api.get(body["next"]).json()
    assert [line["id"] for line in following["results"]] == [lines["again"].pk]
    assert [line["id"] for line in api.get(url, {"flag": "duplicate"}).json()["results"]] == [lines["again"].pk]
    assert api.get(url, {"flag": "nonsense"}).status_code == 400


def test_the_api_opens_objections_and_reports_skips(api, approved):
    lines = approved.lines
    url = reverse("api-v1:invoice-objections", args=[approved.invoice.pk])
    response = api.post(url, {"line_ids": [lines["late"].pk, lines["clean"].pk]}, format="json")
    assert response.status_code == 201
    dispute = Dispute.objects.get()
    assert response.json() == {
        "opened": [{"line_id": lines["late"].pk, "dispute_id": dispute.pk}],
        "skipped": [{"line_id": lines["clean"].pk, "reason": "inte en markerad rad på fakturan"}],
    }
    again = api.post(url, {"line_ids": [lines["late"].pk]}, format="json").json()
    assert again == {"opened": [], "skipped": [{"line_id": lines["late"].pk, "reason": "redan invänd mot"}]}


@pytest.mark.parametrize(
    "body",
    [{}, {"line_ids": []}, {"line_ids": "1"}, {"line_ids": ["x"]}, {"line_ids": [1.5]}, {"line_ids": [None]}],
)
def test_the_api_refuses_what_is_not_a_list_of_line_ids(api, approved, body):
    url = reverse("api-v1:invoice-objections", args=[approved.invoice.pk])
    assert api.post(url, body, format="json").status_code == 400


def test_the_api_refuses_more_than_ten_thousand_lines(api, approved):
    url = reverse("api-v1:invoice-objections", args=[approved.invoice.pk])
    assert api.post(url, {"line_ids": list(range(1, 10_002))}, format="json").status_code == 400
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(("role", "region"), [(Role.CLERK, "04"), (Role.CLERK, "06"), (Role.ADMIN, None)])
def test_the_api_is_a_404_outside_the_buyer_region(approved, make_user, role, region):
    client = APIClient()
    client.force_authenticate(make_user(role, region))
    pk = approved.invoice.pk
    assert client.get(reverse("api-v1:invoice-review", args=[pk])).status_code == 404
    response = client.post(
        reverse("api-v1:invoice-objections", args=[pk]), {"line_ids": [approved.lines["late"].pk]}, format="json"
    )
    assert response.status_code == 404
    assert not Dispute.objects.exists()


def test_a_mail_that_cannot_be_sent_is_recorded_on_each_case(
    approved, clerk01, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    import disputes.notifications
    from disputes.models import DisputeEvent

    seller_clerk = make_user(Role.CLERK, "04")
    seller_clerk.email = "clerk04@region04.example"
    seller_clerk.save(update_fields=["email"])
    sent = []

    def refuse(messages, fail_silently):
        sent.append(len(messages))
        raise ConnectionRefusedError

    monkeypatch.setattr(disputes.notifications, "send_mass_mail", refuse)
    lines = approved.lines
    with django_capture_on_commit_callbacks(execute=True):
        result = objections_open_bulk(
            invoice=approved.invoice, line_ids=[lines["late"].pk, lines["after"].pk], by=clerk01
        )

    assert sent == [1]  # one mail listing both cases
    assert sorted(DisputeEvent.objects.values_list("dispute_id", "action")) == sorted(
        [(dispute.pk, action) for dispute in result.opened for action in ("opened", "mail_failed")]
    )
    assert set(DisputeEvent.objects.filter(action="mail_failed").values_list("note", flat=True)) == {
        "E-posten om det här steget (opened) till 1 mottagare kunde inte skickas: ConnectionRefusedError."
    }


def test_a_contact_of_another_home_region_refuses_them_all(approved, clerk01):
    from contacts.models import Contact

    lines = approved.lines
    Contact.objects.filter(pk=lines["after"].contact_id).update(home_region_id="03")

    with pytest.raises(NotAllowed):
        objections_open_bulk(invoice=approved.invoice, line_ids=[lines["late"].pk, lines["after"].pk], by=clerk01)

    assert not Dispute.objects.exists()


def test_the_totals_count_the_flagged_lines_in_the_same_pass(approved, client, clerk01):
    from review.selectors import invoice_review

    review = invoice_review(approved.invoice)
    assert review.flagged_count is None
    totals = {str(total.flag): total.lines for total in review.totals()}
    flagged = review.flagged_lines().count()
    assert review.flagged_count == flagged == 3  # late, after, and the duplicate "again"
    assert (totals["late"], totals["care_after_invoice"], totals["duplicate"]) == (1, 1, 1)

    client.force_login(clerk01)
    url = reverse("admin:billing_invoice_review", args=[approved.invoice.pk])
    assert client.get(url).context["page"].paginator.count == 3
    assert client.get(url + "?flag=late").context["page"].paginator.count == 1
