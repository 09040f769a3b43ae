"""Retention of personal data, the billing part (README: Retention of personal data).

- **The rule's invoice conditions** (``contacts_on_open_invoices``, ``contacts_invoiced_since``): a contact on an
  invoice that is not final (draft or submitted) is never due, nor one on an invoice of a period that ended on or
  after the cut-off.
- **The lines**: an invoice line keeps the identity number the specification showed; it gets the same pseudonym as
  its contact (``invoice_lines_pseudonymise``). Nothing else of a line changes: rate, fee, amount, round, category.
  Approved lines are frozen (``InvoiceLineQuerySet``): the identity number is the one thing the retention may still
  replace, past that guard, in one UPDATE per batch; on PostgreSQL the ledger's trigger checks the credit lines'
  amounts again and finds them as they were.
- **The stored documents**: the specification PDF and Inera's fakturaunderlag (XML) of an approved invoice carry
  full identity numbers. They are rendered again from the pseudonymised lines and the old files deleted
  (``specification_documents_pseudonymise``): every figure in them is the lines', so it stays; the invoice PDF and
  the e-invoice (UBL) carry no patient data and are left as they are. The re-rendered XML is an archive copy: its
  patient ids are pseudonyms, which Inera's rule ÖR7 (12 digits) no longer accepts, as intended.
"""

import datetime as dt
import logging
import tempfile

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q

from billing.documents import render_specification_pdf, specification_pdf_filename
from billing.einvoice.claim import claim_specification_filename, write_claim_specification
from billing.ledger import invoice_event_record
from billing.models import FROZEN_STATUSES, Invoice, InvoiceAction, InvoiceEvent, InvoiceLine
from contacts.identifiers import PSEUDONYM_PREFIX
from contacts.retention import pseudonym_case, pseudonyms_of, texts_pseudonymise
from kernel.business_time import period_of
from kernel.history import Via

logger = logging.getLogger(__name__)


def contacts_on_open_invoices() -> Exists:
    """The contact has a line on an invoice that is not final (draft or submitted): never due."""
    return Exists(InvoiceLine.objects.filter(contact=OuterRef("pk")).exclude(invoice__status__in=FROZEN_STATUSES))


def contacts_invoiced_since(*, before: dt.date) -> Exists:
    """The contact is on an invoice (or credit note) whose period ended on or after the cut-off: not yet due. A
    period ``P`` ends before ``before`` exactly when ``P`` is earlier than ``before``'s own period."""
    return Exists(InvoiceLine.objects.filter(contact=OuterRef("pk"), invoice__period__gte=period_of(before)))


def invoice_lines_pseudonymise(*, contact_ids: list[int]) -> int:
    """The lines of these contacts get their numbers' pseudonyms, in one UPDATE; the number of lines changed. Each
    line's own number is used (a line keeps what it billed), which is the contact's."""
    lines = models.QuerySet(model=InvoiceLine).filter(contact_id__in=contact_ids)
    lines = lines.exclude(patient_id__startswith=PSEUDONYM_PREFIX)
    mapping = pseudonyms_of(lines.values_list("patient_id", flat=True))
    if not mapping:
        return 0
    return lines.update(patient_id=pseudonym_case("patient_id", mapping))


def invoice_notes_pseudonymise(*, contact_ids: list[int], today: dt.date) -> int:
    """The notes in the history of the invoices these contacts are on (a credit's note repeats the dispute's
    decision, which may name the patient)."""
    invoices = InvoiceLine.objects.filter(contact_id__in=contact_ids).values("invoice_id")
    events = InvoiceEvent.objects.filter(invoice_id__in=invoices).exclude(note="")
    return texts_pseudonymise(InvoiceEvent, "note", events, today=today)


def _stale_invoices() -> list[tuple[int, int]]:
    """(invoice id, pseudonymised lines) of the approved invoices whose stored specification documents were rendered
    before some of their lines were pseudonymised: those with more such lines than their last re-rendering saw."""
    counted = (
        Invoice.objects.filter(status__in=FROZEN_STATUSES)
        .annotate(pseudonymised=Count("lines", filter=Q(lines__patient_id__startswith=PSEUDONYM_PREFIX)))
        .filter(pseudonymised__gt=0)
        .values_list("pk", "pseudonymised")
    )
    seen: dict[int, int] = {}
    events = InvoiceEvent.objects.filter(action=InvoiceAction.PSEUDONYMISED).order_by("at", "id")
    for invoice_id, changes in events.values_list("invoice_id", "changes"):
        seen[invoice_id] = int((changes.get("pseudonymised_lines") or [0, 0])[1])
    return [(pk, count) for pk, count in counted.order_by("pk") if count > seen.get(pk, 0)]


def specification_documents_pending() -> int:
    """How many approved invoices' stored documents still show numbers since pseudonymised (for a dry run)."""
    return len(_stale_invoices())


def specification_documents_pseudonymise() -> int:
    """Render the specification PDF and the fakturaunderlag again for every approved invoice with newly
    pseudonymised lines, store them, delete the old files, and record it in the invoice's history (the count of
    pseudonymised lines, which makes a second run find nothing to do). One transaction per invoice: a failure leaves
    the others done and this one for the next run. Returns the number of invoices rendered again."""
    rendered = 0
    for invoice_id, count in _stale_invoices():
        invoice = Invoice.objects.select_related("seller", "buyer", "credits").get(pk=invoice_id)
        specification_pdf = render_specification_pdf(invoice, full_identity=True)
        with tempfile.TemporaryFile() as claim:
            write_claim_specification(invoice, claim)
            claim.seek(0)
            with transaction.atomic():
                invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
                old_files = [(field.storage, field.name) for field in _stored_documents(invoice)]
                fields = []
                if invoice.specification_pdf:
                    name = specification_pdf_filename(invoice)
                    invoice.specification_pdf.save(name, ContentFile(specification_pdf), save=False)
                    fields.append("specification_pdf")
                if invoice.claim_specification:
                    invoice.claim_specification.save(claim_specification_filename(invoice), File(claim), save=False)
                    fields.append("claim_specification")
                if fields:
                    invoice.save(update_fields=fields)
                invoice_event_record(
                    invoice=invoice,
                    action=InvoiceAction.PSEUDONYMISED,
                    before=invoice.status,
                    by=None,
                    via=Via.SYSTEM,
                    changes={"pseudonymised_lines": [_last_seen(invoice_id), count]},
                )
                kept = {field.name for field in _stored_documents(invoice)}
                old_files = [(storage, name) for storage, name in old_files if name not in kept]
                transaction.on_commit(lambda files=old_files: _delete_files(files))
        rendered += 1
    return rendered


def _stored_documents(invoice: Invoice) -> list:
    return [field for field in (invoice.specification_pdf, invoice.claim_specification) if field]


def _last_seen(invoice_id: int) -> int:
    """How many pseudonymised lines the invoice's documents showed when last rendered again (0: never)."""
    events = InvoiceEvent.objects.filter(invoice_id=invoice_id, action=InvoiceAction.PSEUDONYMISED)
    changes = events.order_by("-at", "-id").values_list("changes", flat=True).first() or {}
    return int((changes.get("pseudonymised_lines") or [0, 0])[1])


def _delete_files(files) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            # The file name carries the invoice number, never an identity number; the next run cannot find it again,
            # so it is said loudly for an operator to remove.
            logger.exception("retention: could not delete the old stored document %s", name)
