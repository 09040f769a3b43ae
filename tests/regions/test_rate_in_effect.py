import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from regions.rates import NoRecommendationInForce
from regions.selectors import rate_in_effect
from regions.services import recommendation_create, recommendation_publish

pytestmark = pytest.mark.django_db

UTC = dt.UTC

# (day, category, expected version, expected amount)
BOUNDARIES = [
    # SKL 2019 takes effect 2019-10-01.
    (dt.date(2019, 10, 1), "physician", "SKL-2019", "500.00"),
    (dt.date(2019, 10, 1), "psychologist", "SKL-2019", "425.00"),
    (dt.date(2019, 10, 1), "other_licensed", "SKL-2019", "275.00"),
    # The day before January 2026 takes effect, 2019 rates still apply.
    (dt.date(2026, 1, 29), "physician", "SKL-2019", "500.00"),
    (dt.date(2026, 1, 29), "psychologist", "SKL-2019", "425.00"),
    (dt.date(2026, 1, 29), "other_licensed", "SKL-2019", "275.00"),
    (dt.date(2026, 1, 30), "physician", "SKR-2026-01", "435.00"),
    (dt.date(2026, 1, 30), "psychologist", "SKR-2026-01", "405.00"),
    (dt.date(2026, 1, 30), "other_licensed", "SKR-2026-01", "235.00"),
    (dt.date(2026, 4, 21), "physician", "SKR-2026-01", "435.00"),
    (dt.date(2026, 4, 21), "psychologist", "SKR-2026-01", "405.00"),
    (dt.date(2026, 4, 21), "other_licensed", "SKR-2026-01", "235.00"),
    (dt.date(2026, 4, 22), "physician", "SKR-2026-04", "435.00"),
    (dt.date(2026, 4, 22), "psychologist", "SKR-2026-04", "405.00"),
    (dt.date(2026, 4, 22), "other_licensed", "SKR-2026-04", "235.00"),
    (dt.date(2026, 11, 22), "physician", "SKR-2026-04", "435.00"),
]


@pytest.mark.parametrize(("day", "category", "code", "amount"), BOUNDARIES)
def test_rate_in_effect_at_each_version_boundary(reference, day, category, code, amount):
    result = rate_in_effect(category, on=day)

    assert result.version.code == code
    assert result.amount == Decimal(amount)
    assert result.category == category


@pytest.mark.parametrize("category", ["physician", "psychologist", "other_licensed"])
def test_no_version_in_force_the_day_before_the_first(reference, category):
    with pytest.raises(NoRecommendationInForce) as excinfo:
        rate_in_effect(category, on=dt.date(2019, 9, 30))

    assert excinfo.value.on == dt.date(2019, 9, 30)
    assert "2019-09-30" in str(excinfo.value)


def test_a_datetime_counts_in_stockholm_time(reference):
    # 23:30 UTC on 21 April 2026 is 01:30 on 22 April in Stockholm (CEST, +02:00): the April version.
    moment = dt.datetime(2026, 4, 21, 23, 30, tzinfo=UTC)

    assert rate_in_effect("physician", on=moment).version.code == "SKR-2026-04"
    assert rate_in_effect("physician", on=moment - dt.timedelta(hours=2)).version.code == "SKR-2026-01"


def test_a_datetime_with_another_offset_is_converted(reference):
    # 23:59 in New York on 29 January 2026 is 05:59 on 30 January in Stockholm.
    moment = dt.datetime(2026, 1, 29, 23, 59, tzinfo=ZoneInfo("America/New_York"))

    assert rate_in_effect("psychologist", on=moment).version.code == "SKR-2026-01"


def test_a_naive_datetime_is_refused(reference):
    with pytest.raises(ValueError, match="naive"):
        rate_in_effect("physician", on=dt.datetime(2026, 5, 1, 12, 0))


def test_a_draft_version_prices_nothing(reference):
    recommendation_create(
        code="SKR-2027-01",
        title="Draft",
        decided_on=dt.date(2026, 11, 1),
        effective_from=dt.date(2027, 1, 1),
        includes_patient_fee=True,
        source_reference="test",
        rates={"physician": "450.00", "psychologist": "410.00", "other_licensed": "240.00"},
        criteria=["out_of_county"],
    )

    assert rate_in_effect("physician", on=dt.date(2027, 1, 1)).version.code == "SKR-2026-04"


def test_a_correction_effective_the_same_day_replaces_the_original(reference):
    correction = recommendation_create(
        code="SKR-2026-04-K1",
        title="Correction",
        decided_on=dt.date(2026, 5, 1),
        effective_from=dt.date(2026, 4, 22),
        includes_patient_fee=True,
        source_reference="test",
        rates={"physician": "436.00", "psychologist": "405.00", "other_licensed": "235.00"},
        criteria=["out_of_county"],
    )
    recommendation_publish(recommendation=correction)

    result = rate_in_effect("physician", on=dt.date(2026, 4, 22))
    assert (result.version.code, result.amount) == ("SKR-2026-04-K1", Decimal("436.00"))
    assert rate_in_effect("physician", on=dt.date(2026, 4, 21)).version.code == "SKR-2026-01"
