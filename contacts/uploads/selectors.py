import csv
import io
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils.translation import gettext

from contacts.csv_upload import EXTRA_CELLS
from contacts.models import Status
from contacts.uploads.models import ContactUpload
from contacts.validation import ACCEPTED_FIELDS
from regions.selectors import visible_to

# How many of the scope's uploads the contact list's "upload" filter offers (the newest first).
RECENT_UPLOADS = 10


def uploads_visible(user) -> QuerySet[ContactUpload]:
    """The uploads the user may see: their region's (region staff), their provider's (a provider's users)."""
    return visible_to(user, ContactUpload.objects.all())


def uploads_recent(user) -> list[ContactUpload]:
    return list(uploads_visible(user).order_by("-created_at", "-id")[:RECENT_UPLOADS])


def upload_rules_rejected_url(upload: ContactUpload, *, changelist_url: str) -> str:
    """The contact list filtered on the upload's contacts that the rules rejected (a plain URL: it survives a
    logout and works for a colleague who may see the upload)."""
    return f"{changelist_url}?{urlencode({'upload': upload.pk, 'status__exact': Status.REJECTED})}"


def upload_report(upload: ContactUpload, *, changelist_url: str) -> dict:
    """What became of an upload's rows (the upload page's "Result"): the counts, every refused row by its file line,
    and how many of its stored contacts the rules reject now, with the link to them in the contact list."""
    rules_rejected = upload.contacts.filter(status=Status.REJECTED).count()
    return {
        "created": upload.created,
        "updated": upload.updated,
        "unchanged": upload.unchanged,
        "rejected": [
            {
                "line": row["line"],
                "external_id": row["external_id"],
                "errors": [(name, messages) for name, messages in row["errors"]],
            }
            for row in upload.report
        ],
        "rules_rejected": rules_rejected,
        "rules_rejected_url": upload_rules_rejected_url(upload, changelist_url=changelist_url)
        if rules_rejected
        else None,
    }


# CSV injection (OWASP), as billing.documents guards its exports: a cell starting with one of these is read as a
# formula by spreadsheet programs, so it is written with an apostrophe before it.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _errors_text(errors) -> str:
    """A refused row's errors in one cell: ``column: message`` for each column, `` | `` between them."""
    parts = []
    for name, messages in errors:
        text = " ".join(messages)
        if name == EXTRA_CELLS:
            parts.append(gettext("Cells beyond the header's columns") + ": " + text)
        else:
            parts.append(f"{name}: {text}" if name else text)
    return " | ".join(parts)


def refused_rows_csv(rows: list[dict]) -> bytes:
    """The refused rows of an upload or a check as a file to correct and upload again: the file's columns (those
    any refused row has a cell in, in the order of the upload's fields), then "Rad" (the line in the file) and "Fel"
    (the errors). Semicolons, UTF-8 with a byte-order mark and CRLF, as Swedish Excel opens it; a cell that would
    read as a formula starts with an apostrophe. Rows of an upload stored before the cells were kept have only
    their external_id."""
    cells_of = [row.get("cells") or {"external_id": row["external_id"]} for row in rows]
    present = {name for cells in cells_of for name in cells}
    columns = [name for name in ACCEPTED_FIELDS if name in present]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([*columns, gettext("Line"), gettext("Errors")])
    for row, cells in zip(rows, cells_of, strict=True):
        writer.writerow(
            [
                *(_safe_cell(cells.get(name, "")) for name in columns),
                str(row["line"]),
                _safe_cell(_errors_text(row["errors"])),
            ]
        )
    return out.getvalue().encode("utf-8-sig")
