"""Demo organisations and users (``seed_demo``): idempotent, for trying the product, never for production."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from stdnum import luhn

from kernel.business_time import stockholm_today
from regions.models import Provider, Region, RegionPopulation, Role
from regions.seeding import reference_data_load
from regions.services import provider_create, region_billing_details_update, user_create

# Fictional providers with valid identifiers, contracted by Region Sörmland (04) and Region Jönköpings län (06).
DEMO_PROVIDERS = [
    ("SE5561234005-DL01", "Digitalläkaren AB", "5561234005", "04"),
    ("SE5562345016-PK01", "Psykologkollen Digital AB", "5562345016", "04"),
    ("SE5563456028-FO01", "Fysio Online Sverige AB", "5563456028", "04"),
    ("SE5564567039-VA01", "Vårdappen Jönköping AB", "5564567039", "06"),
    ("SE5565678041-NS01", "Nätsjuksköterskan AB", "5565678041", "06"),
]

# (username, role, region code, first name, last name)
DEMO_USERS = [
    ("clerk04", Role.CLERK, "04", "Karin", "Lindqvist"),
    ("manager04", Role.MANAGER, "04", "Anders", "Berg"),
    ("clerk06", Role.CLERK, "06", "Sofia", "Ek"),
    ("manager06", Role.MANAGER, "06", "Johan", "Holm"),
    ("clerk25", Role.CLERK, "25", "Maria", "Nilsson"),
    ("manager25", Role.MANAGER, "25", "Erik", "Lundberg"),
    ("admin", Role.ADMIN, None, "Eva", "Sjöberg"),
]


# Approximate populations for the demo's dashboards only: NOT Statistics Sweden's figures. A real installation
# loads SCB's table with `manage.py load_population`, which replaces these (same region and year).
DEMO_POPULATIONS = {
    "01": 2_473_000, "03": 408_000, "04": 301_000, "05": 471_000, "06": 370_000, "07": 203_000,
    "08": 246_000, "09": 61_000, "10": 156_000, "12": 1_420_000, "13": 343_000, "14": 1_750_000,
    "17": 283_000, "18": 307_000, "19": 280_000, "20": 287_000, "21": 287_000, "22": 243_000,
    "23": 132_000, "24": 275_000, "25": 249_000,
}  # fmt: skip
DEMO_POPULATION_SOURCE = "Demo: ungefärliga värden, inte SCB:s"


# Billing details for trying the product: fictional bankgiro numbers (valid check digits, no real accounts) for every
# region, and postal addresses and references for the demo's regions. A real installation has each region's admin
# enter its own (Regions in the admin); the demo never replaces what is entered.
DEMO_BILLING = {
    "01": ("Box 22550", "104 22", "Stockholm", "Ekonomiservice utomlänsvård"),
    "04": ("Region Sörmland", "611 88", "Nyköping", "Utomlänsfakturering, Karin Lindqvist"),
    "06": ("Box 1024", "551 11", "Jönköping", "Utomlänsfakturering, Sofia Ek"),
    "25": ("Region Norrbotten", "971 89", "Luleå", "Fakturagranskning utomlän, Maria Nilsson"),
}


def demo_bankgiro(code: str) -> str:
    base = f"59{int(code):02d}000"
    digits = base + luhn.calc_check_digit(base)
    return f"{digits[:4]}-{digits[4:]}"


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)


@transaction.atomic
def demo_load(*, password: str) -> DemoReport:
    """Providers and users; other apps' ``demo`` modules build on them (see the ``seed_demo`` command)."""
    report = DemoReport()
    reference_data_load()
    for hsa_id, name, org_number, region_code in DEMO_PROVIDERS:
        if not Provider.objects.filter(hsa_id=hsa_id).exists():
            provider_create(hsa_id=hsa_id, name=name, org_number=org_number, region_code=region_code)
            report.created.append(f"provider {hsa_id}")
    users = get_user_model().objects
    for username, role, region_code, first_name, last_name in DEMO_USERS:
        if users.filter(username=username).exists():
            continue
        user_create(
            username=username,
            role=role,
            password=password,
            region_code=region_code,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@example.se",
        )
        report.created.append(f"user {username}")
    report.created.extend(_demo_populations())
    report.created.extend(_demo_billing_details())
    return report


def _demo_billing_details() -> list[str]:
    changed = 0
    for region in Region.objects.order_by("code"):
        address, postal_code, city, reference = DEMO_BILLING.get(region.code, ("", "", "", ""))
        proposed = {
            "bankgiro": demo_bankgiro(region.code),
            "address": address,
            "postal_code": postal_code,
            "city": city,
            "invoice_reference": reference,
        }
        blank = {name: value for name, value in proposed.items() if value and not getattr(region, name)}
        if blank:
            region_billing_details_update(region=region, **blank)
            changed += 1
    return [f"billing details of {changed} regions"] if changed else []


def _demo_populations() -> list[str]:
    """Demo populations for last year and this year where none is entered (SCB figures are never replaced)."""
    this_year = stockholm_today().year
    created = 0
    for year in (this_year - 1, this_year):
        for code, population in DEMO_POPULATIONS.items():
            # A little growth each year, so the years differ as they do in reality.
            grown = population + population * (year - 2024) // 200
            _row, new = RegionPopulation.objects.get_or_create(
                region_id=code, year=year, defaults={"population": grown, "source": DEMO_POPULATION_SOURCE}
            )
            created += new
    return [f"{created} demo populations"] if created else []
