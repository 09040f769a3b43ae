"""Retention of personal data: the rule, and the run that applies it (README: Retention of personal data).

It lives here, the lowest layer that sees the contacts, the invoices and the disputes (kernel → regions → contacts →
billing → disputes), and calls each app's own part: ``contacts.retention``, ``billing.retention`` and the disputes'
texts and evidence below.

**The rule.** With ``before`` the cut-off (``contacts.retention.retention_cutoff``: 1 January of the year
``PERSONAL_DATA_RETENTION_YEARS`` back, in Stockholm time), a contact is due when
1. it began before ``before`` (its Stockholm date is earlier),
2. no invoice or credit note it is on has a period ending on or after ``before`` (the invoice period, not the
   contact's date, starts the accounting clock),
3. it is on no invoice that is not final (a draft or a submitted one), and
4. it has no open dispute,
and it is not yet pseudonymised. Contacts never invoiced (rejected ones) fall under 1 alone.

**The run.** In batches of ``PERSONAL_DATA_RETENTION_BATCH`` contacts (by id, each batch one transaction): the
contacts' numbers, their invoice lines' numbers and their closed disputes' texts are pseudonymised with one UPDATE
per table, the disputes' evidence files deleted, and one ``PseudonymisationBatch`` row written (counts only). Then
the approved invoices whose lines changed get their specification documents rendered again, and the identity-read
log and the upload records from before the cut-off are removed. A run stopped halfway leaves finished batches
finished; the next run continues with what is still due, and a run with nothing due changes nothing.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from billing.models import InvoiceLine
from billing.retention import (
    contacts_invoiced_since,
    contacts_on_open_invoices,
    invoice_lines_pseudonymise,
    invoice_notes_pseudonymise,
    specification_documents_pending,
    specification_documents_pseudonymise,
)
from contacts.models import IdentityRead, PseudonymisationBatch
from contacts.retention import (
    contact_notes_pseudonymise,
    contacts_due,
    contacts_pseudonymise,
    identity_reads_purge,
    retention_cutoff,
    texts_pseudonymise,
    uploads_purge,
)
from contacts.uploads.models import ContactUpload
from disputes.models import Dispute, DisputeAttachment, DisputeComment, DisputeEvent, DisputeStatus
from kernel.business_time import start_of_day, stockholm_today
from kernel.history import Via

logger = logging.getLogger(__name__)

COUNTS = (
    "contacts",
    "invoice_lines",
    "texts",
    "dispute_attachments",
    "documents",
    "identity_reads",
    "uploads",
)


def contacts_due_for_pseudonymisation(*, before: dt.date):
    """Every contact the rule says is due (see the module's docstring)."""
    open_dispute = Exists(Dispute.objects.filter(contact=OuterRef("pk"), status=DisputeStatus.OPEN))
    return (
        contacts_due(before=before)
        .exclude(contacts_on_open_invoices())
        .exclude(contacts_invoiced_since(before=before))
        .exclude(open_dispute)
    )


def disputes_pseudonymise(*, contact_ids: list[int], today: dt.date) -> tuple[int, int]:
    """The closed disputes of these contacts: identity numbers in their reasons, decision notes, comments, history
    notes and evidence names become pseudonyms; the evidence files themselves (PDFs and pictures, which cannot be
    read and rewritten safely) are deleted from the storage, their rows kept with the case (name, size, type, who
    sent them when) so that the case still shows what was sent. Returns (texts changed, files deleted)."""
    disputes = Dispute.objects.filter(contact_id__in=contact_ids).exclude(status=DisputeStatus.OPEN)
    comments = DisputeComment.objects.filter(dispute__in=disputes)
    attachments = DisputeAttachment.objects.filter(comment__in=comments)
    texts = texts_pseudonymise(Dispute, "reason", disputes, today=today)
    texts += texts_pseudonymise(Dispute, "decision_note", disputes, today=today)
    texts += texts_pseudonymise(DisputeComment, "text", comments, today=today)
    events = DisputeEvent.objects.filter(dispute__in=disputes)
    texts += texts_pseudonymise(DisputeEvent, "note", events, today=today)
    texts += texts_pseudonymise(DisputeAttachment, "name", attachments, today=today)
    files = list(attachments.exclude(file="").values_list("pk", "file"))
    if files:
        attachments.filter(pk__in=[pk for pk, _name in files]).update(file="")
        storage = DisputeAttachment._meta.get_field("file").storage
        transaction.on_commit(lambda: _delete_files(storage, [name for _pk, name in files]))
    return texts, len(files)


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("retention: could not delete the evidence file %s", name)  # a random name, no identity


def personal_data_pseudonymise(*, before: dt.date, batch_size: int | None = None) -> dict[str, int]:
    """Pseudonymise what is due before the cut-off ``before`` (see the module's docstring); the counts of each kind.

    Idempotent and resumable: each batch is one transaction, and what is done is no longer due."""
    batch_size = batch_size or settings.PERSONAL_DATA_RETENTION_BATCH
    today = stockholm_today()
    totals = dict.fromkeys(COUNTS, 0)
    due = contacts_due_for_pseudonymisation(before=before).order_by("pk")
    last_id = 0
    while True:
        with transaction.atomic():
            # Locked, as opening a dispute locks its contact: a case opened meanwhile either waits for this batch or
            # is seen by it (the row is checked again once its lock is free).
            batch = due.filter(pk__gt=last_id).select_for_update()
            ids = list(batch.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            last_id = ids[-1]
            counts = dict.fromkeys(COUNTS, 0)
            counts["contacts"] = contacts_pseudonymise(contact_ids=ids)
            counts["invoice_lines"] = invoice_lines_pseudonymise(contact_ids=ids)
            counts["texts"], counts["dispute_attachments"] = disputes_pseudonymise(contact_ids=ids, today=today)
            counts["texts"] += contact_notes_pseudonymise(contact_ids=ids, today=today)
            counts["texts"] += invoice_notes_pseudonymise(contact_ids=ids, today=today)
            _batch_record(before=before, counts=counts)
        _add(totals, counts)
        logger.info("retention: batch before %s: %s", before.isoformat(), counts)
    with transaction.atomic():
        counts = dict.fromkeys(COUNTS, 0)
        counts["identity_reads"] = identity_reads_purge(before=before)
        counts["uploads"] = uploads_purge(before=before)
        if counts["identity_reads"] or counts["uploads"]:
            _batch_record(before=before, counts=counts)
    _add(totals, counts)
    documents = specification_documents_pseudonymise()
    if documents:
        counts = dict.fromkeys(COUNTS, 0)
        counts["documents"] = documents
        _batch_record(before=before, counts=counts)
        totals["documents"] = documents
    logger.info("retention: done before %s: %s", before.isoformat(), totals)
    return totals


def personal_data_due(*, before: dt.date) -> dict[str, int]:
    """What a run would change now (the command's ``--dry-run``): counted, nothing written. The documents are those
    already waiting; a run would add the invoices of the contacts it pseudonymises."""
    due = contacts_due_for_pseudonymisation(before=before)
    moment = start_of_day(before)
    disputes = Dispute.objects.filter(contact__in=due).exclude(status=DisputeStatus.OPEN)
    return {
        "contacts": due.count(),
        "invoice_lines": InvoiceLine.objects.filter(contact__in=due).count(),
        # An upper bound: the closed cases, whose texts are read for identity numbers.
        "texts": disputes.count(),
        "dispute_attachments": DisputeAttachment.objects.filter(comment__dispute__in=disputes).exclude(file="").count(),
        "documents": specification_documents_pending(),
        "identity_reads": IdentityRead.objects.filter(at__lt=moment).count(),
        "uploads": ContactUpload.objects.filter(created_at__lt=moment).count(),
    }


def personal_data_retention_run(*, dry_run: bool = False, today: dt.date | None = None) -> dict[str, int]:
    """The scheduled run: the cut-off from today's Stockholm date and the setting, then the pseudonymisation."""
    before = retention_cutoff(today=today or stockholm_today())
    if dry_run:
        return personal_data_due(before=before)
    return personal_data_pseudonymise(before=before)


def _batch_record(*, before: dt.date, counts: dict[str, int]) -> PseudonymisationBatch:
    return PseudonymisationBatch.objects.create(at=timezone.now(), via=Via.SYSTEM, before=before, **counts)


def _add(totals: dict[str, int], counts: dict[str, int]) -> None:
    for name in COUNTS:
        totals[name] += counts[name]
