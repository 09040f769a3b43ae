"""Disputes API (API.md, Disputes): open, list, detail with the thread, comment, assign, resolve."""

import django_filters
from django.conf import settings
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from contacts.models import Contact
from disputes.attachments import KINDS, attachment_response
from disputes.bulk import MAX_BULK_DECISIONS, DecisionOutcome, DecisionRefusal, objections_decide_bulk
from disputes.models import Dispute, DisputeAttachment, DisputeKind, DisputeStatus
from disputes.permissions import can_assign_dispute, can_decide_in_bulk
from disputes.selectors import dispute_assignable
from disputes.services import (
    assign_refused,
    dispute_assign,
    dispute_attachment_download,
    dispute_comment,
    dispute_open,
    dispute_resolve,
)
from kernel.api import fields
from kernel.api.parsers import JsonParser, RequestTooLarge
from kernel.api.renderers import PassthroughRenderer
from kernel.api.schema import CONFLICT, DetailSerializer
from kernel.business_time import stockholm_today
from kernel.errors import InvalidInput
from kernel.history import Via
from regions.api_base import ScopedQuerysetMixin
from regions.selectors import visible_to


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The sender's file name, cleaned of invisible and unsafe characters.")
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField(help_text="The type its bytes showed (not the one the sender declared).")
    download = serializers.SerializerMethodField(help_text="Where a party downloads it (each download is recorded).")

    def get_download(self, obj) -> str:
        return reverse(
            "api-v1:dispute-attachment",
            kwargs={"pk": obj.comment.dispute_id, "attachment_id": obj.pk},
            request=self.context.get("request"),
        )


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
            "proposed_credit_reason",
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
    contact = fields.IntegerField()
    reason = fields.NoteField()
    proposed_credit_reason = fields.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=9,
        help_text="An objection's proposed credit reason (1-9): the seller's decision credits with it unless the "
        "seller chooses another. Only for an objection (a contact on an approved invoice).",
    )


class CommentCreateSerializer(serializers.Serializer):
    text = fields.NoteField()
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[DisputeStatus.ACCEPTED, DisputeStatus.DISMISSED])
    note = fields.NoteField()
    credit_reason = fields.IntegerField(required=False, allow_null=True, min_value=1, max_value=9)


class DecideSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=fields.WholeIdField(),
        min_length=1,
        max_length=MAX_BULK_DECISIONS,
        help_text=f"Ids of the objections, each once, at most {MAX_BULK_DECISIONS}; taken in ascending order.",
        error_messages={
            "not_a_list": _("Must be a JSON array of dispute ids."),
            "empty": _("Name at least one case."),
            "min_length": _("Name at least one case."),
            "max_length": _("At most {max_length} cases per request."),
        },
    )
    outcome = serializers.ChoiceField(choices=[DisputeStatus.ACCEPTED, DisputeStatus.DISMISSED])
    note = fields.NoteField()
    credit_reason = fields.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=9,
        help_text="Accepting: the credit reason for every case (1-9); when left out, each case's "
        "proposed_credit_reason (a case without one is refused). Not with a dismissal.",
    )

    def validate_ids(self, ids: list[int]) -> list[int]:
        seen, repeated = set(), []
        for pk in ids:
            if pk in seen and pk not in repeated:
                repeated.append(pk)
            seen.add(pk)
        if repeated:
            raise serializers.ValidationError(
                _("Name each case once; given more than once: %(ids)s.")
                % {"ids": ", ".join(str(pk) for pk in repeated)}
            )
        return ids

    def validate(self, data):
        if data.get("credit_reason") is not None and data["outcome"] == DisputeStatus.DISMISSED:
            raise serializers.ValidationError({"credit_reason": [_("Only an accepted objection has a credit reason.")]})
        return data


class DecisionRefusalSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The status the single resolve answers for it: 400, 403, 404 or 409.")
    code = serializers.ChoiceField(choices=[code.value for code in DecisionRefusal], help_text="Why, for machines.")
    detail = serializers.CharField(help_text="Why, as the single resolve's message says it.")


class DecisionOutcomeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=DisputeStatus.choices, allow_null=True, help_text="The case's status afterwards (null when not found)."
    )
    credit_reason = serializers.IntegerField(allow_null=True, help_text="The reason it was credited with, if accepted.")
    credit_note = serializers.IntegerField(
        allow_null=True, help_text="The draft credit note its line is on, if accepted."
    )
    result = serializers.ChoiceField(choices=["done", "refused"])
    error = DecisionRefusalSerializer(allow_null=True, help_text="Why it was refused; null when done.")


class DecisionResultSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="How many cases were decided.")
    refused = serializers.IntegerField(help_text="How many were refused, each with its reason in results.")
    results = DecisionOutcomeSerializer(many=True, help_text="One per case, in ascending id.")


def _decision_response(outcomes: list[DecisionOutcome]) -> Response:
    results = []
    for outcome in outcomes:
        dispute = outcome.dispute
        results.append(
            {
                "id": outcome.id,
                "status": dispute.status if dispute is not None else None,
                "credit_reason": dispute.credit_reason if outcome.done else None,
                "credit_note": dispute.credit_note_id if outcome.done else None,
                "result": "done" if outcome.done else "refused",
                "error": None
                if outcome.done
                else {"status": outcome.refused.status, "code": outcome.refused.code, "detail": outcome.refused.detail},
            }
        )
    done = sum(1 for outcome in outcomes if outcome.done)
    return Response({"done": done, "refused": len(outcomes) - done, "results": results})


class AssignSerializer(serializers.Serializer):
    assignee = fields.TextField(
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


def declared_length(request) -> int:
    """The body length the request declares (Content-Length); 0 when it declares none or nonsense (Django then
    reads no body at all)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def comment_body_limit() -> int:
    """The longest body a comment request may declare: its files' limit, and a megabyte for the text and the
    multipart framing."""
    return settings.DISPUTE_ATTACHMENT_BYTES_PER_COMMENT + 1024 * 1024


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
        dispute = dispute_open(
            contact=contact,
            by=request.user,
            reason=payload.validated_data["reason"],
            proposed_credit_reason=payload.validated_data.get("proposed_credit_reason"),
        )
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)

    def initial(self, request, *args, **kwargs):
        # A comment's body is refused by its declared length before a byte of it is read (or written to a
        # temporary file): its files may total DISPUTE_ATTACHMENT_BYTES_PER_COMMENT, plus room for the text.
        if self.action == "comments":
            limit = comment_body_limit()
            if declared_length(request) > limit:
                raise RequestTooLarge(
                    _("The request is larger than %(limit)s; a comment's attachments may total at most %(total)s.")
                    % {
                        "limit": filesizeformat(limit),
                        "total": filesizeformat(settings.DISPUTE_ATTACHMENT_BYTES_PER_COMMENT),
                    }
                )
        super().initial(request, *args, **kwargs)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["post"], parser_classes=[JsonParser, MultiPartParser, FormParser])
    def comments(self, request, pk=None):
        """Comment on a case (its parties: the billing region's staff, and the provider in a rejection or the
        buyer's staff in an objection), with evidence files as ``multipart/form-data`` ``attachments``: PDF,
        PNG, JPEG or plain UTF-8 text, judged by their bytes (the declared type and the name are not trusted; the
        name must end as the content is), each at most ``DISPUTE_ATTACHMENT_MAX_BYTES``, at most
        ``DISPUTE_ATTACHMENTS_PER_COMMENT`` files and ``DISPUTE_ATTACHMENT_BYTES_PER_COMMENT`` bytes per comment,
        and ``DISPUTE_ATTACHMENTS_PER_CASE`` files and ``DISPUTE_ATTACHMENT_BYTES_PER_CASE`` bytes per case. A
        file refused refuses the comment (400 on ``attachments``, every problem listed); a body longer than the
        comment's limit is a 413 before it is read."""
        dispute = self.get_object()
        payload = CommentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        files = request.FILES.getlist("attachments") if hasattr(request, "FILES") else []
        comment = dispute_comment(
            dispute=dispute, by=request.user, text=payload.validated_data["text"], attachments=files
        )
        return Response(CommentSerializer(comment, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download an evidence file of a dispute",
        parameters=[OpenApiParameter("attachment_id", int, OpenApiParameter.PATH, description="The file's id.")],
        responses={
            **{(200, kind.content_type.split(";")[0]): OpenApiTypes.BINARY for kind in KINDS},
            404: OpenApiResponse(
                description="No such case in the caller's scope, no such file in the case, or the file is gone."
            ),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]{1,9})",
        url_name="attachment",
        renderer_classes=[PassthroughRenderer],
    )
    def attachment(self, request, pk=None, attachment_id=None):
        """Download an evidence file of a case: for its parties only (who may read the case), as a download
        (``Content-Disposition: attachment``, ``X-Content-Type-Options: nosniff``, a sandboxing Content Security
        Policy, not cached). Each download is recorded in the case's history: who, when, which file, via the API."""
        dispute = self.get_object()
        try:
            attachment = dispute_attachment_download(
                dispute=dispute, attachment_id=int(attachment_id), by=request.user, via=Via.API
            )
        except DisputeAttachment.DoesNotExist:
            raise NotFound() from None
        return attachment_response(attachment)

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

    @extend_schema(
        summary="Accept or dismiss objections in bulk (the seller's decision)",
        description="`POST .../{id}/resolve/` for each objection of `ids`, with one `outcome`, `note` and optional "
        "`credit_reason` (accepting without one credits each case with its `proposed_credit_reason`; a case with "
        "neither is refused). Each case goes through every check of the single resolve: 404 not found or outside "
        "the caller's scope, 403 not a clerk or manager of the billing region or the caller opened it (four eyes), "
        "409 a contested rejection (decided on its own), already decided, or its line credited meanwhile, 400 no "
        "credit reason; one refusal undoes nothing else. The accepted lines of one invoice and credit reason land on "
        "the one draft credit note of that invoice and reason. 400 for a body that is not "
        f'{{"ids": [...], "outcome", "note"}} with 1-{MAX_BULK_DECISIONS} distinct whole-number ids; then nothing '
        "is decided. Only clerks and managers of a region decide (403 for the whole request otherwise).",
        operation_id="disputes_decide_bulk",
        request=DecideSerializer,
        responses={200: DecisionResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="decide", url_name="decide-bulk")
    def decide(self, request):
        if not can_decide_in_bulk(request.user):
            raise PermissionDenied(_("Only the billing region's clerks and managers decide disputes."))
        payload = DecideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        outcomes = objections_decide_bulk(
            dispute_ids=data["ids"],
            by=request.user,
            outcome=data["outcome"],
            note=data["note"],
            credit_reason=data.get("credit_reason"),
            via=Via.BULK,
        )
        return _decision_response(outcomes)

    @extend_schema(
        request=AssignSerializer,
        responses={
            200: DisputeSerializer,
            400: OpenApiResponse(
                description=(
                    "No clerk or manager of the billing region who may decide the case has that user name: one "
                    "answer whether the name is unknown, someone else's or the opener's."
                )
            ),
            403: OpenApiResponse(
                DetailSerializer,
                description="The caller is not a clerk or manager of the billing region (whatever name it gives).",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign the case to a clerk or manager of the billing region other than the one who opened it. Only the
        billing region's clerks and managers assign; anyone else is refused before the name is looked at."""
        dispute = self.get_object()
        if not can_assign_dispute(request.user, dispute):
            raise assign_refused()
        payload = AssignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        assignee = dispute_assignable(dispute).filter(username=payload.validated_data["assignee"]).first()
        return Response(DisputeSerializer(dispute_assign(dispute=dispute, assignee=assignee, by=request.user)).data)
