"""Month close: a large seller's month from the run to the last document stored, through the HTTP API with a real
Celery worker, each step timed (issue 19).

Set-up, in a scratch database of its own (dropped and created): migrated, the demo organisations and users, one API
client (a clerk of 04), and BENCH_CLOSE_CONTACTS contacts of seller 04 in last month spread evenly over
BENCH_CLOSE_BUYERS buyer regions, loaded set-based as bench/lists.py does (about 4 % of them rejected). gunicorn
(two sync workers) serves the app on loopback; a Celery worker (prefork, BENCH_CLOSE_WORKERS processes) carries out
the run and renders the documents, through a Redis database of its own (emptied first).

Steps, each timed from the client's side:
1. run: the clerk's key starts 04's run for last month (POST /api/v1/invoice-runs/), polled until it has ended;
2. bulk submit: the clerk's key submits the run's invoices in one request (POST /api/v1/invoices/submit/);
3. bulk approve: a manager of 04 signs in through the admin's login form (CSRF token, session cookie, as a browser
   does) and approves them in one request with that session (POST /api/v1/invoices/approve/: an API key may not
   approve);
4. documents: until every approved invoice has its PDF, specification PDF, e-invoice (UBL) and fakturaunderlag
   stored (its four document fields set, read from the database every 0.2 s).
The total runs from the run's request to the moment the last document was seen stored (goal < 60 s at 150 000
contacts and 20 buyers). The machine's load average is printed before and after: the figures are only comparable
on a machine equally loaded.

Any refusal, a run that did not succeed or documents not stored within BENCH_CLOSE_MAX_SECONDS fail the section
(``make bench`` exits non-zero).

Environment: BENCH_CLOSE_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/utomlans_bench_close),
BENCH_CLOSE_REDIS_URL (default redis://127.0.0.1:6379/11: broker and results), BENCH_CLOSE_CONTACTS (150 000),
BENCH_CLOSE_BUYERS (20, at most 20: every region but the seller), BENCH_CLOSE_WORKERS (2 Celery processes),
BENCH_CLOSE_MAX_SECONDS (600, per step). The port is the bench's (BENCH_PORT). Server and worker logs go to a
temporary folder, printed at the end; the documents to .bench-media/month-close (emptied first).
"""

import datetime as dt
import http.cookiejar
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import psycopg
import redis

from bench import lists, load
from bench.common import ROOT, bench_env, manage, recreate_database, wait_for
from kernel.business_time import add_months, period_bounds

SELLER = "04"
MANAGER = "manager04"
PASSWORD = "bench-password-1"
DOCUMENT_FIELDS = ("pdf", "specification_pdf", "ubl", "claim_specification")
GUNICORN_WORKERS = 2


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str
    contacts: int
    buyers: int
    celery_workers: int
    max_seconds: float
    workers: int = GUNICORN_WORKERS  # gunicorn's, as bench.load._start_processes reads it

    @classmethod
    def from_env(cls) -> "Config":
        get = os.environ.get
        buyers = int(get("BENCH_CLOSE_BUYERS", "20"))
        if not 1 <= buyers <= 20:
            raise SystemExit("BENCH_CLOSE_BUYERS must be 1-20 (every region but the seller)")
        return cls(
            database_url=get("BENCH_CLOSE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/utomlans_bench_close"),
            redis_url=get("BENCH_CLOSE_REDIS_URL", "redis://127.0.0.1:6379/11"),
            contacts=int(get("BENCH_CLOSE_CONTACTS", "150000")),
            buyers=buyers,
            celery_workers=int(get("BENCH_CLOSE_WORKERS", "2")),
            max_seconds=float(get("BENCH_CLOSE_MAX_SECONDS", "600")),
        )


# --- Pure parts: shares, bulk answers, waiting ---------------------------------------------------------------


def shares(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` counts differing by at most one, the larger first."""
    base, extra = divmod(total, parts)
    return [base + (1 if n < extra else 0) for n in range(parts)]


def bulk_refusals(step: str, ids: list[int], status: int, payload: bytes) -> list[str]:
    """What is wrong with a bulk submit's or approve's answer: anything but a 200 naming every id done, once each."""
    if status != 200:
        return [f"bulk {step} answered {status}: {payload[:300]!r}"]
    body = orjson.loads(payload)
    problems = [
        f"bulk {step}: invoice {row['id']} refused ({row['error']['status']} {row['error']['code']}: "
        f"{row['error']['detail']})"
        for row in body["results"]
        if row["result"] != "done"
    ]
    answered = sorted(row["id"] for row in body["results"])
    if answered != sorted(ids):
        problems.append(f"bulk {step}: answered for {answered}, asked for {sorted(ids)}")
    if not problems and body["done"] != len(ids):
        problems.append(f"bulk {step}: done {body['done']} of {len(ids)}")
    return problems


def wait_until(
    done: Callable[[], bool],
    timeout: float,
    *,
    interval: float = 0.2,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> float | None:
    """Ask ``done`` every ``interval`` seconds until it says yes; the clock's reading then, or None when it had not
    said yes once ``timeout`` seconds had passed (it is always asked at least once, and once more at the end)."""
    deadline = clock() + timeout
    while True:
        if done():
            return clock()
        if clock() >= deadline:
            return None
        sleep(min(interval, max(0.0, deadline - clock())))


def csrf_token(page: str) -> str:
    """The CSRF token of a Django form page (the admin's login)."""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise RuntimeError("no CSRF token on the login page")
    return match.group(1)


# --- The manager's session -----------------------------------------------------------------------------------


class Session:
    """A person signed in through the admin's login form, calling the API with the session cookie and the CSRF
    token as the API's docs page does."""

    def __init__(self, port: int, username: str, password: str):
        self.base = f"http://127.0.0.1:{port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        login = f"{self.base}/admin/login/"
        token = csrf_token(self.opener.open(login, timeout=60).read().decode())
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"}
        ).encode()
        self.opener.open(urllib.request.Request(login, data=data, headers={"Referer": login}), timeout=60).read()
        if "sessionid" not in self.cookies():
            raise RuntimeError(f"{username} could not sign in")

    def cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value for cookie in self.jar}

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=orjson.dumps(body),
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": self.cookies()["csrftoken"],
                "Referer": f"{self.base}/api/v1/docs/",
            },
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=600) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


# --- The section ---------------------------------------------------------------------------------------------


def documents_stored(database_url: str, ids: list[int]) -> int:
    """How many of the invoices have all their documents stored."""
    stored = " AND ".join(f"{name} <> ''" for name in DOCUMENT_FIELDS)
    with psycopg.connect(database_url) as conn:
        return conn.execute(f"SELECT count(*) FROM billing_invoice WHERE id = ANY(%s) AND {stored}", [ids]).fetchone()[
            0
        ]


def _set_up(cfg: Config, period: str) -> str:
    """The database, the demo users, the clerk's key and the contacts; returns the key."""
    recreate_database(cfg.database_url)
    try:
        redis.Redis.from_url(cfg.redis_url).flushdb()  # this section's own database only
    except redis.RedisError as exc:
        raise SystemExit(
            f"The month-close section needs Redis at {cfg.redis_url} (BENCH_CLOSE_REDIS_URL): {exc}"
        ) from None
    env = bench_env(cfg.database_url)  # tasks in-process during the set-up: nothing queued before the worker starts
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")  # the admin's login page the manager signs in on
    output = manage(env, "shell", "-c", load.SETUP_SCRIPT.format(clients=[("close04", "clerk", SELLER, None)]))
    key = orjson.loads(output.strip().splitlines()[-1])["close04"]
    start, end = period_bounds(period)
    seconds = int((end - start).total_seconds()) - 2 * 86400
    with psycopg.connect(cfg.database_url) as conn:
        regions = [row[0] for row in conn.execute("SELECT code FROM regions_region ORDER BY code")]
    buyers = [code for code in regions if code != SELLER][: cfg.buyers]
    for buyer, count in zip(buyers, shares(cfg.contacts, cfg.buyers), strict=True):
        lists.fill(
            cfg.database_url,
            count,
            seller=SELLER,
            home=buyer,
            end=end - dt.timedelta(days=1),
            seconds=seconds,
            prefix=f"close{buyer}-",
        )
    return key


def bench_month_close(port: int) -> dict:
    cfg = Config.from_env()
    period = f"{add_months(dt.date.today(), -1):%Y-%m}"
    began = time.perf_counter()
    key = _set_up(cfg, period)
    print(
        f"  set-up (database, {cfg.contacts:,} contacts of {SELLER} for {cfg.buyers} buyers set-based): "
        f"{time.perf_counter() - began:.0f} s",
        flush=True,
    )
    # The stored documents go to a folder of the bench's own (git ignores it), emptied first.
    media = ROOT / ".bench-media" / "month-close"
    shutil.rmtree(media, ignore_errors=True)
    env = bench_env(cfg.database_url) | {"CELERY_BROKER_URL": cfg.redis_url, "MEDIA_ROOT": str(media)}
    logs = Path(tempfile.mkdtemp(prefix="utomlans-bench-close-"))
    processes = load._start_processes(cfg, env, port, logs, concurrency=cfg.celery_workers, name="bench-close")
    try:
        wait_for(port)
        result = _steps(cfg, port, key, period)
    finally:
        load._stop(processes)
    return result | {"config": cfg, "period": period, "logs": str(logs)}


def _steps(cfg: Config, port: int, key: str, period: str) -> dict:
    recorder = load.Recorder()
    clerk = load.Client(port, key, recorder)
    clerk.phase = "close"
    clerk.call("GET", "/api/v1/regions/", kind="warm", label="warm")  # imports and connections, untimed
    manager = Session(port, MANAGER, PASSWORD)
    load_before = os.getloadavg()
    times: dict[str, float] = {}
    failures: list[str] = []

    began = time.perf_counter()
    run_id = load.start_run(clerk, SELLER, period)
    if run_id is None:
        return {"failures": [*recorder.failures, "the run was not started"], "times": times}
    run = load.poll_runs(clerk, [run_id], time.monotonic() + cfg.max_seconds).get(run_id, {})
    times["run"] = time.perf_counter() - began
    if run.get("status") != "succeeded":
        failure = f"run ended {run.get('status')!r}: {run.get('error')}"
        return {"failures": [*recorder.failures, failure], "times": times}
    ids = sorted(run["invoices"])

    step = time.perf_counter()
    status, payload = clerk.call(
        "POST", "/api/v1/invoices/submit/", kind="bulk", label="submit", body=orjson.dumps({"ids": ids})
    )
    times["submit"] = time.perf_counter() - step
    failures += bulk_refusals("submit", ids, status, payload)

    step = time.perf_counter()
    status, payload = manager.post("/api/v1/invoices/approve/", {"ids": ids})
    times["approve"] = time.perf_counter() - step
    failures += bulk_refusals("approve", ids, status, payload)

    step = time.perf_counter()
    stored_at = wait_until(lambda: documents_stored(cfg.database_url, ids) == len(ids), cfg.max_seconds)
    if stored_at is None:
        stored = documents_stored(cfg.database_url, ids)
        failures.append(f"documents of {len(ids) - stored} of {len(ids)} invoices not stored in {cfg.max_seconds} s")
    else:
        times["documents"] = stored_at - step
        times["total"] = stored_at - began
    with psycopg.connect(cfg.database_url) as conn:
        lines = conn.execute("SELECT count(*) FROM billing_invoiceline WHERE invoice_id = ANY(%s)", [ids]).fetchone()[0]
    return {
        "failures": recorder.failures + failures,
        "times": times,
        "invoices": len(ids),
        "lines": lines,
        "run_seconds": load._seconds(run),
        "load_before": load_before,
        "load_after": os.getloadavg(),
    }


def print_report(result: dict) -> None:
    cfg: Config = result["config"]
    times = result["times"]

    def figure(name: str) -> str:
        return f"{times[name]:>7.1f} s" if name in times else "      —"

    processes = f"{cfg.celery_workers} process{'es' if cfg.celery_workers != 1 else ''}"
    print(
        f"  period {result['period']}, seller {SELLER}, {cfg.contacts:,} contacts for {cfg.buyers} buyers; gunicorn "
        f"{cfg.workers} workers, Celery worker with {processes}, {os.cpu_count()} cores"
    )
    if "invoices" in result:
        print(
            f"  {'run (request to its end, polled)':<52}: {figure('run')}  ({result['invoices']} invoices, "
            f"{result['lines']:,} lines; the run's own time {result['run_seconds']:.1f} s)"
        )
    else:
        print(f"  {'run (request to its end, polled)':<52}: {figure('run')}")
    print(f"  {'bulk submit, one request (a clerk key)':<52}: {figure('submit')}")
    print(f"  {'bulk approve, one request (a manager signed in)':<52}: {figure('approve')}")
    print(f"  {'documents stored (PDF, specification, UBL, XML)':<52}: {figure('documents')}")
    print(f"  {'total, run request to last document stored':<52}: {figure('total')}  (goal < 60 s)")
    if "load_before" in result:
        before = ", ".join(f"{n:.1f}" for n in result["load_before"])
        after = ", ".join(f"{n:.1f}" for n in result["load_after"])
        print(f"  machine load average (1, 5, 15 min) before: {before}; after: {after}")
    print(f"  logs in {result['logs']}")
