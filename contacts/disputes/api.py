"""Disputes API (API.md, Disputes): open, list, detail with the thread, comment, assign, resolve."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from config.api.fields import TextField
from config.api.parsers import JsonParser
from config.api.schema import CONFLICT, DetailSerializer
from config.api.views import ScopedQuerysetMixin
from config.business_time import stockholm_today
from config.errors import InvalidInput
from contacts.disputes.models import Dispute, DisputeKind, DisputeStatus
from contacts.disputes.services import dispute_assign, dispute_comment, dispute_open, dispute_resolve
from contacts.models import Contact
from regions.selectors import visible_to


class AttachmentSerializer(serializers.Serializer):
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.get_username")
    at = serializers.DateTimeField()
    text = serializers.CharField()
    attachments = AttachmentSerializer(many=True)


class DisputeSerializer(serializers.ModelSerializer):
    contact = serializers.IntegerField(source="contact_id")
    invoice = serializers.SerializerMethodField()
    opened_by = serializers.CharField(source="opened_by.get_username")
    assignee = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    credit_note = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "contact",
            "kind",
            "status",
            "reason",
            "invoice_line",
            "invoice",
            "opened_by",
            "opened_at",
            "deadline",
            "overdue",
            "assignee",
            "decided_at",
            "decision_note",
            "credit_reason",
            "credit_note",
        ]

    def get_invoice(self, obj) -> int | None:
        return obj.invoice_line.invoice_id if obj.invoice_line_id else None

    def get_assignee(self, obj) -> str | None:
        return obj.assignee.get_username() if obj.assignee_id else None

    def get_overdue(self, obj) -> bool:
        return obj.status == DisputeStatus.OPEN and obj.deadline < stockholm_today()


class DisputeDetailSerializer(DisputeSerializer):
    comments = CommentSerializer(many=True)

    class Meta(DisputeSerializer.Meta):
        fields = [*DisputeSerializer.Meta.fields, "comments"]


class DisputeCreateSerializer(serializers.Serializer):
    contact = serializers.IntegerField()
    reason = TextField()


class CommentCreateSerializer(serializers.Serializer):
    text = TextField()
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[DisputeStatus.ACCEPTED, DisputeStatus.DISMISSED])
    note = TextField()
    credit_reason = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=9)


class AssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(
        help_text="Username of a clerk or manager of the billing region, not the one who opened the dispute."
    )


class DisputeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DisputeStatus.choices)
    kind = django_filters.ChoiceFilter(choices=DisputeKind.choices)
    region = django_filters.CharFilter(method="filter_region", help_text="Län code: seller or buyer of the contact.")

    class Meta:
        model = Dispute
        fields = []

    def filter_region(self, queryset, name, value):
        return queryset.filter(Q(contact__billing_region_id=value) | Q(contact__home_region_id=value))


class DisputeViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Dispute.objects.select_related("contact", "opened_by", "assignee", "invoice_line")
    serializer_class = DisputeSerializer
    filterset_class = DisputeFilter
    ordering = ("-opened_at", "-id")

    def get_serializer_class(self):
        return DisputeDetailSerializer if self.action == "retrieve" else DisputeSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("comments__author", "comments__attachments")
        return queryset

    @extend_schema(request=DisputeCreateSerializer, responses={201: DisputeSerializer, 409: CONFLICT})
    def create(self, request, *args, **kwargs):
        payload = DisputeCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        contact = visible_to(request.user, Contact.objects.all()).filter(pk=payload.validated_data["contact"]).first()
        if contact is None:
            raise InvalidInput({"contact": [_("Unknown contact.")]})
        dispute = dispute_open(contact=contact, by=request.user, reason=payload.validated_data["reason"])
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["post"], parser_classes=[JsonParser, MultiPartParser, FormParser])
    def comments(self, request, pk=None):
        dispute = self.get_object()
        payload = CommentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        files = request.FILES.getlist("attachments") if hasattr(request, "FILES") else []
        comment = dispute_comment(
            dispute=dispute, by=request.user, text=payload.validated_data["text"], attachments=files
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ResolveSerializer,
        responses={
            200: DisputeSerializer,
            403: OpenApiResponse(
                DetailSerializer,
                description=(
                    "The caller is not a clerk or manager of the billing region, or opened the dispute: the person "
                    "who opens a case never decides it (four eyes), a colleague does."
                ),
            ),
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Accept or dismiss an open dispute: by a clerk or manager of the billing region other than the person who
        opened it. An accepted rejection dispute makes the contact eligible; an accepted objection (with a
        ``credit_reason``, 1-9) adds the line to a draft credit note against the original invoice."""
        dispute = self.get_object()
        payload = ResolveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        dispute = dispute_resolve(
            dispute=dispute,
            by=request.user,
            outcome=payload.validated_data["outcome"],
            note=payload.validated_data["note"],
            credit_reason=payload.validated_data.get("credit_reason"),
        )
        return Response(DisputeSerializer(dispute).data)

    @extend_schema(request=AssignSerializer, responses=DisputeSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        dispute = self.get_object()
        payload = AssignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        assignee = get_user_model().objects.filter(username=payload.validated_data["assignee"]).first()
        if assignee is None:
            raise InvalidInput({"assignee": [_("Unknown user.")]})
        return Response(DisputeSerializer(dispute_assign(dispute=dispute, assignee=assignee, by=request.user)).data)
