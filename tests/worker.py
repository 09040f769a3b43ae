"""Real Celery worker processes for tests: started against the test database and the configured broker (Redis).

Used by tests/config/test_celery.py, tests/billing/test_runs.py and tests/billing/test_tasks.py. A worker listens
on its own queue, so tests of several engineers sharing one Redis never take each other's tasks.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery.result import allow_join_result
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def real_worker_possible() -> bool:
    """A worker process needs a real broker and a database it can share with the test (PostgreSQL)."""
    return bool(settings.CELERY_BROKER_URL) and connection.vendor == "postgresql"


def worker_database_url() -> str:
    """The test database (``test_…``), as a worker process reaches it."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def new_queue() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


class Worker:
    """A running ``celery worker`` process; ``log()`` is what it printed so far (for failure messages)."""

    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process = process
        self.log_path = log_path
        self.final_log: str | None = None  # kept once the worker has stopped and its directory is gone

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        if self.final_log is not None:
            return self.final_log
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process dies at once, acknowledging nothing and cleaning nothing up."""
        self.process.kill()
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)


@contextlib.contextmanager
def celery_worker(
    queue: str, *, settings_module: str = "tests.settings", env: dict[str, str] | None = None
) -> Iterator[Worker]:
    """Start ``celery -A config worker --pool=solo`` consuming ``queue``; stop it (if still alive) on exit."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **(env or {}),
    }
    with tempfile.TemporaryDirectory(prefix="celery-worker-") as directory:
        log_path = Path(directory) / "worker.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "--queues",
                    queue,
                    "--hostname",
                    f"{queue}-{uuid.uuid4().hex[:6]}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=WARNING",
                ],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process, log_path)
        try:
            yield worker
        finally:
            worker.stop()
            worker.final_log = worker.log()


@contextlib.contextmanager
def tasks_sent_to(queue: str) -> Iterator[None]:
    """Tests run tasks eagerly; inside this block they go through the broker for real, to ``queue``."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    # Celery's "a task must not wait for a result" flag is one process-wide global that every eager task sets
    # and resets; eager tasks run at once in threads (tests/billing/test_concurrency.py) can leave it set.
    # This test process is not a task: waiting for the worker's results is what it is here to do.
    try:
        with allow_join_result():
            yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous


def wait_for(condition: Callable[[], object], seconds: float = 90) -> bool:
    """Poll ``condition`` until it is true (True) or ``seconds`` have passed (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


needs_worker = pytest.mark.skipif(
    not real_worker_possible(), reason="needs CELERY_BROKER_URL (a real broker) and PostgreSQL (shared with it)"
)
