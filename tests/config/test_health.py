"""Issue 20 item 3: liveness and readiness for load balancers and monitoring, reachable without a login and
without a throttle, saying nothing but a name and ok/unavailable per check."""

import socket

import pytest
from django.db import connections

from config.celery import app as celery_app
from tests.worker import celery_worker, needs_worker, new_queue, tasks_sent_to

LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "health-tests"}}
REDIS_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/1"}
}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


needs_redis = pytest.mark.skipif(not _redis_reachable(), reason="needs Redis on 127.0.0.1:6379")


@pytest.fixture
def embedded(settings):
    """The embedded default: no broker (jobs in-process), the per-process cache."""
    settings.CELERY_BROKER_URL = None
    settings.CACHES = LOCAL_CACHE


@pytest.fixture
def unreachable_database(monkeypatch):
    """The database's address made unreachable for every new connection (readiness checks on a connection of its
    own, in a thread of its own); the test's open connection is unaffected."""
    database = connections.settings["default"]
    if database["ENGINE"].endswith("sqlite3"):
        monkeypatch.setitem(database, "NAME", "/nonexistent-directory/utomlans.sqlite3")
    else:
        monkeypatch.setitem(database, "PORT", str(_closed_port()))
        monkeypatch.setitem(database, "HOST", "127.0.0.1")


# --- Liveness -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_liveness_answers_without_touching_anything(client, django_assert_num_queries, unreachable_database):
    with django_assert_num_queries(0):
        response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]


# --- Readiness ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_on_the_embedded_default_readiness_checks_the_database_only(client, embedded):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_is_503_when_the_database_cannot_be_reached_and_names_no_host(client, embedded, unreachable_database):
    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unavailable"}}
    assert b"127.0.0.1" not in response.content and b"nonexistent" not in response.content


@needs_redis
@pytest.mark.django_db
def test_a_configured_cache_and_broker_are_checked(client, settings):
    settings.CACHES = REDIS_CACHE
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = new_queue()  # a queue no worker consumes
    try:
        response = client.get("/health/ready")
    finally:
        celery_app.conf.task_default_queue = previous

    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "worker": "unavailable"},
    }
    assert response.status_code == 503


@pytest.mark.django_db
def test_a_broker_that_cannot_be_reached_is_unavailable_and_its_worker_is_not_asked(client, settings, monkeypatch):
    settings.CACHES = LOCAL_CACHE
    settings.CELERY_BROKER_URL = f"redis://:secret-password@127.0.0.1:{_closed_port()}/0"
    monkeypatch.setattr(celery_app.control, "ping", lambda *args, **kwargs: pytest.fail("the worker was asked"))

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "unavailable", "worker": "unavailable"},
    }
    assert b"secret-password" not in response.content and b"127.0.0.1" not in response.content


@pytest.mark.celery_worker
@needs_worker
@pytest.mark.django_db(transaction=True)
def test_readiness_is_200_when_a_worker_consumes_the_queue(client, settings):
    settings.CACHES = LOCAL_CACHE
    queue = new_queue()
    with celery_worker(queue), tasks_sent_to(queue):
        for _attempt in range(30):  # the worker takes a moment to start
            response = client.get("/health/ready")
            if response.status_code == 200:
                break

    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "worker": "ok"}}


# --- Public, unthrottled, answered over plain HTTP -----------------------------------------------------------


@pytest.mark.django_db
def test_health_endpoints_need_no_login_and_no_throttle_counts_them(client, embedded, settings):
    settings.API_THROTTLE_RATE = "1/min"
    settings.API_ANONYMOUS_THROTTLE_RATE = "1/min"
    settings.API_DOCUMENTS_THROTTLE_RATE = "1/min"

    statuses = [client.get(path).status_code for path in ["/health/live", "/health/ready", "/healthz"] * 4]

    assert statuses == [200] * 12


@pytest.mark.django_db
def test_health_endpoints_are_not_redirected_to_https(client, embedded, settings):
    settings.SECURE_SSL_REDIRECT = True  # as in production (tests.settings turns it off; the exemptions are kept)

    answers = {path: client.get(path).status_code for path in ["/health/live", "/health/ready", "/api/v1/schema/"]}

    assert answers == {"/health/live": 200, "/health/ready": 200, "/api/v1/schema/": 301}


@pytest.mark.django_db
def test_only_reading_is_allowed(client, embedded):
    assert client.post("/health/ready").status_code == 405
    assert client.post("/health/live").status_code == 405
