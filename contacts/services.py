"""State changes of contacts besides intake: manual rejection and re-evaluation."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidInput, StateConflict
from contacts.eligibility import ContactFacts, Decision, evaluate
from contacts.intake import contact_writer, result_of, stored_result
from contacts.models import Channel, Contact, ContactEvent, EventKind, Status
from contacts.reasons import Reason, ordered
from regions.models import RateRecommendation
from regions.rates import NoRecommendationInForce, Timeline
from regions.selectors import recommendation_timeline

REEVALUATION_CHUNK = 5_000


def contact_facts(contact: Contact, category: str | None) -> ContactFacts:
    return ContactFacts(
        started_at=contact.started_at,
        home_region=contact.home_region_id,
        billing_region=contact.billing_region_id,
        profession_category=category,
        mode=contact.mode,
        strong_authentication=contact.strong_authentication,
        triage=contact.triage,
        documented=contact.documented,
        content=contact.content,
        patient_fee=contact.patient_fee,
    )


def contact_decision(contact: Contact, timeline: Timeline | None = None) -> Decision:
    """Evaluate a stored contact as it stands (used for display and re-evaluation)."""
    timeline = timeline or recommendation_timeline()
    try:
        version = timeline.version_on(contact.started_at)
    except NoRecommendationInForce:
        version = None
    return evaluate(
        contact_facts(contact, contact.profession.category or None),
        version,
        manual_reasons=contact.manual_reason_list,
        overridden=contact.overridden,
    )


def _apply(contact: Contact, decision: Decision, version_ids: dict[str, int], now: dt.datetime) -> None:
    contact.status = Status.ELIGIBLE if decision.eligible else Status.REJECTED
    contact.reasons = " ".join(decision.reasons)
    contact.recommendation_id = version_ids.get(decision.recommendation)
    contact.rate = decision.rate
    contact.amount = decision.amount
    contact.evaluated_at = now


@transaction.atomic
def contact_reject(*, contact: Contact, by, note: str, via: str = Channel.API) -> Contact:
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
    return stored_result(
        {
            "status": contact.status,
            "reasons": contact.reasons,
            "recommendation_code": code,
            "rate": contact.rate,
            "amount": contact.amount,
        }
    )


def contacts_reevaluate(
    *,
    contact_ids: list[int] | None = None,
    since: dt.datetime | None = None,
    by=None,
    via: str = Channel.SYSTEM,
    kind: str = EventKind.EVALUATED,
    note: str = "",
) -> int:
    """Re-evaluate unlocked contacts (by id, or all started at or after ``since``); returns how many changed.

    Each changed contact gets an ``evaluated`` history row with the old and the new result. Runs in chunks so
    a publication touching millions of contacts keeps memory flat.
    """
    queryset = Contact.objects.filter(locked=False)
    if contact_ids is not None:
        queryset = queryset.filter(pk__in=contact_ids)
    if since is not None:
        queryset = queryset.filter(started_at__gte=since)
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    timeline = recommendation_timeline()
    version_ids = dict(RateRecommendation.objects.published().values_list("code", "id"))
    codes = {pk: code for code, pk in version_ids.items()}
    writer = contact_writer()
    changed = 0
    for start in range(0, len(ids), REEVALUATION_CHUNK):
        chunk = ids[start : start + REEVALUATION_CHUNK]
        with transaction.atomic():
            # The contacts' rows only, as contact_reject locks them: a publication re-evaluating many contacts must
            # not hold up new contacts of the same professions, nor an invoice run referring to these contacts.
            contacts = list(
                Contact.objects.select_for_update(no_key=True, of=("self",))
                .select_related("profession")
                .filter(pk__in=chunk, locked=False)
            )
            now = timezone.now()
            rows, events = [], []
            for contact in contacts:
                before = stored_result(
                    {
                        "status": contact.status,
                        "reasons": contact.reasons,
                        "recommendation_code": codes.get(contact.recommendation_id),
                        "rate": contact.rate,
                        "amount": contact.amount,
                    }
                )
                decision = contact_decision(contact, timeline)
                after = result_of(decision)
                if after == before or contact.status in (Status.INVOICED, Status.CREDITED):
                    continue
                _apply(contact, decision, version_ids, now)
                rows.append(contact)
                events.append((contact.pk, now, kind, via, getattr(by, "pk", None), {}, before, after, note))
            if rows:
                Contact.objects.bulk_update(
                    rows, ["status", "reasons", "recommendation", "rate", "amount", "evaluated_at"], batch_size=1000
                )
                writer.insert_events(events)
            changed += len(rows)
    return changed
