"""Prometheus metrics: requests by route and status, and the endpoint ``/metrics`` that serves every metric.

The counters themselves are ``kernel.metrics`` (counted where their events happen). Here:

- ``RequestMetricsMiddleware`` (the outermost middleware but the request id's) counts every answered request by the
  name of the URL pattern that answered it (``api-v1:contact-list``, ``admin:billing_invoice_change``; the pattern
  itself for an unnamed one; ``unmatched`` when no pattern matched), its method (one of the usual ones, or
  ``other``) and its status: never by the path, whose ids would make a series of every contact and invoice.
- ``OpenDisputesCollector``: the number of open disputes, counted in the database when Prometheus scrapes.
- ``metrics``: the endpoint. Hidden (404) unless ``METRICS_TOKEN`` or ``METRICS_ALLOWED_IPS`` is set; then a
  request with ``Authorization: Bearer <METRICS_TOKEN>`` (compared in constant time) or from one of the allowed
  addresses or networks (the client address as for login throttling, behind ``TRUSTED_PROXY_COUNT`` proxies) gets
  the metrics, and any other gets 401. Under gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` set the values of every
  worker process are added up from that directory (``config/gunicorn.py`` tidies it); otherwise the process's own.
"""

import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import GaugeMetricFamily

from disputes.models import Dispute, DisputeStatus
from kernel.metrics import HTTP_REQUESTS
from regions.lockout import client_ip

logger = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.view_name if match.url_name else match.route


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        HTTP_REQUESTS.labels(route=route_of(request), method=method, status=str(response.status_code)).inc()
        return response


class OpenDisputesCollector:
    """``utomlans_open_disputes``: a gauge read from the database at scrape time (one COUNT), so every process
    reports the same figure and nothing has to keep it up to date."""

    NAME = "utomlans_open_disputes"
    HELP = "Disputes that are open (neither accepted nor dismissed)."

    def describe(self):
        return [GaugeMetricFamily(self.NAME, self.HELP)]

    def collect(self):
        try:
            count = Dispute.objects.filter(status=DisputeStatus.OPEN).count()
        except DatabaseError as exc:  # the other metrics are still served; readiness reports the database
            logger.warning("Open disputes not counted for the metrics: %s", type(exc).__name__)
            return
        yield GaugeMetricFamily(self.NAME, self.HELP, value=count)


_OPEN_DISPUTES = OpenDisputesCollector()
REGISTRY.register(_OPEN_DISPUTES)


def _registry():
    """The process's own registry, or under gunicorn (``PROMETHEUS_MULTIPROC_DIR``) one that adds up every
    process's files, as prometheus-client's multiprocess mode asks: a fresh registry per scrape."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_OPEN_DISPUTES)
    return registry


def _bearer_token(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _allowed(request) -> bool:
    expected = settings.METRICS_TOKEN
    if expected and hmac.compare_digest(_bearer_token(request).encode(), expected.encode()):
        return True
    if settings.METRICS_ALLOWED_IPS:
        try:
            address = ipaddress.ip_address(client_ip(request))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)
    return False


def metrics(request):
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_IPS:
        raise Http404
    if not _allowed(request):
        return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
