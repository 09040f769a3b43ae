import pytest

from billing.models import Invoice
from contacts.models import Contact
from disputes.models import Dispute, DisputeComment
from disputes.services import dispute_open
from regions.models import Provider, Role
from tests.billing.conftest import january, run_now, staff  # noqa: F401 (shared fixtures)

pytestmark = pytest.mark.django_db


def test_nul_characters_in_other_texts_are_a_400(api_as, staff, providers, january):  # noqa: F811
    clerk = api_as(Role.CLERK, "04")
    admin = api_as(Role.ADMIN)
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    phone = Contact.objects.get(external_id="phone")
    dispute = dispute_open(contact=phone, by=staff["clerk04"], reason="Videosamtal enligt journalen.")

    answers = {
        "dispute reason": clerk.post("/api/v1/disputes/", {"contact": phone.pk, "reason": "a\x00b"}, format="json"),
        "comment": clerk.post(f"/api/v1/disputes/{dispute.pk}/comments/", {"text": "a\x00b"}, format="json"),
        "decision note": clerk.post(
            f"/api/v1/disputes/{dispute.pk}/resolve/", {"outcome": "dismissed", "note": "\x00"}, format="json"
        ),
        "assignee": clerk.post(f"/api/v1/disputes/{dispute.pk}/assign/", {"assignee": "clerk04\x00"}, format="json"),
        "rejection note": clerk.post(f"/api/v1/contacts/{phone.pk}/reject/", {"note": "a\x00b"}, format="json"),
        "return note": clerk.post(f"/api/v1/invoices/{invoice.pk}/return/", {"note": "a\x00b"}, format="json"),
        "provider name": admin.post(
            "/api/v1/providers/",
            {"hsa_id": "SE5560000019-X1", "name": "Vård\x00 AB", "org_number": "5560000019", "region": "04"},
            format="json",
        ),
    }

    assert {name: (r.status_code, r.json()) for name, r in answers.items()} == {
        "dispute reason": (400, {"reason": ["Null-tecken är inte tillåtna."]}),
        "comment": (400, {"text": ["Null-tecken är inte tillåtna."]}),
        "decision note": (400, {"note": ["Null-tecken är inte tillåtna."]}),
        "assignee": (400, {"assignee": ["Null-tecken är inte tillåtna."]}),
        "rejection note": (400, {"note": ["Null-tecken är inte tillåtna."]}),
        "return note": (400, {"note": ["Null-tecken är inte tillåtna."]}),
        "provider name": (400, {"name": ["Null-tecken är inte tillåtna."]}),
    }
    assert (Dispute.objects.count(), DisputeComment.objects.count()) == (1, 0)
    assert Dispute.objects.get().decided_at is None
    assert Contact.objects.get(pk=phone.pk).manual_reasons == ""
    assert not Provider.objects.filter(hsa_id="SE5560000019-X1").exists()


@pytest.mark.parametrize("body", [{"note": 5}, {"note": 1.5}, {"note": True}, {"note": ["Fel period"]}])
def test_a_note_that_is_not_text_is_a_400_and_changes_nothing(api_as, staff, january, body):  # noqa: F811
    from billing.models import Invoice, InvoiceStatus
    from billing.services import invoice_submit
    from tests.billing.conftest import run_now

    run_now()
    invoice = invoice_submit(invoice=Invoice.objects.get(buyer_id="25"), by=staff["clerk04"])

    answer = api_as(Role.MANAGER, "04").post(f"/api/v1/invoices/{invoice.pk}/return/", body, format="json")

    assert (answer.status_code, answer.json()) == (400, {"note": ["Måste vara text (en JSON-sträng)."]})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SUBMITTED
