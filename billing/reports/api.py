"""The report tables through the API (``/api/v1/reports/<table>/``) for the regions' own BI tools.

The same figures as the dashboard: the same filters (query parameters), the same tables, the same scope.
Each table has its own response schema, generated from its columns.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.reports import figures
from billing.reports.forms import ReportFilterForm, WhatIfForm
from billing.reports.refresh import last_refresh
from billing.reports.views import report_scope

KIND_FIELDS = {
    "text": lambda: serializers.CharField(required=False, allow_null=True),
    "int": lambda: serializers.IntegerField(required=False, allow_null=True),
    "money": lambda: serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True),
    "percent": lambda: serializers.DecimalField(max_digits=9, decimal_places=1, required=False, allow_null=True),
    "decimal": lambda: serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True),
}

FILTER_PARAMETERS = [
    OpenApiParameter("period_from", OpenApiTypes.STR, description="First month, YYYY-MM (default: 11 months ago)."),
    OpenApiParameter("period_to", OpenApiTypes.STR, description="Last month, YYYY-MM (default: this month)."),
    OpenApiParameter(
        "region",
        OpenApiTypes.STR,
        description="Län code. Region staff: their own region (the default). National admins: any; none is the "
        "whole country.",
    ),
    OpenApiParameter(
        "perspective",
        OpenApiTypes.STR,
        enum=[figures.Perspective.BUYER, figures.Perspective.SELLER],
        description="buyer: the region's residents' contacts (default); seller: its providers' contacts.",
    ),
    OpenApiParameter("provider", {"type": "integer", "minimum": 1}, description="Care provider id."),
    OpenApiParameter("profession", OpenApiTypes.STR, description="Kv yrkeskod code, e.g. LK."),
]


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=list(KIND_FIELDS))


class FiltersSerializer(serializers.Serializer):
    period_from = serializers.CharField()
    period_to = serializers.CharField()
    region = serializers.CharField(allow_null=True)
    perspective = serializers.CharField()
    provider = serializers.IntegerField(allow_null=True)
    profession = serializers.CharField(allow_null=True)


def _row_serializer(key: str) -> type[serializers.Serializer]:
    fields = {column.key: KIND_FIELDS[column.kind]() for column in figures.COLUMNS[key]}
    name = "".join(part.title() for part in key.split("-"))
    return type(f"{name}Row", (serializers.Serializer,), fields)


def _envelope(key: str) -> type[serializers.Serializer]:
    row = _row_serializer(key)
    name = "".join(part.title() for part in key.split("-"))
    return type(
        f"{name}Report",
        (serializers.Serializer,),
        {
            "report": serializers.CharField(),
            "title": serializers.CharField(),
            "filters": FiltersSerializer(),
            "refreshed_at": serializers.DateTimeField(allow_null=True, help_text="When the figures were computed."),
            "columns": ColumnSerializer(many=True),
            "rows": row(many=True),
            "total": row(allow_null=True),
            "notes": serializers.ListField(child=serializers.CharField()),
        },
    )


ERROR = inline_serializer("ReportError", {"detail": serializers.CharField()})


class ReportView(APIView):
    # One report table; subclasses name it (``key``). A comment: drf-spectacular would publish a docstring.

    key = ""
    national = False

    def filters(self, request) -> figures.ReportFilters:
        try:
            scope = report_scope(request.user)
        except DjangoPermissionDenied as denied:
            raise PermissionDenied(str(denied)) from None
        if self.national and not scope.national:
            raise PermissionDenied(_("The national view is for national administrators."))
        form = ReportFilterForm(request.query_params, user=request.user, scope=scope)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        return form.filters()

    def table(self, request, filters: figures.ReportFilters) -> figures.Table:
        reports = figures.NATIONAL if self.national else figures.DASHBOARD
        return reports[self.key](request.user, filters)

    def get(self, request):
        filters = self.filters(request)
        table = self.table(request, filters)
        refreshed = last_refresh()
        payload = {
            "report": table.key,
            "title": str(table.title),
            "filters": {
                "period_from": f"{filters.first_month:%Y-%m}",
                "period_to": f"{filters.last_month:%Y-%m}",
                "region": filters.region,
                "perspective": filters.perspective,
                "provider": filters.provider,
                "profession": filters.profession,
            },
            "refreshed_at": refreshed.refreshed_at if refreshed else None,
            "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns],
            "rows": table.rows,
            "total": table.total,
            "notes": [str(note) for note in table.notes],
        }
        return Response(_envelope_serializer(table.key)(payload).data)


def form_errors(form) -> dict[str, list[str]]:
    """A form's errors as the API reports them: messages by parameter, ``non_field_errors`` for the rest."""
    return {("non_field_errors" if name == "__all__" else name): list(errors) for name, errors in form.errors.items()}


_ENVELOPES: dict[str, type[serializers.Serializer]] = {}


def _envelope_serializer(key: str):
    if key not in _ENVELOPES:
        _ENVELOPES[key] = _envelope(key)
    return _ENVELOPES[key]


class WhatIfView(ReportView):
    key = "what-if"

    def table(self, request, filters):
        form = WhatIfForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        return figures.what_if(request.user, filters, form.cleaned_data["recommendation"])


def _described(view: type[ReportView], key: str, description: str, extra_parameters=()) -> type[ReportView]:
    def get(self, request):
        return view.get(self, request)

    decorated = extend_schema(
        operation_id=f"reports_{key.replace('-', '_')}",
        tags=["reports"],
        summary=str(description),
        parameters=[*FILTER_PARAMETERS, *extra_parameters],
        responses={
            200: _envelope_serializer(key),
            400: OpenApiResponse(description="Invalid filters, by parameter."),
            403: ERROR,
        },
    )(get)
    name = "".join(part.title() for part in key.split("-"))
    return type(f"{name}ReportView", (view,), {"key": key, "get": decorated})


DESCRIPTIONS = {
    "monthly": "Billable contacts, cost, rejected contacts and rejection rate per month.",
    "years": "Contacts and cost per calendar year with the change from the year before.",
    "categories": "Contacts and cost by rate category, with shares.",
    "professions": "Contacts and cost by profession, with shares.",
    "age-groups": "Contacts and cost by age group (0-6 … 85+) and sex.",
    "sex": "Contacts and cost by sex.",
    "per-inhabitant": "Contacts per 1 000 inhabitants and cost per inhabitant, by year and home region.",
    "providers": "Contacts and cost by care provider.",
    "listing-units": "Contacts and cost by the patients' listing unit (where the contact names one).",
    "rejections": "Rejected contacts by reason, as shares of reported and of rejected contacts.",
}

urlpatterns = [
    path(f"{key}/", _described(ReportView, key, text).as_view(), name=f"report-{key}")
    for key, text in DESCRIPTIONS.items()
]
urlpatterns += [
    path(
        "what-if/",
        _described(
            WhatIfView,
            "what-if",
            "The billable contacts priced under another recommendation version, beside the actual cost.",
            [OpenApiParameter("recommendation", OpenApiTypes.STR, description="Version code (default: the latest).")],
        ).as_view(),
        name="report-what-if",
    ),
]
for key, text in {
    "national-regions": "Every region's receipts and payments on approved invoices (national admins).",
    "national-pairs": "The net between each pair of regions (national admins).",
}.items():
    view = _described(ReportView, key, text)
    view.national = True
    urlpatterns.append(path(f"{key}/", view.as_view(), name=f"report-{key}"))
