from django import forms
from django.utils.translation import gettext_lazy as _

from regions import identifiers
from regions.models import Provider


class ProviderForm(forms.ModelForm):
    """Normalises identifiers the way the API does (upper-case HSA-id, 10-digit organisation number)."""

    org_number = forms.CharField(label=_("organisation number"), max_length=20, help_text="NNNNNN-NNNN")

    class Meta:
        model = Provider
        fields = ["hsa_id", "name", "org_number", "region", "active", "ended_on"]

    def clean_hsa_id(self):
        try:
            return identifiers.normalize_hsa_id(self.cleaned_data["hsa_id"])
        except identifiers.IdentifierError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_org_number(self):
        try:
            return identifiers.normalize_org_number(self.cleaned_data["org_number"])
        except identifiers.IdentifierError as exc:
            raise forms.ValidationError(str(exc)) from None
