"""Factories for test data, in one place. Identifiers are valid (Luhn) unless a test says otherwise."""

import factory
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
