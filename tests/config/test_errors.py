"""Issue 20 item 4: optional error reporting, switched on by SENTRY_DSN, without personal data, every event masked
with the logs' own rule."""

import json
import os
import subprocess
import sys
from pathlib import Path

import sentry_sdk

from config.observability.errors import before_send

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own (sentry_sdk.init is process-wide): Django set up as in production, then an error reported
# through the SDK; the transport keeps what would have been sent instead of sending it.
_REPORT_ONE_ERROR = """
import json
import django
django.setup()
import sentry_sdk
from sentry_sdk.transport import Transport

sent = []


class Keep(Transport):
    def capture_envelope(self, envelope):
        sent.extend(item.payload.json for item in envelope.items if item.payload.json)


client = sentry_sdk.get_client()
if client.is_active():
    client.transport = Keep(client.options)
try:
    raise RuntimeError("Lookup of 19121212-1212 failed; Authorization: Token 0123456789abcdef0123456789abcdef01234567")
except RuntimeError:
    sentry_sdk.capture_exception()
options = ["send_default_pii", "max_request_body_size", "include_local_variables", "before_send"]
print(json.dumps({
    "active": client.is_active(),
    "options": {name: client.options.get(name) for name in options},
    "integrations": sorted(client.integrations),
    "events": sent,
}, default=lambda value: getattr(value, "__qualname__", str(value))))
"""


def _report(**env) -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")}
    result = subprocess.run(
        [sys.executable, "-c", _REPORT_ONE_ERROR],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_without_sentry_dsn_nothing_is_initialised():
    report = _report()

    assert (report["active"], report["integrations"], report["events"]) == (False, [], [])
    assert not sentry_sdk.get_client().is_active()  # nor in the test process


def test_with_sentry_dsn_errors_are_reported_without_personal_data_and_masked():
    report = _report(SENTRY_DSN="https://public@sentry.invalid/1", SENTRY_ENVIRONMENT="test")

    assert report["active"] is True
    assert report["options"] == {
        "send_default_pii": False,
        "max_request_body_size": "never",
        "include_local_variables": False,
        "before_send": "before_send",
    }
    assert {"django", "celery"} <= set(report["integrations"])
    [event] = report["events"]
    [exception] = event["exception"]["values"]
    assert exception["value"] == "Lookup of 19121212-**** failed; Authorization: Token ****"
    assert event["environment"] == "test"
    text = json.dumps(event)
    assert "19121212-1212" not in text and "0123456789abcdef0123456789abcdef01234567" not in text
    assert "user" not in event


def test_before_send_masks_every_text_of_an_event():
    key = "0123456789abcdef0123456789abcdef01234567"
    event = {
        "message": "Contact 191212121212 refused",
        "exception": {"values": [{"type": "ValueError", "value": "Personnumret 19121212-1212 har fel kontrollsiffra"}]},
        "breadcrumbs": {"values": [{"category": "query", "message": "SELECT ... WHERE patient_id = '121212-1212'"}]},
        "request": {
            "url": "https://utomlans.example.se/api/v1/contacts/",
            "query_string": "patient_id=19121212%2B1212",
            "headers": {"Authorization": f"Token {key}", "Accept": "application/json"},
        },
        "extra": {"items": [("19121212-1212", 3)], "count": 3},
        "level": "error",
    }

    masked = before_send(event, {})

    assert masked == {
        "message": "Contact 19121212-**** refused",
        "exception": {"values": [{"type": "ValueError", "value": "Personnumret 19121212-**** har fel kontrollsiffra"}]},
        "breadcrumbs": {"values": [{"category": "query", "message": "SELECT ... WHERE patient_id = '121212-****'"}]},
        "request": {
            "url": "https://utomlans.example.se/api/v1/contacts/",
            "query_string": "patient_id=19121212-****",
            "headers": {"Authorization": "Token ****", "Accept": "application/json"},
        },
        "extra": {"items": [["19121212-****", 3]], "count": 3},
        "level": "error",
    }
