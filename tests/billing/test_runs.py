import datetime as dt
from decimal import Decimal

import pytest

from billing.models import Invoice, InvoiceLine
from billing.selectors import invoice_totals
from billing.services import invoice_submit
from contacts.intake import contacts_upsert
from contacts.models import Contact, ContactEvent
from tests.billing.conftest import run_now
from tests.factories import contact_item

pytestmark = pytest.mark.django_db

D = Decimal


def _invoice(buyer):
    return Invoice.objects.get(seller_id="04", buyer_id=buyer, period="2026-01", status="draft")


def test_a_run_builds_one_draft_per_buyer_with_exact_totals(january):
    run = run_now()

    assert (run.status, run.progress, run.error) == ("succeeded", 100, "")
    to25, to01 = _invoice("25"), _invoice("01")
    assert sorted(run.invoices.values_list("pk", flat=True)) == sorted([to25.pk, to01.pk])
    assert (to25.contact_count, to25.total) == (4, D("1140.00"))
    assert (to01.contact_count, to01.total) == (1, D("500.00"))
    assert [(t.category, t.count, t.rate, t.gross, t.patient_fees, t.net) for t in invoice_totals(to25)] == [
        ("physician", 1, D("500.00"), D("500.00"), D("100.00"), D("400.00")),
        ("physician", 1, D("435.00"), D("435.00"), D("100.00"), D("335.00")),
        ("psychologist", 1, D("405.00"), D("405.00"), D("0.00"), D("405.00")),
        ("other_licensed", 1, D("235.00"), D("235.00"), D("235.00"), D("0.00")),
    ]
    assert sum(t.net for t in invoice_totals(to25)) == to25.total
    assert not InvoiceLine.objects.filter(contact__external_id__in=["phone", "feb"]).exists()


def test_running_again_refreshes_without_duplicating(january):
    first = run_now()
    lines_before = sorted(InvoiceLine.objects.values_list("contact_id", "amount"))

    second = run_now()

    assert sorted(second.invoices.values_list("pk", flat=True)) == sorted(first.invoices.values_list("pk", flat=True))
    assert sorted(InvoiceLine.objects.values_list("contact_id", "amount")) == lines_before
    assert Invoice.objects.count() == 2


def test_a_changed_contact_is_repriced_by_the_next_run(january, staff, providers):
    run_now()
    contacts_upsert(
        items=[
            contact_item(
                provider=providers["04a"].hsa_id,
                external_id="lk-30",
                started_at="2026-01-30T10:00:00+01:00",
                patient_fee="35.00",
            )
        ],
        user=staff["clerk04"],
        channel="api",
    )

    run_now()

    assert _invoice("25").total == D("1205.00")  # 400 + 400 + 405 + 0


def test_contacts_on_a_submitted_invoice_stay_and_late_ones_go_on_a_new_invoice(january, staff, providers):
    run_now()
    submitted = invoice_submit(invoice=_invoice("25"), by=staff["clerk04"])
    contacts_upsert(
        items=[
            contact_item(provider=providers["04a"].hsa_id, external_id="late", started_at="2026-01-25T09:00:00+01:00")
        ],
        user=staff["clerk04"],
        channel="api",
    )

    run_now()

    submitted.refresh_from_db()
    assert (submitted.status, submitted.contact_count, submitted.total) == ("submitted", 4, D("1140.00"))
    new = _invoice("25")
    assert new.pk != submitted.pk
    assert list(new.lines.values_list("contact__external_id", flat=True)) == ["late"]
    assert new.total == D("400.00")  # 25 January: the 2019 rate, 500 − 100


def test_the_invoicing_deadline_rejects_contacts_older_than_six_months(january):
    # On 30 July 2026 the deadline is 30 January 2026 00:00 in Stockholm.
    run = run_now(run_date=dt.date(2026, 7, 30))

    late = Contact.objects.get(external_id="lk-29")
    assert (late.status, late.reasons, late.amount) == ("rejected", "invoicing_deadline_passed", D("0.00"))
    event = ContactEvent.objects.get(contact=late)
    assert event.kind == "deadline" and event.result_before["status"] == "eligible"
    assert Contact.objects.get(external_id="lk-30").status == "eligible"
    to25 = Invoice.objects.get(pk__in=run.invoices.all(), buyer_id="25")
    assert sorted(to25.lines.values_list("contact__external_id", flat=True)) == ["lk-30", "ps-30", "sj-31"]
    assert not Invoice.objects.filter(buyer_id="01").exists()  # its only contact (15 January) is past the deadline


def test_a_run_for_another_region_bills_nothing_of_this_one(january):
    run = run_now(region="06")

    assert (run.status, list(run.invoices.all())) == ("succeeded", [])
    assert Invoice.objects.count() == 0


def test_an_empty_draft_disappears_when_its_contacts_are_gone(january, staff):
    run_now()
    Contact.objects.filter(home_region_id="01").update(status="rejected", reasons="rejected_by_clerk", amount=0)

    run_now()

    assert not Invoice.objects.filter(buyer_id="01").exists()


def test_the_monthly_schedule_starts_last_months_run_for_every_region_with_providers(
    january, django_capture_on_commit_callbacks
):
    from django.conf import settings

    from billing.models import InvoiceRun
    from billing.services import invoice_runs_start_scheduled

    with django_capture_on_commit_callbacks(execute=False) as queued:
        run_ids = invoice_runs_start_scheduled(today=dt.date(2026, 2, 5))

    runs = InvoiceRun.objects.filter(pk__in=run_ids).order_by("billing_region_id")
    assert [(run.billing_region_id, run.period, run.started_via) for run in runs] == [
        ("04", "2026-01", "schedule"),
        ("06", "2026-01", "schedule"),
    ]
    assert len(queued) == 2
    schedule = settings.CELERY_BEAT_SCHEDULE["monthly-invoice-runs"]
    assert schedule["task"] == "billing.schedule_monthly_runs"
    assert (schedule["schedule"].day_of_month, schedule["schedule"].hour) == ({5}, {2})
