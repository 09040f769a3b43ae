"""Business dates: a contact's day and period are those of Europe/Stockholm, whatever the offset sent."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def stockholm_date(moment: dt.datetime | dt.date) -> dt.date:
    """The calendar date in Stockholm of an aware datetime (a date is returned as it is)."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("naive datetime: business dates need an aware datetime")
        return moment.astimezone(STOCKHOLM).date()
    return moment


def stockholm_today() -> dt.date:
    return dt.datetime.now(tz=STOCKHOLM).date()


def period_of(moment: dt.datetime | dt.date) -> str:
    """The billing period ``YYYY-MM`` of a moment, in Stockholm time."""
    day = stockholm_date(moment)
    return f"{day.year:04d}-{day.month:02d}"


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """The half-open range [start, end) of aware datetimes of a ``YYYY-MM`` period in Stockholm."""
    year, month = parse_period(period)
    start = dt.datetime(year, month, 1, tzinfo=STOCKHOLM)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=STOCKHOLM)
    return start, end


PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only: int() would also read "٢٠٢٦" or "２０２６"


def parse_period(period: str) -> tuple[int, int]:
    """Parse ``YYYY-MM`` written with ASCII digits; raise ValueError with a clear message otherwise (a look-alike
    digit such as Arabic-Indic ``٨`` would make a period no filter finds)."""
    match = PERIOD.fullmatch(period) if isinstance(period, str) else None
    if match is None:
        raise ValueError(f"period must look like YYYY-MM, got {period!r}")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or year < 1900:
        raise ValueError(f"period must look like YYYY-MM, got {period!r}")
    return year, month


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (earlier when negative), clamped to the month's last day.

    31 August − 6 months is 28 February (29 in a leap year).
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of a Stockholm calendar day, as an aware datetime."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=STOCKHOLM)
