"""The registers' API: loading a register file (``POST /api/v1/registers/population/`` and ``/listing/``, a CSV body
or a multipart ``file``), reading entries (full identity numbers, each page recorded in the identity-read log) and
the history of loads. Only the buyer region's own staff; anything of another region is a 404."""

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from contacts.audit.models import ReadVia
from contacts.audit.services import register_entries_shown
from kernel.api.parsers import RequestTooLarge
from review.loading import RegisterLoadError, register_load
from review.models import ListingEntry, LoadMode, LoadVia, PopulationEntry, RegisterKind, RegisterLoad
from review.permissions import register_region
from review.selectors import listing_for, population_for, register_loads_for


class CsvParser(BaseParser):
    """A CSV file as the body, kept as bytes (the register loader detects its encoding)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.REGISTER_MAX_UPLOAD_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(_("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)})
        return {"file": body}


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
        raise ValidationError({"file": [_("Send the CSV file as the body (text/csv) or as the multipart field file.")]})
    if upload.size > settings.REGISTER_MAX_UPLOAD_BYTES:
        raise RequestTooLarge(
            _("The file is larger than %(limit)d MB.") % {"limit": settings.REGISTER_MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    return upload.read(), upload.name or ""


class RegisterViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """One register of the user's region: list its entries, load a file into it."""

    kind: str = ""
    parser_classes = [CsvParser, MultiPartParser]
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
