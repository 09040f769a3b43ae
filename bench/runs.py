"""Invoice run timing: a run over a million eligible contacts of one seller, 20 buyers and one period, beside a
hand-written INSERT … SELECT that creates the same lines, in the same database."""

import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent

RUN_SCRIPT = """
import json, time, django
django.setup()
from billing.models import InvoiceRun
from billing.runs import invoice_run_execute
run = InvoiceRun.objects.create(billing_region_id={seller!r}, period={period!r})
began = time.perf_counter()
run = invoice_run_execute(run=run)
elapsed = time.perf_counter() - began
lines = sum(invoice.contact_count for invoice in run.invoices.all())
print(json.dumps({{"seconds": elapsed, "status": run.status, "invoices": run.invoices.count(), "lines": lines}}))
"""

HAND_WRITTEN_INVOICES = """
INSERT INTO billing_invoice (seller_id, buyer_id, period, kind, status, total, contact_count, created_at, pdf,
                             specification_pdf, content_version)
SELECT DISTINCT %(seller)s, home_region_id, %(period)s, 'invoice', 'draft', 0, 0, now(), '', '', 0
FROM contacts_contact
WHERE billing_region_id = %(seller)s AND started_at >= %(start)s AND started_at < %(end)s AND status = 'eligible'
"""
HAND_WRITTEN_LINES = """
INSERT INTO billing_invoiceline (invoice_id, contact_id, credit, billing_round, rebill, correction, category,
                                 recommendation_id, rate, patient_fee, fee_deducted, amount, external_id, started_at,
                                 profession, patient_id, patient_sex, listing_unit, care_unit, home_municipality,
                                 overridden)
SELECT i.id, c.id, false, c.billing_round, false, '{}', p.category, c.recommendation_id, c.rate, c.patient_fee,
       c.rate - c.amount, c.amount, c.external_id, c.started_at, c.profession_id, c.patient_id, c.patient_sex,
       c.listing_unit, c.care_unit, c.home_municipality, c.overridden
FROM contacts_contact c
JOIN regions_profession p ON p.code = c.profession_id
JOIN billing_invoice i ON i.seller_id = %(seller)s AND i.buyer_id = c.home_region_id AND i.period = %(period)s
WHERE c.billing_region_id = %(seller)s AND c.started_at >= %(start)s AND c.started_at < %(end)s
  AND c.status = 'eligible'
"""


def _django_script(env: dict, script: str) -> dict:
    """Run a script in a fresh Django process against the bench database; it prints one JSON line last."""
    output = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    if output.returncode:  # its traceback, not only "returned non-zero exit status 1"
        raise RuntimeError(f"the script failed (exit status {output.returncode}):\n{output.stderr[-4000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def time_run(env: dict, seller: str, period: str) -> dict:
    return _django_script(env, RUN_SCRIPT.format(seller=seller, period=period))


def time_hand_written(database_url: str, seller: str, period: str, start, end) -> tuple[float, int]:
    """The same invoices and lines with two plain statements into the real tables, their foreign keys checked
    at once (SET CONSTRAINTS ALL IMMEDIATE), then rolled back. Run before the invoice run, on empty tables."""
    params = {"seller": seller, "period": period, "start": start, "end": end}
    with psycopg.connect(database_url) as conn:
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        began = time.perf_counter()
        conn.execute(HAND_WRITTEN_INVOICES, params)
        rows = conn.execute(HAND_WRITTEN_LINES, params).rowcount
        elapsed = time.perf_counter() - began
        conn.rollback()
    return elapsed, rows


DOCUMENTS_SCRIPT = """
import json, time, tracemalloc, django
django.setup()
from billing.documents import render_invoice_pdf, specification_csv
from billing.models import Invoice
big = Invoice.objects.get(pk={big})
began = time.perf_counter(); render_invoice_pdf(big); invoice_pdf = time.perf_counter() - began
tracemalloc.start()
began = time.perf_counter(); size = sum(len(row) for row in specification_csv(big, full_identity=True))
csv_seconds = time.perf_counter() - began
csv_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
# The e-invoice of the big invoice, as its approval would have it (number and dates set in memory only, nothing
# saved): the database groups its lines, so its time is the GROUP BY over them and its memory a few lines' tree.
from billing.einvoice.ubl import render_ubl
import datetime
big.status, big.number = "approved", "06-BENCH-000001"
big.issue_date = big.due_date = datetime.date.today()
tracemalloc.start()
began = time.perf_counter(); ubl_bytes = len(render_ubl(big)); ubl_seconds = time.perf_counter() - began
ubl_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({{"ubl_seconds": ubl_seconds, "ubl_bytes": ubl_bytes, "ubl_peak": ubl_peak,
                   "invoice_pdf": invoice_pdf, "csv_seconds": csv_seconds, "csv_lines": big.contact_count,
                   "csv_bytes": size, "csv_peak": csv_peak}}))
"""

# In a process of its own, so that its peak memory is the specification's (and Django's), not the documents' before.
SPECIFICATION_PDF_SCRIPT = """
import json, time, django
django.setup()
from pypdf import PdfReader
import io
from billing.documents import render_specification_pdf
from billing.models import Invoice
from bench.common import peak_memory_mb
invoice = Invoice.objects.get(pk={pk})
base = peak_memory_mb()
began = time.perf_counter(); pdf = render_specification_pdf(invoice, full_identity=True)
spec_pdf = time.perf_counter() - began
peak = peak_memory_mb()
print(json.dumps({{"spec_pdf": spec_pdf, "spec_lines": invoice.contact_count, "spec_bytes": len(pdf),
                   "spec_pages": len(PdfReader(io.BytesIO(pdf)).pages), "base_rss_mb": base,
                   "peak_rss_mb": peak}}))
"""


def time_documents(env: dict, big: int, small: int) -> dict:
    return {**_django_script(env, DOCUMENTS_SCRIPT.format(big=big)), **time_specification_pdf(env, small)}


def time_specification_pdf(env: dict, pk: int) -> dict:
    return _django_script(env, SPECIFICATION_PDF_SCRIPT.format(pk=pk))
