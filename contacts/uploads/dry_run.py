"""The upload's dry run ("Kontrollera utan att spara"): the real upload of a file, rolled back.

The file goes through exactly what an upload does (``contact_upload_start`` and ``contact_upload_process``: intake's
validation, evaluation and writes, in the same parts) inside a transaction that is then rolled back, so what it
shows is what an upload would store at that moment, and nothing stays: no contacts, no history, no upload batch, no
links. Side effects outside the database are deferred by the upload to after commit (the Celery task of a queued
file); a rolled-back transaction never commits, so they never happen. (On PostgreSQL the id sequences the rolled-back
rows drew from stay advanced: sequences are not transactional; no row is left.)

A file of at most ``DRY_RUN_MAX_ROWS`` rows is checked within the request (about 1.5 s per 2 000 rows on the
embedded default); a larger one is refused with a message saying so (upload it directly: its own page shows the
result).

The checked file is kept in the clerk's session for ``KEPT_FOR`` (``kept_file_put``), under a token and with the
user and the scope it was checked in, so that one click ("Spara") stores that very file through the normal upload
(``kept_file_take``). The refused rows of the check are kept with it for their CSV file.
"""

import base64
import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from contacts.csv_upload import ParsedCsv
from contacts.models import Contact
from contacts.reasons import REASON_LABELS, Reason
from contacts.uploads.models import UploadOutcome
from contacts.uploads.selectors import upload_report
from contacts.uploads.services import contact_upload_process, contact_upload_start, count_text
from kernel.errors import DomainError
from kernel.money import format_sek
from regions.selectors import scope_of

DRY_RUN_MAX_ROWS = 10_000
KEPT_FOR = dt.timedelta(minutes=30)
SESSION_KEY = "contacts_upload_checked"


class DryRunRefused(DomainError):
    """The file is not checked (too many rows for a check within the request); nothing was stored."""


@dataclass
class DryRun:
    """What an upload of the file would store now: the counts, the refused rows (as the upload's report has them,
    with their cells) and, for each new or changed contact, what the rules would decide."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict] = field(default_factory=list)
    # {"line", "external_id", "outcome" ("created"/"updated"), "status", "reasons" [codes], "amount" (Decimal),
    # "amount_text", "reason_labels"}
    decisions: list[dict] = field(default_factory=list)
    # An upload stopped by an unexpected error (its message), as the upload's page would show it.
    error: str = ""


def contact_upload_dry_run(*, user, file_name: str, content: bytes, parsed: ParsedCsv) -> DryRun:
    """Run the upload of a parsed, readable file and roll it back; return what it would have stored. Raises
    ``DryRunRefused`` above ``DRY_RUN_MAX_ROWS`` rows and ``UploadRefused`` as an upload would."""
    rows = len(parsed.items)
    if rows > DRY_RUN_MAX_ROWS:
        raise DryRunRefused(
            gettext(
                "The file has %(rows)s rows; a check without saving takes at most %(max)s rows. Split the file, or "
                "upload it directly: its own page shows the result."
            )
            % {"rows": count_text(rows), "max": count_text(DRY_RUN_MAX_ROWS)}
        )
    with transaction.atomic():
        upload = contact_upload_start(user=user, file_name=file_name, content=content, parsed=parsed)
        upload = contact_upload_process(upload=upload, parsed=parsed)
        upload.refresh_from_db(fields=["report"])  # as the database gives it back (JSON: lists, not tuples)
        report = upload_report(upload, changelist_url="")
        dry_run = DryRun(
            created=report["created"],
            updated=report["updated"],
            unchanged=report["unchanged"],
            rejected=list(upload.report),
            decisions=_decisions(upload, parsed),
            error=upload.error,
        )
        transaction.set_rollback(True)
    return dry_run


def _decisions(upload, parsed: ParsedCsv) -> list[dict]:
    """The rules' decision on each contact the upload created or changed, in file order."""
    refused_lines = {row["line"] for row in upload.report}
    line_of: dict[tuple[str, str], int] = {}
    for item, line in zip(parsed.items, parsed.lines, strict=True):
        key = (item.get("provider"), item.get("external_id"))
        if line not in refused_lines and key not in line_of:
            line_of[key] = line
    outcomes = dict(
        upload.links.filter(outcome__in=(UploadOutcome.CREATED, UploadOutcome.UPDATED)).values_list(
            "contact_id", "outcome"
        )
    )
    contacts = Contact.objects.filter(pk__in=outcomes).values_list(
        "pk", "provider__hsa_id", "external_id", "status", "reasons", "amount"
    )
    decisions = [
        {
            "line": line_of.get((hsa_id, external_id), 0),
            "external_id": external_id,
            "outcome": outcomes[pk],
            "status": status,
            "reasons": reasons.split() if reasons else [],
            "amount": amount,
            "amount_text": format_sek(amount),
            "reason_labels": [
                str(REASON_LABELS[Reason(code)]) if code in Reason else code for code in (reasons or "").split()
            ],
        }
        for pk, hsa_id, external_id, status, reasons, amount in contacts
    ]
    return sorted(decisions, key=lambda decision: decision["line"])


def _scope_key(user) -> list:
    scope = scope_of(user)
    return [scope.region_code if scope.is_region_staff else None, scope.provider_id if scope.is_provider else None]


def kept_file_put(session, *, user, file_name: str, content: bytes, refused: list[dict]) -> str:
    """Keep a checked file (and its refused rows) in the session for ``KEPT_FOR``; return its token. A later check
    replaces it."""
    token = secrets.token_urlsafe(24)
    session[SESSION_KEY] = {
        "token": token,
        "user": user.pk,
        "scope": _scope_key(user),
        "file_name": file_name,
        "content": base64.b64encode(content).decode("ascii"),
        "refused": refused,
        "expires": (timezone.now() + KEPT_FOR).isoformat(),
    }
    return token


def kept_file(session, *, user, token: str) -> dict | None:
    """The kept file of that token, if it is still kept for this user in this scope: ``{"file_name", "content"
    (bytes), "refused"}``; else None."""
    kept = session.get(SESSION_KEY)
    if (
        not isinstance(kept, dict)
        or not token
        or not secrets.compare_digest(str(kept.get("token", "")), token)
        or kept.get("user") != user.pk
        or kept.get("scope") != _scope_key(user)
        or dt.datetime.fromisoformat(kept["expires"]) <= timezone.now()
    ):
        return None
    return {
        "file_name": kept["file_name"],
        "content": base64.b64decode(kept["content"]),
        "refused": kept["refused"],
    }


def kept_file_take(session, *, user, token: str) -> dict | None:
    """The kept file of that token (as ``kept_file``), no longer kept afterwards: it is stored once."""
    kept = kept_file(session, user=user, token=token)
    if kept is not None:
        del session[SESSION_KEY]
    return kept
