"""The registers' API: loading a register file (``POST /api/v1/registers/population/`` and ``/listing/``, a CSV or
XLSX body or a multipart ``file``), reading entries (full identity numbers, each page recorded in the identity-read
log) and the history of loads. Only the buyer region's own staff; anything of another region is a 404."""

import datetime as dt

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from billing.models import InvoiceLine
from billing.permissions import sees_full_identity_on_invoice
from contacts.audit.models import ReadVia
from contacts.audit.services import identity_shown, register_entries_shown
from contacts.identifiers import mask_personal_identity
from kernel.api.parsers import RequestTooLarge
from kernel.history import Via
from kernel.xlsx import XLSX_CONTENT_TYPE
from review.flags import FLAGS
from review.loading import RegisterLoadError, register_load
from review.models import ListingEntry, LoadMode, LoadVia, PopulationEntry, RegisterKind, RegisterLoad
from review.permissions import register_region
from review.selectors import invoice_review, listing_for, population_for, register_loads_for, reviewable_invoices
from review.services import MAX_BULK_OBJECTIONS, objections_open_bulk


class CsvParser(BaseParser):
    """A CSV file as the body, kept as bytes (the register loader detects its encoding; an XLSX workbook sent
    with this type is still read as one, by its first bytes)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.REGISTER_MAX_UPLOAD_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(_("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)})
        return {"file": body}


class XlsxParser(CsvParser):
    """An XLSX workbook as the body, kept as bytes (the register loader reads it as a workbook)."""

    media_type = XLSX_CONTENT_TYPE


class RegisterLoadSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id")
    loaded_by = serializers.CharField(source="loaded_by.username")

    class Meta:
        model = RegisterLoad
        fields = [
            "id",
            "region",
            "kind",
            "mode",
            "via",
            "file_name",
            "loaded_by",
            "loaded_at",
            "period_from",
            "period_to",
            "rows",
            "inserted",
            "updated",
            "deleted",
            "refused",
            "errors",
            "seconds",
        ]


class PopulationEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PopulationEntry
        fields = ["id", "personal_identity", "lan_code", "municipality_code", "valid_from", "valid_to"]


class ListingEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = ListingEntry
        fields = ["id", "personal_identity", "unit_hsa_id", "unit_org_number", "valid_from", "valid_to"]


class LoadOptionsSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=LoadMode.choices, default=LoadMode.UPSERT)
    period_from = serializers.DateField(required=False)
    period_to = serializers.DateField(required=False)


def _uploaded_file(request) -> tuple[bytes, str]:
    upload = request.data.get("file")
    if isinstance(upload, bytes):
        return upload, ""
    if upload is None or not hasattr(upload, "read"):
        raise ValidationError(
            {
                "file": [
                    _(
                        "Send the CSV or XLSX file as the body (text/csv or the XLSX media type) or as the multipart "
                        "field file."
                    )
                ]
            }
        )
    if upload.size > settings.REGISTER_MAX_UPLOAD_BYTES:
        raise RequestTooLarge(
            _("The file is larger than %(limit)d MB.") % {"limit": settings.REGISTER_MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    return upload.read(), upload.name or ""


class RegisterViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """One register of the user's region: list its entries, load a file into it."""

    kind: str = ""
    parser_classes = [CsvParser, XlsxParser, MultiPartParser]
    ordering = ("personal_identity", "valid_from", "id")

    def get_queryset(self):
        selector = population_for if self.kind == RegisterKind.POPULATION else listing_for
        queryset = selector(self.request.user)
        identity = self.request.query_params.get("personal_identity", "").replace("-", "").strip()
        if identity:
            queryset = queryset.filter(personal_identity=identity)
        return queryset

    def get_serializer_class(self):
        return PopulationEntrySerializer if self.kind == RegisterKind.POPULATION else ListingEntrySerializer

    @extend_schema(
        summary="List the entries of the region's register",
        parameters=[OpenApiParameter("personal_identity", str, description="12 digits; the entries of one person.")],
    )
    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        region = register_region(request.user)
        shown = len(response.data.get("results", [])) if isinstance(response.data, dict) else len(response.data)
        if region:
            register_entries_shown(request, register=f"{self.kind}:{region}", count=shown, via=ReadVia.API_REGISTER)
        return response

    @extend_schema(
        summary="Load a register file",
        request={
            "text/csv": bytes,
            XLSX_CONTENT_TYPE: bytes,
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
        },
        parameters=[
            OpenApiParameter("mode", str, description="upsert (default) or replace_period."),
            OpenApiParameter("period_from", dt.date, description="replace_period: the period's first day."),
            OpenApiParameter("period_to", dt.date, description="replace_period: the period's last day."),
        ],
        responses={
            201: RegisterLoadSerializer,
            400: OpenApiResponse(
                description="The load's options refused (messages by field), or the file as a whole: its messages "
                "under `file` and the load that recorded the refusal under `load`."
            ),
            403: OpenApiResponse(description="Not a buyer region's staff."),
        },
    )
    def create(self, request, *args, **kwargs):
        region = register_region(request.user)
        if region is None:
            raise PermissionDenied(_("Only a region's own staff load its registers."))
        data, file_name = _uploaded_file(request)
        source = request.query_params.copy()
        if hasattr(request.data, "getlist"):
            for name in ("mode", "period_from", "period_to"):
                if name in request.data:
                    source[name] = request.data[name]
        options = LoadOptionsSerializer(
            data={k: source[k] for k in ("mode", "period_from", "period_to") if k in source}
        )
        options.is_valid(raise_exception=True)
        try:
            load = register_load(
                region_code=region,
                kind=self.kind,
                data=data,
                user=request.user,
                via=LoadVia.API,
                file_name=file_name,
                **options.validated_data,
            )
        except RegisterLoadError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        body = RegisterLoadSerializer(load).data
        refused = [message for error in load.errors if error["line"] == 0 for message in _messages(error["errors"])]
        if refused:
            # The API's error shape (field → messages), with the load that recorded the refusal beside it.
            return Response({"file": refused, "load": body}, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED)


def _messages(errors) -> list[str]:
    """A load error's messages as plain texts, whatever their nesting (a list, or messages by field)."""
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in _messages(value)]
    return [message for value in errors for message in _messages(value)]


class PopulationViewSet(RegisterViewSet):
    kind = RegisterKind.POPULATION


class ListingViewSet(RegisterViewSet):
    kind = RegisterKind.LISTING


@extend_schema_view(
    list=extend_schema(summary="List the loads of the region's registers"),
    retrieve=extend_schema(summary="Retrieve a register load"),
)
class RegisterLoadViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RegisterLoadSerializer
    ordering = ("-loaded_at", "-id")

    def get_queryset(self):
        return register_loads_for(self.request.user)


# ---------------------------------------------------------------------------------------------------
# The review of a received invoice and the bulk objection
# ---------------------------------------------------------------------------------------------------


class FlagTotalSerializer(serializers.Serializer):
    flag = serializers.CharField()
    credit_reason = serializers.IntegerField()
    lines = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class LineFlagSerializer(serializers.Serializer):
    flag = serializers.CharField()
    credit_reason = serializers.IntegerField()
    explanation = serializers.CharField()


class ReviewLineSerializer(serializers.ModelSerializer):
    """A flagged line with its flags; the full identity number for those who see it on the invoice (recorded)."""

    date = serializers.SerializerMethodField()
    patient_id = serializers.SerializerMethodField()
    expected_rate = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    flags = serializers.SerializerMethodField()

    class Meta:
        model = InvoiceLine
        fields = ["id", "contact", "external_id", "date", "patient_id", "rate", "expected_rate", "amount", "flags"]

    def get_date(self, obj) -> dt.date:
        return obj.care_day

    def get_patient_id(self, obj) -> str:
        request = self.context["request"]
        if self.context["full_identity"]:
            identity_shown(request, contact_id=obj.contact_id, via=ReadVia.API_INVOICE_LINES)
            return obj.patient_id
        return mask_personal_identity(obj.patient_id)

    @extend_schema_field(LineFlagSerializer(many=True))
    def get_flags(self, obj):
        return LineFlagSerializer(self.context["review"].flags_of(obj), many=True).data


class InvoiceReviewView(generics.GenericAPIView):
    """``GET /invoices/{id}/review/``: the totals per flag and the flagged lines (cursor pages, ``?flag=`` one flag).
    Only the buyer region's staff; anything else is a 404."""

    serializer_class = ReviewLineSerializer
    ordering = "pk"

    @extend_schema(
        summary="The review of a received invoice: totals per flag and the flagged lines",
        parameters=[OpenApiParameter("flag", str, enum=list(FLAGS), required=False)],
    )
    def get(self, request, pk: int):
        review = invoice_review(get_object_or_404(reviewable_invoices(request.user), pk=pk))
        flag = request.query_params.get("flag") or None
        if flag is not None and flag not in FLAGS:
            raise ValidationError({"flag": [_("Not a flag of the review.")]})
        page = self.paginate_queryset(review.flagged_lines(flag))
        context = {
            **self.get_serializer_context(),
            "review": review,
            "full_identity": sees_full_identity_on_invoice(request.user, review.invoice),
        }
        response = self.get_paginated_response(ReviewLineSerializer(page, many=True, context=context).data)
        response.data["totals"] = FlagTotalSerializer(review.totals(), many=True).data
        return response


class ObjectionsSerializer(serializers.Serializer):
    line_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=MAX_BULK_OBJECTIONS
    )


class InvoiceObjectionsView(generics.GenericAPIView):
    """``POST /invoices/{id}/objections/`` ``{"line_ids": [...]}``: an objection to each flagged line, all in one
    transaction; lines already objected to or credited are skipped and listed. Only the buyer region's staff see
    the invoice (404 otherwise); its clerks and managers object (403 for the rest)."""

    serializer_class = ObjectionsSerializer
    pagination_class = None

    @extend_schema(
        summary="Object to flagged lines of a received invoice, in one transaction",
        responses={
            201: inline_serializer(
                "BulkObjections",
                {
                    "opened": serializers.ListField(
                        child=inline_serializer(
                            "OpenedObjection",
                            {"line_id": serializers.IntegerField(), "dispute_id": serializers.IntegerField()},
                        )
                    ),
                    "skipped": serializers.ListField(
                        child=inline_serializer(
                            "SkippedLine", {"line_id": serializers.IntegerField(), "reason": serializers.CharField()}
                        )
                    ),
                },
            ),
            400: OpenApiResponse(description="Not a list of at most 10 000 line ids."),
            404: OpenApiResponse(description="No such invoice received by the user's region."),
        },
    )
    def post(self, request, pk: int):
        invoice = get_object_or_404(reviewable_invoices(request.user), pk=pk)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = objections_open_bulk(
            invoice=invoice, line_ids=serializer.validated_data["line_ids"], by=request.user, via=Via.API
        )
        return Response(
            {
                "opened": [{"line_id": d.invoice_line_id, "dispute_id": d.pk} for d in result.opened],
                "skipped": [{"line_id": s.line_id, "reason": s.reason} for s in result.skipped],
            },
            status=status.HTTP_201_CREATED,
        )
