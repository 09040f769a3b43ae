import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.numbering import NUMBER_PATTERN, invoice_number, specification_id
from kernel.business_time import add_months, parse_period


def test_invoice_number_format():
    assert invoice_number("04", 2026, 17) == "04-2026-000017"
    assert NUMBER_PATTERN.match(invoice_number("25", 2027, 999_999))


@pytest.mark.parametrize("serial", [0, 1_000_000])
def test_invoice_serial_out_of_range_is_refused(serial):
    with pytest.raises(ValueError, match="out of range"):
        invoice_number("04", 2026, serial)


def test_specification_id_in_ineras_form():
    assert specification_id("2321000032", "2026-10", 42) == "ZVF23210000322610000042"


def test_specification_id_needs_an_organisation_number():
    with pytest.raises(ValueError, match="10-digit organisation number"):
        specification_id("", "2026-10", 1)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 7, 30), -6, dt.date(2026, 1, 30)),
        (dt.date(2026, 8, 31), -6, dt.date(2026, 2, 28)),
        (dt.date(2028, 8, 31), -6, dt.date(2028, 2, 29)),
        (dt.date(2026, 1, 15), -1, dt.date(2025, 12, 15)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)), st.integers(-120, 120))
def test_add_months_lands_in_the_right_month(day, months):
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == day.day or result.day < day.day


@pytest.mark.parametrize(
    "period",
    [
        "2026-0\u0668",  # Arabic-Indic eight: int() reads it, no filter finds the period
        "\uff12\uff10\uff12\uff16-11",  # fullwidth digits
        "2026-1\u0661",
        "\u0968\u0966\u0968\u096c-01",  # Devanagari
        "2026-01\n",
        " 2026-01",
        "2026-13",
        "1899-12",
    ],
)
def test_a_period_has_ascii_digits_and_nothing_else(period):
    with pytest.raises(ValueError, match="period must look like YYYY-MM"):
        parse_period(period)


def test_a_period_parses_to_its_year_and_month():
    assert parse_period("2026-01") == (2026, 1)


@pytest.mark.django_db
def test_a_run_for_a_period_of_look_alike_digits_is_a_400_and_starts_nothing(api_as):
    from billing.models import InvoiceRun
    from regions.models import Role

    response = api_as(Role.CLERK, "04").post(
        "/api/v1/invoice-runs/", {"billing_region": "04", "period": "2026-0\u0668"}, format="json"
    )

    assert response.status_code == 400 and list(response.json()) == ["period"]
    assert not InvoiceRun.objects.exists()
