"""State changes of contacts besides intake: manual rejection and re-evaluation."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contacts.bulk_writer import contact_writer
from contacts.eligibility import Decision
from contacts.evaluation import contact_decision, decision_columns, result_of_contact
from contacts.intake import contacts_upsert, load_references
from contacts.models import Contact, ContactEvent, EventKind, Status
from contacts.reasons import Reason, ordered
from contacts.validation import validate_contact
from kernel.errors import InvalidInput, StateConflict
from kernel.history import Via
from regions.models import RateRecommendation
from regions.selectors import recommendation_timeline

REEVALUATION_CHUNK = 5_000


def _apply(contact: Contact, decision: Decision, version_ids: dict[str, int], now: dt.datetime) -> None:
    for column, value in decision_columns(decision, version_ids).items():
        setattr(contact, column, value)
    contact.evaluated_at = now


@transaction.atomic
def contact_reject(*, contact: Contact, by, note: str, via: str = Via.API) -> Contact:
    """A clerk's manual rejection (reason ``rejected_by_clerk``); refused once the contact is locked."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput({"note": [_("A note saying why is required.")]})
    # The contact's row only (not its profession's, which every new contact refers to), and not against rows that
    # merely refer to it (its history, an invoice line): the key never changes.
    contact = (
        Contact.objects.select_for_update(no_key=True, of=("self",)).select_related("profession").get(pk=contact.pk)
    )
    if contact.locked:
        raise StateConflict(
            _("Contact %(id)s is on a submitted or approved invoice and cannot be rejected.") % {"id": contact.pk}
        )
    if Reason.REJECTED_BY_CLERK in contact.manual_reason_list:
        raise StateConflict(_("Contact %(id)s is already rejected by a clerk.") % {"id": contact.pk})
    before = _result_of_contact(contact)
    contact.manual_reasons = " ".join(ordered([*contact.manual_reason_list, Reason.REJECTED_BY_CLERK]))
    contact.overridden = False
    now = timezone.now()
    version_ids = dict(RateRecommendation.objects.published().values_list("code", "id"))
    _apply(contact, contact_decision(contact), version_ids, now)
    contact.updated_at, contact.updated_via, contact.updated_by = now, via, by
    contact.save(
        update_fields=[
            "manual_reasons",
            "overridden",
            "status",
            "reasons",
            "recommendation",
            "rate",
            "amount",
            "evaluated_at",
            "updated_at",
            "updated_via",
            "updated_by",
        ]
    )
    ContactEvent.objects.create(
        contact=contact,
        at=now,
        kind=EventKind.REJECTED,
        via=via,
        actor=by,
        result_before=before,
        result_after=_result_of_contact(contact),
        note=note,
    )
    return contact


def _result_of_contact(contact: Contact) -> dict:
    code = None
    if contact.recommendation_id:
        code = RateRecommendation.objects.filter(pk=contact.recommendation_id).values_list("code", flat=True).first()
    return result_of_contact(contact, code)


def contacts_reevaluate(
    *,
    contact_ids: list[int] | None = None,
    since: dt.datetime | None = None,
    by=None,
    via: str = Via.SYSTEM,
    kind: str = EventKind.EVALUATED,
    note: str = "",
) -> int:
    """Re-evaluate unlocked contacts (by id, or all started at or after ``since``); returns how many changed.

    Each changed contact gets an ``evaluated`` history row with the old and the new result. Runs in chunks so
    a publication touching millions of contacts keeps memory flat. Invoiced and credited contacts keep their result:
    only their billing (``contacts_mark_lapsed``, ``contacts_credited``, ``contacts_release_for_billing``) changes it.
    """
    queryset = Contact.objects.filter(locked=False)
    if contact_ids is not None:
        queryset = queryset.filter(pk__in=contact_ids)
    if since is not None:
        queryset = queryset.filter(started_at__gte=since)
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    return _reevaluate(ids, by=by, via=via, kind=kind, note=note)


def contacts_mark_lapsed(*, contact_ids: list[int], on: dt.date, by=None, via: str = Via.RUN) -> int:
    """The contacts' right to payment lapsed on ``on`` before an invoice of them was approved: each gets the reason
    ``invoicing_deadline_passed`` (kept across re-evaluations), is released from the invoice it was on (unlocked) and
    rejected, with a ``deadline`` history row saying when. Returns how many changed."""
    months = settings.INVOICING_DEADLINE_MONTHS
    with translation.override(settings.LANGUAGE_CODE):  # a note kept for every reader: in the product's language
        note = ngettext(
            "Invoicing deadline (%(months)d month) passed on %(date)s",
            "Invoicing deadline (%(months)d months) passed on %(date)s",
            months,
        ) % {"months": months, "date": on.isoformat()}

    def lapse(contact: Contact) -> None:
        contact.manual_reasons = " ".join(ordered([*contact.manual_reason_list, Reason.INVOICING_DEADLINE_PASSED]))
        contact.locked = False

    return _reevaluate(
        sorted(contact_ids), by=by, via=via, kind=EventKind.DEADLINE, note=note, billed_too=True, change=lapse
    )


def contacts_credited(*, contact_ids: list[int], correctable: bool, note: str, by=None, via: str) -> int:
    """An approved credit note credited the contacts' billed lines: each is ``credited``, its next billing round
    opened, and, when the credit's reason allows a correction (wrong home region, price or product, partial
    invoicing), released (unlocked) so that a correction through any intake path makes it billable again; otherwise
    it stays locked for good. A ``credited`` history row each, with ``note`` (which credit note, why)."""

    def credit(contact: Contact) -> None:
        contact.status = Status.CREDITED
        contact.reasons = ""
        contact.billing_round += 1
        contact.locked = not correctable

    return _reevaluate(
        sorted(contact_ids),
        by=by,
        via=via,
        kind=EventKind.CREDITED,
        note=note,
        billed_too=True,
        change=credit,
        decide=False,
    )


def contacts_release_for_billing(*, contact_ids: list[int], note: str, by=None, via: str) -> int:
    """Credited contacts to be invoiced again as they now stand (the seller's "credit and invoice again"): each is
    evaluated afresh, eligible or rejected, with an ``evaluated`` history row; the next invoice run bills the
    eligible ones. Locked contacts are left alone (their credit's reason ends their billing)."""
    ids = list(
        Contact.objects.filter(pk__in=contact_ids, status=Status.CREDITED, locked=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return _reevaluate(ids, by=by, via=via, kind=EventKind.EVALUATED, note=note, billed_too=True)


def _reevaluate(
    ids: list[int],
    *,
    by,
    via: str,
    kind: str,
    note: str,
    billed_too: bool = False,
    change=None,
    decide: bool = True,
) -> int:
    """The one writer of re-evaluations: lock each chunk of contacts, apply ``change`` (a field update of the caller's
    rule), evaluate them afresh (unless ``decide`` is off), write the changed ones in one bulk update and their
    history rows with the result before and after. ``billed_too`` includes invoiced and credited contacts, which a
    plain re-evaluation leaves alone."""
    timeline = recommendation_timeline()
    version_ids = dict(RateRecommendation.objects.published().values_list("code", "id"))
    codes = {pk: code for code, pk in version_ids.items()}
    writer = contact_writer()
    fields = ["status", "reasons", "recommendation", "rate", "amount", "evaluated_at"]
    if change is not None:
        fields += ["manual_reasons", "locked", "billing_round"]
    changed = 0
    for start in range(0, len(ids), REEVALUATION_CHUNK):
        chunk = ids[start : start + REEVALUATION_CHUNK]
        with transaction.atomic():
            # The contacts' rows only, as contact_reject locks them: a publication re-evaluating many contacts must
            # not hold up new contacts of the same professions, nor an invoice run referring to these contacts.
            queryset = Contact.objects.select_for_update(no_key=True, of=("self",)).select_related("profession")
            queryset = queryset.filter(pk__in=chunk) if billed_too else queryset.filter(pk__in=chunk, locked=False)
            contacts = list(queryset)
            now = timezone.now()
            rows, events = [], []
            for contact in contacts:
                before = result_of_contact(contact, codes.get(contact.recommendation_id))
                state = (contact.manual_reasons, contact.locked, contact.billing_round)
                if change is not None:
                    change(contact)
                if decide:
                    if not billed_too and contact.status in (Status.INVOICED, Status.CREDITED):
                        continue
                    _apply(contact, contact_decision(contact, timeline), version_ids, now)
                after = result_of_contact(contact, codes.get(contact.recommendation_id))
                if after == before and state == (contact.manual_reasons, contact.locked, contact.billing_round):
                    continue
                contact.evaluated_at = now
                rows.append(contact)
                events.append((contact.pk, now, kind, via, getattr(by, "pk", None), {}, before, after, note))
            if rows:
                Contact.objects.bulk_update(rows, fields, batch_size=1000)
                writer.insert_events(events)
            changed += len(rows)
    return changed


# --- Corrections of credited contacts ------------------------------------------------------------------------------

# What a seller may correct together with a credit ("credit and invoice again"): the facts a wrong home region, price,
# product or partial invoicing concern. Other facts are corrected through intake once the credit is approved.
CORRECTABLE_FIELDS = ("home_region", "home_municipality", "profession", "patient_fee", "listing_unit", "care_unit")


def contact_as_item(contact: Contact) -> dict:
    """A stored contact as an intake item in the API's JSON form, as its provider would send it."""
    return {
        "external_id": contact.external_id,
        "provider": contact.provider.hsa_id,
        "patient_id": contact.patient_id,
        "home_region": contact.home_region_id,
        "profession": contact.profession_id,
        "started_at": contact.started_at.isoformat(),
        "mode": contact.mode,
        "strong_authentication": contact.strong_authentication,
        "triage": contact.triage,
        "documented": contact.documented,
        "content": contact.content,
        "patient_fee": f"{contact.patient_fee:.2f}",
        "listing_unit": contact.listing_unit,
        "care_unit": contact.care_unit,
        "home_municipality": contact.home_municipality,
    }


def contact_correction_errors(*, contact: Contact, correction: dict, user) -> dict[str, list[str]]:
    """What is wrong with a correction of ``contact`` (by field; empty when it may be applied): only the correctable
    fields, validated as intake validates them, as the user would send them."""
    message = _("Only %(fields)s can be corrected with a credit.") % {"fields": ", ".join(CORRECTABLE_FIELDS)}
    errors = {str(name)[:64]: [message] for name in correction if name not in CORRECTABLE_FIELDS}
    if errors:
        return errors
    checked = validate_contact({**contact_as_item(contact), **correction}, load_references(user))
    return checked if isinstance(checked, dict) else {}


def contact_correct(*, contact: Contact, correction: dict, by, via: str) -> None:
    """Apply a correction to a released (credited, unlocked) contact through the one intake path: validated,
    evaluated afresh, its history recording what changed. Raises StateConflict when intake refuses it."""
    result = contacts_upsert(items=[{**contact_as_item(contact), **correction}], user=by, channel=via)
    if result.errors:
        messages = [message for field_errors in result.errors[0].errors.values() for message in field_errors]
        raise StateConflict(
            _("The correction of contact %(contact)s cannot be applied: %(errors)s")
            % {"contact": contact.external_id, "errors": " ".join(messages)}
        )
