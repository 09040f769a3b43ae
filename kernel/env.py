"""Reading settings from environment variables, failing loudly on bad values."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


RATE_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
                "d": 86400, "day": 86400}  # fmt: skip


def parse_rate(rate: str) -> tuple[int, int]:
    """A request rate "N/period" (period s, min, h or day) as (requests, seconds); ValueError if malformed."""
    count, _slash, period = rate.strip().partition("/")
    if not count.strip().isdecimal() or period.strip().lower() not in RATE_PERIODS or int(count) < 1:
        raise ValueError(f"not a rate like 1200/min: {rate!r}")
    return int(count), RATE_PERIODS[period.strip().lower()]


def env_rate(name: str, default: str) -> str:
    """A request rate "N/period" (see ``parse_rate``); empty means no limit."""
    value = os.environ.get(name)
    if value is None:
        value = default
    if value.strip() == "":
        return ""
    try:
        parse_rate(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a rate like 1200/min (or empty for none), got {value!r}") from None
    return value.strip()
