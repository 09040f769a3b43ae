"""Reference data API: regions, providers, professions and rate recommendations (read; providers: admin write)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from kernel.api import fields
from kernel.api.filters import BooleanFilter
from kernel.history import Via
from regions.api_base import ScopedQuerysetMixin
from regions.identifiers import format_org_number
from regions.models import Profession, Provider, RateCategory, RateRecommendation, Region
from regions.permissions import ReadOnlyOrAdmin, can_create_provider
from regions.services import provider_create

# --- Regions ---------------------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    org_number = serializers.SerializerMethodField()

    class Meta:
        model = Region
        fields = ["code", "name", "healthcare_region", "org_number"]

    def get_org_number(self, obj) -> str:
        return format_org_number(obj.org_number)


class RegionViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    lookup_field = "code"
    ordering = "code"


# --- Providers -------------------------------------------------------------------------------------


class ProviderSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", help_text="Län code of the contracting region.")
    org_number = serializers.SerializerMethodField()

    class Meta:
        model = Provider
        # ended_on: an addition to API.md's fields, the date of ``active`` (the last day the contract covers).
        fields = ["hsa_id", "name", "org_number", "region", "active", "ended_on"]

    def get_org_number(self, obj) -> str:
        return format_org_number(obj.org_number)


class ProviderCreateSerializer(serializers.Serializer):
    hsa_id = fields.TextField(code=True, max_length=64)
    name = fields.TextField(max_length=200)
    org_number = fields.TextField(code=True, max_length=20)
    region = fields.TextField(code=True, max_length=2, help_text="Län code of the contracting region, e.g. '04'.")
    active = serializers.BooleanField(default=True)
    ended_on = fields.DateField(
        required=False,
        allow_null=True,
        help_text="For a provider created inactive: the last day its contract covers (default today).",
    )


class ProviderFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region_id")
    active = BooleanFilter()

    class Meta:
        model = Provider
        fields = ["region", "active"]


class ProviderViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Provider.objects.all()
    serializer_class = ProviderSerializer
    permission_classes = [ReadOnlyOrAdmin]
    filterset_class = ProviderFilter
    lookup_field = "hsa_id"
    lookup_value_regex = "[^/]+"
    ordering = "hsa_id"

    @extend_schema(request=ProviderCreateSerializer, responses={201: ProviderSerializer})
    def create(self, request, *args, **kwargs):
        payload = ProviderCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not can_create_provider(request.user, payload.validated_data["region"]):
            raise PermissionDenied
        provider = provider_create(
            hsa_id=payload.validated_data["hsa_id"],
            name=payload.validated_data["name"],
            org_number=payload.validated_data["org_number"],
            region_code=payload.validated_data["region"],
            active=payload.validated_data["active"],
            ended_on=payload.validated_data.get("ended_on"),
            by=request.user,
            via=Via.API,
        )
        return Response(ProviderSerializer(provider).data, status=status.HTTP_201_CREATED)


# --- Professions -----------------------------------------------------------------------------------


class ProfessionSerializer(serializers.ModelSerializer):
    category = serializers.CharField(
        allow_null=True, help_text="Rate category, or null when the profession is not licensed."
    )

    class Meta:
        model = Profession
        fields = ["code", "name", "category"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["category"] = data["category"] or None
        return data


class ProfessionViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Profession.objects.all()
    serializer_class = ProfessionSerializer
    lookup_field = "code"
    ordering = "code"


# --- Recommendations -------------------------------------------------------------------------------


class RatesSerializer(serializers.Serializer):
    physician = serializers.DecimalField(max_digits=10, decimal_places=2)
    psychologist = serializers.DecimalField(max_digits=10, decimal_places=2)
    other_licensed = serializers.DecimalField(max_digits=10, decimal_places=2)


class RecommendationSerializer(serializers.ModelSerializer):
    rates = serializers.SerializerMethodField()
    criteria = serializers.SerializerMethodField()
    supersedes = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = RateRecommendation
        fields = [
            "code",
            "title",
            "decided_on",
            "effective_from",
            "includes_patient_fee",
            "rates",
            "criteria",
            "source_reference",
            "supersedes",
            "published_at",
        ]

    @extend_schema(responses=RatesSerializer)
    def get_rates(self, obj) -> dict:
        amounts = {rate.category: rate.amount for rate in obj.rates.all()}
        return {category: f"{amounts[category]:.2f}" for category in RateCategory.values if category in amounts}

    def get_criteria(self, obj) -> list[str]:
        return [criterion.criterion for criterion in obj.criteria.all()]


class RecommendationViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Published versions only, read-only: a version never changes once published."""

    queryset = RateRecommendation.objects.published().select_related("supersedes").prefetch_related("rates", "criteria")
    serializer_class = RecommendationSerializer
    lookup_field = "code"
    ordering = "effective_from"
