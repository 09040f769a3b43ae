"""Previews of drafts: which version a draft is at, claiming its render once, rendering and storing it, discarding it.

Only this module writes ``InvoicePreview`` rows and their files.
"""

import datetime as dt
import hashlib
import json
import logging
import math

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from billing.documents import render_invoice_pdf, render_specification_pdf
from billing.models import Invoice
from billing.previews.models import InvoicePreview, PreviewDocument, PreviewStatus
from kernel.jobs import job_queue

logger = logging.getLogger(__name__)

# Bump when the templates or the rendering of the documents change: every stored preview is then rendered anew.
PREVIEW_FORMAT = 1

# How long a render takes, roughly (this 2-core machine: 11.9 s for 10 000 specification lines): for Retry-After.
_SECONDS_PER_SPECIFICATION_LINE = 0.0012
_RETRY_AFTER_MAX = 30

RENDERERS = {
    # Invoices are only readable by the seller's and the buyer's staff, who see full identity numbers.
    PreviewDocument.INVOICE: render_invoice_pdf,
    PreviewDocument.SPECIFICATION: lambda invoice: render_specification_pdf(invoice, full_identity=True),
}


def _row(obj) -> dict:
    return {field.attname: field.value_from_object(obj) for field in obj._meta.concrete_fields}


def preview_version(invoice: Invoice, document: str) -> str:
    """What a preview of ``document`` shows, as a SHA-256: the invoice's content version (its lines and totals), its
    own fields, both parties' (a region's address or bankgiro changed in the admin shows at once), the credited
    invoice's number, the settings the documents print, and ``PREVIEW_FORMAT``. Reads no line: two small rows."""
    facts = {
        "format": PREVIEW_FORMAT,
        "document": document,
        "invoice": _row(invoice),
        "seller": _row(invoice.seller),
        "buyer": _row(invoice.buyer),
        "credits": invoice.credits.number if invoice.credits_id else None,
        "objection_months": settings.OBJECTION_PERIOD_MONTHS,
        "language": settings.LANGUAGE_CODE,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def preview_retry_after(preview: InvoicePreview) -> int:
    """Whole seconds until a preview being rendered is probably stored (Retry-After): 1 to 30. A render takes about
    2 s, and a specification 1.2 s more per 1 000 lines (11.9 s for 10 000 on the benchmark's 2 cores)."""
    estimate = 2
    if preview.document == PreviewDocument.SPECIFICATION:
        estimate += math.ceil(preview.invoice.contact_count * _SECONDS_PER_SPECIFICATION_LINE)
    elapsed = int((timezone.now() - preview.requested_at).total_seconds())
    return max(1, min(_RETRY_AFTER_MAX, estimate - elapsed))


def invoice_preview_request(*, invoice: Invoice, document: str) -> InvoicePreview:
    """The preview of a draft or submitted invoice's ``document``, as a GET asks for it: ``ready`` when the stored one
    shows the invoice as it is now; otherwise its render is queued (once, whoever asks at the same time) and the
    row is returned ``rendering`` (or, with jobs in-process, already ``ready``).

    Call it outside a transaction (a GET in autocommit): the claim is committed before the task is queued, so a
    worker finds it. A render that has taken longer than ``PREVIEW_RENDER_TIMEOUT`` seconds (its worker lost) and
    a failed one are claimed again by the next request."""
    if invoice.is_frozen:
        raise ValueError(f"invoice {invoice.pk} is approved: it has its stored documents, not previews")
    version = preview_version(invoice, document)
    now = timezone.now()
    preview, _created = InvoicePreview.objects.get_or_create(
        invoice=invoice,
        document=document,
        defaults={"version": "", "status": PreviewStatus.RENDERING, "requested_at": now},  # claimed below
    )
    claim = InvoicePreview.objects.filter(pk=preview.pk)
    if preview.status == PreviewStatus.READY and preview.version == version and not _stored(preview):
        claim = claim.filter(status=PreviewStatus.READY, version=version)  # its file is gone: render it again
    else:
        fresh = now - dt.timedelta(seconds=settings.PREVIEW_RENDER_TIMEOUT)
        current = Q(version=version) & (
            Q(status=PreviewStatus.READY) | Q(status=PreviewStatus.RENDERING, requested_at__gte=fresh)
        )
        claim = claim.exclude(current)
    # One UPDATE decides: concurrent requests wait for each other's row lock, and the WHERE clause, evaluated again
    # on the row as the first one left it, finds the version current for every later one (PostgreSQL READ COMMITTED;
    # SQLite has one writer). So exactly one of them queues the render.
    claimed = claim.update(version=version, status=PreviewStatus.RENDERING, requested_at=now, error="")
    if claimed:
        _queue(preview.pk, version)
    preview.refresh_from_db()
    preview.invoice = invoice
    return preview


def _stored(preview: InvoicePreview) -> bool:
    return bool(preview.file) and preview.file.storage.exists(preview.file.name)


def _queue(preview_id: int, version: str) -> None:
    def send() -> None:
        try:
            job_queue("billing.render_preview", preview_id, version)  # billing.previews.tasks, which imports us
        except KombuOperationalError as exc:
            logger.error("Preview %s not queued: the broker is unreachable (%s)", preview_id, exc)
            _fail(preview_id, version, f"not queued: {exc}")

    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Jobs run in this process, on this connection (the embedded setup): rendered now, and the GET answers the
        # PDF at once. As a failed approval rendering, a failed preview is logged and recorded, never a 500: the
        # next request tries again.
        try:
            send()
        except Exception:
            logger.exception("Rendering preview %s failed", preview_id)
    else:
        transaction.on_commit(send, robust=True)


def _fail(preview_id: int, version: str, error: str) -> None:
    InvoicePreview.objects.filter(pk=preview_id, version=version, status=PreviewStatus.RENDERING).update(
        status=PreviewStatus.FAILED, error=error[:2000]
    )


def invoice_preview_render(*, preview_id: int, version: str) -> str:
    """Render and store the preview claimed for ``version`` (the task). Idempotent and safe to run late or twice: a
    preview claimed for another version since, a draft deleted or approved meanwhile, or a draft whose content has
    changed since the claim (the next request claims the new version) renders nothing."""
    preview = (
        InvoicePreview.objects.select_related("invoice__seller", "invoice__buyer", "invoice__credits")
        .filter(pk=preview_id)
        .first()
    )
    if preview is None:
        return "gone"
    if preview.version != version or preview.status != PreviewStatus.RENDERING:
        return "superseded"
    invoice = preview.invoice
    if invoice.is_frozen:
        invoice_previews_discard(invoice_id=invoice.pk)
        return "approved"
    # The version is read before the content: what is rendered is this version or a later one, never an earlier
    # one, and a later one changes the version, so the next request renders it again.
    if preview_version(invoice, preview.document) != version:
        return "superseded"
    try:
        content = RENDERERS[preview.document](invoice)
    except Exception as exc:
        _fail(preview_id, version, f"{type(exc).__name__}: {exc}")
        raise
    field = preview.file.field
    name = field.storage.save(
        field.generate_filename(preview, f"{invoice.pk}-{preview.document}-{version[:16]}.pdf"), ContentFile(content)
    )
    with transaction.atomic():
        row = InvoicePreview.objects.select_for_update().filter(pk=preview_id).first()
        stored = row is not None and row.version == version and row.status == PreviewStatus.RENDERING
        if stored:
            replaced = row.file.name
            row.file.name = name
            row.status = PreviewStatus.READY
            row.rendered_at = timezone.now()
            row.error = ""
            row.save(update_fields=["file", "status", "rendered_at", "error"])
    if not stored:  # claimed for another version meanwhile
        field.storage.delete(name)
        return "superseded"
    # The previous version's file: a request still streaming it keeps reading it (POSIX); one about to open it
    # answers 202 and asks again.
    if replaced and replaced != name:
        field.storage.delete(replaced)
    return "rendered"


def invoice_previews_discard(*, invoice_id: int) -> int:
    """Remove an invoice's previews, and their files once the transaction commits (a rollback keeps both): when it
    is approved (its stored documents replace them) and when a run deletes it as an empty draft."""
    previews = list(InvoicePreview.objects.filter(invoice_id=invoice_id))
    files = [(preview.file.storage, preview.file.name) for preview in previews if preview.file]
    InvoicePreview.objects.filter(pk__in=[preview.pk for preview in previews]).delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
    return len(previews)
