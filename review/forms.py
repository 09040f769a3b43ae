from django import forms
from django.utils.translation import gettext_lazy as _

from review.models import LoadMode, RegisterKind


class RegisterUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Register"), choices=RegisterKind.choices)
    mode = forms.ChoiceField(label=_("Mode"), choices=LoadMode.choices, initial=LoadMode.UPSERT)
    period_from = forms.DateField(
        label=_("Period from"), required=False, help_text=_("Replace a period: its first day.")
    )
    period_to = forms.DateField(label=_("Period to"), required=False, help_text=_("Replace a period: its last day."))
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV with a header row, semicolons or commas, UTF-8 or Windows-1252, or an XLSX workbook (the first "
            "sheet, its first row the header). Population extract: "
            "personal_identity, lan_code, municipality_code, valid_from, valid_to. Listing register: "
            "personal_identity, unit_hsa_id, unit_org_number, valid_from, valid_to. Dates "
            "YYYY-MM-DD (or date cells); an empty valid_to means still valid."
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("mode") == LoadMode.REPLACE_PERIOD:
            first, last = data.get("period_from"), data.get("period_to")
            if first is None or last is None:
                raise forms.ValidationError(_("Replacing a period needs its first and last day."))
            if last < first:
                raise forms.ValidationError(_("The period ends before it begins."))
        return data
