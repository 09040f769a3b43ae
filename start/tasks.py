"""What the start page lists: tasks (something to do, how many, how much, and the filtered list to do it in) and
the lines under them, as they read in its tables; and the links into the admin's filtered lists."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext

from kernel.money import ZERO, format_sek


def count_text(count: int | None, capped: bool = False) -> str:
    """A count as read: ``1 234`` (a non-breaking space between thousands), ``fler än 1 000`` past a cap."""
    if count is None:
        return ""
    text = f"{count:,}".replace(",", "\u00a0")
    return gettext("more than %(count)s") % {"count": text} if capped else text


class _Figures:
    """How a task's or a detail's count and amount read in the table: "more than 500", "1 234,50 kr"."""

    count: int | None
    amount: Decimal | None
    capped: bool

    @property
    def amount_text(self) -> str:
        return format_sek(self.amount) if self.amount is not None else ""

    @property
    def count_text(self) -> str:
        return count_text(self.count, self.capped)


@dataclass(frozen=True)
class Detail(_Figures):
    """One line under a task: a period, a returned invoice and its note, a failed run and why."""

    text: str
    url: str
    count: int | None = None
    amount: Decimal | None = None
    note: str = ""
    capped: bool = False


@dataclass(frozen=True)
class Task(_Figures):
    """Something to do (or to follow), with how many, how much, and the filtered list to do it in."""

    key: str  # stable, for the markup (data-task) and tests
    text: str
    count: int
    url: str
    amount: Decimal | None = None
    overdue: int = 0
    overdue_url: str = ""
    capped: bool = False  # the count stopped at the cap: "more than"
    details: tuple[Detail, ...] = ()


def admin_url(name: str, params: Mapping[str, str] | None = None) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


def or_zero(value) -> Decimal:
    return value if value is not None else ZERO
