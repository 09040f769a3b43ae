"""Database connections: the threaded development server closes each request's connection; gunicorn keeps them.

``make run`` serves the app with Django's runserver, which answers every HTTP connection in a thread of its own. With
connections kept for 60 s a thread kept its database connection for as long as its client kept the HTTP connection
alive: 20 clients left 20 connections open, and one server reached 88 until PostgreSQL refused everyone. Under
runserver each request now closes its connection (``config.settings``, CONN_MAX_AGE 0); the production server
(gunicorn, one request at a time per process) still keeps one connection per process.
"""

import http.client
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 20


def _conn_max_age(*argv: str, **env: str) -> int:
    """CONN_MAX_AGE as the settings give it to a process started as ``manage.py <argv>``."""
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_CONN_MAX_AGE", "DATABASE_URL"}}
    environment.update(DEBUG="1", **env)
    code = (
        f"import sys; sys.argv = ['manage.py', *{list(argv)!r}]; import config.settings as s; "
        "print(s.DATABASES['default']['CONN_MAX_AGE'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip())


def test_the_threaded_development_server_closes_each_requests_connection():
    assert _conn_max_age("runserver", "127.0.0.1:8000") == 0
    # Even when the environment asks for persistent connections: the threads would keep them without bound.
    assert _conn_max_age("runserver", DATABASE_CONN_MAX_AGE="60") == 0


def test_other_processes_keep_their_connection_for_the_configured_time():
    assert _conn_max_age("migrate") == 60  # and gunicorn, celery (not manage.py commands): the same default
    assert _conn_max_age("shell", DATABASE_CONN_MAX_AGE="300") == 300
    assert _conn_max_age("shell", DATABASE_CONN_MAX_AGE="0") == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _open_connections(dsn: dict, application_name: str) -> int:
    with psycopg.connect(**dsn, autocommit=True) as watcher:
        return watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name]
        ).fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="counts a PostgreSQL server's connections")
@pytest.mark.django_db
def test_twenty_clients_keeping_their_http_connections_alive_leave_no_database_connection_open():
    settings_dict = connection.settings_dict
    dsn = {
        key: value
        for key, value in {
            "dbname": settings_dict["NAME"],
            "user": settings_dict["USER"],
            "password": settings_dict["PASSWORD"],
            "host": settings_dict["HOST"],
            "port": settings_dict["PORT"],
        }.items()
        if value
    }
    url = "postgres://{user}@{host}:{port}/{name}".format(
        user=settings_dict["USER"], host=settings_dict["HOST"], port=settings_dict["PORT"], name=settings_dict["NAME"]
    )
    application_name = f"utomlans-runserver-{uuid.uuid4().hex[:8]}"  # libpq names the server's connections so
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_CONN_MAX_AGE", "CELERY_BROKER_URL"}}
    environment.update(DEBUG="1", DATABASE_URL=url, PGAPPNAME=application_name, PGPASSWORD=settings_dict["PASSWORD"])
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(CLIENTS)]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.2)

        def ask(client):  # HTTP/1.1: the client keeps its connection (and the server its thread) afterwards
            client.request("GET", "/healthz")
            response = client.getresponse()
            return response.status, response.read(), response.getheader("Connection")

        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(ask, clients))

        assert answers == [(200, b'{"status": "ok"}', None)] * CLIENTS  # all still connected (no "close")
        assert _open_connections(dsn, application_name) == 0  # was 20 with connections kept for 60 s
        # Each client asks again on its open connection: still served, still nothing left open.
        with ThreadPoolExecutor(CLIENTS) as pool:
            assert [status for status, _body, _header in pool.map(ask, clients)] == [200] * CLIENTS
        assert _open_connections(dsn, application_name) == 0
    finally:
        for client in clients:
            client.close()
        server.terminate()
        server.wait(timeout=30)
