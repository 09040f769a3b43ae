"""Money: SEK as Decimal with two decimals, and the one rounding rule used everywhere."""

from decimal import ROUND_HALF_UP, Decimal

ORE = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str) -> Decimal:
    """Round to whole öre, half away from zero (the one rounding rule). Floats are refused."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal, int or str")
    return Decimal(value).quantize(ORE, rounding=ROUND_HALF_UP)


def format_sek(value: Decimal, *, unit: bool = True) -> str:
    """Swedish display: ``1 234,50 kr`` (non-breaking space as thousands separator); ``1 234,50`` without the
    unit, for columns whose heading says the amounts are in kronor."""
    amount = to_money(value)
    sign = "-" if amount < 0 else ""
    whole, _, ore = f"{abs(amount):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    number = f"{sign}{'\u00a0'.join(groups)},{ore}"
    return f"{number}\u00a0kr" if unit else number
