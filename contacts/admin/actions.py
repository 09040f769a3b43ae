"""The contact list's actions: re-evaluate the selected contacts, and reject them with a note after a confirmation
page (a mixin of ``ContactAdmin``)."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contacts.forms import RejectForm
from contacts.permissions import can_reject
from contacts.services import contact_reject, contacts_reevaluate
from kernel.errors import DomainError
from kernel.history import Via

# At most this many contacts are rejected by one action (each one is its own locked transaction).
MAX_REJECT = 1_000
# At most this many selected contacts are listed on the rejection confirmation page.
MAX_LISTED = 100


class ContactActions:
    """Re-evaluate and reject: each needs ``contacts.change_contact``; who may reject a contact is
    ``contacts.permissions.can_reject``."""

    @admin.action(description=_("Re-evaluate selected contacts"), permissions=["change"])
    def reevaluate(self, request, queryset):
        ids = list(queryset.order_by().values_list("pk", flat=True))
        changed = contacts_reevaluate(contact_ids=ids, by=request.user, via=Via.ADMIN)
        self.message_user(
            request,
            gettext("Re-evaluated %(selected)d contact(s); %(changed)d changed.")
            % {"selected": len(ids), "changed": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reject selected contacts (with a note)"), permissions=["change"])
    def reject(self, request, queryset):
        contacts = list(queryset.order_by("-started_at", "-id")[: MAX_REJECT + 1])
        if len(contacts) > MAX_REJECT:
            self.message_user(
                request,
                gettext("Select at most %(max)d contacts to reject at once.") % {"max": MAX_REJECT},
                messages.ERROR,
            )
            return None
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._reject_all(request, contacts, form.cleaned_data["note"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reject contacts"),
            "opts": self.opts,
            "form": form,
            "contacts": contacts[:MAX_LISTED],
            "not_listed": max(len(contacts) - MAX_LISTED, 0),
            "selected_ids": [contact.pk for contact in contacts],
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/contacts/contact/reject_confirmation.html", context)

    def _reject_all(self, request, contacts, note: str) -> None:
        rejected = 0
        for contact in contacts:
            if not can_reject(request.user, contact):
                self.message_user(
                    request,
                    gettext("%(contact)s: only the billing region's clerks and managers may reject this contact.")
                    % {"contact": self.object_label(contact)},
                    messages.ERROR,
                )
                continue
            try:
                contact_reject(contact=contact, by=request.user, note=note, via=Via.ADMIN)
            except DomainError as exc:
                self.message_user(request, f"{self.object_label(contact)}: {exc}", messages.ERROR)
            else:
                rejected += 1
        if rejected:
            self.message_user(
                request, gettext("Rejected %(count)d contact(s).") % {"count": rejected}, messages.SUCCESS
            )
