"""How the API and the admin answer a GET of a draft's preview: the stored PDF, or 202 while it is rendered."""

from django.http import FileResponse, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from billing.display import invoice_label
from billing.models import Invoice
from billing.previews.models import InvoicePreview, PreviewStatus
from billing.previews.services import invoice_preview_request, preview_retry_after

ADMIN_REFRESH_MAX = 5  # seconds: the pending page reloads at least this often


def _opened(preview: InvoicePreview):
    """The stored file, open; None when it is not ready (or was replaced by a newer version just now)."""
    if preview.status != PreviewStatus.READY:
        return None
    try:
        return preview.file.open("rb")
    except FileNotFoundError:
        return None


def api_preview_response(invoice: Invoice, document: str, filename: str):
    """``application/pdf`` when the preview of the invoice as it is now is stored; else 202 with ``Retry-After``."""
    preview = invoice_preview_request(invoice=invoice, document=document)
    handle = _opened(preview)
    if handle is not None:
        return FileResponse(handle, content_type="application/pdf", filename=filename)
    response = JsonResponse({"detail": _("The PDF is being rendered; try again shortly.")}, status=202)
    response["Retry-After"] = str(preview_retry_after(preview))
    return response


def admin_preview_response(request, invoice: Invoice, document: str, filename: str, context: dict):
    """The PDF inline, or a page saying it is being prepared that reloads itself (202) until it is ready."""
    preview = invoice_preview_request(invoice=invoice, document=document)
    handle = _opened(preview)
    if handle is not None:
        with handle:
            response = HttpResponse(handle.read(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response
    context = {
        **context,
        "invoice": invoice,
        "invoice_label": invoice_label(invoice),
        "title": _("The PDF is being prepared"),
        "refresh": min(ADMIN_REFRESH_MAX, preview_retry_after(preview)),
    }
    response = TemplateResponse(request, "admin/billing/invoice/preview_pending.html", context, status=202)
    response["Retry-After"] = str(context["refresh"])
    return response
