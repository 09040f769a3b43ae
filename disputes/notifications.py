"""E-mail about disputes: the other party hears of a new case, a comment and a decision; the deciding region
gets a daily list of cases near or past their deadline. Sent after commit through Django's mail framework."""

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from disputes.models import Dispute, DisputeEvent, DisputeKind, DisputeStatus
from kernel.business_time import stockholm_today
from kernel.history import Via
from kernel.money import format_sek
from kernel.text import neutralise
from regions.models import Role

logger = logging.getLogger(__name__)

NEAR_DEADLINE_DAYS = 5
# How long a sent digest is remembered (Django's cache: shared by every worker when CACHE_URL is set). A task whose
# worker was lost is handed out again within CELERY_VISIBILITY_TIMEOUT (default 30 minutes).
DIGEST_CLAIM_SECONDS = 24 * 3600


def _region_staff(region_code: str):
    return (
        get_user_model()
        .objects.filter(is_active=True, membership__region_id=region_code, groups__name__in=[Role.CLERK, Role.MANAGER])
        .exclude(email="")
    )


def _provider_users(provider_id: int):
    return (
        get_user_model()
        .objects.filter(is_active=True, membership__provider_id=provider_id, groups__name=Role.PROVIDER)
        .exclude(email="")
    )


def parties(dispute: Dispute) -> dict[str, list]:
    """The two sides of a case: the billing region's staff, and the provider (rejection) or the buyer (objection)."""
    contact = dispute.contact
    seller = list(_region_staff(contact.billing_region_id).distinct())
    if dispute.kind == DisputeKind.REJECTION:
        other = list(_provider_users(contact.provider_id).distinct())
    else:
        other = list(_region_staff(contact.home_region_id).distinct())
    return {"seller": seller, "other": other}


def _recipients(dispute: Dispute, actor, event: str) -> list[str]:
    """The other side of the case; and for a new case always the deciding side (the billing region's staff but the
    one who opened it, who may not decide it): a rejection the billing region contests itself is decided by a
    colleague, whom the page promises is told at once."""
    sides = parties(dispute)
    if actor in sides["seller"]:
        side = [*sides["other"], *(sides["seller"] if event == "opened" else [])]
    else:
        side = sides["seller"]
    return sorted({user.email for user in side if user.pk != actor.pk})


def notify(dispute: Dispute, *, event: str, actor) -> None:
    """Queue the e-mail to the other party of ``event`` (opened, commented, accepted, dismissed) after commit.

    Written in the product's language (``LANGUAGE_CODE``): the recipients' language choice is a browser cookie,
    unknown to a mail sent from a worker. Dates are ISO (the contact's time in Europe/Stockholm), amounts
    ``1 234,50 kr``. No personal identity number: the contact is named by the provider's id for it."""
    recipients = _recipients(dispute, actor, event)
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = dispute_message(dispute, event=event)
    message = (subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    transaction.on_commit(lambda: _deliver(message, dispute_id=dispute.pk, event=event))


def _deliver(message: tuple, *, dispute_id: int, event: str) -> None:
    """Send after commit. The case is stored whatever happens to its mail: a mail server that cannot be reached is
    logged and recorded in the case's history ("E-post kunde inte skickas"), never an error for the request that
    changed the case (its client would retry and be told the case already exists)."""
    try:
        send_mass_mail([message], fail_silently=False)
    except Exception as error:  # any backend's failure: SMTP, a socket, a misconfiguration
        logger.exception("Mail about dispute %s (%s) to %d recipients failed", dispute_id, event, len(message[3]))
        with translation.override(settings.LANGUAGE_CODE):
            note = _("The e-mail about this step (%(event)s) to %(count)d recipients could not be sent: %(error)s.") % {
                "event": event,
                "count": len(message[3]),
                "error": type(error).__name__,
            }
        DisputeEvent.objects.create(
            dispute_id=dispute_id, at=timezone.now(), action="mail_failed", via=Via.SYSTEM, note=note
        )


def dispute_message(dispute: Dispute, *, event: str) -> tuple[str, str]:
    """The subject and body of the e-mail about ``event``, in the active language."""
    contact = dispute.contact
    subjects = {
        "opened": _("New dispute %(id)s about contact %(contact)s"),
        "commented": _("New comment on dispute %(id)s"),
        "accepted": _("Dispute %(id)s accepted"),
        "dismissed": _("Dispute %(id)s dismissed"),
    }
    subject = subjects[event] % {"id": dispute.pk, "contact": contact.external_id}
    lines = [
        _("%(kind)s %(id)s: %(status)s.")
        % {"kind": dispute.get_kind_display(), "id": dispute.pk, "status": dispute.get_status_display()},
        _("Contact %(contact)s at %(provider)s, %(started_at)s (period %(period)s).")
        % {
            "contact": contact.external_id,
            "provider": contact.provider.name,
            "started_at": formats.localize(timezone.localtime(contact.started_at)),
            "period": f"{timezone.localtime(contact.started_at):%Y-%m}",
        },
    ]
    if dispute.invoice_line_id:
        line = dispute.invoice_line
        lines.append(
            _("Invoiced amount: %(amount)s (invoice %(invoice)s).")
            % {"amount": format_sek(line.amount), "invoice": line.invoice.number or line.invoice_id}
        )
    elif contact.rate is not None:
        lines.append(
            _("Rate %(rate)s, patient fee %(fee)s.")
            % {"rate": format_sek(contact.rate), "fee": format_sek(contact.patient_fee)}
        )
    if dispute.status == DisputeStatus.OPEN:
        lines.append(_("Respond by %(deadline)s.") % {"deadline": formats.localize(dispute.deadline)})
    # Each line one line, the subject one header: a contact id or a provider name stored before intake refused
    # control and invisible formatting characters shows them as U+FFFD (kernel/text.py); a line break in the
    # subject would make Django refuse the whole mail.
    return neutralise(subject), "\n".join(neutralise(line) for line in lines)


def deadline_digest(*, today: dt.date | None = None, once: str | None = None) -> int:
    """Mail each billing region's staff the open cases due within a few days or overdue; returns mails sent.

    ``once`` is an idempotency key (the task's id, the same when a lost worker's task is handed out again): a
    region's digest is sent at most once per key.
    """
    today = today or stockholm_today()
    due = (
        Dispute.objects.filter(status=DisputeStatus.OPEN, deadline__lte=today + dt.timedelta(days=NEAR_DEADLINE_DAYS))
        .select_related("contact")
        .order_by("deadline", "pk")
    )
    by_region: dict[str, list[Dispute]] = {}
    for dispute in due:
        by_region.setdefault(dispute.contact.billing_region_id, []).append(dispute)
    messages, claimed = [], []
    with translation.override(settings.LANGUAGE_CODE):
        for region, cases in sorted(by_region.items()):
            recipients = sorted({user.email for user in _region_staff(region)})
            if not recipients:
                continue
            if once is not None:
                # Claimed before sending: a worker killed in between loses that digest rather than repeat it.
                key = f"dispute-digest:{once}:{region}"
                if not cache.add(key, True, timeout=DIGEST_CLAIM_SECONDS):
                    continue
                claimed.append(key)
            overdue = sum(1 for case in cases if case.deadline < today)
            subject = ngettext(
                "%(count)d dispute due (%(overdue)s)", "%(count)d disputes due (%(overdue)s)", len(cases)
            ) % {
                "count": len(cases),
                "overdue": ngettext("%(count)d overdue", "%(count)d overdue", overdue) % {"count": overdue},
            }
            lines = [
                _("%(id)s: %(kind)s, contact %(contact)s, deadline %(deadline)s%(late)s")
                % {
                    "id": case.pk,
                    "kind": case.get_kind_display(),
                    "contact": case.contact.external_id,
                    "deadline": formats.localize(case.deadline),
                    "late": _(" (overdue)") if case.deadline < today else "",
                }
                for case in cases
            ]
            body = "\n".join(neutralise(line) for line in lines)
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, recipients))
    if not messages:
        return 0
    try:
        return send_mass_mail(messages, fail_silently=False)
    except Exception:
        cache.delete_many(claimed)  # nothing went out: a retry sends the digests
        raise


def notify_bulk(disputes: list[Dispute], *, event: str, actor) -> None:
    """Queue, after commit, the e-mail of a bulk step on objections: the buyer's bulk objection from its review
    (``opened``, to the billing region's staff, who decide) or the seller's bulk decision (``accepted``,
    ``dismissed``, to the buyer region's staff). One mail per receiving region listing its cases, a line per case as
    the single step's mail names it (the case, the contact, the provider, the amount and the invoice), rather than a
    mail per case: 10 000 objections at once are one mail, not 10 000. ``disputes`` come with their contact's
    provider and their line's invoice."""
    receiving = "billing_region_id" if event == "opened" else "home_region_id"
    by_region: dict[str, list[Dispute]] = {}
    for dispute in disputes:
        by_region.setdefault(getattr(dispute.contact, receiving), []).append(dispute)
    messages, cases = [], []
    with translation.override(settings.LANGUAGE_CODE):
        for region, listed in sorted(by_region.items()):
            recipients = sorted({user.email for user in _region_staff(region).distinct() if user.pk != actor.pk})
            if not recipients:
                continue
            count = len(listed)
            subject = {
                "opened": ngettext("%(count)d objection opened", "%(count)d objections opened", count),
                DisputeStatus.ACCEPTED: ngettext(
                    "%(count)d objection accepted", "%(count)d objections accepted", count
                ),
                DisputeStatus.DISMISSED: ngettext(
                    "%(count)d objection dismissed", "%(count)d objections dismissed", count
                ),
            }[event] % {"count": count}
            lines = [
                _("%(id)s: contact %(contact)s at %(provider)s, %(amount)s (invoice %(invoice)s)")
                % {
                    "id": dispute.pk,
                    "contact": dispute.contact.external_id,
                    "provider": dispute.contact.provider.name,
                    "amount": format_sek(dispute.invoice_line.amount),
                    "invoice": dispute.invoice_line.invoice.number or dispute.invoice_line.invoice_id,
                }
                for dispute in listed
            ]
            if event == "opened":
                first_due = min(dispute.deadline for dispute in listed)
                lines.insert(0, _("Respond by %(deadline)s.") % {"deadline": formats.localize(first_due)})
            body = "\n".join(neutralise(line) for line in lines)
            messages.append((neutralise(subject), body, settings.DEFAULT_FROM_EMAIL, recipients))
            cases.append([dispute.pk for dispute in listed])
    for message, ids in zip(messages, cases, strict=True):
        transaction.on_commit(lambda message=message, ids=ids: _deliver_bulk(message, dispute_ids=ids, event=event))


def _deliver_bulk(message: tuple, *, dispute_ids: list[int], event: str) -> None:
    """Send a bulk step's mail after commit; a failure is logged and recorded in each of its cases' history, as for
    a single case's mail (``_deliver``)."""
    try:
        send_mass_mail([message], fail_silently=False)
    except Exception as error:  # any backend's failure: SMTP, a socket, a misconfiguration
        logger.exception(
            "Mail about %d disputes (%s) to %d recipients failed", len(dispute_ids), event, len(message[3])
        )
        with translation.override(settings.LANGUAGE_CODE):
            note = _("The e-mail about this step (%(event)s) to %(count)d recipients could not be sent: %(error)s.") % {
                "event": event,
                "count": len(message[3]),
                "error": type(error).__name__,
            }
        at = timezone.now()
        DisputeEvent.objects.bulk_create(
            [DisputeEvent(dispute_id=pk, at=at, action="mail_failed", via=Via.SYSTEM, note=note) for pk in dispute_ids],
            batch_size=2_000,
        )
