"""Health endpoints for load balancers and monitoring (issue 20 item 3). None needs a login, none is throttled
(they are plain Django views, outside the API's and the login's budgets), none is cached, and none says more than
a name and ``ok`` or ``unavailable`` per check: no host, no port, no error text (those go to the log).

- ``/health/live`` (liveness): the process answers. It reads nothing, so a database or broker outage never makes
  a load balancer restart healthy processes.
- ``/health/ready`` (readiness): the process can serve. It checks, with django-health-check's checks, the
  database (``SELECT 1``), the shared cache when one is configured (``CACHE_URL``: a value written and read back),
  and when a broker is configured (``CELERY_BROKER_URL``) the broker (Redis ``PING``) and that a Celery worker
  answers a ping within ``HEALTH_WORKER_TIMEOUT`` seconds and consumes the task queue (not asked when the broker
  itself is down: the worker is then reported unavailable without waiting). On the embedded default (SQLite,
  jobs in-process) it checks the database only. 200 when every check passes, otherwise 503.
- ``/healthz``: the first health check, kept for whoever already polls it: the database only.
"""

import asyncio
import datetime as dt
import logging

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from redis.asyncio import Redis as RedisClient

from config.celery import app as celery_app

logger = logging.getLogger(__name__)

OK, UNAVAILABLE = "ok", "unavailable"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _never_cached(response):
    add_never_cache_headers(response)
    return response


def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return _never_cached(JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503))
    return _never_cached(JsonResponse({"status": "ok"}))


@require_safe
def liveness(request):
    return _never_cached(JsonResponse({"status": OK}))


def readiness_checks() -> dict[str, HealthCheck]:
    """What readiness checks in this configuration, by the name the answer gives it (the worker apart)."""
    checks: dict[str, HealthCheck] = {"database": Database()}
    if "locmem" not in settings.CACHES["default"]["BACKEND"]:
        checks["cache"] = Cache(key_prefix="utomlans-health")
    broker = settings.CELERY_BROKER_URL
    if broker and broker.startswith(REDIS_SCHEMES):
        seconds = settings.HEALTH_WORKER_TIMEOUT
        checks["broker"] = Redis(
            client_factory=lambda: RedisClient.from_url(broker, socket_connect_timeout=seconds, socket_timeout=seconds)
        )
    return checks


def worker_check() -> Ping:
    return Ping(app=celery_app, timeout=dt.timedelta(seconds=settings.HEALTH_WORKER_TIMEOUT))


async def _results(checks: dict[str, HealthCheck], *, worker: bool) -> dict[str, str]:
    outcomes = await asyncio.gather(*(check.get_result() for check in checks.values()))
    results = {
        name: OK if outcome.error is None else UNAVAILABLE for name, outcome in zip(checks, outcomes, strict=True)
    }
    if worker:
        # A worker cannot answer through a broker that is down: not asked then (the ping would wait for nothing).
        if results.get("broker", OK) == OK:
            outcome = await worker_check().get_result()
            results["worker"] = OK if outcome.error is None else UNAVAILABLE
        else:
            results["worker"] = UNAVAILABLE
    return results


@require_safe
def readiness(request):
    results = async_to_sync(_results)(readiness_checks(), worker=bool(settings.CELERY_BROKER_URL))
    failing = sorted(name for name, result in results.items() if result != OK)
    if failing:
        logger.warning("Not ready: %s unavailable", ", ".join(failing))
    body = {"status": UNAVAILABLE if failing else OK, "checks": results}
    return _never_cached(JsonResponse(body, status=503 if failing else 200))
