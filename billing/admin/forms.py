"""The seller's correction of approved lines: a reason, why, and whether the contacts are invoiced again."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from billing.models import (
    CreditReason,
)
from kernel.forms import CheckedInputForm, NoteField
from regions.models import Profession, Region


class CreditForm(CheckedInputForm, forms.Form):
    """The seller's own correction of approved lines: a reason (no default: it is a decision), why, and whether the
    contacts are invoiced again once the credit note is approved, with the corrected values to apply."""

    credit_reason = forms.TypedChoiceField(
        label=capfirst(_("credit reason")), choices=[("", "---------"), *CreditReason.choices], coerce=int
    )
    note = NoteField(label=capfirst(_("why")), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    rebill = forms.BooleanField(
        label=_("Invoice the contacts again once the credit note is approved"),
        required=False,
        help_text=_("For a wrong home region, price or product, or partial invoicing: the values below are applied."),
    )
    home_region = forms.ModelChoiceField(
        label=capfirst(_("correct home region")), queryset=Region.objects.order_by("code"), required=False
    )
    profession = forms.ModelChoiceField(
        label=capfirst(_("correct profession")), queryset=Profession.objects.order_by("code"), required=False
    )
    patient_fee = forms.DecimalField(
        label=capfirst(_("correct patient fee")), min_value=0, max_digits=7, decimal_places=2, required=False
    )

    def correction(self) -> dict:
        data = self.cleaned_data
        correction = {}
        if data.get("home_region"):
            correction["home_region"] = data["home_region"].code
        if data.get("profession"):
            correction["profession"] = data["profession"].code
        if data.get("patient_fee") is not None:
            correction["patient_fee"] = f"{data['patient_fee']:.2f}"
        return correction
