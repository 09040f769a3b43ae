"""The ledger over sequences of steps and time (issue 14): each case a new user met over several simulated months.

The shared ``january`` fixture stands on 10 February 2026 (``billing_day``); a test moves the clock on with
``on(...)`` to the day a step happens. January's contacts for buyer 25: lk-29 (400.00, lapses after 29 July),
lk-30 (335.00), ps-30 (405.00), sj-31 (0.00), all three lapsing after 30 July; for buyer 01: lk-01 (500.00).
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from billing.ledger import credit_line_add
from billing.models import Invoice, InvoiceLine, InvoiceRun
from billing.services import (
    invoice_approve,
    invoice_credit,
    invoice_return,
    invoice_runs_start_scheduled,
    invoice_submit,
    unbilled_periods,
)
from contacts.intake import contacts_upsert
from contacts.models import Contact
from disputes.services import dispute_open, dispute_resolve
from kernel.business_time import STOCKHOLM
from kernel.errors import StateConflict
from regions.models import Role
from tests.billing.conftest import run_now
from tests.factories import contact_item, personnummer


def on(year: int, month: int, day: int, hour: int = 10):
    """The clock at ``hour`` on a Stockholm day, running on from there."""
    return time_machine.travel(dt.datetime(year, month, day, hour, tzinfo=STOCKHOLM), tick=True)


def invoice_of(buyer: str, period: str = "2026-01", **filters) -> Invoice:
    return Invoice.objects.get(seller_id="04", buyer_id=buyer, period=period, kind="invoice", **filters)


def approved(invoice: Invoice, staff) -> Invoice:
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    return invoice_approve(invoice=invoice, by=staff["manager04"])


def contact(external_id: str) -> Contact:
    return Contact.objects.get(external_id=external_id)


def objection_accepted(external_id: str, staff, *, reason: int) -> Invoice:
    dispute = dispute_open(contact=contact(external_id), by=staff["clerk25"], reason="Fel pris")
    dispute = dispute_resolve(
        dispute=dispute, by=staff["clerk04"], outcome="accepted", note="Godtas", credit_reason=reason
    )
    return dispute.credit_note


# --- 1. A lapsed contact is never billed -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_approved_after_a_contacts_deadline_loses_that_line_with_its_reason_and_new_totals(january, staff):
    run_now()
    invoice = invoice_of("25")
    assert (invoice.total, invoice.contact_count) == (Decimal("1140.00"), 4)
    invoice_submit(invoice=invoice, by=staff["clerk04"])

    with on(2026, 7, 30):  # lk-29's last billable day was 29 July; the others' is today
        invoice = invoice_approve(invoice=invoice, by=staff["manager04"])

    assert (invoice.status, invoice.total, invoice.contact_count) == ("approved", Decimal("740.00"), 3)
    assert sorted(invoice.lines.values_list("external_id", flat=True)) == ["lk-30", "ps-30", "sj-31"]
    event = invoice.events.get(action="lapsed_removed")
    assert event.changes == {"total": ["1140.00", "740.00"], "contact_count": [4, 3]}
    assert event.note == "1 kontakt som passerat faktureringsfristen 2026-07-30 borttagen: lk-29"
    lapsed = contact("lk-29")
    assert (lapsed.status, lapsed.reason_list, lapsed.locked) == ("rejected", ["invoicing_deadline_passed"], False)
    assert lapsed.events.get(kind="deadline").result_before["status"] == "invoiced"


@pytest.mark.django_db
def test_a_run_after_a_contacts_deadline_takes_it_off_the_draft_and_says_so_in_both_histories(january, staff):
    run_now()
    draft = invoice_of("25")

    with on(2026, 7, 30):
        run_now(run_date=dt.date(2026, 7, 30))

    draft.refresh_from_db()
    assert (draft.status, draft.total, draft.contact_count) == ("draft", Decimal("740.00"), 3)
    assert contact("lk-29").reason_list == ["invoicing_deadline_passed"]
    assert contact("lk-29").events.filter(kind="deadline").count() == 1
    assert not InvoiceLine.objects.filter(contact=contact("lk-29")).exists()


@pytest.mark.django_db
def test_approving_an_invoice_whose_every_contact_lapsed_is_a_409_naming_them_and_changes_nothing(
    january, staff, signed_in
):
    run_now()
    invoice = invoice_of("01")  # lk-01 of 15 January alone, lapsing after 15 July
    invoice_submit(invoice=invoice, by=staff["clerk04"])

    with on(2026, 7, 16):
        response = signed_in(staff["manager04"]).post(f"/api/v1/invoices/{invoice.pk}/approve/")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Kontakten på Faktura till Region Stockholm, 2026-01 har passerat sin faktureringsfrist: inget finns kvar att "
        "godkänna. Skicka tillbaka den till utkast; nästa körning tar bort den."
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.total) == ("submitted", None, Decimal("500.00"))
    assert contact("lk-01").status == "invoiced"


# --- 2. A contact is credited at most once -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_objection_to_a_credited_contact_is_a_409_and_refunds_nothing_more(january, staff, api_as):
    run_now()
    with on(2026, 2, 11):
        approved(invoice_of("25"), staff)
        credit_note = objection_accepted("lk-30", staff, reason=2)
        buyer = api_as(Role.CLERK, "25")

        again = buyer.post("/api/v1/disputes/", {"contact": contact("lk-30").pk, "reason": "Igen"}, format="json")
        assert again.status_code == 409
        assert "redan krediterad" in again.json()["detail"]

        invoice_submit(invoice=credit_note, by=staff["clerk04"])
        invoice_approve(invoice=credit_note, by=staff["manager04"])
        after = buyer.post("/api/v1/disputes/", {"contact": contact("lk-30").pk, "reason": "Igen"}, format="json")

    assert after.status_code == 409
    assert list(
        InvoiceLine.objects.filter(contact=contact("lk-30")).order_by("id").values_list("amount", flat=True)
    ) == [
        Decimal("335.00"),
        Decimal("-335.00"),
    ]


@pytest.mark.django_db
def test_the_seller_cannot_credit_a_line_an_accepted_objection_credits(january, staff, api_as):
    run_now()
    with on(2026, 2, 11):
        invoice = approved(invoice_of("25"), staff)
        objection_accepted("lk-30", staff, reason=2)
        response = api_as(Role.CLERK, "04").post(
            f"/api/v1/invoices/{invoice.pk}/credit/",
            {"contacts": [contact("lk-30").pk], "credit_reason": 2, "note": "Fel pris"},
            format="json",
        )

    assert response.status_code == 409
    assert InvoiceLine.objects.filter(contact=contact("lk-30"), credit=True).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_credit_of_a_line(january, staff):
    run_now()
    with on(2026, 2, 11):
        approved(invoice_of("25"), staff)
        credit_note = objection_accepted("lk-30", staff, reason=2)
    first = credit_note.lines.get()

    refused = r"line_credited_once|UNIQUE constraint failed: billing_invoiceline\.credited_line_id"
    with pytest.raises(IntegrityError, match=refused), transaction.atomic():
        InvoiceLine.objects.create(
            **{
                field.attname: getattr(first, field.attname)
                for field in InvoiceLine._meta.concrete_fields
                if field.attname != "id"
            }
        )


# --- 3. Credit and bill again ------------------------------------------------------------------------------------


def _credit_for_wrong_home_region(staff) -> Invoice:
    """lk-30 billed to 25, credited on an accepted objection for a wrong home region (reason 1), approved."""
    approved(invoice_of("25"), staff)
    credit_note = objection_accepted("lk-30", staff, reason=1)
    invoice_submit(invoice=credit_note, by=staff["clerk04"])
    return invoice_approve(invoice=credit_note, by=staff["manager04b"])


@pytest.mark.django_db
def test_after_a_credit_for_a_wrong_home_region_the_corrected_contact_is_billed_again_in_the_same_period(
    january, staff, providers, api_as
):
    run_now()
    with on(2026, 2, 11):
        credit_note = _credit_for_wrong_home_region(staff)
        credited = contact("lk-30")
        assert (credited.status, credited.billing_round, credited.locked) == ("credited", 1, False)

        corrected = contact_item(
            provider=providers["04a"].hsa_id,
            external_id="lk-30",
            started_at="2026-01-30T10:00:00+01:00",
            patient_fee="100.00",
            home_region="01",
        )
        response = api_as(Role.CLERK, "04").post("/api/v1/contacts/", corrected, format="json")
        assert response.status_code == 200, response.json()
        assert (contact("lk-30").status, contact("lk-30").home_region_id) == ("eligible", "01")
        run_now(run_date=dt.date(2026, 2, 11))

    rebilled = InvoiceLine.objects.get(contact=contact("lk-30"), credit=False, billing_round=1)
    assert (rebilled.invoice.buyer_id, rebilled.invoice.period, rebilled.amount) == ("01", "2026-01", Decimal("335.00"))
    assert (rebilled.invoice.status, rebilled.invoice.number) == ("draft", None)
    billed = InvoiceLine.objects.filter(contact=contact("lk-30")).order_by("id")
    assert [(line.invoice.kind, line.billing_round, line.amount) for line in billed] == [
        ("invoice", 0, Decimal("335.00")),
        ("credit_note", 0, Decimal("-335.00")),
        ("invoice", 1, Decimal("335.00")),
    ]
    # What the first invoice and the credit note billed stays as it was billed.
    assert {line.invoice.buyer_id for line in billed[:2]} == {"25"}
    assert credit_note.credits.buyer_id == "25"


@pytest.mark.django_db
def test_after_a_credit_for_a_wrong_price_a_csv_correction_bills_the_contact_again(client, january, staff, providers):
    from tests.contacts.test_csv_upload import row, semicolons, upload

    run_now()
    with on(2026, 2, 11):
        approved(invoice_of("25"), staff)
        credit_note = objection_accepted("lk-30", staff, reason=2)
        invoice_submit(invoice=credit_note, by=staff["clerk04"])
        invoice_approve(invoice=credit_note, by=staff["manager04"])
        lk30 = contact("lk-30")
        client.force_login(staff["clerk04"])
        # The fee was never paid: the full rate.
        fixed = row(
            providers["04a"].hsa_id,
            "lk-30",
            patient_id=lk30.patient_id,
            started_at="2026-01-30T10:00:00+01:00",
            patient_fee="0",
        )
        response = upload(client, semicolons(fixed))
        assert response.status_code == 200
        assert (response.context["report"]["updated"], response.context["report"]["rejected"]) == (1, [])
        run_now(run_date=dt.date(2026, 2, 11))

    lk30.refresh_from_db()
    assert (lk30.status, lk30.amount, lk30.billing_round) == ("eligible", Decimal("435.00"), 1)
    line = InvoiceLine.objects.get(contact=lk30, credit=False, billing_round=1)
    assert (line.invoice.buyer_id, line.amount, line.invoice.status) == ("25", Decimal("435.00"), "draft")
    assert line.invoice.pk != invoice_of("25", status="approved").pk


@pytest.mark.django_db
def test_after_a_credit_for_a_reason_that_ends_billing_the_contact_stays_locked(january, staff, providers):
    run_now()
    with on(2026, 2, 11):
        approved(invoice_of("25"), staff)
        credit_note = objection_accepted("lk-30", staff, reason=9)  # not billable
        invoice_submit(invoice=credit_note, by=staff["clerk04"])
        invoice_approve(invoice=credit_note, by=staff["manager04"])
        result = contacts_upsert(
            items=[
                contact_item(
                    provider=providers["04a"].hsa_id,
                    external_id="lk-30",
                    started_at="2026-01-30T10:00:00+01:00",
                    patient_fee="0.00",
                )
            ],
            user=staff["clerk04"],
            channel="api",
        )

    assert [(error.index, list(error.errors)) for error in result.errors] == [(0, ["non_field_errors"])]
    lk30 = contact("lk-30")
    assert (lk30.status, lk30.locked, lk30.amount) == ("credited", True, Decimal("335.00"))


# --- 4. The seller corrects its own mistake -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_seller_credit_and_invoice_again_goes_through_four_eyes_and_bills_the_corrected_amount(
    january, staff, api_as, signed_in, django_capture_on_commit_callbacks
):
    run_now()
    with on(2026, 2, 11):
        invoice = approved(invoice_of("25"), staff)  # 04-2026-000001
        clerk, manager = api_as(Role.CLERK, "04"), signed_in(staff["manager04b"])
        lk29 = contact("lk-29")
        response = clerk.post(
            f"/api/v1/invoices/{invoice.pk}/credit/",
            {
                "contacts": [lk29.pk],
                "credit_reason": 2,
                "note": "Patientavgiften var inte betald",
                "rebill": True,
                "correction": {"patient_fee": "0.00"},
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        credit_note = Invoice.objects.get(pk=response.json()["id"])
        assert (credit_note.kind, credit_note.status, credit_note.total) == ("credit_note", "draft", Decimal("-400.00"))
        assert manager.post(f"/api/v1/invoices/{credit_note.pk}/submit/").status_code == 200
        own = manager.post(f"/api/v1/invoices/{credit_note.pk}/approve/")
        assert own.status_code == 403  # the submitter never approves
        with django_capture_on_commit_callbacks(execute=True):  # the queued run, in-process, once committed
            credit_note = invoice_approve(invoice=credit_note, by=staff["manager04"])

    assert credit_note.number == "04-2026-000002"
    lk29.refresh_from_db()
    assert (lk29.status, lk29.patient_fee, lk29.amount, lk29.billing_round) == (
        "eligible",
        Decimal("0.00"),
        Decimal("500.00"),
        1,
    )
    # The approval queued a run for January: it bills the corrected contact on a new draft of the same period.
    assert InvoiceRun.objects.filter(billing_region_id="04", period="2026-01", started_via="system").exists()
    line = InvoiceLine.objects.get(contact=lk29, credit=False, billing_round=1)
    assert (line.invoice.period, line.invoice.status, line.amount) == ("2026-01", "draft", Decimal("500.00"))
    invoice.refresh_from_db()
    assert (invoice.total, invoice.contact_count) == (Decimal("1140.00"), 4)  # approved: never changes


@pytest.mark.django_db
def test_a_seller_credit_needs_a_reason_and_rebilling_only_for_reasons_1_to_4(january, staff):
    from kernel.errors import InvalidInput

    run_now()
    with on(2026, 2, 11):
        invoice = approved(invoice_of("25"), staff)
        with pytest.raises(InvalidInput) as no_reason:
            invoice_credit(invoice=invoice, contact_ids=[contact("lk-29").pk], reason=0, note="x", by=None, via="api")
        with pytest.raises(InvalidInput) as not_correctable:
            invoice_credit(
                invoice=invoice, contact_ids=[contact("lk-29").pk], reason=9, note="x", by=None, via="api", rebill=True
            )

    assert set(no_reason.value.errors) == {"credit_reason"}
    assert set(not_correctable.value.errors) == {"rebill"}
    assert not Invoice.objects.filter(kind="credit_note").exists()


# --- 5. Specification ids never collide ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_returned_invoice_approved_later_takes_the_next_number_and_specification_serial(january, staff):
    run_now()
    with on(2026, 2, 11):
        first = approved(invoice_of("25"), staff)
    with on(2026, 6, 30):  # a draft returned once and approved late, before lk-01 lapses
        second = invoice_of("01")
        invoice_submit(invoice=second, by=staff["clerk04"])
        invoice_return(invoice=second, by=staff["manager04"], note="Kontrollera")
    with on(2026, 7, 10):
        second = approved(second, staff)
    assert (first.number, second.number) == ("04-2026-000001", "04-2026-000002")
    org = first.seller.org_number
    assert first.specification_id == f"ZVF{org}2601000001"
    assert second.specification_id == f"ZVF{org}2601000002"


@pytest.mark.django_db
def test_approvals_of_one_period_across_a_new_year_never_collide(staff, providers, reference):
    """October 2026 invoiced to 25 in November and to 01 in January 2027: the year's invoice number restarts, the
    specification id's serial does not (it used to restart, collide, and answer 500 on every retry)."""
    hsa = providers["04a"].hsa_id
    with on(2026, 11, 5):
        contacts_upsert(
            items=[
                contact_item(provider=hsa, external_id="okt-25", started_at="2026-10-05T10:00:00+02:00"),
                contact_item(
                    provider=hsa,
                    external_id="okt-01",
                    started_at="2026-10-06T10:00:00+02:00",
                    home_region="01",
                    patient_id=personnummer("19700101", "123"),
                ),
            ],
            user=staff["clerk04"],
            channel="api",
        )
        run_now(period="2026-10", run_date=dt.date(2026, 11, 5))
        november = approved(invoice_of("25", "2026-10"), staff)
    with on(2027, 1, 8):
        january_2027 = approved(invoice_of("01", "2026-10"), staff)

    org = november.seller.org_number
    assert (november.number, january_2027.number) == ("04-2026-000001", "04-2027-000001")
    assert (november.specification_id, january_2027.specification_id) == (
        f"ZVF{org}2610000001",
        f"ZVF{org}2610000002",
    )


# --- 6. Late contacts, warnings and ended contracts -----------------------------------------------------------


@pytest.mark.django_db
def test_the_schedule_runs_every_period_with_unbilled_contacts_within_the_deadline(staff, providers, reference):
    hsa = providers["04a"].hsa_id
    with on(2026, 11, 20):
        contacts_upsert(
            items=[
                contact_item(provider=hsa, external_id="maj", started_at="2026-05-25T10:00:00+02:00"),  # lapsed
                contact_item(provider=hsa, external_id="jun", started_at="2026-06-25T10:00:00+02:00"),  # late
                contact_item(provider=hsa, external_id="okt", started_at="2026-10-25T10:00:00+02:00"),
                contact_item(provider=hsa, external_id="nov", started_at="2026-11-02T10:00:00+01:00"),  # open month
            ],
            user=staff["clerk04"],
            channel="api",
        )
    providers["04a"].active = False  # the contract ended: what it delivered is still invoiced
    providers["04a"].save(update_fields=["active"])
    providers["04b"].active = False
    providers["04b"].save(update_fields=["active"])

    with on(2026, 12, 1, 3):
        assert unbilled_periods(today=dt.date(2026, 12, 1)) == [("04", "2026-06"), ("04", "2026-10"), ("04", "2026-11")]
        started = invoice_runs_start_scheduled(today=dt.date(2026, 12, 1))

    runs = InvoiceRun.objects.filter(pk__in=started).order_by("billing_region", "period")
    # 04's three periods although none of its providers is active; 06 (an active provider) its last month as always.
    assert [(run.billing_region_id, run.period, run.started_via) for run in runs] == [
        ("04", "2026-06", "schedule"),
        ("04", "2026-10", "schedule"),
        ("04", "2026-11", "schedule"),
        ("06", "2026-11", "schedule"),
    ]


@pytest.mark.django_db
def test_the_start_page_warns_about_contacts_lapsing_within_30_days(client, staff, providers, reference):
    hsa = providers["04a"].hsa_id
    with on(2026, 11, 20):
        contacts_upsert(
            items=[
                contact_item(provider=hsa, external_id="jun-1", started_at="2026-06-10T10:00:00+02:00"),
                contact_item(provider=hsa, external_id="jun-2", started_at="2026-06-12T10:00:00+02:00"),
                contact_item(provider=hsa, external_id="aug", started_at="2026-08-10T10:00:00+02:00"),  # not yet
            ],
            user=staff["clerk04"],
            channel="api",
        )
        client.force_login(staff["clerk04"])
        page = client.get("/admin/").content.decode()

    assert (
        "Fakturera kontakterna vars rätt till ersättning förfaller inom 30 dagar: kör faktureringen för deras "
        "perioder och låt godkänna fakturorna (den äldsta, från 2026-06-10, förfaller efter 2026-12-10)"
    ) in page
    assert "670,00" in page  # jun-1 and jun-2, 335.00 each; August's contact is not yet warned about


@pytest.mark.django_db
def test_a_contact_dated_after_its_providers_contract_ended_is_refused_at_intake(staff, providers, reference):
    provider = providers["04a"]
    provider.ended_on = dt.date(2026, 10, 31)
    provider.active = False
    provider.save(update_fields=["ended_on", "active"])
    with on(2026, 11, 20):
        result = contacts_upsert(
            items=[
                contact_item(provider=provider.hsa_id, external_id="okt", started_at="2026-10-31T22:00:00+01:00"),
                contact_item(provider=provider.hsa_id, external_id="nov", started_at="2026-11-01T10:00:00+01:00"),
            ],
            user=staff["clerk04"],
            channel="api",
        )

    assert [(error.index, list(error.errors)) for error in result.errors] == [(1, ["started_at"])]
    assert "2026-10-31" in result.errors[0].errors["started_at"][0]
    assert list(Contact.objects.values_list("external_id", "status")) == [("okt", "eligible")]


# --- 7. Identity details ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_plus_number_is_100_or_older_on_the_contacts_date(staff, providers, reference):
    with on(2026, 12, 3):
        result = contacts_upsert(
            items=[
                contact_item(
                    provider=providers["04a"].hsa_id,
                    external_id="hundra",
                    started_at="2026-12-02T10:00:00+01:00",
                    patient_id="261210+2380",
                )
            ],
            user=staff["clerk04"],
            channel="csv",
        )

    assert result.errors == []
    stored = Contact.objects.get()
    assert (stored.patient_id, stored.patient_birth_date) == ("192612102380", dt.date(1926, 12, 10))


@pytest.mark.django_db
def test_a_patient_born_after_the_contact_is_refused(staff, providers, reference):
    with on(2026, 12, 3):
        result = contacts_upsert(
            items=[
                contact_item(
                    provider=providers["04a"].hsa_id,
                    external_id="ofödd",
                    started_at="2026-11-20T10:00:00+01:00",
                    patient_id=personnummer("20261125", "238"),
                )
            ],
            user=staff["clerk04"],
            channel="api",
        )

    assert [(error.index, list(error.errors)) for error in result.errors] == [(0, ["patient_id"])]
    assert "efter kontaktens datum (2026-11-20)" in result.errors[0].errors["patient_id"][0]
    assert not Contact.objects.exists()


# --- 8. Duplicates -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_contact_of_the_same_patient_provider_and_minute_is_a_possible_duplicate_until_a_dispute(
    staff, providers, reference, make_user
):
    hsa = providers["04a"].hsa_id
    with on(2026, 11, 20):
        contacts_upsert(
            items=[
                contact_item(provider=hsa, external_id="a", started_at="2026-11-05T10:00:10+01:00"),
                contact_item(provider=hsa, external_id="b", started_at="2026-11-05T10:00:50+01:00"),
                contact_item(provider=hsa, external_id="c", started_at="2026-11-05T10:01:00+01:00"),
            ],
            user=staff["clerk04"],
            channel="api",
        )
        statuses = dict(Contact.objects.values_list("external_id", "status"))
        assert statuses == {"a": "eligible", "b": "rejected", "c": "eligible"}
        assert contact("b").reason_list == ["possible_duplicate"]

        provider_user = make_user(Role.PROVIDER, provider=providers["04a"])
        dispute = dispute_open(contact=contact("b"), by=provider_user, reason="Två olika samtal samma minut")
        dispute_resolve(dispute=dispute, by=staff["clerk04"], outcome="accepted", note="Två samtal, journalfört")

    assert (contact("b").status, contact("b").overridden) == ("eligible", True)
    run_now(period="2026-11", run_date=dt.date(2026, 12, 1))
    assert invoice_of("25", "2026-11").contact_count == 3


@pytest.mark.django_db
def test_the_seller_cannot_add_a_credit_line_to_an_unapproved_invoice(january, staff):
    run_now()
    line = invoice_of("25").lines.first()

    with pytest.raises(StateConflict):
        credit_line_add(line=line, reason=2, by=staff["clerk04"], via="admin", note="x")

    assert not Invoice.objects.filter(kind="credit_note").exists()
