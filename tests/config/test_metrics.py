"""Issue 20 item 5: Prometheus metrics, each moving by exactly what happened, labelled without ids, and an endpoint
hidden from the public."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from billing import runs
from billing.documents import render_invoice_pdf, render_specification_pdf
from billing.models import Invoice
from contacts.models import Contact
from disputes.models import Dispute, DisputeStatus
from disputes.services import dispute_open
from regions.models import Role
from tests.billing.conftest import run_now
from tests.factories import contact_item, personnummer

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-for-tests-0123456789"

pytestmark = pytest.mark.django_db


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def requests_of(route: str, status: int, method: str = "GET") -> float:
    return value("utomlans_http_requests_total", route=route, method=method, status=str(status))


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def read() -> dict[str, float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return {
            sample.name + str(sorted(sample.labels.items()) or ""): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return read


# --- Requests -------------------------------------------------------------------------------------------------


def test_requests_are_counted_by_route_name_and_status_never_by_path(clerk04_api, month):
    ids = list(Contact.objects.values_list("pk", flat=True)[:2])
    before = (
        requests_of("api-v1:contact-detail", 200),
        requests_of("api-v1:contact-detail", 404),
        requests_of("unmatched", 404),
        requests_of("api-v1:contact-list", 200, method="POST"),
    )

    for pk in ids:
        assert clerk04_api.get(f"/api/v1/contacts/{pk}/").status_code == 200
    assert clerk04_api.get("/api/v1/contacts/999999999/").status_code == 404
    assert clerk04_api.get("/no/such/page/19121212-1212/").status_code == 404

    assert requests_of("api-v1:contact-detail", 200) - before[0] == 2
    assert requests_of("api-v1:contact-detail", 404) - before[1] == 1
    assert requests_of("unmatched", 404) - before[2] == 1
    assert requests_of("api-v1:contact-list", 200, method="POST") - before[3] == 0
    routes = {
        sample.labels["route"]
        for family in REGISTRY.collect()
        if family.name == "utomlans_http_requests"
        for sample in family.samples
    }
    assert "api-v1:contact-detail" in routes
    assert not [route for route in routes if any(f"/{pk}/" in route for pk in ids) or "19121212" in route]


def test_an_unusual_method_is_counted_as_other(client):
    before = requests_of("health-live", 405, method="other")

    assert client.generic("BREW", "/health/live").status_code == 405

    assert requests_of("health-live", 405, method="other") - before == 1


# --- Intake, runs, documents -------------------------------------------------------------------------------------


def test_intake_counts_items_accepted_and_refused_once_per_item(api_as, providers, django_capture_on_commit_callbacks):
    system = api_as(Role.PROVIDER, provider=providers["04a"])
    items = [
        contact_item(
            provider=providers["04a"].hsa_id, external_id=f"m-{n}", patient_id=personnummer("19850312", f"{n}{n}1")
        )
        for n in range(3)
    ] + [contact_item(provider=providers["04a"].hsa_id, external_id="bad", patient_id="19850312-0000")]
    before = (value("utomlans_intake_items_total", channel="bulk", outcome="accepted"),
              value("utomlans_intake_items_total", channel="bulk", outcome="refused"))  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):  # counted when the request's transaction commits
        response = system.post("/api/v1/contacts/bulk/", items, format="json")
        again = system.post("/api/v1/contacts/bulk/", items[:1], format="json")  # unchanged, still accepted

    assert (response.json()["created"], [error["index"] for error in response.json()["errors"]]) == (3, [3])
    assert again.json()["unchanged"] == 1
    assert value("utomlans_intake_items_total", channel="bulk", outcome="accepted") - before[0] == 4
    assert value("utomlans_intake_items_total", channel="bulk", outcome="refused") - before[1] == 1


def test_each_run_observes_its_duration_once_by_outcome(january, monkeypatch):
    succeeded = value("utomlans_invoice_run_duration_seconds_count", outcome="succeeded")
    failed = value("utomlans_invoice_run_duration_seconds_count", outcome="failed")
    seconds = value("utomlans_invoice_run_duration_seconds_sum", outcome="succeeded")

    run_now()
    monkeypatch.setattr(runs, "_refresh_drafts", lambda *args: (_ for _ in ()).throw(RuntimeError("disk")))
    with pytest.raises(RuntimeError):
        run_now()

    assert value("utomlans_invoice_run_duration_seconds_count", outcome="succeeded") - succeeded == 1
    assert value("utomlans_invoice_run_duration_seconds_count", outcome="failed") - failed == 1
    assert value("utomlans_invoice_run_duration_seconds_sum", outcome="succeeded") > seconds


def test_each_rendered_pdf_is_counted_by_document(invoices):
    invoice = invoices["approved"]  # its approval rendered both documents (in-process)
    before = (value("utomlans_documents_rendered_total", document="invoice"),
              value("utomlans_documents_rendered_total", document="specification"))  # fmt: skip

    render_invoice_pdf(invoice)
    render_specification_pdf(invoice, full_identity=False)
    render_specification_pdf(invoice, full_identity=True)

    assert value("utomlans_documents_rendered_total", document="invoice") - before[0] == 1
    assert value("utomlans_documents_rendered_total", document="specification") - before[1] == 2


def test_approving_an_invoice_renders_and_counts_its_two_documents(january, staff, django_capture_on_commit_callbacks):
    from billing.services import invoice_approve, invoice_submit

    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    before = (value("utomlans_documents_rendered_total", document="invoice"),
              value("utomlans_documents_rendered_total", document="specification"))  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        invoice_approve(invoice=invoice, by=staff["manager04b"])

    assert value("utomlans_documents_rendered_total", document="invoice") - before[0] == 1
    assert value("utomlans_documents_rendered_total", document="specification") - before[1] == 1


def test_open_disputes_are_counted_at_scrape_time(january, named, scrape):
    before = scrape()["utomlans_open_disputes"]

    dispute = dispute_open(contact=Contact.objects.get(external_id="phone"), by=named["clerk04"], reason="Video")
    opened = scrape()["utomlans_open_disputes"]
    Dispute.objects.filter(pk=dispute.pk).update(status=DisputeStatus.DISMISSED, decided_at=timezone.now())
    closed = scrape()["utomlans_open_disputes"]

    assert (opened - before, closed - before) == (1, 0)


def test_the_scrape_carries_every_metric(scrape, client):
    client.get("/health/live")

    names = {name.split("[")[0] for name in scrape()}

    assert {
        "utomlans_http_requests_total",
        "utomlans_open_disputes",
    } <= names


# --- Protection -------------------------------------------------------------------------------------------------


def test_without_a_token_or_allowed_addresses_the_endpoint_does_not_exist(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_with_a_token_only_its_bearer_reads_the_metrics(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []

    answers = [
        client.get("/metrics"),
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token"),
        client.get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}"),
        client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x"),
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer ärlig"),
        client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"),
    ]

    assert [answer.status_code for answer in answers] == [401, 401, 401, 401, 401, 200]
    assert answers[0]["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert answers[0].content == b""
    assert answers[-1]["Content-Type"].startswith("text/plain; version=")


def test_allowed_addresses_read_the_metrics_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16", "192.0.2.7"]

    answers = {
        address: client.get("/metrics", REMOTE_ADDR=address).status_code
        for address in ["10.1.2.3", "192.0.2.7", "192.0.2.8", "10.2.0.1"]
    }
    settings.TRUSTED_PROXY_COUNT = 1
    # Behind one proxy the address is the one it appended; one the client wrote itself does not count.
    proxied = client.get("/metrics", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="10.1.0.5, 203.0.113.9")
    forwarded = client.get("/metrics", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.1.0.5")

    assert answers == {"10.1.2.3": 200, "192.0.2.7": 200, "192.0.2.8": 401, "10.2.0.1": 401}
    assert (proxied.status_code, forwarded.status_code) == (401, 200)


def test_an_address_that_is_not_one_is_refused_at_start_up():
    env = {**os.environ, "METRICS_ALLOWED_IPS": "10.0.0.0/8,intranet", "DJANGO_SETTINGS_MODULE": "tests.settings"}

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 1
    assert "METRICS_ALLOWED_IPS: 'intranet' is not an address or a network" in result.stderr


# --- Several processes (gunicorn) ------------------------------------------------------------------------------

_COUNT_ONE_ITEM = (
    "from kernel.metrics import INTAKE_ITEMS; INTAKE_ITEMS.labels(channel='api', outcome='accepted').inc()"
)
_SCRAPE = """
import django
django.setup()
from django.test import Client
print(Client().get("/metrics", HTTP_AUTHORIZATION="Bearer tok-for-multiprocess-test").content.decode())
"""


def test_in_multiprocess_mode_the_endpoint_adds_up_every_process(tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",  # not migrated: the disputes are not counted
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "METRICS_TOKEN": "tok-for-multiprocess-test",
    }
    for _process in range(3):
        subprocess.run([sys.executable, "-c", _COUNT_ONE_ITEM], cwd=ROOT, env=env, check=True)

    scraped = subprocess.run(
        [sys.executable, "-c", _SCRAPE], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout

    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
    }
    assert samples[("utomlans_intake_items_total", (("channel", "api"), ("outcome", "accepted")))] == 3
    assert len(list(metrics_dir.glob("counter_*.db"))) >= 3  # one file per process
