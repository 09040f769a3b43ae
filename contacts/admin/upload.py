"""The contacts' CSV upload: who may upload, the upload page's addresses and the template file to start from (a
mixin of ``ContactAdmin``). The upload page, the upload batches and their own pages live in ``contacts.uploads``,
which goes through the one intake path."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path

from contacts.csv_columns import upload_template_csv, upload_template_xlsx
from contacts.uploads.admin import checked_refused_csv_view, upload_csv_view
from kernel.xlsx import XLSX_CONTENT_TYPE
from regions.selectors import scope_of


class ContactUpload:
    """Uploading needs ``contacts.add_contact`` and a role."""

    def has_upload_permission(self, request) -> bool:
        return request.user.has_perm("contacts.add_contact") and scope_of(request.user).role is not None

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("upload-csv/", self.admin_site.admin_view(self.upload_csv_view), name=f"{prefix}_upload_csv"),
            path(
                "upload-csv/checked/<str:token>/refused.csv",
                self.admin_site.admin_view(self.upload_csv_checked_refused_view),
                name=f"{prefix}_upload_csv_checked_refused",
            ),
            path(
                "upload-csv/template/",
                self.admin_site.admin_view(self.upload_csv_template_view),
                name=f"{prefix}_upload_csv_template",
            ),
            path(
                "upload-csv/template.xlsx",
                self.admin_site.admin_view(self.upload_xlsx_template_view),
                name=f"{prefix}_upload_xlsx_template",
            ),
            *super().get_urls(),
        ]

    def upload_csv_view(self, request):
        # The upload page, the upload batches and their own pages live in contacts.uploads.
        return upload_csv_view(self, request)

    def upload_csv_checked_refused_view(self, request, token: str):
        return checked_refused_csv_view(self, request, token)

    def upload_csv_template_view(self, request):
        """A CSV file to start from: the header row and one example row, as Swedish Excel opens it (UTF-8 with a
        byte-order mark, semicolons)."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        response = HttpResponse(upload_template_csv(request.user), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="kontakter-mall.csv"'
        return response

    def upload_xlsx_template_view(self, request):
        """The same template as an XLSX workbook (the start time a date cell, the fee a number)."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        response = HttpResponse(upload_template_xlsx(request.user), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="kontakter-mall.xlsx"'
        return response
