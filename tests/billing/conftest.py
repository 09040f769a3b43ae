import csv
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model

from billing.models import Invoice, InvoiceRun
from billing.runs import invoice_run_execute
from billing.services import invoice_approve, invoice_submit
from contacts.intake import contacts_upsert
from contacts.models import Contact
from disputes.services import dispute_assign, dispute_open
from regions.models import Role
from tests.factories import contact_item, personnummer


@pytest.fixture
def staff(make_user):
    return {
        "clerk04": make_user(Role.CLERK, "04", username="clerk04"),
        "manager04": make_user(Role.MANAGER, "04", username="manager04"),
        "manager04b": make_user(Role.MANAGER, "04", username="manager04b"),
        "clerk25": make_user(Role.CLERK, "25", username="clerk25"),
        "clerk06": make_user(Role.CLERK, "06", username="clerk06"),
    }


@pytest.fixture
def january(billing_day, staff, providers):
    """January 2026 billed by Sörmland (04): two rate versions (2019 until the 29th, January 2026 from the 30th)."""
    hsa = providers["04a"].hsa_id

    def item(external_id, started, **facts):
        return contact_item(provider=hsa, external_id=external_id, started_at=started, **facts)

    items = [
        # buyer 25
        item("lk-29", "2026-01-29T10:00:00+01:00", patient_fee="100.00"),  # 500 − 100 = 400
        item("lk-30", "2026-01-30T10:00:00+01:00", patient_fee="100.00"),  # 435 − 100 = 335
        item("ps-30", "2026-01-30T11:00:00+01:00", profession="PS", patient_fee="0.00"),  # 405
        item("sj-31", "2026-01-31T23:30:00+01:00", profession="SJ", patient_fee="300.00"),  # 235 − 235 = 0
        item("phone", "2026-01-20T10:00:00+01:00", mode="phone"),  # rejected: not invoiced
        # buyer 01
        item(
            "lk-01",
            "2026-01-15T10:00:00+01:00",
            home_region="01",
            patient_fee="0.00",
            patient_id=personnummer("19700101", "123"),
        ),  # 500
        # next period: 31 January 23:30 UTC is 1 February in Stockholm
        item("feb", "2026-01-31T23:30:00+00:00"),
    ]
    result = contacts_upsert(items=items, user=staff["clerk04"], channel="api")
    assert result.errors == []
    return result


def run_now(region="04", period="2026-01", run_date=dt.date(2026, 2, 10), by=None):
    run = InvoiceRun.objects.create(billing_region_id=region, period=period, started_by=by)
    return invoice_run_execute(run=run, run_date=run_date)


FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x.example")']


@pytest.fixture
def formula_invoice(staff, providers):
    hsa = providers["04a"].hsa_id
    result = contacts_upsert(
        items=[
            contact_item(provider=hsa, external_id=f"f-{n}", started_at=f"2026-01-{10 + n:02d}T10:00:00+01:00")
            for n in range(len(FORMULAS) + 1)
        ],
        user=staff["clerk04"],
        channel="api",
    )
    assert result.errors == []
    # Intake refuses control characters and checks HSA-ids, so these values can only be planted underneath it.
    for n, formula in enumerate(FORMULAS):
        Contact.objects.filter(external_id=f"f-{n}").update(external_id=formula, care_unit=formula)
    run_now()
    return Invoice.objects.get(buyer_id="25")


def _rows(chunks) -> list[list[str]]:
    text = "".join(chunks)
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


@pytest.fixture
def invoices(january, staff):
    """January's run: the invoice to Norrbotten approved (1 140,00 kr), the one to Stockholm a draft (500,00 kr)."""
    run_now()
    to_25 = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=to_25, by=staff["clerk04"])
    return {
        "approved": invoice_approve(invoice=to_25, by=staff["manager04b"]),
        "draft": Invoice.objects.get(buyer_id="01"),
    }


@pytest.fixture
def named(staff):
    """The people as colleagues know them."""
    names = {"clerk04": ("Karin", "Lindqvist"), "manager04": ("Anders", "Berg"), "clerk25": ("Lena", "Nilsson")}
    for username, (first, last) in names.items():
        get_user_model().objects.filter(username=username).update(first_name=first, last_name=last)
        staff[username].refresh_from_db()
    return staff


@pytest.fixture
def cases(invoices, named, make_user, providers):
    """An objection of Norrbotten to lk-30 (assigned to Karin) and the provider's contest of the phone contact."""
    system = make_user(Role.PROVIDER, provider=providers["04a"])
    rejection = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system, reason="Video avsedd")
    objection = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=named["clerk25"], reason="Listad")
    dispute_assign(dispute=objection, assignee=named["clerk04"], by=named["manager04"])
    return {"rejection": rejection, "objection": objection, "provider": providers["04a"]}


@pytest.fixture
def contested(january, named):
    """Karin, a clerk of the billing region, contests the rejection of the region's own telephone contact."""
    return dispute_open(contact=Contact.objects.get(external_id="phone"), by=named["clerk04"], reason="Video avsedd")
