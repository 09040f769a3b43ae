"""The invoice page's own views (a mixin of ``InvoiceAdmin``): its PDFs, its workflow buttons and their steps, and
the seller's credit of lines."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext

from billing.admin.forms import CreditForm
from billing.admin.labels import TRANSITION_BUTTONS, TRANSITION_QUESTIONS
from billing.display import invoice_label
from billing.documents import render_invoice_pdf
from billing.models import (
    CORRECTABLE_CREDIT_REASONS,
    Invoice,
    Transition,
)
from billing.permissions import (
    allowed_transitions,
    can_credit,
    can_transition,
)
from billing.previews.models import PreviewDocument
from billing.previews.views import admin_preview_response
from billing.services import TRANSITION_SERVICES, invoice_credit
from contacts.audit.models import ReadVia
from contacts.audit.services import specification_shown
from kernel.errors import DomainError, InvalidInput
from kernel.history import Via
from kernel.money import format_sek


class InvoiceViews:
    """The invoice page's URLs and views; ``InvoiceAdmin`` mixes them in before ``ScopedAdmin``."""

    def get_urls(self):
        custom = [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_invoice_pdf"),
            path(
                "<int:pk>/specification/",
                self.admin_site.admin_view(self.specification_view),
                name="billing_invoice_specification",
            ),
            path(
                "<int:pk>/transition/<str:transition>/",
                self.admin_site.admin_view(self.transition_view),
                name="billing_invoice_transition",
            ),
            path("<int:pk>/credit/", self.admin_site.admin_view(self.credit_view), name="billing_invoice_credit"),
        ]
        return custom + super().get_urls()

    def _invoice(self, request, pk) -> Invoice:
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def pdf_view(self, request, pk):
        invoice = self._invoice(request, pk)
        filename = f"faktura-{invoice.number or invoice.pk}.pdf"
        if not invoice.is_frozen:
            # A draft or submitted invoice is previewed as it stands: rendered once per version in the background, a
            # page saying so (reloading itself) meanwhile.
            context = {**self.admin_site.each_context(request), "opts": self.model._meta, "media": self.media}
            return admin_preview_response(request, invoice, PreviewDocument.INVOICE, filename, context)
        # The stored PDF once approved.
        content = invoice.pdf.open("rb").read() if invoice.pdf else render_invoice_pdf(invoice)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response

    def specification_view(self, request, pk):
        invoice = self._invoice(request, pk)
        if not invoice.specification_pdf:
            raise PermissionDenied
        response = HttpResponse(invoice.specification_pdf.open("rb").read(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="fakturaunderlag-{invoice.number}.pdf"'
        specification_shown(request, invoice=invoice, via=ReadVia.PDF_SPECIFICATION)
        return response

    def allowed_transitions(self, request, invoice: Invoice) -> list[str]:
        """Exactly the transitions this user may take now (``billing.permissions.allowed_transitions``)."""
        return allowed_transitions(request.user, invoice)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice = self.get_object(request, object_id)
        buttons = []
        if invoice is not None:
            buttons = [
                {
                    "url": reverse("admin:billing_invoice_transition", args=[invoice.pk, transition]),
                    "label": TRANSITION_BUTTONS[transition],
                    "transition": transition,
                    "confirm": (
                        TRANSITION_QUESTIONS[transition]
                        % {"invoice": invoice_label(invoice), "total": format_sek(invoice.total)}
                        if transition in TRANSITION_QUESTIONS
                        else ""
                    ),
                    "needs_note": transition == Transition.RETURN,
                }
                for transition in self.allowed_transitions(request, invoice)
            ]
        # Every field is read-only: the page offers the workflow buttons instead of "Save".
        context = {
            **(extra_context or {}),
            "transitions": buttons,
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, context)

    def credit_view(self, request, pk):
        """The seller's own correction of lines of its approved invoice: ``?contact=`` names the contacts (from the
        lines table); the credit note it makes or adds to is then submitted and approved like every invoice."""
        invoice = self._invoice(request, pk)
        if not can_credit(request.user, invoice):
            raise PermissionDenied
        given = request.GET.getlist("contact") + request.POST.getlist("contact")
        ids = [int(value) for value in given if value.isascii() and value.isdigit() and len(value) < 19]
        lines = list(invoice.lines.filter(credit=False, contact_id__in=ids).order_by("id"))
        form = CreditForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                credit_note = invoice_credit(
                    invoice=invoice,
                    contact_ids=[line.contact_id for line in lines],
                    reason=form.cleaned_data["credit_reason"],
                    note=form.cleaned_data["note"],
                    rebill=form.cleaned_data["rebill"],
                    correction=form.correction(),
                    by=request.user,
                    via=Via.ADMIN,
                )
            except InvalidInput as exc:
                for field, texts in exc.errors.items():
                    form.add_error(field if field in form.fields else None, texts)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    gettext("%(count)d contacts credited on %(credit_note)s; submit it for approval.")
                    % {"count": len(lines), "credit_note": invoice_label(credit_note)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[credit_note.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "invoice": invoice,
            "invoice_label": invoice_label(invoice),
            "lines": lines,
            "correctable": sorted(CORRECTABLE_CREDIT_REASONS),
            "title": gettext("Credit contacts of %(invoice)s") % {"invoice": invoice_label(invoice)},
            "media": self.media,
        }
        return TemplateResponse(request, "admin/billing/invoice/credit.html", context)

    def transition_view(self, request, pk, transition):
        if request.method != "POST" or transition not in TRANSITION_SERVICES:
            raise PermissionDenied
        invoice = self._invoice(request, pk)
        if not can_transition(request.user, invoice, transition):
            raise PermissionDenied
        kwargs = {"note": request.POST.get("note", "")} if transition == Transition.RETURN else {}
        try:
            invoice = TRANSITION_SERVICES[transition](invoice=invoice, by=request.user, via=Via.ADMIN, **kwargs)
        except DomainError as exc:
            errors = getattr(exc, "errors", None)
            text = " ".join(m for ms in errors.values() for m in ms) if errors else str(exc)
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("%(action)s of %(invoice)s done.")
                % {"action": Transition(transition).label, "invoice": invoice_label(invoice)},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[pk]))
