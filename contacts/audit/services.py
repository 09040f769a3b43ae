"""Recording reads of full identity numbers: noted while a response is built, written once per request."""

from django.utils import timezone

from contacts.audit.models import IdentityRead, ReadVia

_PENDING = "_identity_reads"


def _http_request(request):
    """The Django request behind a DRF request (DRF wraps it; the middleware sees the Django one)."""
    return getattr(request, "_request", request)


def _pending(request) -> dict:
    http_request = _http_request(request)
    pending = getattr(http_request, _PENDING, None)
    if pending is None:
        pending = {"user": request.user, "contacts": {}, "documents": [], "registers": []}
        setattr(http_request, _PENDING, pending)
    return pending


def identity_shown(request, *, contact_id: int, via: ReadVia) -> None:
    """Note that this response shows the contact's full identity number (the first interface that shows it)."""
    _pending(request)["contacts"].setdefault(contact_id, via)


def identity_document_shown(request, *, invoice_id: int, contact_count: int, via: ReadVia) -> None:
    """Note that this response is a document with the full identity numbers of an invoice's lines."""
    _pending(request)["documents"].append((invoice_id, contact_count, via))


def register_entries_shown(request, *, register: str, count: int, via: ReadVia) -> None:
    """Note that this response shows the full identity numbers of ``count`` entries of a buyer region's register
    (``register`` names it, e.g. "population:01"): one row for them all."""
    if count:
        _pending(request)["registers"].append((register, count, via))


def specification_shown(request, *, invoice, via: ReadVia) -> None:
    """Note that this response is an invoice's whole specification with full identity numbers (one row, with the
    number of lines)."""
    lines = invoice.lines.count()
    identity_document_shown(request, invoice_id=invoice.pk, contact_count=lines, via=via)


def identity_reads_flush(request) -> list[IdentityRead]:
    """Write what the request showed, in one INSERT, and forget it."""
    pending = getattr(request, _PENDING, None)
    if not pending:
        return []
    delattr(request, _PENDING)
    return identity_reads_record(
        user=pending["user"],
        path=request.path,
        contacts=pending["contacts"],
        documents=pending["documents"],
        registers=pending.get("registers", ()),
    )


def identity_reads_discard(request) -> None:
    """Forget what was noted (the response failed: nothing was shown)."""
    if hasattr(request, _PENDING):
        delattr(request, _PENDING)


def identity_reads_record(
    *,
    user,
    path: str = "",
    contacts: dict[int, ReadVia] | None = None,
    documents: list[tuple[int, int, ReadVia]] = (),
    registers: list[tuple[str, int, ReadVia]] = (),
) -> list[IdentityRead]:
    """One row per contact shown and one per document (invoice, number of lines), all in one bulk INSERT."""
    at = timezone.now()
    path = path[:300]
    rows = [
        IdentityRead(user_id=user.pk, at=at, via=via, contact_id=contact_id, path=path)
        for contact_id, via in (contacts or {}).items()
    ]
    rows += [
        IdentityRead(user_id=user.pk, at=at, via=via, invoice_id=invoice_id, contact_count=count, path=path)
        for invoice_id, count, via in documents
    ]
    rows += [
        IdentityRead(user_id=user.pk, at=at, via=via, register=register, contact_count=count, path=path)
        for register, count, via in registers
    ]
    return IdentityRead.objects.bulk_create(rows) if rows else []
