"""Load: concurrent bulk uploads and list requests while invoice runs execute on a real Celery worker, then the
database is checked for errors, lost or doubled contacts and contacts billed twice.

Set-up, in a scratch database of its own (dropped and created): migrated, the demo organisations, and
BENCH_LOAD_PRELOAD contacts (most of them eligible) of seller 04 and as many of seller 06 in last month, loaded
set-based as bench/lists.py does. gunicorn (BENCH_LOAD_WORKERS sync workers, as README's production line) serves
the app on loopback; a Celery worker process (prefork, two processes) carries out the invoice runs, as in
production. Both use two Redis databases of their own (broker and results, the shared throttle cache), emptied
first, so nothing else on the Redis server is touched.

Phases, all through the HTTP API:
1. alone: seller 06's run for last month (POST /api/v1/invoice-runs/, polled to its end), then list requests
   from one client (the mix below, BENCH_LOAD_IDLE_REQUESTS of them), then one round of the bulk clients;
2. under load: BENCH_LOAD_BULK_CLIENTS clients loop over rounds of bulk uploads and BENCH_LOAD_LIST_CLIENTS
   clients loop over list requests; after BENCH_LOAD_WARMUP seconds seller 04's run for last month is started,
   and a second run for the same region and period right behind it (API.md: two runs at once never bill a
   contact twice). The load ends when both runs have ended and each bulk client has done BENCH_LOAD_MIN_ROUNDS
   rounds, or after BENCH_LOAD_MAX_SECONDS (a failure);
3. quiet: one more run of seller 04 with nothing else running; its drafts must then hold exactly the
   eligible contacts of the period, at their current amounts.
A run's time is its own (started_at to finished_at: the work, once it holds the run lock); the time before
(queued, or a second run waiting for the first's lock) is shown apart.

A round of a bulk client (a provider billed by 04, contacts in the period being invoiced, BENCH_LOAD_BATCH
contacts a body): the round's shared body (the same for every client: created once across them all), a body of
new contacts, the same body again (all unchanged), and the body with another patient fee (all updated).

List requests (per list client a clerk of 04, a clerk of 25 and the provider, each its own API client within
the default request budget): period + billing region and the next two cursor pages, the same with status,
period + home region, provider + period, billing region + profession.

Checks; any failure makes ``make bench`` exit non-zero:
- every response is a 2xx (others are listed with their status and the start of their body);
- every bulk answer is what its body must give (created, unchanged, updated, no errors), a shared body is
  created exactly once across the clients, and cursor pages never go back or repeat a contact;
- every contact sent exists exactly once, the table holds exactly the preloaded contacts plus the distinct ones
  sent, every updated contact carries its new fee and exactly one history event;
- every run succeeded; no contact is on two invoice lines (credit notes aside); each invoice's total and count
  are its lines'; each line belongs to its invoice's seller, buyer and period; one draft per parties and period;
  after the quiet run the drafts hold exactly the seller's eligible contacts of the period at their amounts.

Environment: BENCH_LOAD_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/utomlans_bench_load),
BENCH_LOAD_REDIS_URL (default redis://127.0.0.1:6379/13: broker and results), BENCH_LOAD_CACHE_URL (default
redis://127.0.0.1:6379/14), BENCH_LOAD_PRELOAD (250 000 per seller), BENCH_LOAD_BULK_CLIENTS (3),
BENCH_LOAD_LIST_CLIENTS (3), BENCH_LOAD_BATCH (2 000), BENCH_LOAD_MIN_ROUNDS (2), BENCH_LOAD_WORKERS (4),
BENCH_LOAD_IDLE_REQUESTS (60), BENCH_LOAD_WARMUP (2 s), BENCH_LOAD_MAX_SECONDS (240), BENCH_LOAD_SECOND_RUN (1;
0 starts one run only). The port is the bench's (BENCH_PORT). Server and worker logs go to a temporary folder,
printed at the end.
"""

import datetime as dt
import functools
import http.client
import itertools
import math
import os
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import orjson
import psycopg
import redis

from bench import lists
from bench.common import PY, ROOT, bench_env, manage, recreate_database, wait_for
from contacts.synthetic import contact_items
from kernel.business_time import add_months, period_bounds

PROVIDER = "SE5561234005-DL01"  # billed by 04
UPDATED_FEE = "50.00"  # no synthetic contact has it, so every item of an update body changes
RUN_ENDED = {"succeeded", "failed"}


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str
    cache_url: str
    preload: int
    bulk_clients: int
    list_clients: int
    batch: int
    min_rounds: int
    workers: int
    idle_requests: int
    warmup: float
    max_seconds: float
    second_run: bool

    @classmethod
    def from_env(cls) -> "Config":
        get = os.environ.get
        return cls(
            database_url=get("BENCH_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/utomlans_bench_load"),
            redis_url=get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/13"),
            cache_url=get("BENCH_LOAD_CACHE_URL", "redis://127.0.0.1:6379/14"),
            preload=int(get("BENCH_LOAD_PRELOAD", "250000")),
            bulk_clients=int(get("BENCH_LOAD_BULK_CLIENTS", "3")),
            list_clients=int(get("BENCH_LOAD_LIST_CLIENTS", "3")),
            batch=int(get("BENCH_LOAD_BATCH", "2000")),
            min_rounds=int(get("BENCH_LOAD_MIN_ROUNDS", "2")),
            workers=int(get("BENCH_LOAD_WORKERS", "4")),
            idle_requests=int(get("BENCH_LOAD_IDLE_REQUESTS", "60")),
            warmup=float(get("BENCH_LOAD_WARMUP", "2")),
            max_seconds=float(get("BENCH_LOAD_MAX_SECONDS", "240")),
            second_run=get("BENCH_LOAD_SECOND_RUN", "1") != "0",
        )


# --- Pure parts: percentiles and the expected answers --------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100): the smallest sample with at least q % of samples at or below."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class BulkAnswer:
    client: int
    round: int
    kind: str  # shared, new, resend, update
    items: int
    summary: dict | None  # the 200 answer, None when the request failed


def bulk_problems(answers: list[BulkAnswer]) -> list[str]:
    """What is wrong with the bulk answers: each body must give exactly its expected counts and no errors, and
    the clients that sent a round's shared body must have created it exactly once between them."""
    expected = {"new": "created", "resend": "unchanged", "update": "updated"}
    problems = []
    shared: dict[int, list[BulkAnswer]] = defaultdict(list)
    for answer in answers:
        if answer.summary is None:
            continue  # reported with the failed requests
        where = f"client {answer.client}, round {answer.round}, {answer.kind} body"
        counts = {name: answer.summary.get(name) for name in ("created", "updated", "unchanged")}
        if answer.summary.get("errors"):
            problems.append(f"{where}: item errors {answer.summary['errors'][:2]}")
        if answer.kind == "shared":
            shared[answer.round].append(answer)
            if counts["updated"] != 0 or (counts["created"] or 0) + (counts["unchanged"] or 0) != answer.items:
                problems.append(f"{where}: {counts}, expected {answer.items} created or unchanged")
            continue
        want = {name: 0 for name in counts} | {expected[answer.kind]: answer.items}
        if counts != want:
            problems.append(f"{where}: {counts}, expected {want}")
    for round_, group in sorted(shared.items()):
        created = sum(a.summary.get("created") or 0 for a in group)
        if created != group[0].items:
            problems.append(f"round {round_}: the shared body was created {created} times over, not {group[0].items}")
    return problems


def cursor_problem(pages: list[list[tuple[str, int]]]) -> str | None:
    """Pages of (started_at, id) in list order (newest first, by started_at then id): a walk through the cursor
    must go strictly down, never repeating or skipping back."""
    keys = [(dt.datetime.fromisoformat(started), pk) for page in pages for started, pk in page]
    for before, after in itertools.pairwise(keys):
        if not after < before:
            return f"cursor walk went from {before} to {after}"
    return None


# --- Recording requests --------------------------------------------------------------------------------------


@dataclass
class Sample:
    phase: str
    kind: str
    label: str
    status: int
    ms: float


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    bulk: list[BulkAnswer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sample(self, sample: Sample, method: str, path: str, body: bytes) -> None:
        with self.lock:
            self.samples.append(sample)
            if not 200 <= sample.status < 300:
                self.failures.append(f"{method} {path[:120]} ({sample.phase}): {sample.status} {body[:300]!r}")

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)

    def answer(self, answer: BulkAnswer) -> None:
        with self.lock:
            self.bulk.append(answer)

    def times(self, *, phase: str, kind: str, label: str | None = None) -> list[float]:
        return [
            s.ms for s in self.samples if s.phase == phase and s.kind == kind and (label is None or s.label == label)
        ]


class Client:
    """One API client on one keep-alive connection; every request is timed and recorded."""

    def __init__(self, port: int, key: str, recorder: Recorder):
        self.port, self.key, self.recorder = port, key, recorder
        self.conn: http.client.HTTPConnection | None = None
        self.phase = "alone"

    def call(self, method: str, path: str, *, kind: str, label: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Token {self.key}", "Host": "127.0.0.1"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        began = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            status, payload = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            status, payload = 0, f"{type(exc).__name__}: {exc}".encode()
        ms = (time.perf_counter() - began) * 1000
        self.recorder.sample(Sample(self.phase, kind, label, status, ms), method, path, payload)
        return status, payload


# --- Bodies and requests -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Where the bulk clients' contacts start: inside the period, a day clear of either end."""

    start: dt.datetime
    days: int


@functools.cache
def _items(prefix: str, count: int, seed: int, window: Window) -> tuple[bytes, bytes]:
    """A body of new contacts and the same contacts with another patient fee (the update)."""
    items = contact_items(count, seed=seed, start=window.start, days=window.days, prefix=prefix)
    updated = [{**item, "patient_fee": UPDATED_FEE} for item in items]
    return orjson.dumps(items), orjson.dumps(updated)


_items_lock = threading.Lock()


def bodies(prefix: str, count: int, seed: int, window: Window) -> tuple[bytes, bytes]:
    with _items_lock:  # one generation per body even when every client asks for the shared one at once
        return _items(prefix, count, seed, window)


def bulk_round(client: Client, index: int, round_: int, cfg: Config, window: Window, recorder: Recorder) -> int:
    """One round of a bulk client; returns the contacts it sent."""
    shared, _ = bodies(f"S{round_}", cfg.batch, 10_000 + round_, window)
    new, update = bodies(f"L{index}-{round_}", cfg.batch, 1_000 * index + round_, window)
    for kind, body in (("shared", shared), ("new", new), ("resend", new), ("update", update)):
        status, payload = client.call("POST", "/api/v1/contacts/bulk/", kind="bulk", label=kind, body=body)
        summary = orjson.loads(payload) if status == 200 else None
        recorder.answer(BulkAnswer(index, round_, kind, cfg.batch, summary))
    return 4 * cfg.batch


def sent_keys(rounds: dict[int, int], batch: int) -> set[str]:
    """The external ids the bulk clients sent, from the rounds each completed (a round is always completed)."""
    keys = set()
    for index, done in rounds.items():
        for round_ in range(done):
            keys.update(f"S{round_}-{n}" for n in range(batch))
            keys.update(f"L{index}-{round_}-{n}" for n in range(batch))
    return keys


def list_paths(period: str) -> list[tuple[str, str, str]]:
    """(role, label, path) of the list mix; the first is also walked two cursor pages on."""
    return [
        ("clerk04", "period + billing_region", f"/api/v1/contacts/?period={period}&billing_region=04"),
        ("clerk04", "... + status", f"/api/v1/contacts/?period={period}&billing_region=04&status=eligible"),
        ("clerk25", "period + home_region", f"/api/v1/contacts/?period={period}&home_region=25"),
        ("provider", "provider + period", f"/api/v1/contacts/?provider={PROVIDER}&period={period}"),
        ("clerk04", "billing_region + profession", "/api/v1/contacts/?billing_region=04&profession=PS"),
    ]


def list_round(clients: dict[str, Client], period: str, recorder: Recorder) -> int:
    """The list mix once; the first list is followed two cursor pages on. Returns the requests made."""
    made = 0
    for number, (role, label, path) in enumerate(list_paths(period)):
        pages = []
        next_path: str | None = path
        for page in range(3 if number == 0 else 1):
            status, payload = clients[role].call("GET", next_path, kind="list", label=label if page == 0 else "next")
            made += 1
            if status != 200:
                break
            body = orjson.loads(payload)
            pages.append([(row["started_at"], row["id"]) for row in body["results"]])
            if not body["next"]:
                break
            parts = urllib.parse.urlsplit(body["next"])
            next_path = f"{parts.path}?{parts.query}"
        problem = cursor_problem(pages)
        if problem:
            recorder.fail(f"{path}: {problem}")
    return made


def start_run(client: Client, region: str, period: str) -> int | None:
    body = orjson.dumps({"billing_region": region, "period": period})
    status, payload = client.call("POST", "/api/v1/invoice-runs/", kind="run", label="start", body=body)
    return orjson.loads(payload)["id"] if status == 202 else None


def poll_runs(client: Client, ids: list[int], until: float) -> dict[int, dict]:
    """Follow runs to their end (or the deadline); returns each run's last answer."""
    last: dict[int, dict] = {}
    while time.monotonic() < until:
        for pk in ids:
            if last.get(pk, {}).get("status") not in RUN_ENDED:
                status, payload = client.call("GET", f"/api/v1/invoice-runs/{pk}/", kind="run", label="poll")
                if status == 200:
                    last[pk] = orjson.loads(payload)
        if all(last.get(pk, {}).get("status") in RUN_ENDED for pk in ids):
            break
        time.sleep(0.25)
    return last


def _seconds(run: dict) -> float:
    if not run.get("started_at") or not run.get("finished_at"):
        return math.nan
    delta = dt.datetime.fromisoformat(run["finished_at"]) - dt.datetime.fromisoformat(run["started_at"])
    return delta.total_seconds()


def _waited(run: dict) -> float:
    """From the request to the start of the work: queued, and for a second run waiting for the first's lock (a run
    is marked started once it holds the lock)."""
    if not run.get("created_at") or not run.get("started_at"):
        return math.nan
    delta = dt.datetime.fromisoformat(run["started_at"]) - dt.datetime.fromisoformat(run["created_at"])
    return delta.total_seconds()


# --- Set-up --------------------------------------------------------------------------------------------------

SETUP_SCRIPT = """
import json
from regions.demo import demo_load
from regions.services import api_client_create
demo_load(password="bench-password-1")
keys = {{}}
for name, role, region, provider in {clients!r}:
    keys[name] = api_client_create(name=name, role=role, region_code=region, provider_hsa_id=provider)[1]
print(json.dumps(keys))
"""


def _clients_wanted(cfg: Config) -> list[tuple[str, str, str | None, str | None]]:
    wanted = [("runs04", "clerk", "04", None), ("runs06", "clerk", "06", None)]
    wanted += [(f"bulk{i}", "provider", None, PROVIDER) for i in range(cfg.bulk_clients)]
    for i in range(cfg.list_clients + 1):  # list client 0 is also the one measured alone
        wanted += [
            (f"list{i}-clerk04", "clerk", "04", None),
            (f"list{i}-clerk25", "clerk", "25", None),
            (f"list{i}-provider", "provider", None, PROVIDER),
        ]
    return wanted


def _start_processes(
    cfg: Config, env: dict, port: int, logs: Path, *, concurrency: int = 2, name: str = "bench-load"
) -> list[subprocess.Popen]:
    """gunicorn (``cfg.workers`` sync workers) and a Celery worker of ``concurrency`` prefork processes, their
    output in ``logs``. Also the month-close section's (bench/month_close.py)."""
    server_log = (logs / "gunicorn.log").open("wb")
    worker_log = (logs / "celery.log").open("wb")
    gunicorn = [str(Path(PY).parent / "gunicorn"), "config.wsgi", "-w", str(cfg.workers)]
    gunicorn += ["-b", f"127.0.0.1:{port}", "--timeout", "300", "--log-level", "warning"]
    worker = [PY, "-m", "celery", "-A", "config", "worker", "--pool=prefork", f"--concurrency={concurrency}"]
    worker += ["--hostname", f"{name}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO"]
    return [
        subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT),
        subprocess.Popen(worker, cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT),
    ]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# --- The load test -------------------------------------------------------------------------------------------


def bench_load(port: int) -> dict:
    cfg = Config.from_env()
    began = time.perf_counter()
    recreate_database(cfg.database_url)
    for url in (cfg.redis_url, cfg.cache_url):
        try:
            redis.Redis.from_url(url).flushdb()  # this bench's own databases only
        except redis.RedisError as exc:
            raise SystemExit(
                f"The load section needs Redis at {url} (BENCH_LOAD_REDIS_URL, BENCH_LOAD_CACHE_URL): {exc}"
            ) from None
    # The set-up runs its tasks in-process (no broker): publishing the reference rate versions queues
    # re-evaluations, which would otherwise reach the worker after the preload and keep it busy for minutes.
    setup_env = bench_env(cfg.database_url)
    env = setup_env | {"CELERY_BROKER_URL": cfg.redis_url, "CACHE_URL": cfg.cache_url}
    manage(setup_env, "migrate", "--no-input")
    output = manage(setup_env, "shell", "-c", SETUP_SCRIPT.format(clients=_clients_wanted(cfg)))
    keys = orjson.loads(output.strip().splitlines()[-1])

    period = f"{add_months(dt.date.today(), -1):%Y-%m}"
    start, end = period_bounds(period)
    seconds = int((end - start).total_seconds()) - 2 * 86400
    for seller in ("04", "06"):
        lists.fill(
            cfg.database_url,
            cfg.preload,
            seller=seller,
            end=end - dt.timedelta(days=1),
            seconds=seconds,
            prefix=f"pre{seller}-",
        )
    print(
        f"  set-up (database, {2 * cfg.preload:,} contacts set-based, API clients): "
        f"{time.perf_counter() - began:.0f} s",
        flush=True,
    )
    window = Window(start=start + dt.timedelta(days=1), days=(end - start).days - 2)
    logs = Path(tempfile.mkdtemp(prefix="utomlans-bench-load-"))
    recorder = Recorder()
    processes = _start_processes(cfg, env, port, logs)
    try:
        wait_for(port)
        result = _phases(cfg, port, keys, period, window, recorder)
    finally:
        _stop(processes)
    result |= {"period": period, "logs": str(logs), "config": cfg}
    result["failures"] = recorder.failures + bulk_problems(recorder.bulk) + _check_database(cfg, period, result)
    return result


def _phases(cfg: Config, port: int, keys: dict, period: str, window: Window, recorder: Recorder) -> dict:
    def client(name: str) -> Client:
        return Client(port, keys[name], recorder)

    listers = [
        {role: client(f"list{i}-{role}") for role in ("clerk04", "clerk25", "provider")}
        for i in range(1 + cfg.list_clients)
    ]
    bulkers = [client(f"bulk{i}") for i in range(cfg.bulk_clients)]
    runs04, runs06 = client("runs04"), client("runs06")
    # Warm every gunicorn worker (imports, connections) before anything is timed.
    for _ in range(2 * cfg.workers):
        listers[0]["clerk04"].call("GET", "/api/v1/regions/", kind="warm", label="warm")

    # 1. Alone: a run, lists from one client, one round of the bulk clients.
    alone_run = start_run(runs06, "06", period)
    runs = {"alone": poll_runs(runs06, [alone_run], time.monotonic() + cfg.max_seconds).get(alone_run, {})}
    made = 0
    while made < cfg.idle_requests:
        made += list_round(listers[0], period, recorder)
    began = time.perf_counter()
    threads = [
        threading.Thread(target=bulk_round, args=(bulkers[i], i, 0, cfg, window, recorder))
        for i in range(cfg.bulk_clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bulk_alone_seconds = time.perf_counter() - began
    rounds = {i: 1 for i in range(cfg.bulk_clients)}

    print("  alone: done; now under load", flush=True)

    # 2. Under load.
    for one in [c for group in listers for c in group.values()] + bulkers + [runs04]:
        one.phase = "load"
    stop = threading.Event()
    sent = defaultdict(int)

    def bulk_loop(index: int) -> None:
        try:
            while not stop.is_set():
                sent[index] += bulk_round(bulkers[index], index, rounds[index], cfg, window, recorder)
                rounds[index] += 1
        except Exception as exc:  # reported as a failure; the other clients go on
            recorder.fail(f"bulk client {index} stopped: {type(exc).__name__}: {exc}")

    def list_loop(index: int) -> None:
        try:
            while not stop.is_set():
                list_round(listers[index], period, recorder)
        except Exception as exc:  # reported as a failure; the other clients go on
            recorder.fail(f"list client {index} stopped: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=bulk_loop, args=(i,)) for i in range(cfg.bulk_clients)]
    threads += [threading.Thread(target=list_loop, args=(i,)) for i in range(1, 1 + cfg.list_clients)]
    began = time.perf_counter()
    deadline = time.monotonic() + cfg.max_seconds
    for thread in threads:
        thread.start()
    try:
        time.sleep(cfg.warmup)
        ids = [start_run(runs04, "04", period)]
        if cfg.second_run:
            ids.append(start_run(runs04, "04", period))
        ids = [pk for pk in ids if pk is not None]
        polled = poll_runs(runs04, ids, deadline)
        runs["load"] = polled.get(ids[0], {}) if ids else {}
        runs["second"] = polled.get(ids[1], {}) if len(ids) > 1 else {}
        # Every bulk client does its rounds (a round is never cut short, so its bodies can be checked).
        while time.monotonic() < deadline and any(
            rounds[i] < 1 + cfg.min_rounds and threads[i].is_alive() for i in range(cfg.bulk_clients)
        ):
            time.sleep(0.1)
        if time.monotonic() >= deadline:
            recorder.fail(f"the load did not end within BENCH_LOAD_MAX_SECONDS ({cfg.max_seconds:.0f} s)")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    load_seconds = time.perf_counter() - began

    print(f"  under load: {load_seconds:.0f} s; now the quiet run and the checks", flush=True)

    # 3. Quiet: the same run again with nothing else running.
    runs04.phase = "quiet"
    quiet = start_run(runs04, "04", period)
    runs["quiet"] = poll_runs(runs04, [quiet], time.monotonic() + cfg.max_seconds).get(quiet, {})
    return {
        "runs": runs,
        "rounds": dict(rounds),
        "load_seconds": load_seconds,
        "bulk_alone_seconds": bulk_alone_seconds,
        "bulk_alone_contacts": 4 * cfg.batch * cfg.bulk_clients,
        "bulk_load_contacts": sum(sent.values()),
        "recorder": recorder,
    }


# --- Checks in the database ----------------------------------------------------------------------------------

ZERO_QUERIES = {
    "contacts on two invoice lines (credit notes aside)": """
        SELECT count(*) FROM (SELECT contact_id FROM billing_invoiceline WHERE NOT credit
                              GROUP BY contact_id HAVING count(*) > 1) AS twice""",
    "invoices whose total or count differs from their lines'": """
        SELECT count(*) FROM billing_invoice i
        LEFT JOIN (SELECT invoice_id, sum(amount) AS total, count(*) AS lines FROM billing_invoiceline
                   GROUP BY invoice_id) l ON l.invoice_id = i.id
        WHERE i.total <> coalesce(l.total, 0) OR i.contact_count <> coalesce(l.lines, 0)""",
    "lines of another seller, buyer or period than their invoice's": """
        SELECT count(*) FROM billing_invoiceline l
        JOIN billing_invoice i ON i.id = l.invoice_id JOIN contacts_contact c ON c.id = l.contact_id
        WHERE c.billing_region_id <> i.seller_id OR c.home_region_id <> i.buyer_id
           OR to_char(c.started_at AT TIME ZONE 'Europe/Stockholm', 'YYYY-MM') <> i.period""",
    "parties with two drafts for one period": """
        SELECT count(*) FROM (SELECT 1 FROM billing_invoice WHERE status = 'draft' AND kind = 'invoice'
                              GROUP BY seller_id, buyer_id, period HAVING count(*) > 1) AS two""",
    "contacts stored twice for one (provider, external_id)": """
        SELECT count(*) FROM (SELECT 1 FROM contacts_contact GROUP BY provider_id, external_id
                              HAVING count(*) > 1) AS twice""",
}

# After the quiet run: the seller's drafts hold exactly its eligible contacts of the period, at their amounts. None is
# left unbilled by the run's own rule (billing.runs.unbilled_contacts: on no invoice of its billing round), read in a
# Django process of the bench's database rather than copied here in SQL (tests/billing/test_sql_twins.py).
UNBILLED_SCRIPT = """
from bench.load import unbilled_count
print(unbilled_count({seller!r}, {period!r}))
"""
STALE = """
    SELECT count(*) FROM billing_invoiceline l JOIN billing_invoice i ON i.id = l.invoice_id
    JOIN contacts_contact c ON c.id = l.contact_id
    WHERE i.seller_id = %(seller)s AND i.period = %(period)s AND i.status = 'draft'
      AND (c.status <> 'eligible' OR c.amount <> l.amount OR c.rate <> l.rate)"""


def unbilled_count(seller: str, period: str) -> int:
    """How many contacts the next run of ``seller`` for ``period`` would bill: ``billing.runs.unbilled_contacts``, in
    a process where Django is set up (``manage.py shell``: the bench's own process never sets it up)."""
    from billing.runs import unbilled_contacts

    return unbilled_contacts(seller, period).count()


def _check_database(cfg: Config, period: str, result: dict) -> list[str]:
    problems = []
    start, end = period_bounds(period)
    with psycopg.connect(cfg.database_url) as conn:

        def one(sql: str, params=None):
            return conn.execute(sql, params).fetchone()[0]

        for label, sql in ZERO_QUERIES.items():
            if found := one(sql):
                problems.append(f"{label}: {found}")
        expected = sent_keys(result["rounds"], cfg.batch)
        provider_id = one("SELECT id FROM regions_provider WHERE hsa_id = %s", [PROVIDER])
        stored = {
            row[0]
            for row in conn.execute(
                "SELECT external_id FROM contacts_contact WHERE provider_id = %s AND external_id NOT LIKE 'pre%%'",
                [provider_id],
            )
        }
        if stored != expected:
            problems.append(
                f"contacts sent and stored differ: {len(expected - stored)} lost, {len(stored - expected)} unexpected"
            )
        total = one("SELECT count(*) FROM contacts_contact")
        if total != 2 * cfg.preload + len(expected):
            problems.append(f"{total} contacts stored, expected {2 * cfg.preload} preloaded + {len(expected)} sent")
        updated = {f"L{i}-{r}-" for i, done in result["rounds"].items() for r in range(done)}
        wrong_fee = one(
            "SELECT count(*) FROM contacts_contact WHERE provider_id = %s AND external_id LIKE 'L%%' "
            "AND patient_fee <> %s",
            [provider_id, Decimal(UPDATED_FEE)],
        )
        events = one(
            "SELECT count(*) FROM contacts_contactevent e JOIN contacts_contact c ON c.id = e.contact_id "
            "WHERE c.provider_id = %s AND c.external_id NOT LIKE 'pre%%' AND e.kind = 'updated'",
            [provider_id],
        )
        if wrong_fee or events != len(updated) * cfg.batch:
            problems.append(
                f"updated contacts: {wrong_fee} without the new fee, {events} update events "
                f"(expected {len(updated) * cfg.batch})"
            )
        params = {"seller": "04", "period": period, "start": start, "end": end}
        output = manage(bench_env(cfg.database_url), "shell", "-c", UNBILLED_SCRIPT.format(seller="04", period=period))
        if unbilled := int(output.strip().splitlines()[-1]):
            problems.append(f"after the quiet run, {unbilled} eligible contacts of 04 in {period} are on no invoice")
        if stale := one(STALE, params):
            problems.append(f"after the quiet run, {stale} lines of 04's drafts differ from their contacts")
        result["lines"] = one(
            "SELECT count(*) FROM billing_invoiceline l JOIN billing_invoice i ON i.id = l.invoice_id "
            "WHERE i.seller_id = '04' AND i.period = %s AND NOT l.credit",
            [period],
        )
        result["contacts"] = total
    for name, run in result["runs"].items():
        if name == "second" and not cfg.second_run:
            continue
        if run.get("status") != "succeeded":
            problems.append(f"run {name} ended {run.get('status')!r}: {run.get('error', '')[:300]}")
    return problems


# --- Report --------------------------------------------------------------------------------------------------


def print_report(result: dict) -> None:
    cfg: Config = result["config"]
    recorder: Recorder = result["recorder"]
    runs = result["runs"]

    def latency(phase: str, label: str | None = None) -> str:
        times = recorder.times(phase=phase, kind="list", label=label)
        return (
            f"{percentile(times, 50):>5.0f} / {percentile(times, 95):>5.0f} / {max(times, default=math.nan):>5.0f} ms"
            f"  ({len(times)} requests)"
        )

    print(
        f"  period {result['period']}, {cfg.preload:,} preloaded contacts per seller (04, 06), {cfg.workers} gunicorn "
        f"workers, Celery worker with 2 processes, {cfg.bulk_clients} bulk + {cfg.list_clients} list clients"
    )
    print(f"  {'API list, all filters, alone, p50 / p95 / max':<56}: {latency('alone')}")
    print(f"  {'API list, all filters, under load, p50 / p95 / max':<56}: {latency('load')}")
    for _role, label, _path in list_paths(result["period"])[:1]:
        print(f"  {'API list, ' + label + ', alone':<56}: {latency('alone', label)}")
        print(f"  {'API list, ' + label + ', under load':<56}: {latency('load', label)}")
    alone_rate = result["bulk_alone_contacts"] / result["bulk_alone_seconds"]
    load_rate = result["bulk_load_contacts"] / result["load_seconds"]
    bulk_times = recorder.times(phase="load", kind="bulk")
    print(f"  {'bulk upserts alone (one round of every client)':<56}: {alone_rate:>9,.0f} contacts/s")
    print(
        f"  {'bulk upserts under load (all clients)':<56}: {load_rate:>9,.0f} contacts/s  "
        f"({len(bulk_times)} requests of {cfg.batch:,}, p95 {percentile(bulk_times, 95):,.0f} ms)"
    )
    print(f"  {'invoice run, 06, alone':<56}: {_seconds(runs['alone']):>9.1f} s  ({runs['alone'].get('status')})")
    print(f"  {'invoice run, 04, under load':<56}: {_seconds(runs['load']):>9.1f} s  ({runs['load'].get('status')})")
    if cfg.second_run:
        print(
            f"  {'second run, 04, started with it, once it had the lock':<56}: {_seconds(runs['second']):>9.1f} s  "
            f"({runs['second'].get('status')}, after {_waited(runs['second']):.1f} s waiting for the first)"
        )
    print(
        f"  {'invoice run, 04, again with nothing else running':<56}: {_seconds(runs['quiet']):>9.1f} s  "
        f"({runs['quiet'].get('status')}, {result.get('lines', 0):,} lines)"
    )
    statuses = defaultdict(int)
    for sample in recorder.samples:
        statuses[(sample.kind, sample.status)] += 1
    counts = ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(statuses.items()))
    print(
        f"  load of {result['load_seconds']:.1f} s, rounds per bulk client {list(result['rounds'].values())}; {counts}"
    )
    print(f"  {result['contacts']:,} contacts stored; logs in {result['logs']}")
