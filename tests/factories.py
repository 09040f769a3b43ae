"""Factories for test data, in one place. Identifiers are valid (Luhn) unless a test says otherwise."""

import factory
import pytest
from django.db import connection
from stdnum import luhn

from regions.models import Provider


def valid_org_number(serial: int) -> str:
    base = f"556{serial:06d}"
    return base + luhn.calc_check_digit(base)


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    org_number = factory.Sequence(valid_org_number)
    hsa_id = factory.LazyAttributeSequence(lambda o, n: f"SE{o.org_number}-P{n}")
    name = factory.Sequence(lambda n: f"Vårdgivare {n} AB")
    region_id = "04"
    active = True


def personnummer(birth: str = "19850312", serial: str = "238") -> str:
    """A valid 12-digit personnummer ``YYYYMMDD-NNNC`` (serial's last digit odd: male, even: female)."""
    digits = birth[2:] + serial
    return f"{birth}-{serial}{luhn.calc_check_digit(digits)}"


def contact_item(**overrides) -> dict:
    """A contact as a provider's system sends it: eligible under every version unless overridden."""
    item = {
        "external_id": "c-1",
        "patient_id": personnummer(),
        "home_region": "25",
        "profession": "LK",
        "started_at": "2026-10-05T14:30:00+02:00",
        "mode": "video",
        "strong_authentication": True,
        "triage": True,
        "documented": True,
        "content": "assessment",
        "patient_fee": "100.00",
    }
    item.update(overrides)
    return item


def debit_line(invoice, contact, **overrides):
    """A debit line billing ``contact`` on ``invoice`` as a run writes it (amounts and the contact as billed), saved.
    For tests that need a line outside a run: a reference to the contact, or a second line the database refuses."""
    from billing.models import InvoiceLine

    facts = {
        "invoice": invoice,
        "contact": contact,
        "billing_round": contact.billing_round,
        "category": contact.profession.category,
        "recommendation_id": contact.recommendation_id,
        "rate": contact.rate,
        "patient_fee": contact.patient_fee,
        "fee_deducted": contact.rate - contact.amount,
        "amount": contact.amount,
        "external_id": contact.external_id,
        "started_at": contact.started_at,
        "profession": contact.profession_id,
        "patient_id": contact.patient_id,
        "patient_sex": contact.patient_sex,
        "listing_unit": contact.listing_unit,
        "care_unit": contact.care_unit,
        "overridden": contact.overridden,
    }
    return InvoiceLine.objects.create(**(facts | overrides))


def valid_bankgiro(serial: int) -> str:
    """A valid 8-digit bankgiro number ``NNNN-NNNN`` (a Luhn check digit last)."""
    base = f"5{serial:06d}"
    digits = base + luhn.calc_check_digit(base)
    return f"{digits[:4]}-{digits[4:]}"


def regions_payable() -> None:
    """Every region with a bankgiro (the reference data has their organisation numbers), as an installation has
    them once its regions' admins have entered theirs: approval needs both."""
    from regions.models import Region

    for region in Region.objects.all():
        region.bankgiro = valid_bankgiro(int(region.code))
        region.save(update_fields=["bankgiro"])


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a PostgreSQL server to lose")


# Shared by the hostile-input tests of the contacts API, the JSON parser and the admin.
CONTACTS = "/api/v1/contacts/"
BULK = "/api/v1/contacts/bulk/"
SCRIPT = '<script>alert("x")</script>'


def post_raw(client, url: str, body: bytes, content_type: str = "application/json"):
    return client.generic("POST", url, body, content_type=content_type)


def items(count: int, prefix: str = "c") -> list[dict]:
    return [contact_item(external_id=f"{prefix}-{n}") for n in range(count)]
