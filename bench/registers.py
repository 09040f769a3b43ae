"""The registers' load figure: a population extract of BENCH_REGISTER_ROWS rows (default 200 000) loaded into a
buyer region's register, new (all inserted) and again (all updated), then replacing a period of a year; the
2.5-million-row goal (under 60 s) is extrapolated linearly from the rows per second (BENCH_REGISTER_ROWS=2500000
measures it), and the review of an invoice is not part of this figure (bench/review.py measures it).

Measured (machine load average near 3, other work running): 200 000 rows new 5.1 s (63 s extrapolated), again
2.7 s; the real 2 500 000 rows new 62.7 s, again 28.6 s, parsing alone 16.7 s. Before the batched, overlapped
load (same load average, alternating runs of both): 200 000 rows new 9.6-10.9 s, again 7.8-8.5 s; the real
2 500 000 rows' parsing alone took 65 s.

Run on its own, in a scratch database that is dropped and created:

    BENCH_REGISTER_DATABASE_URL=postgres://postgres@127.0.0.1:5432/utomlans_bench_registers \
        .venv/bin/python -m bench.registers

Without BENCH_REGISTER_DATABASE_URL it runs on a SQLite file (the ORM path).
"""

import datetime as dt
import os
import random
import tempfile
import time
from pathlib import Path

from bench.common import bench_env, recreate_database

ROWS = int(os.environ.get("BENCH_REGISTER_ROWS", "200000"))
GOAL_ROWS = 2_500_000


def _luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


def population_file(rows: int) -> bytes:
    """``rows`` distinct people of Stockholm (01), semicolons, UTF-8 with a byte-order mark, as Excel writes it."""
    rng = random.Random(18)
    lines = ["personal_identity;lan_code;municipality_code;valid_from;valid_to"]
    seen = set()
    while len(lines) <= rows:
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(33000))
        serial = f"{rng.randrange(1000):03d}"
        short = f"{birth:%y%m%d}{serial}"
        number = f"{birth:%Y%m%d}-{serial}{_luhn_digit(short)}"
        if number in seen:
            continue
        seen.add(number)
        start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(2000))
        end = "" if rng.random() < 0.8 else (start + dt.timedelta(days=rng.randrange(1, 400))).isoformat()
        lines.append(f"{number};01;01{rng.randrange(10, 99)};{start.isoformat()};{end}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def main() -> None:
    url = os.environ.get("BENCH_REGISTER_DATABASE_URL")
    if url:
        recreate_database(url)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-registers-')) / 'bench.sqlite3'}"
    os.environ.update(bench_env(url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from regions.models import Role
    from regions.services import user_create
    from review.loading import register_load
    from review.models import LoadMode, LoadVia

    call_command("migrate", verbosity=0)
    call_command("seed_reference_data", verbosity=0)
    clerk = user_create(username="bench-clerk", role=Role.CLERK, region_code="01")
    content = population_file(ROWS)
    print(f"database: {url.split('@')[-1]}; file: {ROWS} rows, {len(content) / 1e6:.1f} MB")
    from review.register_files import register_file_parse

    began = time.perf_counter()
    register_file_parse(content, "population")
    print(f"{'parsing alone':>20}: {time.perf_counter() - began:6.1f} s (decoding, CSV, validation of every row)")
    runs = [
        ("new", {}),
        ("again (all updated)", {}),
        (
            "replace 2020-2026",
            {"mode": LoadMode.REPLACE_PERIOD, "period_from": dt.date(2020, 1, 1), "period_to": dt.date(2026, 12, 31)},
        ),
    ]
    for label, options in runs:
        began = time.perf_counter()
        load = register_load(
            region_code="01", kind="population", data=content, user=clerk, via=LoadVia.ADMIN, **options
        )
        seconds = time.perf_counter() - began
        rate = ROWS / seconds
        print(
            f"{label:>20}: {seconds:6.1f} s ({rate:8.0f} rows/s; {GOAL_ROWS / rate:5.1f} s for {GOAL_ROWS:,} rows) "
            f"inserted {load.inserted}, updated {load.updated}, deleted {load.deleted}, refused {load.refused}"
        )


if __name__ == "__main__":
    main()
