"""Which recommendation version is in force on a date: a pure timeline over published versions.

The version in force on day D is the published version with the latest ``effective_from`` on or before D;
of two versions effective the same day, the one published last (a correction) wins. Days before the first
version have none in force.
"""

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from kernel.business_time import stockholm_date


@dataclass(frozen=True)
class VersionFacts:
    """What pricing and the eligibility engine need of one published version."""

    code: str
    effective_from: dt.date
    published_at: dt.datetime
    includes_patient_fee: bool
    rates: dict[str, Decimal]
    criteria: tuple[str, ...]
    pk: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RateInEffect:
    version: VersionFacts
    category: str
    amount: Decimal


class NoRecommendationInForce(LookupError):
    """No published version covered the date (or the version has no rate for the category)."""

    def __init__(self, on: dt.date, category: str | None = None):
        self.on = on
        self.category = category
        if category:
            message = _("No rate recommendation with a rate for %(category)s was in force on %(date)s.") % {
                "category": category,
                "date": on.isoformat(),
            }
        else:
            message = _("No rate recommendation was in force on %(date)s.") % {"date": on.isoformat()}
        super().__init__(message)


class Timeline:
    """Published versions ordered by when they take effect; lookups are O(log n)."""

    def __init__(self, versions: list[VersionFacts]):
        ordered = sorted(versions, key=lambda v: (v.effective_from, v.published_at))
        # Keep only the last-published version per effective date: a correction replaces its original.
        by_day: dict[dt.date, VersionFacts] = {}
        for version in ordered:
            by_day[version.effective_from] = version
        self._days = sorted(by_day)
        self._versions = [by_day[day] for day in self._days]

    def version_on(self, on: dt.date | dt.datetime) -> VersionFacts:
        day = stockholm_date(on)
        index = bisect_right(self._days, day) - 1
        if index < 0:
            raise NoRecommendationInForce(day)
        return self._versions[index]

    def rate_on(self, category: str, on: dt.date | dt.datetime) -> RateInEffect:
        version = self.version_on(on)
        try:
            amount = version.rates[category]
        except KeyError:
            raise NoRecommendationInForce(stockholm_date(on), category) from None
        return RateInEffect(version=version, category=category, amount=amount)
