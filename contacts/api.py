"""Contacts API (API.md, Contacts): create, bulk upsert, list, detail, manual rejection."""

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from contacts.audit.models import ReadVia
from contacts.audit.services import identity_shown
from contacts.filters import ContactFilter
from contacts.identifiers import mask_personal_identity
from contacts.intake import MAX_BULK_ITEMS, contacts_upsert
from contacts.models import Contact, Content, Mode
from contacts.permissions import can_reject, sees_full_identity
from contacts.services import contact_decision, contact_reject
from contacts.validation import ACCEPTED_FIELDS
from kernel.api import fields
from kernel.api.schema import CONFLICT
from kernel.errors import StateConflict
from kernel.history import Via
from regions.api_base import ScopedQuerysetMixin

# --- Serializers -----------------------------------------------------------------------------------


class ContactInputSerializer(serializers.Serializer):
    """The input fields (documentation only: items are validated by the intake path)."""

    external_id = serializers.CharField(
        max_length=64,
        help_text="Unique per provider; the idempotency key. No control or invisible formatting characters (NUL, tab, "
        "line breaks, U+2028, direction marks such as U+202E, zero-width characters); digits 0-9 only.",
    )
    provider = serializers.CharField(required=False, help_text="HSA-id; a provider system may omit it (its own).")
    patient_id = serializers.CharField(help_text="Personnummer or samordningsnummer, 10 or 12 digits, -/+ allowed.")
    home_region = serializers.CharField(max_length=2, help_text="Län code.")
    profession = serializers.CharField(max_length=2, help_text="Kv yrkeskod, e.g. LK, PS, SJ.")
    started_at = serializers.DateTimeField(help_text="ISO 8601 with offset; not in the future.")
    mode = serializers.ChoiceField(choices=Mode.choices)
    strong_authentication = serializers.BooleanField()
    triage = serializers.BooleanField()
    documented = serializers.BooleanField()
    content = serializers.ChoiceField(choices=Content.choices)
    patient_fee = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    listing_unit = serializers.CharField(required=False, allow_blank=True, help_text="HSA-id.")
    care_unit = serializers.CharField(required=False, allow_blank=True, help_text="HSA-id.")
    home_municipality = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4,
        help_text="The patient's home kommun: SCB's 4-digit kommun code, beginning with the home region's län code "
        "(e.g. 2580 for Luleå in 25). Optional.",
    )


class ContactSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="provider.hsa_id")
    patient_id = serializers.SerializerMethodField()
    home_region = serializers.CharField(source="home_region_id")
    profession = serializers.CharField(source="profession_id")
    billing_region = serializers.CharField(source="billing_region_id")
    reasons = serializers.SerializerMethodField()
    recommendation = serializers.SerializerMethodField()
    invoice = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            *ACCEPTED_FIELDS,
            "billing_region",
            "status",
            "reasons",
            "recommendation",
            "rate",
            "amount",
            "invoice",
            "overridden",
        ]

    def get_patient_id(self, obj) -> str:
        request = self.context["request"]
        if not sees_full_identity(request.user, obj):
            return mask_personal_identity(obj.patient_id)
        view = self.context.get("view")
        via = ReadVia.API_LIST if getattr(view, "action", None) == "list" else ReadVia.API_DETAIL
        identity_shown(request, contact_id=obj.pk, via=via)
        return obj.patient_id

    def get_reasons(self, obj) -> list[str]:
        return obj.reason_list

    def get_recommendation(self, obj) -> str | None:
        return obj.recommendation.code if obj.recommendation_id else None

    def get_invoice(self, obj) -> int | None:
        # Invoices come with the billing app; until a contact is on one, this is null.
        return getattr(obj, "invoice_id", None)


class CriterionResultSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    passed = serializers.BooleanField()
    reason = serializers.CharField(help_text="The reason code given when the criterion fails.")


class ContactDetailSerializer(ContactSerializer):
    criteria = serializers.SerializerMethodField()

    class Meta(ContactSerializer.Meta):
        fields = [*ContactSerializer.Meta.fields, "criteria"]

    @extend_schema_field(CriterionResultSerializer(many=True))
    def get_criteria(self, obj) -> list[dict]:
        decision = contact_decision(obj)
        return [{"criterion": r.criterion, "passed": r.passed, "reason": r.reason} for r in decision.criteria]


class RejectSerializer(serializers.Serializer):
    note = fields.NoteField(help_text="Why the contact is rejected.")


BulkResultSerializer = inline_serializer(
    "BulkResult",
    fields={
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "errors": inline_serializer(
            "BulkItemError",
            fields={
                "index": serializers.IntegerField(),
                "external_id": serializers.CharField(allow_null=True),
                "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
            },
            many=True,
        ),
    },
)


# --- Views -----------------------------------------------------------------------------------------


class ContactViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Contact.objects.select_related("provider", "recommendation").annotate(
        # The invoice a contact is billed on (billing builds on contacts, so its model is reached through the
        # reverse relation rather than imported).
        # Its latest billing: a contact credited and invoiced again is on its newest invoice.
        invoice_id=Subquery(
            Contact.invoice_lines.rel.related_model.objects.filter(contact=OuterRef("pk"), credit=False)
            .order_by("-billing_round")
            .values("invoice_id")[:1]
        )
    )
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering = ("-started_at", "-id")
    scope_filters = {"billing_region": "billing_region", "home_region": "home_region"}

    def get_serializer_class(self):
        return ContactDetailSerializer if self.action == "retrieve" else ContactSerializer

    @extend_schema(
        request=ContactInputSerializer, responses={201: ContactSerializer, 200: ContactSerializer, 409: CONFLICT}
    )
    def create(self, request, *args, **kwargs):
        result = contacts_upsert(items=[request.data], user=request.user, channel=Via.API)
        if result.errors:
            errors = result.errors[0].errors
            if "non_field_errors" in errors and result.errors[0].index in result.ids:
                raise StateConflict(" ".join(errors["non_field_errors"]))
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        contact = self.get_queryset().get(pk=result.ids[0])
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(ContactSerializer(contact, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        request=ContactInputSerializer(many=True),
        responses={200: BulkResultSerializer, 400: OpenApiResponse(description="Not a JSON array, or too long.")},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        items = request.data
        if not isinstance(items, list):
            return Response(
                {"non_field_errors": [_("The body must be a JSON array of contacts.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if len(items) > MAX_BULK_ITEMS:
            return Response(
                {
                    "non_field_errors": [
                        _("At most %(max)d contacts per request, got %(count)d.")
                        % {"max": MAX_BULK_ITEMS, "count": len(items)}
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        result = contacts_upsert(items=items, user=request.user, channel=Via.BULK)
        return Response(result.summary())

    @extend_schema(request=RejectSerializer, responses={200: ContactSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        contact = self.get_object()
        if not can_reject(request.user, contact):
            raise PermissionDenied(_("Only a clerk or manager of the billing region may reject a contact."))
        payload = RejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        contact = contact_reject(contact=contact, by=request.user, note=payload.validated_data["note"])
        contact = self.get_queryset().get(pk=contact.pk)
        return Response(ContactSerializer(contact, context=self.get_serializer_context()).data)
