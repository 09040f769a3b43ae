"""Invoice numbers and specification ids: pure formatting, no ORM."""

import re

NUMBER_PATTERN = re.compile(r"^(?P<seller>\d{2})-(?P<year>\d{4})-(?P<serial>\d{6})$")


def invoice_number(seller_code: str, year: int, serial: int) -> str:
    """``04-2026-000017``: the seller's län code, the year, and the seller's gap-free serial of that year."""
    if not 1 <= serial <= 999_999:
        raise ValueError(f"invoice serial out of range: {serial}")
    return f"{seller_code}-{year:04d}-{serial:06d}"


def specification_id(seller_org_number: str, period: str, serial: int) -> str:
    """Inera's form: ``ZVF`` + the seller's 10-digit organisation number + ``YYMM`` of the period + 6 digits."""
    if not (len(seller_org_number) == 10 and seller_org_number.isdigit()):
        raise ValueError("the seller needs a 10-digit organisation number")
    year, month = period.split("-")
    return f"ZVF{seller_org_number}{year[2:]}{month}{serial:06d}"
