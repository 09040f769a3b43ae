"""Shared fixtures of the report tests: a small known data set and the people who read it."""

from decimal import Decimal

import pytest

from billing.models import Invoice, InvoiceKind, InvoiceStatus
from billing.reports.refresh import summaries_refresh
from contacts.intake import contacts_upsert
from contacts.synthetic import listing_unit
from regions.models import RegionPopulation, Role
from tests.factories import contact_item, personnummer

D = Decimal
VC01, VC02 = listing_unit("25", 1), listing_unit("25", 2)


@pytest.fixture
def people(make_user):
    return {
        "clerk04": make_user(Role.CLERK, "04"),
        "clerk25": make_user(Role.CLERK, "25"),
        "manager25": make_user(Role.MANAGER, "25"),
        "clerk06": make_user(Role.CLERK, "06"),
        "clerk03": make_user(Role.CLERK, "03"),
        "admin": make_user(Role.ADMIN),
    }


@pytest.fixture
def known(people, providers):
    """Contacts of provider P (04) and Q (06). Serial ending even: woman; odd: man."""
    p, q = providers["04a"].hsa_id, providers["06"].hsa_id

    def item(external_id, started, born, serial, provider=p, **facts):
        return contact_item(
            provider=provider,
            external_id=external_id,
            started_at=started,
            patient_id=personnummer(born, serial),
            **facts,
        )

    items = [
        # 2025, SKL-2019 (physician 500, psychologist 425, other 275, fee deducted)
        item("a", "2025-03-10T10:00:00+01:00", "19900501", "240", patient_fee="100.00", listing_unit=VC01),  # 400
        # 7 on the day of the contact: 7-18
        item("b", "2025-11-20T10:00:00+01:00", "20181120", "239", profession="PS", patient_fee="0.00"),  # 425
        # 2026 before 30 January: still SKL-2019; 6 the day before the birthday: 0-6
        item("c", "2026-01-10T10:00:00+01:00", "20190111", "240", patient_fee="200.00"),  # 300
        # SKR-2026-04 (435 / 405 / 235); 85 on the day: 85+
        item("d", "2026-05-05T10:00:00+02:00", "19410505", "239", patient_fee="100.00", listing_unit=VC01),  # 335
        # 64 the day before turning 65: 40-64
        item("e", "2026-06-01T10:00:00+02:00", "19610602", "240", profession="SJ", patient_fee="50.00"),  # 185
        item("f", "2026-06-15T10:00:00+02:00", "19800101", "239", mode="phone"),  # rejected: not digital
        item("g", "2026-06-20T10:00:00+02:00", "19800101", "239", triage=False, documented=False),  # 2 reasons
        item("h", "2026-06-25T10:00:00+02:00", "20000301", "240", home_region="06", profession="PS"),  # 305
        # 30 June 22:30 UTC is 1 July in Stockholm
        item("i", "2026-06-30T22:30:00+00:00", "19950701", "239", patient_fee="0.00", listing_unit=VC02),  # 435
        item("j", "2026-06-26T10:00:00+02:00", "19800101", "239", home_region="04"),  # not out-of-county
        # provider Q (06): 75 on the day: 75-84
        item("m", "2026-06-10T10:00:00+02:00", "19510610", "240", provider=q, profession="FT", patient_fee="0.00"),
    ]
    result = contacts_upsert(items=items, user=people["admin"], channel="api")
    assert result.errors == []
    RegionPopulation.objects.create(region_id="25", year=2025, population=1000)
    RegionPopulation.objects.create(region_id="25", year=2026, population=4000)
    summaries_refresh()
    return result


@pytest.fixture
def invoices(reference):
    numbers = iter(range(1, 100))

    def invoice(seller, buyer, period, total, status=InvoiceStatus.APPROVED, **more):
        if status != InvoiceStatus.DRAFT:
            more["number"] = f"{seller}-2026-{next(numbers):06d}"
        return Invoice.objects.create(
            seller_id=seller, buyer_id=buyer, period=period, total=D(total), status=status, **more
        )

    original = invoice("04", "25", "2026-06", "1000.00")
    invoice("25", "04", "2026-06", "300.00", status=InvoiceStatus.SENT)
    invoice("04", "06", "2026-07", "500.00", status=InvoiceStatus.PAID)
    invoice("04", "25", "2026-06", "-100.00", kind=InvoiceKind.CREDIT_NOTE, credits=original, credit_reason=2)
    invoice("06", "25", "2026-06", "999.00", status=InvoiceStatus.DRAFT)  # not approved: not money yet
    invoice("04", "25", "2025-12", "777.00")  # outside the months asked for
