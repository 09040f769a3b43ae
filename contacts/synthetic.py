"""Synthetic contacts with valid identifiers, varied the way real traffic is (mostly eligible physician chats
and videos, some of every rejection reason). Plain Python without Django: the benchmarks import it too."""

import datetime as dt
import random

from stdnum import luhn

HOME_REGIONS = [
    "01",
    "03",
    "05",
    "07",
    "08",
    "09",
    "10",
    "12",
    "13",
    "14",
    "17",
    "18",
    "19",
    "20",
    "21",
    "22",
    "23",
    "24",
    "25",
    "04",
    "06",
]
PROFESSIONS = ["LK"] * 60 + ["PS"] * 10 + ["HK"] * 3 + ["SJ"] * 12 + ["FT"] * 10 + ["BM", "DT", "US", "OV", "TP"]
CONTENTS = (
    ["assessment"] * 90
    + [
        "referral",
        "preparation",
        "self_care_advice",
        "one_way_message",
        "results",
        "administrative",
        "renewal_without_assessment",
    ]
    + ["assessment"] * 3
)
MODES = ["video"] * 45 + ["chat"] * 50 + ["phone"] * 5
FEES = ["0.00"] * 30 + ["100.00"] * 40 + ["150.00"] * 15 + ["200.00"] * 10 + ["300.00"] * 5


def personnummer(rng: random.Random) -> str:
    born = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(0, 32_000))
    serial = f"{rng.randrange(0, 1000):03d}"
    digits = born.strftime("%y%m%d") + serial
    return f"{born:%Y%m%d}-{serial}{luhn.calc_check_digit(digits)}"


def listing_unit(region: str, number: int) -> str:
    """A fictional health centre's HSA-id in ``region`` (a valid form: SE + organisation number + suffix)."""
    base = f"2321000{region}"
    return f"SE{base}{luhn.calc_check_digit(base)}-VC{number:02d}"


def contact_items(
    count: int,
    *,
    seed: int = 1,
    start: dt.datetime,
    days: int,
    prefix: str = "b",
    provider: str | None = None,
    professions: list[str] = PROFESSIONS,
) -> list[dict]:
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
    items = []
    for n in range(count):
        started = start + dt.timedelta(seconds=rng.randrange(0, days * 86_400))
        item = {
            "external_id": f"{prefix}-{n}",
            "patient_id": personnummer(rng),
            "home_region": rng.choice(HOME_REGIONS),
            "profession": rng.choice(professions),
            "started_at": started.isoformat(timespec="seconds"),
            "mode": rng.choice(MODES),
            "strong_authentication": rng.random() > 0.02,
            "triage": rng.random() > 0.03,
            "documented": rng.random() > 0.02,
            "content": rng.choice(CONTENTS),
            "patient_fee": rng.choice(FEES),
        }
        if n % 5 < 3:
            # Three in five name the patient's listing unit: one of eight fictional health centres per region.
            item["listing_unit"] = listing_unit(item["home_region"], n % 8 + 1)
        if provider:
            item["provider"] = provider
        items.append(item)
    return items
