"""State changes of dispute cases: open, comment, assign, resolve (an override or a credit note draft)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.display import invoice_label
from billing.models import FROZEN_STATUSES, CreditReason, Invoice, InvoiceLine
from billing.objection_window import objection_deadline
from billing.selectors import contact_credit_line, contact_live_line
from billing.services import invoice_line_credit
from contacts.models import Contact, ContactEvent, EventKind, Status
from contacts.reasons import REASON_LABELS
from contacts.services import contacts_reevaluate
from disputes.attachments import (
    FileKind,
    NotAllowedContent,
    allowed_kinds,
    clean_name,
    extension_of,
    sniff,
)
from disputes.models import (
    Dispute,
    DisputeAttachment,
    DisputeComment,
    DisputeEvent,
    DisputeKind,
    DisputeStatus,
)
from disputes.notifications import notify, notify_bulk
from disputes.permissions import (
    can_assign_dispute,
    can_open_objection,
    can_open_rejection_dispute,
    can_resolve_dispute,
    is_dispute_party,
    opened_dispute,
)
from kernel.business_time import add_months, stockholm_today  # noqa: F401 (add_months: the window, billing.objection_window)
from kernel.errors import InvalidInput, NotAllowed, StateConflict
from kernel.history import Via
from regions.selectors import is_visible_to


def _event(
    dispute: Dispute, *, action: str, by, via: str, note: str = "", changes: dict | None = None, attachment=None
) -> None:
    DisputeEvent.objects.create(
        dispute=dispute,
        at=timezone.now(),
        action=action,
        actor=by,
        via=via,
        note=note,
        changes=changes or {},
        attachment=attachment,
    )


@transaction.atomic
def dispute_open(
    *, contact: Contact, by, reason: str, via: str = Via.API, proposed_credit_reason: int | None = None
) -> Dispute:
    """Open a case: an objection if the contact is on an approved invoice, else a contested rejection. An objection
    may propose the credit reason (1-9) the seller's decision credits with unless the seller chooses another."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("A reason is required.")]
    if proposed_credit_reason is not None and proposed_credit_reason not in CreditReason.values:
        errors["proposed_credit_reason"] = [_("A proposed credit reason is a number from 1 to 9.")]
    if errors:
        raise InvalidInput(errors)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    line = contact_live_line(contact)
    credited = contact_credit_line(contact) if line is None else None
    if credited is not None and contact.status in (Status.INVOICED, Status.CREDITED):
        # Its billing is credited, or being credited: a second credit would refund more than was billed.
        raise StateConflict(
            _("Contact %(contact)s is already credited on %(credit_note)s; there is nothing left to object to.")
            % {"contact": contact.external_id, "credit_note": invoice_label(credited.invoice)}
        )
    if line is not None:
        kind = DisputeKind.OBJECTION
        if not can_open_objection(by, contact):
            raise NotAllowed(_("Only the buyer region's clerks and managers may object to an invoiced contact."))
        last_day = objection_deadline(line.invoice)
        if stockholm_today() > last_day:
            raise StateConflict(
                _("The objection period for invoice %(number)s ended on %(date)s.")
                % {"number": line.invoice.number, "date": last_day.isoformat()}
            )
    elif contact.status == Status.REJECTED:
        kind = DisputeKind.REJECTION
        if not can_open_rejection_dispute(by, contact):
            raise NotAllowed(_("Only the contact's provider or the billing region may contest its rejection."))
    else:
        raise StateConflict(
            _("Only a rejected contact, or one on an approved invoice, can be disputed (contact %(id)s is %(status)s).")
            % {"id": contact.pk, "status": contact.get_status_display().lower()}
        )
    if proposed_credit_reason is not None and kind != DisputeKind.OBJECTION:
        raise InvalidInput(
            {"proposed_credit_reason": [_("Only an objection to an invoiced contact proposes a credit reason.")]}
        )
    if Dispute.objects.filter(contact=contact, status=DisputeStatus.OPEN).exists():
        raise StateConflict(_("Contact %(id)s already has an open dispute.") % {"id": contact.pk})
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                contact=contact,
                kind=kind,
                reason=reason,
                invoice_line=line,
                proposed_credit_reason=proposed_credit_reason,
                opened_by=by,
                opened_at=timezone.now(),
                deadline=stockholm_today() + dt.timedelta(days=settings.DISPUTE_RESPONSE_DAYS),
            )
    except IntegrityError:  # a concurrent request opened one first
        raise StateConflict(_("Contact %(id)s already has an open dispute.") % {"id": contact.pk}) from None
    _event(dispute, action="opened", by=by, via=via, note=reason, changes={"status": [None, dispute.status]})
    notify(dispute, event="opened", actor=by)
    return dispute


@dataclass(frozen=True)
class Objection:
    """One objection of ``objections_open``: the debit line, the reason, and the credit reason proposed (1-9)."""

    line: InvoiceLine
    reason: str
    proposed_credit_reason: int | None = None


@transaction.atomic
def objections_open(*, objections: list[Objection], by, via: str = Via.API) -> list[Dispute]:
    """Open an objection to each line, set-based: ``dispute_open``'s rules checked for all the lines at once (a
    reason; the contact's standing line is this one, on an approved invoice, not credited; the buyer region's clerk
    or manager; within the objection period; no open case of the contact), the contacts locked, the cases and their
    events written with a few statements, the mail sent together after commit. Anything refused raises and opens
    none (the caller's transaction undoes them all)."""
    for objection in objections:
        if not (objection.reason or "").strip():
            raise InvalidInput({"reason": [_("A reason is required.")]})
    contact_ids = sorted({objection.line.contact_id for objection in objections})
    contacts = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update(of=("self",))
        .select_related("provider")
        .filter(pk__in=contact_ids)
        .order_by("pk")
    }
    standing = dict(
        InvoiceLine.objects.filter(contact_id__in=contact_ids, credit=False, invoice__status__in=FROZEN_STATUSES)
        .filter(~Exists(InvoiceLine.objects.filter(credited_line=OuterRef("pk"))))
        .order_by("contact_id", "billing_round")
        .values_list("contact_id", "pk")
    )  # the latest billing round last: the standing line of each contact
    today = stockholm_today()
    for objection in objections:
        contact = contacts[objection.line.contact_id]
        if standing.get(contact.pk) != objection.line.pk:
            raise StateConflict(
                _(
                    "Only a rejected contact, or one on an approved invoice, can be disputed (contact %(id)s is "
                    "%(status)s)."
                )
                % {"id": contact.pk, "status": contact.get_status_display().lower()}
            )
        if not can_open_objection(by, contact):
            raise NotAllowed(_("Only the buyer region's clerks and managers may object to an invoiced contact."))
    for invoice in {objection.line.invoice_id: objection.line.invoice for objection in objections}.values():
        last_day = objection_deadline(invoice)
        if today > last_day:
            raise StateConflict(
                _("The objection period for invoice %(number)s ended on %(date)s.")
                % {"number": invoice.number, "date": last_day.isoformat()}
            )
    already = (
        Dispute.objects.filter(contact_id__in=contact_ids, status=DisputeStatus.OPEN)
        .order_by("contact_id")
        .values_list("contact_id", flat=True)
        .first()
    )
    if already is not None:
        raise StateConflict(_("Contact %(id)s already has an open dispute.") % {"id": already})
    now = timezone.now()
    deadline = today + dt.timedelta(days=settings.DISPUTE_RESPONSE_DAYS)
    disputes = [
        Dispute(
            contact=contacts[objection.line.contact_id],
            kind=DisputeKind.OBJECTION,
            reason=objection.reason.strip(),
            invoice_line=objection.line,
            opened_by=by,
            opened_at=now,
            deadline=deadline,
            proposed_credit_reason=objection.proposed_credit_reason,
        )
        for objection in objections
    ]
    try:
        with transaction.atomic():
            Dispute.objects.bulk_create(disputes, batch_size=2_000)
    except IntegrityError:  # a concurrent request opened one first
        raise StateConflict(_("Contact %(id)s already has an open dispute.") % {"id": contact_ids[0]}) from None
    DisputeEvent.objects.bulk_create(
        [
            DisputeEvent(
                dispute=dispute,
                at=now,
                action="opened",
                actor=by,
                via=via,
                note=dispute.reason,
                changes={"status": [None, dispute.status]},
            )
            for dispute in disputes
        ],
        batch_size=2_000,
    )
    notify_bulk(disputes, event="opened", actor=by)
    return disputes


def _limit_errors(count: int, size: int, *, dispute: Dispute) -> list[str]:
    """What a comment's files break of the per-comment and per-case limits (the case's files counted under the
    case's row lock, so two comments at once cannot pass a limit together)."""
    errors = []
    per_comment = settings.DISPUTE_ATTACHMENTS_PER_COMMENT
    per_comment_bytes = settings.DISPUTE_ATTACHMENT_BYTES_PER_COMMENT
    if count > per_comment:
        errors.append(
            ngettext(
                "A comment may have at most %(limit)d attachment; this one has %(count)d.",
                "A comment may have at most %(limit)d attachments; this one has %(count)d.",
                per_comment,
            )
            % {"limit": per_comment, "count": count}
        )
    if size > per_comment_bytes:
        errors.append(
            _("A comment's attachments may total at most %(limit)s; these are %(size)s.")
            % {"limit": filesizeformat(per_comment_bytes), "size": filesizeformat(size)}
        )
    held = DisputeAttachment.objects.filter(comment__dispute=dispute).aggregate(count=Count("pk"), size=Sum("size"))
    held_count, held_size = held["count"], held["size"] or 0
    per_case, per_case_bytes = settings.DISPUTE_ATTACHMENTS_PER_CASE, settings.DISPUTE_ATTACHMENT_BYTES_PER_CASE
    if held_count + count > per_case:
        errors.append(
            ngettext(
                "A case may have at most %(limit)d attachment; it has %(held)d and this comment adds %(count)d.",
                "A case may have at most %(limit)d attachments; it has %(held)d and this comment adds %(count)d.",
                per_case,
            )
            % {"limit": per_case, "held": held_count, "count": count}
        )
    if held_size + size > per_case_bytes:
        errors.append(
            _("A case's attachments may total at most %(limit)s; it has %(held)s and this comment adds %(size)s.")
            % {
                "limit": filesizeformat(per_case_bytes),
                "held": filesizeformat(held_size),
                "size": filesizeformat(size),
            }
        )
    return errors


def _checked_attachment(upload, allowed) -> tuple[str, FileKind | None, list[str]]:
    """A file's cleaned name, its kind by its bytes (None when refused) and what is wrong with it."""
    name = clean_name(upload.name)
    if upload.size > settings.DISPUTE_ATTACHMENT_MAX_BYTES:
        message = _("%(name)s is %(size)s; attachments may be at most %(limit)s.") % {
            "name": name,
            "size": filesizeformat(upload.size),
            "limit": filesizeformat(settings.DISPUTE_ATTACHMENT_MAX_BYTES),
        }
        return name, None, [message]
    if upload.size == 0:
        return name, None, [_("%(name)s is empty.") % {"name": name}]
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        kind = sniff(data, allowed)
    except NotAllowedContent as refused:
        if refused.looks_like_markup:
            message = _(
                "%(name)s is text that reads as HTML, SVG or XML; web pages and markup are not accepted as evidence "
                "(send a PDF or a picture of it)."
            )
        else:
            message = _(
                "%(name)s is by its content none of the accepted kinds (%(kinds)s); its name and declared type are "
                "not taken on trust."
            )
        return name, None, [message % {"name": name, "kinds": ", ".join(str(kind.label) for kind in allowed)}]
    if extension_of(name) not in kind.extensions:
        message = _("%(name)s is %(kind)s by its content; its name must end in %(extensions)s.") % {
            "name": name,
            "kind": kind.description,
            "extensions": _(" or ").join(kind.extensions),
        }
        return name, None, [message]
    return name, kind, []


@transaction.atomic
def dispute_comment(*, dispute: Dispute, by, text: str, attachments=(), via: str = Via.API) -> DisputeComment:
    """Add a party's comment, with evidence files: each judged by its bytes (disputes.attachments), its
    name cleaned, within the limits per file, per comment and per case. Anything wrong refuses the whole comment,
    listing every problem; nothing is stored."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput({"text": [_("A comment needs text.")]})
    if not is_dispute_party(by, dispute):
        raise NotAllowed(_("Only the parties of a case may comment on it."))
    attachments = list(attachments)
    if attachments:
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    allowed = allowed_kinds()
    checked, errors = [], []
    for upload in attachments:
        name, kind, problems = _checked_attachment(upload, allowed)
        checked.append((upload, name, kind))
        errors += problems
    if attachments:
        errors += _limit_errors(len(attachments), sum(upload.size for upload in attachments), dispute=dispute)
    if errors:
        raise InvalidInput({"attachments": errors})
    comment = DisputeComment.objects.create(dispute=dispute, author=by, at=timezone.now(), text=text)
    for upload, name, kind in checked:
        attachment = DisputeAttachment(comment=comment, name=name, size=upload.size, content_type=kind.content_type)
        attachment.file.save(name, upload, save=False)  # stored under a random name (models.attachment_path)
        attachment.save()
    _event(dispute, action="commented", by=by, via=via)
    notify(dispute, event="commented", actor=by)
    return comment


def dispute_attachment_download(*, dispute: Dispute, attachment_id: int, by, via: str) -> DisputeAttachment:
    """An evidence file of the case, for a party to download, the download recorded in the case's history (who,
    when, which file, through which interface) before a byte is served: a download that cannot be recorded is not
    served. The caller found the case through the scoping selector; checked again here, failing closed. Raises
    ``DisputeAttachment.DoesNotExist`` for a file that is not this case's."""
    if not is_visible_to(by, dispute):
        raise NotAllowed(_("Only the parties of a case may read its evidence."))
    attachment = DisputeAttachment.objects.get(pk=attachment_id, comment__dispute=dispute)
    # Lost from the storage, or deleted after the retention period (disputes.retention): nothing to serve.
    if not attachment.file or not attachment.file.storage.exists(attachment.file.name):
        raise DisputeAttachment.DoesNotExist
    _event(dispute, action="downloaded", by=by, via=via, note=attachment.name, attachment=attachment)
    return attachment


def not_assignable(dispute: Dispute) -> InvalidInput:
    """The one answer for an assignee the case cannot go to, whoever it names: nobody, someone of another region or
    role, an inactive account, or the one who opened the case. The same words for each, without a name, so that the
    answer tells nothing about which user names exist (it is given only to those who may assign)."""
    return InvalidInput(
        {
            "assignee": [
                _(
                    "%(region)s has no clerk or manager with that user name who may decide this case (the person "
                    "who opened it may not)."
                )
                % {"region": dispute.contact.billing_region.name}
            ]
        }
    )


def assign_refused() -> NotAllowed:
    return NotAllowed(_("Cases are assigned within the billing region's staff."))


@transaction.atomic
def dispute_assign(*, dispute: Dispute, assignee, by, via: str = Via.API) -> Dispute:
    """Assign the case to one of the billing region's clerks and managers who may decide it. Who may assign is
    checked before the assignee is looked at: anyone else is refused alike, whatever name they give."""
    dispute = Dispute.objects.select_for_update().select_related("contact__billing_region").get(pk=dispute.pk)
    if not can_assign_dispute(by, dispute):
        raise assign_refused()
    if assignee is None or not can_resolve_dispute(assignee, dispute):  # a case goes to someone who may decide it
        raise not_assignable(dispute)
    before = dispute.assignee.get_username() if dispute.assignee_id else None
    dispute.assignee = assignee
    dispute.save(update_fields=["assignee"])
    changes = {"assignee": [before, assignee.get_username()]}
    _event(dispute, action="assigned", by=by, via=via, note=assignee.get_username(), changes=changes)
    return dispute


@transaction.atomic
def dispute_resolve(
    *, dispute: Dispute, by, outcome: str, note: str, credit_reason: int | None = None, via: str = Via.API
) -> Dispute:
    """Accept or dismiss a case. Accepting a rejection overrides it; accepting an objection credits the line."""
    dispute = Dispute.objects.select_for_update().select_related("contact").get(pk=dispute.pk)
    if not can_resolve_dispute(by, dispute):
        if opened_dispute(by, dispute) and can_assign_dispute(by, dispute):
            raise NotAllowed(
                _("You opened this dispute; a colleague in %(region)s must decide it.")
                % {"region": dispute.contact.billing_region.name}
            )
        raise NotAllowed(_("Only the billing region's clerks and managers decide disputes."))
    if dispute.status != DisputeStatus.OPEN:
        raise StateConflict(_("Dispute %(id)s is already decided.") % {"id": dispute.pk})
    note = (note or "").strip()
    errors = {}
    if outcome not in (DisputeStatus.ACCEPTED, DisputeStatus.DISMISSED):
        errors["outcome"] = [_("Must be accepted or dismissed.")]
    if not note:
        errors["note"] = [_("A note saying why is required.")]
    if dispute.kind == DisputeKind.OBJECTION and outcome == DisputeStatus.ACCEPTED:
        if credit_reason not in CreditReason.values:
            errors["credit_reason"] = [_("An accepted objection needs a credit reason from 1 to 9.")]
    elif credit_reason is not None:
        errors["credit_reason"] = [_("Only an accepted objection has a credit reason.")]
    if errors:
        raise InvalidInput(errors)
    if outcome == DisputeStatus.ACCEPTED:
        if dispute.kind == DisputeKind.REJECTION:
            _override(dispute.contact, by=by, note=note, via=via)
        else:
            dispute.credit_note = _credit(dispute, reason=credit_reason, by=by, via=via)
            dispute.credit_reason = credit_reason
    changes = {"status": [dispute.status, outcome]}
    if dispute.credit_note_id:
        changes["credit_note"] = [None, dispute.credit_note_id]
        changes["credit_reason"] = [None, dispute.credit_reason]
    dispute.status = outcome
    dispute.decided_by = by
    dispute.decided_at = timezone.now()
    dispute.decision_note = note
    dispute.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "credit_note", "credit_reason"])
    _event(dispute, action=outcome, by=by, via=via, note=note, changes=changes)
    notify(dispute, event=outcome, actor=by)
    return dispute


def _override(contact: Contact, *, by, note: str, via: str) -> None:
    """The accepted dispute makes the contact billable: recorded on the contact and in its history."""
    Contact.objects.filter(pk=contact.pk).update(overridden=True)
    changed = contacts_reevaluate(contact_ids=[contact.pk], by=by, via=via, kind=EventKind.OVERRIDDEN, note=note)
    if not changed:
        ContactEvent.objects.create(
            contact=contact, at=timezone.now(), kind=EventKind.OVERRIDDEN, via=via, actor=by, note=note
        )
    contact.refresh_from_db(fields=["status", "reasons"])
    if contact.status != Status.ELIGIBLE:
        # Some rejections no dispute can lift: care in the patient's own region, a lapsed invoicing deadline,
        # no rate in force. Refused, and the transaction leaves the contact as it was.
        raise StateConflict(
            _("Contact %(contact)s cannot be billed even with the dispute accepted: %(reasons)s.")
            % {
                "contact": contact.external_id,
                "reasons": "; ".join(str(REASON_LABELS.get(code, code)) for code in contact.reason_list),
            }
        )


def _credit(dispute: Dispute, *, reason: int, by, via: str) -> Invoice:
    """Credit the objected line on the draft credit note of its invoice and reason, through billing's one service
    for it; its history names the objection. A line credited meanwhile (by the seller's own correction) refuses."""
    with translation.override(settings.LANGUAGE_CODE):  # a note kept for every reader: in the product's language
        note = _("Accepted objection to %(contact)s (%(provider)s)") % {
            "contact": dispute.contact.external_id,
            "provider": dispute.contact.provider.name,
        }
    return invoice_line_credit(line=dispute.invoice_line, reason=reason, by=by, via=via, note=note)
