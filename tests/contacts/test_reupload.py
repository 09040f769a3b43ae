# ruff: noqa: F811 (the billing tests' shared fixtures, imported below, are the tests' parameters)
"""Sending the same again (issue 15): a re-uploaded file or a resent contact that is already on a submitted invoice
is unchanged, not an error; a real change to such a contact is still refused."""

import pytest

from billing.models import Invoice
from billing.services import invoice_submit
from contacts.intake import contacts_upsert
from contacts.models import Contact
from tests.billing.conftest import january, run_now, staff  # noqa: F401 (shared fixtures)
from tests.contacts.test_csv_upload import row, semicolons, upload

pytestmark = pytest.mark.django_db


def _lk30_row(providers, **changes) -> str:
    contact = Contact.objects.get(external_id="lk-30")
    facts = {"patient_id": contact.patient_id, "started_at": "2026-01-30T10:00:00+01:00", "patient_fee": "100,00"}
    return row(providers["04a"].hsa_id, "lk-30", **(facts | changes))


def test_re_uploading_contacts_already_on_a_submitted_invoice_counts_them_unchanged(client, january, staff, providers):
    run_now()
    invoice_submit(invoice=Invoice.objects.get(buyer_id="25"), by=staff["clerk04"])
    client.force_login(staff["clerk04"])

    again = upload(client, semicolons(_lk30_row(providers)))
    changed = upload(client, semicolons(_lk30_row(providers, patient_fee="0")))

    assert (again.context["report"]["unchanged"], again.context["report"]["rejected"]) == (1, [])
    assert changed.context["report"]["unchanged"] == 0
    assert [line["external_id"] for line in changed.context["report"]["rejected"]] == ["lk-30"]
    assert Contact.objects.get(external_id="lk-30").patient_fee == 100


def test_resending_an_invoiced_contact_through_the_api_is_idempotent(january, staff, providers):
    run_now()
    invoice_submit(invoice=Invoice.objects.get(buyer_id="25"), by=staff["clerk04"])
    item = {
        "external_id": "lk-30",
        "provider": providers["04a"].hsa_id,
        "patient_id": Contact.objects.get(external_id="lk-30").patient_id,
        "home_region": "25",
        "profession": "LK",
        "started_at": "2026-01-30T10:00:00+01:00",
        "mode": "video",
        "strong_authentication": True,
        "triage": True,
        "documented": True,
        "content": "assessment",
        "patient_fee": "100.00",
    }

    result = contacts_upsert(items=[item], user=staff["clerk04"], channel="api")

    assert (result.unchanged, result.updated, result.errors) == (1, 0, [])


def test_a_contact_twice_in_a_file_names_the_line_it_is_on_and_no_message_shows_an_internal_name(
    client,
    january,
    staff,
    providers,
):
    run_now()
    invoice_submit(invoice=Invoice.objects.get(buyer_id="25"), by=staff["clerk04"])
    client.force_login(staff["clerk04"])
    hsa = providers["04a"].hsa_id

    response = upload(
        client,
        semicolons(
            row(hsa, "ny-1", started_at="2026-01-20T14:30:00+01:00"),
            row(hsa, "ny-1", started_at="2026-01-20T14:30:00+01:00"),
            _lk30_row(providers, patient_fee="0"),  # on the submitted invoice: a change refused
        ),
    )

    report = response.context["report"]
    assert [(line["line"], line["external_id"], line["errors"]) for line in report["rejected"]] == [
        (3, "ny-1", [("external_id", ["Samma kontakt (vårdgivare och external_id) finns redan på rad 2 i filen."])]),
        (
            4,
            "lk-30",
            [("", ["Kontakten finns på en inskickad eller godkänd faktura och kan inte längre ändras."])],
        ),
    ]
    assert "non_field_errors" not in response.content.decode()
