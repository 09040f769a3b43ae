"""Per-client request budgets for the API, counted in Django's cache so that every process shares them.

Each API client (the user behind a token, or a signed-in web user) may make ``API_THROTTLE_RATE`` requests per
period ("1200/min"). The count is a fixed window: one cache key per user and period, created with ``add`` and
counted with ``incr``, both atomic in Redis, so two gunicorn processes (or machines) never lose a request between
them, at two cache round trips per request. A fixed window lets a client send up to twice the rate across a
window boundary; that bound is accepted for its simplicity and exactness under concurrency (DRF's own
``SimpleRateThrottle`` keeps a list per client that concurrent processes overwrite, and rewrites it on every
request).

Anonymous requests are not counted by ``ClientRateThrottle``: the API answers them 401 before throttling. The
schema and docs, the only public pages, count them per address with ``AnonymousRateThrottle``
(``API_ANONYMOUS_THROTTLE_RATE``, default "60/min"): the address is REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT``
proxies the one they saw (DRF's ``NUM_PROXIES``), so a client cannot choose it.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import BaseThrottle

from kernel.env import parse_rate


class ClientRateThrottle(BaseThrottle):
    key_prefix = "throttle:client"

    def get_rate(self, view) -> str:
        return settings.API_THROTTLE_RATE

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return True
        return self._count(self.get_rate(view), user.pk)

    def _count(self, rate: str, who) -> bool:
        """Count one request of ``who`` in the current window of ``rate``; whether it is within the budget."""
        if not rate:
            return True
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        key = f"{self.key_prefix}:{who}:{period}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired (or was evicted) between add and incr
            cache.add(key, 1, timeout=period + 1)
            count = 1
        if count <= limit:
            return True
        self._wait = max(1.0, (window + 1) * period - now)
        return False

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class ScopedClientRateThrottle(ClientRateThrottle):
    """A second, smaller budget per client for the views that name a ``throttle_scope`` (DRF's scoped throttling,
    counted as above): the expensive ones. Each scope's rate is a setting of its own, e.g. ``documents``:
    ``API_DOCUMENTS_THROTTLE_RATE`` for the invoice PDFs and the specification (PDF and CSV). A view without a
    scope is not counted here; the client's budget (``ClientRateThrottle``) still applies to it."""

    RATE_SETTINGS = {"documents": "API_DOCUMENTS_THROTTLE_RATE"}

    def get_rate(self, view) -> str:
        scope = getattr(view, "throttle_scope", None)
        if not scope:
            return ""
        if scope not in self.RATE_SETTINGS:
            raise ImproperlyConfigured(f"No rate setting for the throttle scope {scope!r}")
        self.key_prefix = f"throttle:{scope}"
        return getattr(settings, self.RATE_SETTINGS[scope])


class AnonymousRateThrottle(ClientRateThrottle):
    """Requests without credentials, per address (the public schema and docs pages); signed-in users and API
    clients are counted by ``ClientRateThrottle``."""

    key_prefix = "throttle:anonymous"

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return True
        return self._count(settings.API_ANONYMOUS_THROTTLE_RATE, self.get_ident(request))
