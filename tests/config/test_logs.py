"""Issue 20 item 4: structured logs with a request id carried into Celery tasks, and never a personal identity number
or a credential in a log line: a full journey's every log record, at DEBUG and with every SQL statement, scanned."""

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from billing.models import Invoice
from config.identity_scrubbing import looks_like_identity_number
from config.observability import logs
from contacts.api import ContactViewSet
from regions.models import Role
from regions.services import api_client_create
from regions.tasks import count_regions
from tests.factories import contact_item, personnummer
from tests.worker import celery_worker, needs_worker, new_queue, tasks_sent_to, wait_for

ROOT = Path(__file__).resolve().parents[2]

# The journey's patients, in the forms a number may take.
PATIENTS = [personnummer("19850312", f"{n}{n}1") for n in range(1, 4)]


def forms_of(number: str) -> list[str]:
    """19850312-1111 → itself, 198503121111, 850312-1111, 8503121111."""
    digits = number.replace("-", "")
    return [number, digits, number[2:], digits[2:]]


@pytest.fixture
def console():
    """What the console handler writes (the process's log), captured: every line as it would leave the process."""
    handler = logging.getHandlerByName("console")
    stream = io.StringIO()
    # Swapped without setStream(), which flushes the stream it replaces: the handler was made when Django set up
    # logging, on the stderr of that moment, which pytest's output capturing may have closed since.
    with handler.lock:
        previous, handler.stream = handler.stream, stream
    try:
        yield stream
    finally:
        with handler.lock:
            handler.stream = previous


@pytest.fixture
def everything_logged(caplog, console):
    """Every logger at DEBUG (Django's, django.request, django.db.backends with every SQL statement and its
    parameters, Celery's, the project's, WeasyPrint's), captured as records (caplog) and as written lines."""
    caplog.set_level(logging.DEBUG)
    for name in ["django", "django.request", "django.db.backends", "celery", "celery.app.trace", "kernel",
                 "regions", "contacts", "billing", "config", "weasyprint", "axes", "health_check"]:  # fmt: skip
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True  # SQL logged as with DEBUG=1
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = False


def written_lines(console) -> list[dict]:
    return [json.loads(line) for line in console.getvalue().splitlines()]


# --- The request id -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_gets_an_id_echoed_in_its_response_and_on_its_log_lines(client, console, caplog):
    caplog.set_level(logging.INFO)

    mine = client.get("/no-such-page/", HTTP_X_REQUEST_ID="lb-7f3a.91:2")
    generated = client.get("/no-such-page/")
    refused = [
        client.get("/health/live", HTTP_X_REQUEST_ID=value)["X-Request-ID"]
        for value in ["x" * 65, "a b", "<script>", "19121212-1212", "req-191212121212", "ä", "password:hunter2"]
    ]

    assert mine["X-Request-ID"] == "lb-7f3a.91:2"
    assert len(generated["X-Request-ID"]) == 32 and int(generated["X-Request-ID"], 16) >= 0
    assert all(len(value) == 32 and value != generated["X-Request-ID"] for value in refused)
    # Django logs "Not Found" after the last middleware has returned: the line still carries the id.
    not_found = [line for line in written_lines(console) if line["message"] == "Not Found: /no-such-page/"]
    assert [line["request_id"] for line in not_found] == ["lb-7f3a.91:2", generated["X-Request-ID"]]
    assert {line["logger"] for line in not_found} == {"django.request"}
    assert [line["level"] for line in not_found] == ["WARNING", "WARNING"]


def test_outside_a_request_lines_carry_a_dash(console):
    logging.getLogger("billing").warning("Nightly check")

    assert [(line["message"], line["request_id"]) for line in written_lines(console)] == [("Nightly check", "-")]


def test_a_json_line_has_its_fields_and_a_text_line_is_readable():
    record = logging.getLogger("billing.runs").makeRecord(
        "billing.runs", logging.ERROR, __file__, 1, "Run %s failed for %s", (7, "19121212-1212"), None
    )
    record.request_id = "req-1"
    text = logs.TextFormatter("%(levelname)s %(name)s [%(request_id)s] %(message)s")

    line = json.loads(
        logs.JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s").format(record)
    )

    assert {key: line[key] for key in ["level", "logger", "message", "request_id"]} == {
        "level": "ERROR",
        "logger": "billing.runs",
        "message": "Run 7 failed for 19121212-****",
        "request_id": "req-1",
    }
    assert "time" in line
    assert text.format(record) == "ERROR billing.runs [req-1] Run 7 failed for 19121212-****"


def test_log_format_follows_the_setting_and_debug():
    def formatter(**env) -> str:
        environment = {key: value for key, value in os.environ.items() if key not in ("LOG_FORMAT", "DEBUG")}
        script = "import django; django.setup(); import logging; print(logging.getHandlerByName('console').formatter)"
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**environment, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
            capture_output=True,
            text=True,
        )
        return result.stdout.strip() or result.stderr.strip().splitlines()[-1]

    assert "JsonFormatter" in formatter()
    assert "TextFormatter" in formatter(DEBUG="1")
    assert "JsonFormatter" in formatter(DEBUG="1", LOG_FORMAT="json")
    assert "TextFormatter" in formatter(LOG_FORMAT="text")
    assert formatter(LOG_FORMAT="xml").endswith("LOG_FORMAT must be json or text, got 'xml'")


# --- Into Celery tasks ----------------------------------------------------------------------------------------------


def test_a_task_queued_during_a_request_is_sent_with_its_id():
    headers: dict = {}
    token = logs._request_id.set("req-queued")
    try:
        logs._carry_request_id(headers=headers)
    finally:
        logs._request_id.reset(token)
    outside: dict = {}
    logs._carry_request_id(headers=outside)

    assert headers == {logs.TASK_HEADER: "req-queued"}
    assert outside == {}


@pytest.mark.django_db
def test_a_task_carrying_an_id_logs_with_it_and_leaves_it_behind(console, caplog, reference):
    caplog.set_level(logging.DEBUG, logger="config")

    result = count_regions.apply(headers={logs.TASK_HEADER: "req-from-web"})
    logging.getLogger("billing").warning("after the task")

    assert result.get() == 21
    lines = [(line["message"], line["request_id"]) for line in written_lines(console)]
    assert (f"Task regions.count_regions[{result.id}] runs for request req-from-web", "req-from-web") in lines
    assert lines[-1] == ("after the task", "-")


@pytest.mark.celery_worker
@needs_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_logs_a_task_with_the_id_of_the_request_that_queued_it(reference):
    queue = new_queue()
    request_id = f"req-{uuid.uuid4().hex[:12]}"
    with celery_worker(queue, env={"LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json"}) as worker, tasks_sent_to(queue):
        token = logs._request_id.set(request_id)
        try:
            result = count_regions.apply_async(queue=queue)
        finally:
            logs._request_id.reset(token)
        assert result.get(timeout=60) == 21
        finished = f"Task regions.count_regions[{result.id}] succeeded"
        assert wait_for(lambda: finished in worker.log(), seconds=30), worker.log()[-3000:]
        log = worker.log()

    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    task = [line for line in lines if line["message"].startswith(f"Task regions.count_regions[{result.id}]")]
    # Received by the worker before it runs (no id yet), then run and finished with the id of the request.
    assert [(line["logger"], line["request_id"]) for line in task] == [
        ("celery.worker.strategy", "-"),
        ("config.observability.logs", request_id),
        ("celery.app.trace", request_id),
    ]


# --- The journey --------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # jobs queued on commit run when the request commits, as in production
def test_a_full_journey_logs_no_identity_number_and_no_key_and_every_line_parses_with_its_request_id(
    everything_logged, console, staff, providers, billing_day, monkeypatch
):
    _system, system_key = api_client_create(
        name="journey-system", role=Role.PROVIDER, provider_hsa_id=providers["04a"].hsa_id
    )
    _clerk, clerk_key = api_client_create(name="journey-clerk", role=Role.CLERK, region_code="04")
    system, clerk = APIClient(), APIClient()
    system.credentials(HTTP_AUTHORIZATION=f"Token {system_key}")
    clerk.credentials(HTTP_AUTHORIZATION=f"Token {clerk_key}")
    manager = APIClient()
    manager.force_login(staff["manager04"])
    ids: dict[str, str] = {}

    def answered(name, response, status):
        assert response.status_code == status, (name, response.content[:300])
        ids[name] = response["X-Request-ID"]
        return response

    # 1. A provider's system sends contacts with identity numbers (one with a wrong check digit: refused).
    items = [
        contact_item(
            provider=providers["04a"].hsa_id,
            external_id=f"j-{n}",
            patient_id=number,
            started_at=f"2026-01-{10 + n:02d}T10:00:00+01:00",
        )
        for n, number in enumerate(PATIENTS)
    ] + [contact_item(provider=providers["04a"].hsa_id, external_id="j-bad", patient_id="19850312-1110")]
    intake = answered("intake", system.post("/api/v1/contacts/bulk/", items, format="json"), 200)
    assert (intake.json()["created"], len(intake.json()["errors"])) == (3, 1)
    # 2. The clerk starts January's run (carried out in-process, within the request).
    run = answered(
        "run", clerk.post("/api/v1/invoice-runs/", {"billing_region": "04", "period": "2026-01"}, format="json"), 202
    )
    invoice = Invoice.objects.get(runs__pk=run.json()["id"])
    answered("lines", clerk.get(f"/api/v1/invoices/{invoice.pk}/lines/"), 200)
    answered("submit", clerk.post(f"/api/v1/invoices/{invoice.pk}/submit/"), 200)
    # 3. A manager approves it in the admin (the PDFs are rendered in-process once the approval commits).
    answered("approve", manager.post(reverse("admin:billing_invoice_transition", args=[invoice.pk, "approve"])), 302)
    invoice.refresh_from_db()
    assert invoice.status == "approved" and invoice.pdf
    # 4. The PDFs and the specification fetched.
    answered("pdf", clerk.get(f"/api/v1/invoices/{invoice.pk}/pdf/"), 200)
    answered("specification", clerk.get(f"/api/v1/invoices/{invoice.pk}/specification-pdf/"), 200)
    answered("csv", clerk.get(f"/api/v1/invoices/{invoice.pk}/specification.csv"), 200)
    # 5. Requests that fail: a wrong key, an identity number in the path and in the query, and a view that breaks
    #    with an identity number and the caller's credentials in its error.
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {system_key[::-1]}")
    answered("wrong key", stranger.get(f"/api/v1/contacts/?patient_id={PATIENTS[0]}"), 401)
    answered("number in path", clerk.get(f"/api/v1/contacts/{PATIENTS[1]}/"), 404)
    answered("number in query", clerk.get(f"/api/v1/contacts/?started_after={PATIENTS[2]}"), 400)

    def breaks(self, request, *args, **kwargs):
        raise RuntimeError(f"Lookup of {PATIENTS[0]} failed; Authorization: Token {system_key}")

    monkeypatch.setattr(ContactViewSet, "list", breaks)
    clerk.raise_request_exception = False
    answered("failing", clerk.get("/api/v1/contacts/"), 500)

    records = everything_logged.get_records("setup") + everything_logged.get_records("call")  # the fixtures' too
    lines = console.getvalue().splitlines()
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object

    assert len(records) > 150
    assert len(parsed) == len(records)  # one line per record, none lost or split
    leaks = [
        line
        for line in lines
        if looks_like_identity_number(line)
        or system_key in line
        or clerk_key in line
        or any(form in line for number in PATIENTS for form in forms_of(number))
    ]
    assert leaks == []
    # Every line says which request caused it (or "-" outside requests), the breaking one included.
    assert {line["request_id"] for line in parsed} <= {*ids.values(), "-"}
    by_request = {
        name: [line for line in parsed if line["request_id"] == request_id] for name, request_id in ids.items()
    }
    assert all(by_request.values())  # every request logged something (its SQL at least)
    failure = [line for line in by_request["failing"] if line["logger"] == "django.request"]
    assert [line["message"] for line in failure] == ["Internal Server Error: /api/v1/contacts/"]
    assert "RuntimeError: Lookup of 19850312-**** failed; Authorization: Token ****" in failure[0]["exc_info"]
    assert [line["message"] for line in by_request["number in path"] if line["logger"] == "django.request"] == [
        "Not Found: /api/v1/contacts/19850312-****/"
    ]
    # The run and the documents, carried out by tasks queued in their requests, log with those requests' ids; so
    # does every SQL statement (the contacts stored by the intake among them).
    assert [
        line["logger"] for line in by_request["run"] if line["message"].startswith("Task billing.invoice_run[")
    ] == ["celery.app.trace"]
    assert [
        line["logger"] for line in by_request["approve"] if line["message"].startswith("Task billing.render_documents[")
    ] == ["celery.app.trace"]
    assert any("contacts_contact" in line["message"] for line in by_request["intake"])
    tasks_in_requests = [line["request_id"] for line in parsed if line["logger"] == "celery.app.trace"]
    assert [request_id for request_id in tasks_in_requests if request_id != "-"] == [ids["run"], ids["approve"]]
