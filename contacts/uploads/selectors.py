from urllib.parse import urlencode

from django.db.models import QuerySet

from contacts.models import Status
from contacts.uploads.models import ContactUpload
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
