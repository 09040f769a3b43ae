"""The product's Prometheus metrics (issue 20 item 5), defined once and counted where the event happens.

Each metric is incremented in exactly one place: intake items in ``contacts.intake.contacts_upsert`` (the one path
every channel takes), run durations in ``billing.runs.invoice_run_execute``, rendered documents in
``billing.documents``; requests by route and status in ``config.observability.metrics.RequestMetricsMiddleware``.
Open disputes are not counted here: a gauge computed when Prometheus scrapes (``config.observability.metrics``).

They live in the kernel so that every layer may count without importing ``config``. prometheus-client reads
``PROMETHEUS_MULTIPROC_DIR`` when these are created: under gunicorn with it set, each process writes its values to
files there and the ``/metrics`` endpoint adds them up; otherwise they are kept in the process's memory.

Every label has a small, fixed set of values (never an id, an address or a user): a label with unbounded values
would make Prometheus keep a series for each.
"""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "utomlans_http_requests",
    "HTTP requests answered, by route (the URL pattern's name, never the path), method and status code.",
    ["route", "method", "status"],
)
INTAKE_ITEMS = Counter(
    "utomlans_intake_items",
    "Contact items received by the intake, by channel (api, bulk, csv, admin, ...) and outcome (accepted, refused).",
    ["channel", "outcome"],
)
INVOICE_RUN_SECONDS = Histogram(
    "utomlans_invoice_run_duration_seconds",
    "How long invoice runs took to carry out, by outcome (succeeded, failed).",
    ["outcome"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
DOCUMENTS_RENDERED = Counter(
    "utomlans_documents_rendered",
    "Documents rendered, by document (the invoice and specification PDFs; an approved invoice's UBL and Inera XML).",
    ["document"],
)
