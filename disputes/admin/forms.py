"""The case page's forms: opening a case, a comment with its evidence file, and the decision."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from billing.models import CreditReason
from disputes.models import DisputeStatus
from kernel.forms import CheckedInputForm, NoteField


class OpenDisputeForm(CheckedInputForm, forms.Form):
    reason = NoteField(label=capfirst(_("reason")), widget=forms.Textarea(attrs={"rows": 4}))


class CommentForm(CheckedInputForm, forms.Form):
    text = NoteField(label=capfirst(_("comment")), widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(label=capfirst(_("attachment")), required=False)


class DecideForm(CheckedInputForm, forms.Form):
    outcome = forms.ChoiceField(
        label=capfirst(_("decision")),
        # No default: a decision is made, never preselected.
        choices=[("", "---------"), (DisputeStatus.ACCEPTED, _("Accept")), (DisputeStatus.DISMISSED, _("Dismiss"))],
    )
    note = NoteField(label=capfirst(_("note")), widget=forms.Textarea(attrs={"rows": 3}))
    credit_reason = forms.TypedChoiceField(
        label=capfirst(_("credit reason")),
        choices=[("", "–"), *CreditReason.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )


PROPOSED = ""  # the bulk decision's credit reason left to each case's proposed one


class BulkDecideForm(CheckedInputForm, forms.Form):
    """The seller's bulk decision of the selected objections (the confirmation page of the list's actions): why, and
    when accepting the credit reason (each case's proposed one unless another is chosen for all)."""

    note = NoteField(label=capfirst(_("note")), widget=forms.Textarea(attrs={"rows": 3}))
    credit_reason = forms.TypedChoiceField(
        label=capfirst(_("credit reason")),
        choices=[(PROPOSED, _("The reason each objection proposes")), *CreditReason.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
