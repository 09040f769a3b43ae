"""Uploads of CSV files as persisted batches: recorded, stored in parts through the one intake path, with progress.

Thresholds (settings-free constants, documented on the upload page and in the README):

- ``SYNC_MAX_ROWS``: a file of at most this many rows is stored within the request and its report shown on the
  upload page at once (about 1.5 s on the embedded default); a larger one is queued as a Celery task (in-process on
  the embedded default, a worker in production) and the clerk follows its progress on the upload's own page.
- ``PART_ROWS``: a queued file is stored in parts of this many rows, each in its own transaction with its links,
  counts and progress, so a failure keeps (and counts) the parts stored before it.
- ``MAX_ROWS``: the most rows a file may have; a larger file is refused as a whole, before anything is stored.

A second upload of a file identical to one of the same scope that is still queued or running is refused
(``UploadRefused``); were two to slip through at the same moment it would be harmless: intake is idempotent, so
the second counts the first's contacts as unchanged. An upload queued or running for longer than ``STALE_AFTER``
(the broker's visibility timeout: by then a lost worker's task has been handed out again) no longer blocks the
same file, so a process killed mid-upload never keeps a clerk from uploading it again.
"""

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.timezone import localtime
from django.utils.translation import gettext
from kombu.exceptions import OperationalError as KombuOperationalError

from contacts.csv_upload import EXTRA_CELLS, ParsedCsv, parse_contacts_csv
from contacts.intake import contacts_upsert
from contacts.uploads.models import ContactUpload, ContactUploadContact, UploadStatus
from kernel.errors import DomainError
from kernel.history import Via
from kernel.jobs import job_queue
from kernel.text import neutralise
from regions.selectors import scope_of, visible_to

logger = logging.getLogger(__name__)

SYNC_MAX_ROWS = 2_000
PART_ROWS = 2_000
MAX_ROWS = 100_000
STALE_AFTER = dt.timedelta(minutes=30)


def count_text(number: int) -> str:
    """A count as Swedish text: thousands grouped by a non-breaking space (``100 000``)."""
    return f"{number:,}".replace(",", "\u00a0")


class UploadRefused(DomainError):
    """The file is not taken (too many rows, or the same file is being uploaded already); nothing was stored."""

    def __init__(self, message: str, *, running: ContactUpload | None = None):
        super().__init__(message)
        self.running = running


def contact_upload_start(*, user, file_name: str, content: bytes, parsed: ParsedCsv) -> ContactUpload:
    """Record the upload of a parsed, readable file in the uploader's scope; raise ``UploadRefused`` when the file
    has more than ``MAX_ROWS`` rows or the same file is still being uploaded in the scope.

    A file above ``SYNC_MAX_ROWS`` keeps its bytes on the upload (the task reads them; they are emptied when it
    ends) and is queued after commit; a smaller one is for the caller to store at once (``contact_upload_process``
    with ``parsed``)."""
    rows = len(parsed.items)
    if rows > MAX_ROWS:
        raise UploadRefused(
            gettext(
                "The file has %(rows)s rows; at most %(max)s rows can be uploaded in one file. Split it into "
                "smaller files and upload them one after the other."
            )
            % {"rows": count_text(rows), "max": count_text(MAX_ROWS)}
        )
    digest = hashlib.sha256(content).hexdigest()
    running = (
        visible_to(user, ContactUpload.objects.all())
        .filter(
            sha256=digest,
            status__in=(UploadStatus.QUEUED, UploadStatus.RUNNING),
            created_at__gte=timezone.now() - STALE_AFTER,
        )
        .order_by("-created_at")
        .first()
    )
    if running is not None:
        raise UploadRefused(
            gettext(
                "This file is being uploaded already (since %(time)s). Wait until it is done: its page shows its "
                "progress."
            )
            % {"time": localize(localtime(running.created_at))},
            running=running,
        )
    scope = scope_of(user)
    queued = rows > SYNC_MAX_ROWS
    upload = ContactUpload.objects.create(
        uploaded_by=user if user is not None and user.is_authenticated else None,
        region_id=scope.region_code if scope.is_region_staff else None,
        provider_id=scope.provider_id if scope.is_provider else None,
        # As shown on the pages and in the filter: an invisible or reordering character (U+202E) as U+FFFD.
        file_name=neutralise(file_name[:255]),
        file_size=len(content),
        sha256=digest,
        content=content if queued else b"",
        row_count=rows,
    )
    if queued:
        upload_id = upload.pk
        transaction.on_commit(lambda: _upload_queue(upload_id), robust=True)
    return upload


def _upload_queue(upload_id: int) -> None:
    """Hand a committed upload to the workers; if the broker cannot be reached the upload is marked failed with a
    message saying so (the clerk uploads again) rather than left queued for no worker."""
    try:
        job_queue("contacts.upload_process", upload_id)  # contacts.uploads.tasks, which imports this module
    except KombuOperationalError as exc:
        logger.error("Upload %s not queued: the broker is unreachable (%s)", upload_id, exc)
        with translation.override(settings.LANGUAGE_CODE):  # stored for every reader: in the product's language
            error = gettext(
                "The job queue could not be reached, so the file was not processed. Upload it again in a moment."
            )
        ContactUpload.objects.filter(pk=upload_id, status=UploadStatus.QUEUED).update(
            status=UploadStatus.FAILED, error=error, finished_at=timezone.now(), content=b""
        )


def contact_upload_process(*, upload: ContactUpload, parsed: ParsedCsv | None = None) -> ContactUpload:
    """Store an upload's rows through intake in parts of ``PART_ROWS``, each part with its links to the contacts it
    stored, its counts, its refused rows and the progress in one transaction. Idempotent: a finished upload is left
    as it is; one handed out again after its worker was lost goes on after the last stored part, knowing the lines
    of the contacts stored before (a contact repeated after the break is refused as repeated, as without one).

    A part that fails marks the upload failed with a message for the clerk naming the part's first line; the parts
    before it stay stored and counted. The failure is the upload's recorded outcome (its page shows it; the log has
    the traceback), so it is not raised again: running the same file again would fail the same way."""
    with transaction.atomic():
        upload = ContactUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.finished:
            return upload
        upload.status = UploadStatus.RUNNING
        upload.started_at = upload.started_at or timezone.now()
        upload.save(update_fields=["status", "started_at"])
    if parsed is None:
        parsed = parse_contacts_csv(bytes(upload.content))
    total = len(parsed.items)
    earlier_lines = _stored_lines(upload, parsed) if upload.processed_rows else {}
    for start in range(upload.processed_rows, total, PART_ROWS):
        stop = min(start + PART_ROWS, total)
        try:
            with transaction.atomic():
                _store_part(upload, parsed, start, stop, earlier_lines)
        except Exception as exc:
            logger.exception("Upload %s failed in the part from line %s", upload.pk, parsed.lines[start])
            upload.refresh_from_db()
            with translation.override(settings.LANGUAGE_CODE):
                upload.error = gettext(
                    "Stopped at line %(line)d by an unexpected error (%(error)s). The contacts of the lines before "
                    "it are stored and counted here. Upload the file again to store the rest: what is stored already "
                    "then counts as unchanged."
                ) % {"line": parsed.lines[start], "error": type(exc).__name__}
            upload.status = UploadStatus.FAILED
            upload.finished_at = timezone.now()
            upload.content = b""
            upload.save(update_fields=["status", "error", "finished_at", "content"])
            return upload
    upload.status = UploadStatus.DONE
    upload.processed_rows = total
    upload.finished_at = timezone.now()
    upload.content = b""
    upload.save(update_fields=["status", "processed_rows", "finished_at", "content"])
    return upload


def _stored_lines(upload: ContactUpload, parsed: ParsedCsv) -> dict[tuple[int, str], int]:
    """(provider id, external_id) → file line of the contacts the upload's stored parts hold (resuming after a lost
    worker): the first line before ``processed_rows`` with that provider and external id."""
    stored = {
        (hsa_id, external_id): (provider_id, external_id)
        for provider_id, hsa_id, external_id in upload.links.values_list(
            "contact__provider_id", "contact__provider__hsa_id", "contact__external_id"
        )
    }
    lines: dict[tuple[int, str], int] = {}
    for index in range(upload.processed_rows):
        item = parsed.items[index]
        key = stored.get((item.get("provider"), item.get("external_id")))
        if key is not None and key not in lines:
            lines[key] = parsed.lines[index]
    return lines


def _store_part(upload: ContactUpload, parsed: ParsedCsv, start: int, stop: int, earlier_lines: dict) -> None:
    """Rows ``start``..``stop - 1`` of the file (item indexes): through intake, then the links, counts, refused rows
    and progress. Rows the parsing refused (a local time that does not exist) are not sent."""
    sent = [index for index in range(start, stop) if index not in parsed.item_errors]
    result = contacts_upsert(
        items=[parsed.items[index] for index in sent],
        user=upload.uploaded_by,
        channel=Via.CSV,
        text_booleans=True,
        lines=[parsed.lines[index] for index in sent],
        earlier_lines=earlier_lines,
    )
    ContactUploadContact.objects.bulk_create(
        [
            ContactUploadContact(upload_id=upload.pk, contact_id=result.ids[index], outcome=outcome)
            for index, outcome in result.outcomes.items()
        ],
        batch_size=PART_ROWS,
        ignore_conflicts=True,  # a part stored again after a lost worker links its contacts once
    )
    refused = [(sent[error.index], error.external_id, error.errors) for error in result.errors]
    refused += [
        (index, parsed.items[index].get("external_id"), errors)
        for index, errors in parsed.item_errors.items()
        if start <= index < stop
    ]
    upload.report = [
        *upload.report,
        *(
            {
                "line": parsed.lines[index],
                "external_id": external_id if isinstance(external_id, str) else "",
                # By the file's column; a message about the row as a whole under no name at all.
                "errors": sorted(
                    ("" if name == "non_field_errors" else name, messages) for name, messages in errors.items()
                ),
                # The row's cells, for the file of refused rows the clerk corrects and uploads again.
                "cells": refused_cells(parsed.items[index]),
            }
            for index, external_id, errors in sorted(refused, key=lambda entry: entry[0])
        ),
    ]
    upload.created += result.created
    upload.updated += result.updated
    upload.unchanged += result.unchanged
    upload.rejected += len(refused)
    upload.processed_rows = stop
    upload.save(update_fields=["report", "created", "updated", "unchanged", "rejected", "processed_rows"])


def refused_cells(item: dict) -> dict[str, str]:
    """A refused row's cells by column, as read from the file (a time without an offset already given its offset);
    the cells beyond the header's columns are left out: the row's error names them."""
    return {name: value for name, value in item.items() if name != EXTRA_CELLS and isinstance(value, str)}


def upload_in_background(upload: ContactUpload) -> bool:
    """Whether the upload is stored by a task (more than ``SYNC_MAX_ROWS`` rows) rather than within the request."""
    return upload.row_count > SYNC_MAX_ROWS
