"""Reads of reference data, and the one scoping rule every list and admin screen uses."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Prefetch, Q, QuerySet

from regions.models import Provider, RateRecommendation, RecommendationCriterion, Role
from regions.rates import RateInEffect, Timeline, VersionFacts

# ---------------------------------------------------------------------------------------------------
# Scope: who may see what.
# ---------------------------------------------------------------------------------------------------

_ROLE_PRIORITY = (Role.ADMIN, Role.MANAGER, Role.CLERK, Role.PROVIDER)


@dataclass(frozen=True)
class Scope:
    """What a user may see: everything (national admin), one region's objects, or one provider's."""

    role: Role | None
    region_code: str | None = None
    provider_id: int | None = None

    @property
    def national(self) -> bool:
        return self.role == Role.ADMIN and self.region_code is None and self.provider_id is None

    @property
    def is_region_staff(self) -> bool:
        return self.role in (Role.CLERK, Role.MANAGER, Role.ADMIN) and self.region_code is not None

    @property
    def is_provider(self) -> bool:
        return self.role == Role.PROVIDER and self.provider_id is not None


NO_SCOPE = Scope(role=None)


def role_of(user) -> Role | None:
    """The user's role: the highest of its role groups (a superuser is an admin); None if it has none."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    cached = getattr(user, "_utomlans_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in _ROLE_PRIORITY if r.value in names), None)
    user._utomlans_role = role
    return role


def scope_of(user) -> Scope:
    """The scope of a user. Fails closed: anonymous, inactive, role-less or organisation-less users see nothing.

    An admin without an organisation is national; an admin with a region is that region's admin.
    """
    if user is None or isinstance(user, AnonymousUser):
        return NO_SCOPE
    cached = getattr(user, "_utomlans_scope", None)
    if cached is not None:
        return cached
    role = role_of(user)
    membership = getattr(user, "membership", None) if role else None
    region_code = membership.region_id if membership else None
    provider_id = membership.provider_id if membership else None
    if role is None:
        scope = NO_SCOPE
    elif role == Role.PROVIDER:
        scope = Scope(role=role, provider_id=provider_id) if provider_id else NO_SCOPE
    elif role in (Role.CLERK, Role.MANAGER):
        scope = Scope(role=role, region_code=region_code) if region_code else NO_SCOPE
    else:  # admin
        scope = Scope(role=role, region_code=region_code)
    user._utomlans_scope = scope
    return scope


def visible_to(user, queryset: QuerySet, *, pinned: Mapping[str, str] | None = None) -> QuerySet:
    """The rows of ``queryset`` the user may see. The one scoping rule of the product.

    A model opts in with an inner ``class Scoping`` naming ``region_fields`` (region staff see a row when
    their region is in any of them, e.g. billing or home region) and ``provider_field`` (a provider's
    system sees its own provider's rows; ``provider_only``, a dict of exact lookups, narrows those further to
    the rows a provider is a party to, e.g. a dispute's kind), or ``public = True`` for reference data any
    signed-in user may read. A model without a rule, and a user without a scope, gets nothing.

    ``pinned`` names region fields the caller will also filter on exactly (e.g. a list filtered on
    ``home_region=25``). When one of them is pinned to the user's own region the scope is implied by that
    filter, and the rule becomes that one equality instead of an OR over all region fields, which lets the
    database walk the (region, started_at) index in order instead of sorting every match.
    """
    scope = scope_of(user)
    rules = getattr(queryset.model, "Scoping", None)
    if scope.role is None:
        return queryset.none()
    if rules is not None and getattr(rules, "public", False):
        return queryset
    if scope.national:
        return queryset
    if rules is None:
        return queryset.none()
    if scope.is_provider:
        field = getattr(rules, "provider_field", None)
        if not field:
            return queryset.none()
        return queryset.filter(**{field: scope.provider_id}, **getattr(rules, "provider_only", {}))
    if scope.is_region_staff:
        fields = getattr(rules, "region_fields", ())
        if not fields:
            return queryset.none()
        for name in fields:
            if (pinned or {}).get(name) == scope.region_code:
                return queryset.filter(**{name: scope.region_code})
        condition = Q()
        for name in fields:
            condition |= Q(**{name: scope.region_code})
        return queryset.filter(condition)
    return queryset.none()


def is_visible_to(user, obj: Model) -> bool:
    return visible_to(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


# ---------------------------------------------------------------------------------------------------
# Rates: the one read path for "which version and amount were in force on a date".
# ---------------------------------------------------------------------------------------------------


def recommendation_timeline() -> Timeline:
    """All published versions as a pure timeline (one query for versions, rates and criteria)."""
    versions = (
        RateRecommendation.objects.published()
        .prefetch_related("rates", Prefetch("criteria", queryset=RecommendationCriterion.objects.order_by("position")))
        .order_by("effective_from", "published_at")
    )
    return Timeline([version_facts(v) for v in versions])


def version_facts(recommendation: RateRecommendation) -> VersionFacts:
    return VersionFacts(
        code=recommendation.code,
        effective_from=recommendation.effective_from,
        published_at=recommendation.published_at,
        includes_patient_fee=recommendation.includes_patient_fee,
        rates={rate.category: rate.amount for rate in recommendation.rates.all()},
        criteria=tuple(c.criterion for c in recommendation.criteria.all()),
        pk=recommendation.pk,
    )


def rate_in_effect(category: str, *, on: dt.date | dt.datetime) -> RateInEffect:
    """The version and amount in force for ``category`` on a date (a datetime counts in Stockholm time).

    Raises ``NoRecommendationInForce`` with a clear message when no version covered that date.
    """
    return recommendation_timeline().rate_on(category, on)


def providers_for(user) -> QuerySet[Provider]:
    return visible_to(user, Provider.objects.select_related("region"))
