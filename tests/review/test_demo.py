"""The review's demo (review/demo.py): after ``seed_demo`` Region Norrbotten's registers are loaded and the invoice of
late-reported contacts from Sörmland shows a few lines of every flag the product can produce, the rest clean."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F

from billing.demo import demo_approved_invoice
from billing.models import Invoice, InvoiceLine, InvoiceRun, InvoiceStatus
from contacts.models import Contact
from regions.models import RateRecommendation, RecommendationStatus
from review.demo import CLEAN, DEMO_CORRECTION, PER_FLAG, demo_review_invoice
from review.models import ListingEntry, PopulationEntry, RegisterLoad
from review.selectors import invoice_review

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "contacts": Contact.objects.count(),
        "invoices": Invoice.objects.count(),
        "lines": InvoiceLine.objects.count(),
        "runs": InvoiceRun.objects.count(),
        "recommendations": RateRecommendation.objects.count(),
        "population": PopulationEntry.objects.count(),
        "listing": ListingEntry.objects.count(),
        "loads": RegisterLoad.objects.count(),
    }


def test_demo_review_shows_every_producible_flag_on_the_buyers_own_registers_and_runs_once(client):
    call_command("seed_demo", "--password", "demo-pass-123")
    first = _counts()
    call_command("seed_demo", "--password", "demo-pass-123")

    assert _counts() == first
    invoice = demo_review_invoice()
    assert (invoice.seller_id, invoice.buyer_id, invoice.status) == ("04", "25", InvoiceStatus.APPROVED)
    assert invoice.number.endswith("-000002")  # the second number of 04's series: after billing's demo invoice
    review = invoice_review(invoice)
    assert {str(total.flag): total.lines for total in review.totals()} == {
        "not_resident": 3,
        "listed": 3,
        "duplicate": 3,
        "late": 0,
        "care_after_invoice": 0,
        "wrong_rate": 3,
        "unknown": 3,
    }
    assert (PER_FLAG, CLEAN) == (3, 20)
    assert review.lines.count() == 35
    assert review.flagged_lines().count() == 15  # each flagged line has one flag: 20 of 35 clean

    # The invoice billing's demo approved is covered by the registers: no line of it is unknown, moved or listed.
    earlier = {str(total.flag): total.lines for total in invoice_review(demo_approved_invoice()).totals()}
    assert [earlier[flag] for flag in ("not_resident", "listed", "duplicate", "unknown")] == [0, 0, 0, 0]

    # The registers are the buyer's own, loaded by its clerk through the loading service, nothing refused.
    clerk25 = get_user_model().objects.get(username="clerk25")
    assert set(PopulationEntry.objects.values_list("region_id", flat=True)) == {"25"}
    assert set(ListingEntry.objects.values_list("region_id", flat=True)) == {"25"}
    assert sorted(RegisterLoad.objects.values_list("region_id", "kind", "loaded_by", "via", "refused")) == [
        ("25", "listing", clerk25.pk, "admin", 0),
        ("25", "population", clerk25.pk, "admin", 0),
    ]

    # The wrong rates: the correction was published after the invoice, whose contacts keep the rate billed; every
    # draft was run again, so none bills a contact at a price it no longer has.
    correction = RateRecommendation.objects.get(code=DEMO_CORRECTION)
    assert correction.status == RecommendationStatus.PUBLISHED
    assert correction.published_at > invoice.approved_at
    wrong = review.flagged_lines("wrong_rate")
    assert {line.rate - line.expected_rate for line in wrong} == {Decimal("20.00")}
    assert not InvoiceLine.objects.filter(invoice__status=InvoiceStatus.DRAFT).exclude(contact__rate=F("rate")).exists()

    # clerk25's start page leads to the review, which opens.
    assert client.login(username="clerk25", password="demo-pass-123")
    review_url = f"/admin/billing/invoice/{invoice.pk}/review/"
    assert review_url in client.get("/admin/").content.decode()
    assert client.get(review_url).status_code == 200
