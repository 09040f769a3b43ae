"""Retention of personal data, the contacts' part (README: Retention of personal data).

After the retention period a contact's personal identity number is replaced by a **pseudonym**: ``PSEUDO-`` and 20
upper-case hex digits of HMAC-SHA-256 over the 12-digit number, keyed with ``PERSONAL_DATA_PSEUDONYM_KEY``. Without
the key no one can go from a pseudonym back to a number (nor test a guessed number against it); with the same key the
same number always gets the same pseudonym, so a patient's old contacts still belong together (the duplicate checks
over old data keep meaning) and counts of distinct patients do not change. The letters make it no valid personnummer.

Everything else of the contact stays: amounts, rates, fees, dates, profession, regions, status, and the birth date
and sex the reports' age bands and sex breakdowns are made of. The contact is then pseudonymised, not anonymous.

Which contacts are due is decided by the orchestrator (``disputes.retention``), the one layer that sees the invoices
and the open disputes; this module gives the rule's contacts part, the pseudonyms and the set-based writes.
"""

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Case, Value, When

from contacts.identifiers import (
    PSEUDONYM_LENGTH,
    PSEUDONYM_PREFIX,
    PersonalIdentityError,
    parse_personal_identity,
)
from contacts.models import Contact, ContactEvent, ContactUpload, IdentityRead
from kernel.business_time import start_of_day


def retention_years() -> int:
    return settings.PERSONAL_DATA_RETENTION_YEARS


def retention_cutoff(*, today: dt.date, years: int | None = None) -> dt.date:
    """The first day that is still kept: what ended before it is due (``before`` of ``personal_data_pseudonymise``).

    Counted as bokföringslagen (1999:1078) 7 kap. 2 § counts: material is kept until the end of the seventh year after
    the calendar year in which the fiscal year ended (the regions' fiscal year is the calendar year). So on any day of
    year Y, what ended in year Y − years − 1 or earlier is due: the cut-off is 1 January of Y − years. A contact of
    December 2018 is kept through 31 December 2025 and due from 1 January 2026 (``today`` in Stockholm time)."""
    years = retention_years() if years is None else years
    return dt.date(today.year - years, 1, 1)


def _key() -> bytes:
    key = settings.PERSONAL_DATA_PSEUDONYM_KEY
    if key:
        return key.encode()
    # Derived, never the secret key itself: a pseudonym can never reveal anything that signs sessions.
    return hmac.new(settings.SECRET_KEY.encode(), b"utomlans.personal-data-pseudonym", hashlib.sha256).digest()


def pseudonym(number: str) -> str:
    """The pseudonym of a stored identity (12 digits): stable under one key, not reversible. A pseudonym stays as it
    is, so running the retention again changes nothing."""
    if number.startswith(PSEUDONYM_PREFIX):
        return number
    digest = hmac.new(_key(), number.encode(), hashlib.sha256).hexdigest().upper()
    return PSEUDONYM_PREFIX + digest[: PSEUDONYM_LENGTH - len(PSEUDONYM_PREFIX)]


def pseudonyms_of(numbers: Iterable[str]) -> dict[str, str]:
    """Each distinct number not yet a pseudonym, with its pseudonym (a pure computation, one hash a number)."""
    return {number: pseudonym(number) for number in set(numbers) if not number.startswith(PSEUDONYM_PREFIX)}


def pseudonym_case(field: str, mapping: dict[str, str]) -> Case:
    """``CASE field WHEN number THEN pseudonym … ELSE field END``: one UPDATE rewrites a whole batch."""
    return Case(
        *(When(**{field: number}, then=Value(alias)) for number, alias in sorted(mapping.items())),
        default=models.F(field),
        output_field=models.CharField(),
    )


# What looks like an identity number in free text: 10 or 12 digits, an optional '-', '+' or space before the last
# four, not part of a longer run of digits (as config.identity_scrubbing finds them in logs).
_IN_TEXT = re.compile(
    r"(?<![0-9])(?P<birth>(?:18|19|20)?[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01]))"
    r"(?P<sep>[-+ ]?)(?P<last>[0-9]{4})(?![0-9])"
)


def text_pseudonymise(text: str, *, today: dt.date) -> str:
    """Free text with each identity number replaced by its pseudonym (the same a contact of that patient gets), and
    each look-alike that is no valid number (a mistyped one) masked as its birth date and ``-****``."""

    def replace(match: re.Match) -> str:
        written = match["birth"] + ("-" if match["sep"] == " " else match["sep"]) + match["last"]
        try:
            return pseudonym(parse_personal_identity(written, today=today).number)
        except PersonalIdentityError:
            return f"{match['birth']}-****"

    return _IN_TEXT.sub(replace, text)


def texts_pseudonymise(model, field: str, rows, *, today: dt.date) -> int:
    """Rewrite one text column of these rows where it holds an identity number, in one statement (``bulk_update``:
    a single UPDATE … CASE); the texts are read and matched in Python, the one thing SQL cannot do here (the pseudonym
    is a keyed hash). The number of rows changed. Through a plain queryset: history rows are otherwise append-only,
    and this is the one change the retention makes to them."""
    changed = []
    for pk, text in rows.values_list("pk", field):
        new = text_pseudonymise(text, today=today)
        if new != text:
            changed.append(model(pk=pk, **{field: new}))
    if changed:
        models.QuerySet(model=model).bulk_update(changed, [field])
    return len(changed)


def contact_notes_pseudonymise(*, contact_ids: list[int], today: dt.date) -> int:
    """The notes of these contacts' history (a dispute's decision that overrode a rejection is written there too)."""
    return texts_pseudonymise(
        ContactEvent, "note", ContactEvent.objects.filter(contact_id__in=contact_ids), today=today
    )


def contacts_due(*, before: dt.date):
    """The contacts part of the rule: begun before the cut-off (Stockholm time) and not yet pseudonymised. The
    orchestrator adds the invoices' and the disputes' conditions."""
    return Contact.objects.filter(started_at__lt=start_of_day(before)).exclude(patient_id__startswith=PSEUDONYM_PREFIX)


def contacts_pseudonymise(*, contact_ids: list[int]) -> int:
    """Replace these contacts' identity numbers by their pseudonyms in one UPDATE; the number of contacts changed.
    Only ``patient_id`` changes (not even ``updated_at``: the retention is no change of what the provider reported,
    and the batch's history row says when it ran)."""
    numbers = Contact.objects.filter(pk__in=contact_ids).exclude(patient_id__startswith=PSEUDONYM_PREFIX)
    mapping = pseudonyms_of(numbers.values_list("patient_id", flat=True))
    if not mapping:
        return 0
    return numbers.update(patient_id=pseudonym_case("patient_id", mapping))


def identity_reads_purge(*, before: dt.date) -> int:
    """Remove the log of reads of identity numbers from before the cut-off (it holds no number, but says who looked at
    whose; it answers questions about reads while the numbers were there to read). Removing history is what only the
    retention does, past the history's append-only guard, in one DELETE."""
    rows = IdentityRead.objects.filter(at__lt=start_of_day(before))
    return models.QuerySet.delete(rows)[0]


def uploads_purge(*, before: dt.date) -> int:
    """Remove the records of CSV uploads from before the cut-off: their file's bytes were emptied once processed,
    but the refused rows' report names external ids and what was wrong with them. The contacts stay."""
    uploads = ContactUpload.objects.filter(created_at__lt=start_of_day(before))
    deleted = uploads.delete()[1]
    return deleted.get(ContactUpload._meta.label, 0)
