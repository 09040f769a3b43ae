"""Optional error reporting to Sentry (or a Sentry-compatible service), switched on by ``SENTRY_DSN``.

Without ``SENTRY_DSN`` nothing is initialised and nothing leaves the process. With it: the Django and Celery
integrations (errors in requests and in tasks), no personal data (``send_default_pii=False``: no user, no cookies,
no client address), no request bodies (an intake body is a list of identity numbers), no local variables of stack
frames, no performance tracing; and every event, breadcrumbs and messages included, passes ``before_send``, which
masks identity numbers and credentials in each of its texts with the logs' own rule (``scrub``).
"""

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from config.identity_scrubbing import scrub


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item) for item in value]
    return value


def before_send(event: dict, hint: dict) -> dict:
    """The event with every text in it masked (exception values, messages, breadcrumbs, the request's address)."""
    return _scrubbed(event)


def error_reporting_init(dsn: str, *, environment: str | None = None, release: str | None = None) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=None,
        before_send=before_send,
    )
