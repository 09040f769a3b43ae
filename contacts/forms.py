"""Forms of the contacts admin: the manual rejection note and the CSV upload."""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from contacts.csv_upload import MAX_UPLOAD_BYTES
from kernel.forms import CheckedInputForm, NoteField


class RejectForm(CheckedInputForm, forms.Form):
    """The confirmation step of the admin's "reject" action: why the selected contacts are rejected."""

    note = NoteField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_("Why the contacts are rejected. Saved in each contact's history."),
    )

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError(_("A note saying why is required."))
        return note


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.txt,.tsv,.xlsx,text/csv,text/plain,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        help_text=_(
            "UTF-8 (Excel's CSV UTF-8), Windows-1252 (Swedish Excel's CSV with semicolons) or UTF-16 with a "
            "byte-order mark (Excel's Unicode text), separated by ; , or tab, with a header row of the API's field "
            "names: external_id, provider, patient_id, home_region, profession, started_at, mode, "
            "strong_authentication, triage, documented, content, patient_fee, listing_unit, care_unit. "
            "started_at with an offset (2026-11-20T14:30:00+01:00), or without one as Excel writes it "
            "(2026-11-20 14:30): then it is Swedish time; in the autumn hour that occurs twice the first (summer "
            "time) is meant, and a time in the spring hour that does not exist is refused. "
            "patient_fee in kronor with a decimal comma or point, thousands with no separator or a space: "
            "100,00, 1 234,50 or 100.00. strong_authentication, triage and documented: true/false, sant/falskt, "
            "ja/nej, yes/no or 1/0."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_UPLOAD_BYTES)}
            )
        return upload
