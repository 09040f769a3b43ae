"""Time to answer a GET of a large draft's specification PDF, before and after previews were rendered in the
background (``billing.previews``).

Before, the GET rendered the PDF in the request: its time is ``render_specification_pdf`` of the draft. After, the
first GET claims one render and answers 202, GETs while it renders answer 202, the render runs in a task (here in
this process, timed on its own), and GETs of the unchanged draft are served from storage.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/utomlans_previews .venv/bin/python -m bench.previews [LINES]

The database named is dropped and created again. Prints one JSON line.
"""

import os
import subprocess
import sys

from bench.common import PY, ROOT, bench_env, manage, recreate_database

SCRIPT = """
import json, statistics, time, django
from bench.common import peak_memory_mb
django.setup()
from unittest import mock
from django.test import override_settings
from rest_framework.test import APIClient
from billing.documents import render_specification_pdf
from billing.models import Invoice, InvoiceRun
from billing.previews.models import InvoicePreview
from billing.previews.tasks import render_preview_task
from billing.runs import invoice_run_execute
from contacts.intake import contacts_upsert
from regions.models import Role
from regions.services import api_client_create, user_create
from tests.factories import ProviderFactory, contact_item, personnummer
import datetime as dt

LINES = {lines}
provider = ProviderFactory(region_id="04")
clerk = user_create(username="bench-clerk", role=Role.CLERK, password="bench-only-pw-1", region_code="04")
start = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)
items = [
    contact_item(provider=provider.hsa_id, external_id=f"bench-{{i}}", home_region="25",
                 started_at=(start + dt.timedelta(minutes=i)).isoformat(),
                 patient_id=personnummer("19850312", f"{{i % 1000:03d}}"))
    for i in range(LINES)
]
for offset in range(0, LINES, 10_000):
    result = contacts_upsert(items=items[offset:offset + 10_000], user=clerk, channel="api")
    assert not result.errors, result.errors[:3]
run = invoice_run_execute(run=InvoiceRun.objects.create(billing_region_id="04", period="2026-10"))
draft = Invoice.objects.get(seller_id="04", buyer_id="25", period="2026-10")
_client, key = api_client_create(name="bench-previews", role=Role.CLERK, region_code="04")
api = APIClient()
api.credentials(HTTP_AUTHORIZATION=f"Token {{key}}")
path = f"/api/v1/invoices/{{draft.pk}}/specification-pdf/"

def timed_get():
    began = time.perf_counter()
    response = api.get(path, HTTP_HOST="127.0.0.1")
    if response.streaming:
        size = sum(len(chunk) for chunk in response.streaming_content)
    else:
        size = len(response.content)
    return response.status_code, time.perf_counter() - began, size

# Before: the request rendered the PDF.
began = time.perf_counter()
old_pdf = render_specification_pdf(draft, full_identity=True)
before = time.perf_counter() - began

# After: a broker takes the job (recorded here); the first GET claims it, the next ones wait.
queued = []
with override_settings(CELERY_TASK_ALWAYS_EAGER=False), mock.patch.object(
    render_preview_task, "delay", lambda *args: queued.append(args)
):
    first = timed_get()
    waiting = [timed_get() for _ in range(20)]
began = time.perf_counter()
render_preview_task(*queued[0])
render = time.perf_counter() - began
served = [timed_get() for _ in range(20)]
print(json.dumps({{
    "lines": draft.contact_count,
    "before_get_s": before,
    "before_pdf_bytes": len(old_pdf),
    "first_get": first,
    "waiting_statuses": sorted({{status for status, _s, _b in waiting}}),
    "waiting_median_ms": 1000 * statistics.median(s for _c, s, _b in waiting),
    "renders_queued": len(queued),
    "background_render_s": render,
    "served_statuses": sorted({{status for status, _s, _b in served}}),
    "served_median_ms": 1000 * statistics.median(s for _c, s, _b in served),
    "served_max_ms": 1000 * max(s for _c, s, _b in served),
    "served_bytes": served[0][2],
    "peak_rss_mb": peak_memory_mb(),
}}))
"""


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    url = os.environ["DATABASE_URL"]
    recreate_database(url)
    env = bench_env(url)
    env["MEDIA_ROOT"] = str(ROOT / ".bench-media")
    manage(env, "migrate", "--no-input")
    manage(env, "seed_reference_data")
    env["API_DOCUMENTS_THROTTLE_RATE"] = ""  # 41 GETs in a few seconds: timed, not throttled
    output = subprocess.run(
        [PY, "-c", SCRIPT.format(lines=lines)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if output.returncode:
        sys.exit(output.stderr[-3000:])
    print(output.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
