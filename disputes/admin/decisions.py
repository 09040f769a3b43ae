"""The seller's side of the objections in the admin (a mixin of ``DisputeAdmin``): the incoming objections grouped
by invoice and proposed credit reason, with counts and kronor, and the list's actions that accept or dismiss the
selected ones (or a whole group) in bulk after a confirmation page naming the count and kronor (``disputes.bulk``)."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Sum
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from billing.display import invoice_label
from billing.models import CreditReason, Invoice
from disputes.admin.filters import NO_PROPOSED_REASON
from disputes.admin.forms import BulkDecideForm
from disputes.bulk import (
    MAX_BULK_DECISIONS,
    objections_decide_bulk,
    objections_decide_preview,
    outcomes_total,
)
from disputes.models import Dispute, DisputeKind, DisputeStatus
from disputes.permissions import can_decide_in_bulk
from kernel.errors import InvalidInput
from kernel.history import Via
from kernel.money import ZERO, format_sek
from regions.selectors import scope_of, visible_to

DECISION_ACTIONS = {DisputeStatus.ACCEPTED: "accept_objections", DisputeStatus.DISMISSED: "dismiss_objections"}
REFUSALS_LISTED = 20  # refused cases named one by one on the page and in the messages; the rest counted


def reason_text(reason: int | None) -> str:
    return f"{reason} {CreditReason(reason).label}" if reason in CreditReason.values else gettext("none proposed")


def group_url(region: str, invoice_id: int, reason: int | None) -> str:
    """The dispute list showing one group: its open objections of the region's invoice with that proposed reason."""
    params = {
        "status__exact": DisputeStatus.OPEN,
        "kind__exact": DisputeKind.OBJECTION,
        "billing_region": region,
        "invoice": str(invoice_id),
        "proposed_reason": NO_PROPOSED_REASON if reason is None else str(reason),
    }
    return f"{reverse('admin:disputes_dispute_changelist')}?{urlencode(params)}"


def objection_groups(user) -> list[dict]:
    """The open objections the user's region decides, by invoice and proposed credit reason: each group's invoice,
    reason, count and kronor (one aggregate query, one for the invoices' names)."""
    region = scope_of(user).region_code
    if not can_decide_in_bulk(user):
        return []
    rows = list(
        visible_to(
            user,
            Dispute.objects.filter(
                status=DisputeStatus.OPEN, kind=DisputeKind.OBJECTION, contact__billing_region_id=region
            ),
        )
        .order_by()
        .values("invoice_line__invoice_id", "proposed_credit_reason")
        .annotate(count=Count("pk"), amount=Sum("invoice_line__amount"), first_id=Min("pk"))
        .order_by("invoice_line__invoice_id", "proposed_credit_reason")
    )
    invoices = Invoice.objects.select_related("buyer").in_bulk({row["invoice_line__invoice_id"] for row in rows})
    return [
        {
            "invoice": invoice_label(invoices[row["invoice_line__invoice_id"]]),
            "buyer": invoices[row["invoice_line__invoice_id"]].buyer.name,
            "reason": reason_text(row["proposed_credit_reason"]),
            "count": row["count"],
            "amount": row["amount"] or ZERO,
            "first_id": row["first_id"],
            "url": group_url(region, row["invoice_line__invoice_id"], row["proposed_credit_reason"]),
        }
        for row in rows
    ]


class DecisionActions:
    """The grouped screen's URL and the list's bulk decision actions; ``DisputeAdmin`` mixes them in."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("objections/", view(self.objection_groups_view), name="disputes_dispute_objections"),
            *super().get_urls(),
        ]

    def has_decide_permission(self, request):
        return can_decide_in_bulk(request.user)

    def objection_groups_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        groups = objection_groups(request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Incoming objections to decide"),
            "groups": groups,
            "total_count": sum(group["count"] for group in groups),
            "total_amount": format_sek(sum((group["amount"] for group in groups), ZERO)),
            "accept_action": DECISION_ACTIONS[DisputeStatus.ACCEPTED],
            "dismiss_action": DECISION_ACTIONS[DisputeStatus.DISMISSED],
            "media": self.media,
        }
        for group in groups:
            group["amount_text"] = format_sek(group["amount"])
        return TemplateResponse(request, "admin/disputes/dispute/objection_groups.html", context)

    @staticmethod
    def _decide_ids(request, queryset) -> list[int]:
        """The selected cases; after the confirmation page only those it named that are still selected."""
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: MAX_BULK_DECISIONS + 1])
        named = request.POST.get("decided_ids")
        if request.POST.get("confirm") == "yes" and named is not None:
            confirmed = {int(pk) for pk in named.split(",") if pk.isascii() and pk.isdigit() and len(pk) <= 18}
            ids = [pk for pk in ids if pk in confirmed]
        return ids

    @admin.action(description=_("Accept selected objections"), permissions=["decide"])
    def accept_objections(self, request, queryset):
        return self._decide(request, queryset, DisputeStatus.ACCEPTED)

    @admin.action(description=_("Dismiss selected objections"), permissions=["decide"])
    def dismiss_objections(self, request, queryset):
        return self._decide(request, queryset, DisputeStatus.DISMISSED)

    def _decide(self, request, queryset, outcome: str):
        """The confirmation page (the count and kronor of what would be decided, by invoice and credit reason, the
        note, the credit reason, and which would be refused and why); on confirming, the decision and its report."""
        ids = self._decide_ids(request, queryset)
        if len(ids) > MAX_BULK_DECISIONS:
            self.message_user(
                request,
                gettext("Select at most %(max)d cases at a time.") % {"max": MAX_BULK_DECISIONS},
                messages.ERROR,
            )
            return None
        if not ids:
            self.message_user(request, gettext("None of the selected cases can be decided by you."), messages.WARNING)
            return None
        confirming = request.POST.get("confirm") == "yes"
        form = BulkDecideForm(request.POST if confirming else None)
        if outcome == DisputeStatus.DISMISSED:
            del form.fields["credit_reason"]
        if confirming and form.is_valid():
            try:
                outcomes = objections_decide_bulk(
                    dispute_ids=ids,
                    by=request.user,
                    outcome=outcome,
                    note=form.cleaned_data["note"],
                    credit_reason=form.cleaned_data.get("credit_reason"),
                    via=Via.ADMIN,
                )
            except InvalidInput as exc:
                for texts in exc.errors.values():
                    for text in texts:
                        self.message_user(request, text, messages.ERROR)
                return None
            self._decision_report(request, outcome, outcomes)
            return None
        raw = request.POST.get("credit_reason", "") if confirming and outcome == DisputeStatus.ACCEPTED else ""
        chosen = int(raw) if raw.isascii() and raw.isdigit() and int(raw) in CreditReason.values else None
        outcomes = objections_decide_preview(dispute_ids=ids, by=request.user, outcome=outcome, credit_reason=chosen)
        done = [o for o in outcomes if o.done]
        refused = [o for o in outcomes if not o.done]
        groups: dict[tuple, dict] = {}
        for o in done:
            invoice = o.dispute.invoice_line.invoice
            group = groups.setdefault(
                (invoice.pk, o.credit_reason),
                {"invoice": invoice_label(invoice), "reason": reason_text(o.credit_reason), "count": 0, "amount": ZERO},
            )
            group["count"] += 1
            group["amount"] += o.amount
        questions = {
            DisputeStatus.ACCEPTED: ngettext(
                "Accept %(count)d objection (%(total)s)? Its line is credited on the draft credit note of its invoice "
                "and credit reason.",
                "Accept %(count)d objections (%(total)s)? Their lines are credited on one draft credit note per "
                "invoice and credit reason.",
                len(done),
            ),
            DisputeStatus.DISMISSED: ngettext(
                "Dismiss %(count)d objection (%(total)s)? Nothing is credited.",
                "Dismiss %(count)d objections (%(total)s)? Nothing is credited.",
                len(done),
            ),
        }
        title = {
            DisputeStatus.ACCEPTED: gettext("Accept selected objections"),
            DisputeStatus.DISMISSED: gettext("Dismiss selected objections"),
        }[outcome]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "action": DECISION_ACTIONS[outcome],
            "question": questions[outcome] % {"count": len(done), "total": format_sek(outcomes_total(done))},
            "groups": [{**group, "amount": format_sek(group["amount"])} for _key, group in sorted(groups.items())],
            "refused": [(o.id, o.refused.detail) for o in refused[:REFUSALS_LISTED]],
            "refused_more": max(len(refused) - REFUSALS_LISTED, 0),
            "refused_heading": ngettext(
                "%(count)d of the selected cases would be refused:",
                "%(count)d of the selected cases would be refused:",
                len(refused),
            )
            % {"count": len(refused)},
            "nothing": gettext("None of the selected cases can be decided by you."),
            "form": form,
            "done": bool(done),
            "confirm_label": title,
            "cancel_url": request.get_full_path(),
            "decided_ids": ",".join(str(o.id) for o in outcomes),
            "first_id": outcomes[0].id,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/disputes/dispute/decide_confirmation.html", context)

    def _decision_report(self, request, outcome: str, outcomes) -> None:
        done = [o for o in outcomes if o.done]
        refused = [o for o in outcomes if not o.done]
        if done:
            if outcome == DisputeStatus.ACCEPTED:
                notes = len({o.dispute.credit_note_id for o in done})
                text = ngettext(
                    "%(count)d objection accepted (%(total)s), credited on %(notes)d draft credit notes.",
                    "%(count)d objections accepted (%(total)s), credited on %(notes)d draft credit notes.",
                    len(done),
                ) % {"count": len(done), "total": format_sek(outcomes_total(done)), "notes": notes}
            else:
                text = ngettext(
                    "%(count)d objection dismissed (%(total)s).",
                    "%(count)d objections dismissed (%(total)s).",
                    len(done),
                ) % {"count": len(done), "total": format_sek(outcomes_total(done))}
            self.message_user(request, text, messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                ngettext("%(count)d case refused:", "%(count)d cases refused:", len(refused)) % {"count": len(refused)},
                messages.WARNING,
            )
        for o in refused[:REFUSALS_LISTED]:
            self.message_user(request, f"{o.id}: {o.refused.detail}", messages.ERROR)
        if len(refused) > REFUSALS_LISTED:
            self.message_user(
                request,
                gettext("… and %(count)d more refused.") % {"count": len(refused) - REFUSALS_LISTED},
                messages.ERROR,
            )
