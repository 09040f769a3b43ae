"""``{% load money %}{{ amount|sek }}``: an amount as a person reads it, ``1 234,50 kr`` (kernel.money.format_sek)."""

from decimal import Decimal, InvalidOperation

from django import template

from kernel.money import format_sek

register = template.Library()


@register.filter
def sek(value) -> str:
    """``1 234,50 kr`` for a Decimal, an int or a numeric string; ``–`` for nothing (None or "")."""
    if value is None or value == "":
        return "–"
    try:
        return format_sek(value if isinstance(value, Decimal | int) else Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
