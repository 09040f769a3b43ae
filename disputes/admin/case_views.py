"""The case page's own views (a mixin of ``DisputeAdmin``): opening a case, a comment with its evidence, the
assignment, the decision and the download of an evidence file."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext

from contacts.models import Contact
from disputes.admin.forms import CommentForm, DecideForm, OpenDisputeForm
from disputes.attachments import attachment_response
from disputes.models import Dispute, DisputeAttachment
from disputes.permissions import can_assign_dispute
from disputes.selectors import dispute_assignable
from disputes.services import (
    assign_refused,
    dispute_assign,
    dispute_attachment_download,
    dispute_comment,
    dispute_open,
    dispute_resolve,
)
from kernel.errors import DomainError
from kernel.history import Via
from regions.selectors import scope_of, visible_to


class CaseViews:
    """The case page's URLs and views; ``DisputeAdmin`` mixes them in before ``ScopedAdmin``."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("open/<int:contact_id>/", view(self.open_view), name="disputes_dispute_open"),
            path("<int:pk>/comment/", view(self.comment_view), name="disputes_dispute_comment"),
            path("<int:pk>/assign/", view(self.assign_view), name="disputes_dispute_assign"),
            path("<int:pk>/decide/", view(self.decide_view), name="disputes_dispute_decide"),
            path(
                "<int:pk>/attachments/<int:attachment_id>/",
                view(self.attachment_view),
                name="disputes_dispute_attachment",
            ),
            *super().get_urls(),
        ]

    def _dispute(self, request, pk) -> Dispute:
        if request.method != "POST":
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _back(self, pk):
        return HttpResponseRedirect(reverse("admin:disputes_dispute_change", args=[pk]))

    def _run(self, request, action, success: str):
        try:
            action()
        except DomainError as exc:
            errors = getattr(exc, "errors", None)
            self.message_user(
                request, " ".join(m for ms in errors.values() for m in ms) if errors else str(exc), messages.ERROR
            )
            return False
        self.message_user(request, success, messages.SUCCESS)
        return True

    def comment_view(self, request, pk):
        dispute = self._dispute(request, pk)
        form = CommentForm(request.POST, request.FILES)
        if form.is_valid():
            files = [form.cleaned_data["attachment"]] if form.cleaned_data.get("attachment") else []
            self._run(
                request,
                lambda: dispute_comment(
                    dispute=dispute, by=request.user, text=form.cleaned_data["text"], attachments=files, via="admin"
                ),
                gettext("Comment added."),
            )
        else:
            if "text" in form.errors:
                self.message_user(request, gettext("A comment needs text."), messages.ERROR)
            for message in form.errors.get("attachment", []):  # e.g. an empty file, refused by the form itself
                self.message_user(request, message, messages.ERROR)
        return self._back(pk)

    def assign_view(self, request, pk):
        """Assign from the page's list of the billing region's deciders. Anyone else is refused before the chosen
        person is looked at; a person not on the list (or no number at all) gets the one answer for all of them."""
        dispute = self._dispute(request, pk)
        if not can_assign_dispute(request.user, dispute):
            self.message_user(request, str(assign_refused()), messages.ERROR)
            return self._back(pk)
        chosen = request.POST.get("assignee", "")
        number = int(chosen) if chosen.isascii() and chosen.isdigit() and len(chosen) <= 9 else None
        assignee = dispute_assignable(dispute).filter(pk=number).first() if number is not None else None
        self._run(
            request,
            lambda: dispute_assign(dispute=dispute, assignee=assignee, by=request.user, via="admin"),
            gettext("Assigned."),
        )
        return self._back(pk)

    def decide_view(self, request, pk):
        dispute = self._dispute(request, pk)
        form = DecideForm(request.POST)
        if not form.is_valid():
            if "outcome" in form.errors:
                self.message_user(request, gettext("Choose a decision: accept or dismiss."), messages.ERROR)
            if "note" in form.errors:
                self.message_user(request, gettext("A note saying why is required."), messages.ERROR)
            return self._back(pk)
        self._run(
            request,
            lambda: dispute_resolve(
                dispute=dispute,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                credit_reason=form.cleaned_data["credit_reason"],
                via="admin",
            ),
            gettext("Decision recorded."),
        )
        return self._back(pk)

    def attachment_view(self, request, pk, attachment_id):
        """Download an evidence file: the case found through the scoping selector (404 outside it, as the case
        page), the download recorded in the case's history, the file served as a download, never inline."""
        dispute = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            attachment = dispute_attachment_download(
                dispute=dispute, attachment_id=attachment_id, by=request.user, via=Via.ADMIN
            )
        except DisputeAttachment.DoesNotExist:
            raise Http404 from None
        return attachment_response(attachment)

    def open_view(self, request, contact_id):
        """Open a case on a contact: a buyer's objection from an invoice line, or a contested rejection."""
        contact = get_object_or_404(visible_to(request.user, Contact.objects.all()), pk=contact_id)
        if scope_of(request.user).role is None:
            raise PermissionDenied
        form = OpenDisputeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            result = {}

            def open_case():
                result["dispute"] = dispute_open(
                    contact=contact, by=request.user, reason=form.cleaned_data["reason"], via="admin"
                )

            if self._run(request, open_case, gettext("Dispute opened.")):
                return self._back(result["dispute"].pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "contact": contact,
            "title": gettext("Open a dispute"),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/disputes/dispute/open.html", context)
