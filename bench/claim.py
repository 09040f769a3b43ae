"""The fakturaunderlag (Inera's ProcessClaimSpecification XML, billing.einvoice.claim) of a 150 000-line invoice:
wall time and memory, written to a file as the documents task writes it.

Memory is shown twice: the peak of Python's own allocations (tracemalloc, in a second, untimed pass: it slows every
allocation) and the process's peak resident size after a 10 400-line invoice and after the 150 000-line one, which
shows whether memory grows with the lines (constant memory: the two peaks are equal).
"""

import datetime as dt

import psycopg

from bench import lists, runs
from bench.common import bench_env, manage
from kernel.business_time import add_months, period_bounds

CLAIM_SCRIPT = """
import json, os, tempfile, time, tracemalloc, django
from bench.common import peak_memory_mb
django.setup()
from billing.einvoice.claim import write_claim_specification
from billing.models import Invoice

def render(pk):
    invoice = Invoice.objects.select_related("seller", "buyer", "credits").get(pk=pk)
    with tempfile.TemporaryFile() as out:
        began = time.perf_counter()
        lines = write_claim_specification(invoice, out)
        seconds = time.perf_counter() - began
        size = out.tell()
    return lines, seconds, size

small_lines, small_seconds, _ = render({small})
small_rss = peak_memory_mb()
lines, seconds, size = render({big})
big_rss = peak_memory_mb()
# Once more for Python's own peak: tracemalloc slows every allocation down, so this pass is not timed.
tracemalloc.start()
render({big})
python_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({{"lines": lines, "seconds": seconds, "bytes": size, "python_peak": python_peak,
                   "small_lines": small_lines, "small_seconds": small_seconds,
                   "small_rss_mb": small_rss, "big_rss_mb": big_rss}}))
"""


def invoices_of_seller_06(database_url: str, period: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        return dict(
            conn.execute(
                "SELECT buyer_id, id FROM billing_invoice WHERE seller_id = '06' AND period = %s AND status = 'draft'",
                [period],
            ).fetchall()
        )


def fill_documents_invoices(database_url: str) -> dict[str, int]:
    """The documents section's invoices (seller 06, last month): 150 000 lines to 25, 10 000 to 24."""
    env = bench_env(database_url)
    period = f"{add_months(dt.date.today(), -1):%Y-%m}"
    start, end = period_bounds(period)
    seconds = int((end - start).total_seconds()) - 2 * 86400
    window = {"seller": "06", "end": end - dt.timedelta(days=1), "seconds": seconds}
    lists.fill(database_url, 156_000, home="25", prefix="doc-big-", **window)
    lists.fill(database_url, 10_400, home="24", prefix="doc-small-", **window)
    runs.time_run(env, "06", period)
    return invoices_of_seller_06(database_url, period)


def time_claim(database_url: str, big: int, small: int) -> dict:
    return runs._django_script(bench_env(database_url), CLAIM_SCRIPT.format(big=big, small=small))


def bench_claim_only(database_url: str) -> dict:
    """``BENCH_ONLY=claim``: a fresh database with the demo organisations, the two invoices, the figures."""
    env = bench_env(database_url)
    manage(env, "migrate", "--no-input")
    manage(env, "shell", "-c", "from regions.demo import demo_load; demo_load(password='bench-password-1')")
    ids = fill_documents_invoices(database_url)
    return time_claim(database_url, ids["25"], ids["24"])


def print_claim(figures: dict) -> None:
    print(
        f"  fakturaunderlag (Inera XML), {figures['lines']:,} lines ({figures['bytes'] / 1e6:.0f} MB) to a file: "
        f"{figures['seconds']:.1f} s, peak Python memory {figures['python_peak'] / 1e6:.1f} MB  "
        f"(goal with the UBL: < 10 s)"
    )
    print(
        f"  peak process memory after {figures['small_lines']:,} lines {figures['small_rss_mb']:.0f} MB, "
        f"after {figures['lines']:,} lines {figures['big_rss_mb']:.0f} MB  (constant memory: equal)"
    )
