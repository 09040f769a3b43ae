"""The contact list's actions: re-evaluate the selected contacts, reject them with a note after a confirmation
page, and download them as an XLSX workbook (a mixin of ``ContactAdmin``)."""

from typing import NamedTuple

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contacts.admin.labels import reason_labels
from contacts.audit.models import ReadVia
from contacts.audit.services import identity_reads_record
from contacts.forms import RejectForm
from contacts.identifiers import mask_personal_identity
from contacts.models import Status
from contacts.permissions import can_reject, sees_full_identity
from contacts.services import contact_reject, contacts_reevaluate
from kernel import xlsx
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


class _Regions(NamedTuple):
    """A contact's regions, as ``sees_full_identity`` reads them."""

    billing_region_id: str
    home_region_id: str


class ContactExport:
    """The list's selection as an XLSX workbook (``kernel.xlsx``), for whoever may see the list: the selected
    contacts, or every contact of the filtered list with "select all"; the list's scope, since the action gets the
    list's queryset. Identity numbers as on the list: full for the billing and home regions' clerks, managers and
    admins (``contacts.permissions.sees_full_identity``, each full one recorded as read, in one insert), masked
    for everyone else."""

    @admin.action(description=_("Download selected contacts as XLSX"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        statuses = dict(Status.choices)
        shown: dict[int, ReadVia] = {}
        columns = [
            xlsx.XlsxColumn(gettext("started at"), xlsx.DATETIME),
            xlsx.XlsxColumn(gettext("external id")),
            xlsx.XlsxColumn(gettext("care provider (HSA-id)")),
            xlsx.XlsxColumn(gettext("care provider")),
            xlsx.XlsxColumn(gettext("personal identity number")),
            xlsx.XlsxColumn(gettext("billing region")),
            xlsx.XlsxColumn(gettext("home region")),
            xlsx.XlsxColumn(gettext("profession")),
            xlsx.XlsxColumn(gettext("status")),
            xlsx.XlsxColumn(gettext("reasons")),
            xlsx.XlsxColumn(gettext("patient fee"), xlsx.MONEY),
            xlsx.XlsxColumn(gettext("rate"), xlsx.MONEY),
            xlsx.XlsxColumn(gettext("amount"), xlsx.MONEY),
        ]
        values = (
            queryset.order_by("-started_at", "-id")
            .values_list(
                "id",
                "started_at",
                "external_id",
                "provider__hsa_id",
                "provider__name",
                "patient_id",
                "billing_region_id",
                "home_region_id",
                "profession_id",
                "status",
                "reasons",
                "patient_fee",
                "rate",
                "amount",
            )
            .iterator(chunk_size=2_000)
        )

        def rows():
            for (contact_id, started_at, external_id, hsa_id, provider, patient_id, billing, home, profession,
                 status, reasons, fee, rate, amount) in values:  # fmt: skip
                full = sees_full_identity(request.user, _Regions(billing, home))
                if full:
                    shown[contact_id] = ReadVia.XLSX_CONTACT_LIST
                yield [
                    started_at,
                    external_id,
                    hsa_id,
                    provider,
                    patient_id if full else mask_personal_identity(patient_id),
                    billing,
                    home,
                    profession,
                    str(statuses.get(status, status)),
                    ", ".join(reason_labels(reasons.split())),
                    fee,
                    rate,
                    amount,
                ]

        response, _count = xlsx.xlsx_response(
            filename=f"kontakter-{timezone.localtime():%Y-%m-%d-%H%M}.xlsx",
            title=gettext("Contacts"),
            columns=columns,
            rows=rows(),
        )
        if shown:
            identity_reads_record(user=request.user, path=request.path, contacts=shown)
        return response
