"""`make bench`: performance figures measured on this machine against the local PostgreSQL.

Intake: bulk upsert through the real HTTP API (gunicorn on loopback, 10 000-contact requests: JSON in,
validation, evaluation, stored with history) beside a raw PostgreSQL COPY of the same rows into a copy of
the contacts table, measured in the same run.

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/utomlans_bench; the database
is dropped and created), BENCH_CONTACTS (default 160 000), BENCH_LIST_CONTACTS (default 1 000 000),
BENCH_PORT (default 8765). BENCH_ONLY=reports loads the contacts set-based and measures only the reports;
BENCH_ONLY=claim only the fakturaunderlag (Inera XML) of a 150 000-line invoice (bench/claim.py);
BENCH_ONLY=specification only the specification PDF of a 10 000-line and a 7 500-line invoice;
BENCH_ONLY=intake only the intake figures (bulk upsert one client, two clients, idempotent resend, raw COPY).

Load (last): concurrent bulk uploads and lists while invoice runs execute on a real Celery worker, in a
database of its own, with checks for errors, lost or doubled contacts and contacts billed twice (bench/load.py,
its environment variables there). BENCH_ONLY=load runs only this section.

Review (before the month close): a 150 000-line invoice reviewed against a buyer's population extract of 2.5
million people and listing register of 2 million rows (totals per flag and the first page of flagged lines, the API
and the admin's page), and 10 000 objections opened at once, in a database of its own (bench/review.py, its
environment variables there, smaller sizes for a quick run). BENCH_ONLY=review runs only this section.

Month close (before the load): a large seller's run, bulk submit, bulk approve by a signed-in manager and every
document stored, each step timed, with a real Celery worker in a database of its own (bench/month_close.py, its
environment variables there). BENCH_ONLY=month-close runs only this section.
"""

import datetime as dt
import http.client
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import psycopg

from bench import claim, lists, load, month_close, review, runs
from bench.common import bench_env as _env
from bench.common import manage as _manage
from bench.common import recreate_database as _recreate_database
from bench.common import wait_for as _wait_for
from contacts.synthetic import contact_items
from kernel.business_time import add_months, period_bounds

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BATCH = 10_000
SEQUENTIAL_REQUESTS = 4


def _post(conn: http.client.HTTPConnection, key: str, body: bytes) -> dict:
    conn.request(
        "POST",
        "/api/v1/contacts/bulk/",
        body=body,
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json", "Host": "127.0.0.1"},
    )
    response = conn.getresponse()
    payload = response.read()
    if response.status != 200:
        raise RuntimeError(f"bulk answered {response.status}: {payload[:500]!r}")
    return orjson.loads(payload)


def _send_all(port: int, key: str, bodies: list[bytes]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    return sum(_post(conn, key, body)["created"] for body in bodies)


def bench_intake(database_url: str, total: int, port: int) -> dict:
    env = _env(database_url)
    _manage(env, "migrate", "--no-input")
    # Only the demo organisations and users: the benchmarks bring their own contacts and invoices.
    _manage(env, "shell", "-c", "from regions.demo import demo_load; demo_load(password='bench-password-1')")
    key = _manage(env, "create_api_client", "bench", "--role", "provider", "--provider", "SE5561234005-DL01")
    key = key.strip().splitlines()[-1]

    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    bodies = [
        orjson.dumps(contact_items(BATCH, seed=n, start=start, days=55, prefix=f"bench{n}"))
        for n in range(total // BATCH)
    ]
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_for(port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        _post(conn, key, orjson.dumps(contact_items(100, seed=999, start=start, days=5, prefix="warm")))
        # A few requests one after another, the rest in two equal streams (an odd one out would run alone
        # at the end and understate the throughput).
        half = SEQUENTIAL_REQUESTS + (len(bodies) - SEQUENTIAL_REQUESTS) % 2
        # One client after another: the latency of a single stream of requests.
        began = time.perf_counter()
        created = sum(_post(conn, key, body)["created"] for body in bodies[:half])
        elapsed = time.perf_counter() - began
        # Two clients at once (two providers' systems), one per gunicorn worker: the throughput.
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:
            streams = [bodies[half:][0::2], bodies[half:][1::2]]
            created_concurrently = sum(pool.map(lambda stream: _send_all(port, key, stream), streams))
        concurrent_elapsed = time.perf_counter() - began
        created += created_concurrently
        resend_began = time.perf_counter()
        unchanged = _post(conn, key, bodies[0])["unchanged"]
        resend_elapsed = time.perf_counter() - resend_began
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert created == len(bodies) * BATCH, created
    assert unchanged == BATCH, unchanged

    copy_elapsed = _bench_copy(database_url)
    count = len(bodies) * BATCH
    return {
        "contacts": count,
        "api_rate": half * BATCH / elapsed,
        "concurrent_rate": (len(bodies) - half) * BATCH / concurrent_elapsed,
        "resend_rate": BATCH / resend_elapsed,
        "copy_rate": count / copy_elapsed,
    }


def _bench_copy(database_url: str) -> float:
    """COPY the same rows (as stored) into an empty copy of the contacts table, indexes included."""
    with psycopg.connect(database_url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute("CREATE TABLE bench_copy (LIKE contacts_contact INCLUDING ALL)")
        columns = [
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'contacts_contact' "
                "ORDER BY ordinal_position"
            )
        ]
        rows = conn.execute(
            f"SELECT {', '.join(columns)} FROM contacts_contact WHERE external_id LIKE 'bench%%' ORDER BY id"
        ).fetchall()
        conn.commit()
        began = time.perf_counter()
        for offset in range(0, len(rows), BATCH):
            with conn.cursor() as cursor, cursor.copy(f"COPY bench_copy ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows[offset : offset + BATCH]:
                    copy.write_row(row)
            conn.commit()
        elapsed = time.perf_counter() - began
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return elapsed


def bench_lists(database_url: str, total: int, port: int) -> list[tuple[str, float, float, int]]:
    env = _env(database_url)
    _manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    fill_seconds = lists.fill(database_url, total)
    print(f"  loaded {total:,} contacts set-based in {fill_seconds:.0f} s", flush=True)
    keys = {}
    for name, region in (("bench-clerk04", "04"), ("bench-clerk25", "25")):
        output = _manage(env, "create_api_client", name, "--role", "clerk", "--region", region)
        keys[region] = output.strip().splitlines()[-1]
    month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    results = []
    try:
        _wait_for(port)
        api = [
            (
                "API list, seller 04, period + billing_region",
                "04",
                f"/api/v1/contacts/?period={month}&billing_region=04",
            ),
            ("API list, buyer 25, period + home_region", "25", f"/api/v1/contacts/?period={month}&home_region=25"),
            ("API list, seller 04, no filter", "04", "/api/v1/contacts/"),
        ]
        for label, region, path in api:
            results.append((label, *lists.time_api(port, keys[region], path, repeats=40)))
        admin = [
            ("admin changelist, clerk 04", "clerk04", "/admin/contacts/contact/"),
            ("admin changelist, clerk 04, one period", "clerk04", f"/admin/contacts/contact/?period={month}"),
            ("admin changelist, clerk 25", "clerk25", "/admin/contacts/contact/"),
        ]
        for label, user, path in admin:
            results.append((label, *lists.time_admin(port, user, "bench-password-1", path, repeats=20)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def bench_run(database_url: str, total: int) -> dict:
    env = _env(database_url)
    last_month = add_months(dt.date.today(), -1)
    period = f"{last_month:%Y-%m}"
    start, end = period_bounds(period)
    # Well inside the period in any time zone: from a day after its start to a day before its end.
    seconds = int((end - start).total_seconds()) - 2 * 86400
    fill_seconds = lists.fill(
        database_url, total, seller="04", end=end - dt.timedelta(days=1), seconds=seconds, prefix="run-"
    )
    print(f"  loaded {total:,} contacts of seller 04 in {period} set-based in {fill_seconds:.0f} s", flush=True)
    hand_seconds, hand_rows = runs.time_hand_written(database_url, "04", period, start, end)
    result = runs.time_run(env, "04", period)
    return {**result, "period": period, "hand_seconds": hand_seconds, "hand_rows": hand_rows}


def bench_documents(database_url: str) -> dict:
    """A 150 000-line and a 10 000-line invoice (seller 06, last month), then their documents."""
    env = _env(database_url)
    period = f"{add_months(dt.date.today(), -1):%Y-%m}"
    start, end = period_bounds(period)
    seconds = int((end - start).total_seconds()) - 2 * 86400
    window = {"seller": "06", "end": end - dt.timedelta(days=1), "seconds": seconds}
    lists.fill(database_url, 156_000, home="25", prefix="doc-big-", **window)
    lists.fill(database_url, 10_400, home="24", prefix="doc-small-", **window)
    runs.time_run(env, "06", period)
    with psycopg.connect(database_url) as conn:
        ids = dict(
            conn.execute(
                "SELECT buyer_id, id FROM billing_invoice WHERE seller_id = '06' AND period = %s AND status = 'draft'",
                [period],
            ).fetchall()
        )
    return runs.time_documents(env, ids["25"], ids["24"])


def _print_specification_pdf(figures: dict) -> None:
    print(
        f"  PDF specification, {figures['spec_lines']:,} lines ({figures['spec_pages']:,} pages, "
        f"{figures['spec_bytes'] / 1e6:.1f} MB): {figures['spec_pdf']:.1f} s, peak process memory "
        f"{figures['peak_rss_mb']:.0f} MB, of which Django's before it {figures['base_rss_mb']:.0f} MB  "
        "(targets < 3 s, < 200 MB)"
    )


def bench_specification_pdf(database_url: str) -> None:
    """Only the specification PDF (BENCH_ONLY=specification): a 10 000-line and a 7 500-line invoice of seller 06."""
    env = _env(database_url)
    _manage(env, "migrate", "--no-input")
    _manage(env, "shell", "-c", "from regions.demo import demo_load; demo_load(password='bench-password-1')")
    period = f"{add_months(dt.date.today(), -1):%Y-%m}"
    start, end = period_bounds(period)
    window = {
        "seller": "06",
        "end": end - dt.timedelta(days=1),
        "seconds": int((end - start).total_seconds()) - 2 * 86400,
    }
    lists.fill(database_url, 10_400, home="24", prefix="doc-small-", **window)
    lists.fill(database_url, 7_800, home="25", prefix="doc-mid-", **window)
    runs.time_run(env, "06", period)
    with psycopg.connect(database_url) as conn:
        ids = conn.execute(
            "SELECT id FROM billing_invoice WHERE seller_id = '06' AND period = %s AND status = 'draft' "
            "ORDER BY contact_count DESC",
            [period],
        ).fetchall()
    print("Specification PDF:", flush=True)
    for (pk,) in ids:
        _print_specification_pdf(runs.time_specification_pdf(env, pk))


def bench_reports(database_url: str, port: int) -> dict:
    """Rebuild the report rollups over everything loaded so far, then time the report pages over HTTP."""
    env = _env(database_url)
    refresh_output = _manage(env, "refresh_reports").strip().splitlines()[-1]
    recent_output = _manage(env, "refresh_reports", "--since", f"{add_months(dt.date.today(), -13):%Y-%m}")
    with psycopg.connect(database_url) as conn:
        contacts = conn.execute("SELECT count(*) FROM contacts_contact").fetchone()[0]
        seller04 = conn.execute(
            "SELECT count(*) FROM contacts_contact WHERE billing_region_id = '04' AND home_region_id <> '04'"
        ).fetchone()[0]
    this_month = dt.date.today().replace(day=1)
    months = f"period_from={add_months(this_month, -11):%Y-%m}&period_to={this_month:%Y-%m}"
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    pages = [
        ("dashboard, clerk 04 as seller", "clerk04", f"/admin/reports/?{months}&perspective=seller"),
        ("dashboard, clerk 25 as buyer", "clerk25", f"/admin/reports/?{months}&perspective=buyer"),
        ("dashboard, admin, whole country", "admin", f"/admin/reports/?{months}"),
        (
            "what-if, clerk 04 as seller, SKL-2019",
            "clerk04",
            f"/admin/reports/what-if/?{months}&perspective=seller&recommendation=SKL-2019",
        ),
        ("national view, admin", "admin", f"/admin/reports/national/?{months}"),
        ("CSV export, clerk 04, per month", "clerk04", f"/admin/reports/?{months}&perspective=seller&export=monthly"),
    ]
    results = []
    try:
        _wait_for(port)
        for label, user, path in pages:
            p50, p95, _rows = lists.time_admin(port, user, "bench-password-1", path, repeats=20)
            results.append((label, p50, p95))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "contacts": contacts,
        "seller04": seller04,
        "refresh": refresh_output,
        "recent": recent_output.strip().splitlines()[-1],
        "pages": results,
    }


def main() -> None:
    if int(os.environ.get("BENCH_CONTACTS", "160000")) < (SEQUENTIAL_REQUESTS + 2) * BATCH:
        raise SystemExit(f"BENCH_CONTACTS must be at least {(SEQUENTIAL_REQUESTS + 2) * BATCH}")
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/utomlans_bench")
    total = int(os.environ.get("BENCH_CONTACTS", "160000"))
    port = int(os.environ.get("BENCH_PORT", "8765"))
    if os.environ.get("BENCH_ONLY") == "load":
        _load_section(port)
        return
    if os.environ.get("BENCH_ONLY") == "month-close":
        _month_close_section(port)
        return
    if os.environ.get("BENCH_ONLY") == "review":
        _review_section()
        return
    _recreate_database(database_url)
    if os.environ.get("BENCH_ONLY") == "specification":
        bench_specification_pdf(database_url)
        return
    if os.environ.get("BENCH_ONLY") == "claim":
        print("Fakturaunderlag (Inera XML) of a 150 000-line invoice, PostgreSQL:", flush=True)
        claim.print_claim(claim.bench_claim_only(database_url))
        return
    if os.environ.get("BENCH_ONLY") == "reports":
        # Only the report figures: the same contacts the full run leaves behind, loaded set-based.
        env = _env(database_url)
        _manage(env, "migrate", "--no-input")
        _manage(env, "collectstatic", "--no-input", "--verbosity", "0")
        _manage(env, "shell", "-c", "from regions.demo import demo_load; demo_load(password='bench-password-1')")
        last_month = add_months(dt.date.today(), -1)
        start, end = period_bounds(f"{last_month:%Y-%m}")
        lists.fill(
            database_url,
            1_000_000,
            seller="04",
            end=end - dt.timedelta(days=1),
            seconds=int((end - start).total_seconds()) - 2 * 86400,
            prefix="run-",
        )
        lists.fill(database_url, int(os.environ.get("BENCH_LIST_CONTACTS", "1000000")))
        _print_reports(bench_reports(database_url, port))
        return
    _intake_section(database_url, total, port)
    if os.environ.get("BENCH_ONLY") == "intake":
        return
    run_total = int(os.environ.get("BENCH_RUN_CONTACTS", "1000000"))
    print(f"Invoice run over {run_total:,} contacts (one seller, one period, 20 buyers):", flush=True)
    run = bench_run(database_url, run_total)
    print(
        f"  invoice run ({run['status']}, {run['invoices']} invoices, {run['lines']:,} lines): "
        f"{run['seconds']:.1f} s  (target <= 60 s)"
    )
    print(f"  hand-written INSERT … SELECT of the same {run['hand_rows']:,} lines: {run['hand_seconds']:.1f} s")
    print(f"  ratio run / INSERT … SELECT: {run['seconds'] / run['hand_seconds']:.1f}x  (target <= 3x)")
    print("Invoice documents:", flush=True)
    docs = bench_documents(database_url)
    print(f"  invoice PDF of a {docs['csv_lines']:,}-line invoice: {docs['invoice_pdf']:.2f} s  (target < 2 s)")
    print(
        f"  CSV specification, {docs['csv_lines']:,} lines ({docs['csv_bytes'] / 1e6:.0f} MB) streamed: "
        f"{docs['csv_seconds']:.1f} s, peak Python memory {docs['csv_peak'] / 1e6:.1f} MB  (target < 5 s)"
    )
    _print_specification_pdf(docs)
    print(
        f"  e-invoice (UBL) of the {docs['csv_lines']:,}-line invoice: {docs['ubl_seconds']:.2f} s, "
        f"{docs['ubl_bytes'] / 1e3:.0f} kB, peak Python memory {docs['ubl_peak'] / 1e6:.1f} MB"
    )
    ids = claim.invoices_of_seller_06(database_url, f"{add_months(dt.date.today(), -1):%Y-%m}")
    claim.print_claim(claim.time_claim(database_url, ids["25"], ids["24"]))
    list_total = int(os.environ.get("BENCH_LIST_CONTACTS", "1000000"))
    print(f"List latency with {list_total:,} more contacts in the table (p50 / p95 over HTTP):", flush=True)
    for label, p50, p95, rows in bench_lists(database_url, list_total, port):
        print(f"  {label:<48}: {p50:>6.0f} / {p95:>4.0f} ms  ({rows} rows)")
    print("Reports over every contact loaded above:", flush=True)
    _print_reports(bench_reports(database_url, port))
    _review_section()
    _month_close_section(port)
    _load_section(port)


def _review_section() -> None:
    """The buyer's review of a 150 000-line invoice against its registers, and 10 000 objections at once
    (bench/review.py), in a scratch database of its own; exits non-zero when a check fails."""
    review.main()


def _intake_section(database_url: str, total: int, port: int) -> None:
    print(f"Intake benchmark: {total} contacts in {BATCH}-contact requests, gunicorn -w 2, PostgreSQL", flush=True)
    figures = bench_intake(database_url, total, port)
    copy_rate = figures["copy_rate"]
    print(f"  bulk upsert, two clients at once  : {figures['concurrent_rate']:>9,.0f} contacts/s  (target >= 20,000)")
    print(f"  bulk upsert, one client           : {figures['api_rate']:>9,.0f} contacts/s")
    print(f"  raw PostgreSQL COPY, same rows    : {copy_rate:>9,.0f} rows/s  (one stream)")
    print(f"  idempotent resend (all unchanged) : {figures['resend_rate']:>9,.0f} contacts/s")
    print(f"  ratio API (one client) / COPY     : {figures['api_rate'] / copy_rate:>9.0%}  (target >= 40 %)")
    print(f"  ratio API (two clients) / COPY    : {figures['concurrent_rate'] / copy_rate:>9.0%}  (target >= 60 %)")
    print(f"  ratio resend / COPY               : {figures['resend_rate'] / copy_rate:>9.0%}  (target >= 80 %)")


def _month_close_section(port: int) -> None:
    """A large seller's month from the run to the last document stored, with a real Celery worker
    (bench/month_close.py), in a scratch database of its own; exits non-zero when a step fails."""
    print("Month close: run, bulk submit, bulk approve, every document stored:", flush=True)
    result = month_close.bench_month_close(port)
    month_close.print_report(result)
    if result["failures"]:
        print(f"MONTH-CLOSE CHECKS FAILED ({len(result['failures'])}):", file=sys.stderr)
        for failure in result["failures"][:50]:
            print(f"  {failure}", file=sys.stderr)
        raise SystemExit(1)


def _load_section(port: int) -> None:
    """Concurrent bulk uploads and lists while invoice runs execute on a Celery worker (bench/load.py), in a
    scratch database of its own; exits non-zero when a check fails."""
    print("Load: bulk uploads and lists from concurrent clients while invoice runs execute:", flush=True)
    result = load.bench_load(port)
    load.print_report(result)
    if result["failures"]:
        print(f"LOAD CHECKS FAILED ({len(result['failures'])}):", file=sys.stderr)
        for failure in result["failures"][:50]:
            print(f"  {failure}", file=sys.stderr)
        raise SystemExit(1)
    print("  checks passed: no errors, every contact stored once, none billed twice, totals equal their lines")


def _print_reports(reports: dict) -> None:
    print(
        f"  {reports['contacts']:,} contacts, {reports['seller04']:,} out-of-county contacts sold by 04; "
        f"rollups rebuilt: all months {reports['refresh']}, last 13 months {reports['recent']}"
    )
    for label, p50, p95 in reports["pages"]:
        print(f"  {label:<48}: {p50:>6.0f} / {p95:>4.0f} ms  (p50 / p95, target < 1 000 ms)")


if __name__ == "__main__":
    main()
