"""State changes of reference data, organisations and API clients. The only writers of these rows."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.business_time import stockholm_today
from kernel.errors import ImmutableObject, InvalidInput, StateConflict
from kernel.history import Via, actor_or_none, changes_between
from kernel.jobs import job_queue
from kernel.money import to_money
from regions import identifiers
from regions.authentication import hash_key, new_key
from regions.models import (
    ApiClient,
    Criterion,
    ListingRule,
    Membership,
    Provider,
    ProviderEvent,
    RateCategory,
    RateRecommendation,
    RecommendationCriterion,
    RecommendationEvent,
    RecommendationRate,
    RecommendationStatus,
    Region,
    RegionEvent,
    Role,
)
from regions.roles import STAFF_ROLES

User = get_user_model()


# ---------------------------------------------------------------------------------------------------
# Providers
# ---------------------------------------------------------------------------------------------------


REGION_BILLING_FIELDS = (
    "org_number",
    "bankgiro",
    "address",
    "postal_code",
    "city",
    "invoice_reference",
    "listing_rule",
)
# What a region's own admin keeps; its name, län code and organisation number are national reference data. The
# listing rule (how the region, as a buyer, reviews the invoices it receives: review.selectors) is changed through
# ``region_billing_details_update`` with its history, not yet on the region's page (the review screen's settings).
REGION_OWN_FIELDS = ("bankgiro", "address", "postal_code", "city", "invoice_reference")


def region_billing_snapshot(region: Region) -> dict:
    return {name: getattr(region, name) for name in REGION_BILLING_FIELDS}


@transaction.atomic
def region_billing_details_update(*, region: Region, by=None, via: str = Via.SYSTEM, **values) -> Region:
    """Change a region's billing details (``REGION_BILLING_FIELDS``: organisation number, bankgiro, postal address,
    invoice reference), each validated and normalised (``1234-5674``, ``611 88``); records what changed, before and
    after. A bankgiro change redirects every later payment, so it is never silent."""
    unknown = sorted(set(values) - set(REGION_BILLING_FIELDS))
    if unknown:
        raise InvalidInput({name: [_("Not a billing detail of a region.")] for name in unknown})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    normalisers = {
        "org_number": identifiers.normalize_org_number,
        "bankgiro": identifiers.normalize_bankgiro,
        "postal_code": identifiers.normalize_postal_code,
    }
    for name, value in values.items():
        text = (value or "").strip()
        if text and name in normalisers:
            try:
                text = normalisers[name](text)
            except identifiers.IdentifierError as exc:
                errors[name] = [str(exc)]
                continue
        limit = Region._meta.get_field(name).max_length
        if name == "listing_rule" and text not in ListingRule.values:
            errors[name] = [_("Choose one of: %(values)s.") % {"values": ", ".join(ListingRule.values)}]
            continue
        if len(text) > limit:
            errors[name] = [_("At most %(max)d characters.") % {"max": limit}]
        cleaned[name] = text
    if errors:
        raise InvalidInput(errors)
    stored = Region.objects.select_for_update().get(pk=region.pk)
    before = region_billing_snapshot(stored)
    for name, value in cleaned.items():
        setattr(stored, name, value)
    changes = changes_between(before, region_billing_snapshot(stored))
    if changes:
        stored.save(update_fields=sorted(changes))
        RegionEvent.objects.create(
            region=stored, at=timezone.now(), action="changed", actor=actor_or_none(by), via=via, changes=changes
        )
    return stored


def _clean_provider_fields(*, hsa_id: str, name: str, org_number: str, region_code: str) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    try:
        cleaned["hsa_id"] = identifiers.normalize_hsa_id(hsa_id)
    except identifiers.IdentifierError as exc:
        errors["hsa_id"] = [str(exc)]
    try:
        cleaned["org_number"] = identifiers.normalize_org_number(org_number)
    except identifiers.IdentifierError as exc:
        errors["org_number"] = [str(exc)]
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("A name is required.")]
    cleaned["name"] = name
    region = Region.objects.filter(code=(region_code or "").strip()).first()
    if region is None:
        errors["region"] = [_("Unknown region %(code)r; use a län code such as '04'.") % {"code": region_code}]
    cleaned["region"] = region
    if errors:
        raise InvalidInput(errors)
    return cleaned


_PROVIDER_FIELDS = ("hsa_id", "name", "org_number", "region", "active", "ended_on")


def provider_snapshot(provider: Provider) -> dict:
    """The audited fields of a provider as JSON values (the region as its län code, the end date ISO 8601)."""
    return {
        "hsa_id": provider.hsa_id,
        "name": provider.name,
        "org_number": provider.org_number,
        "region": provider.region_id,
        "active": provider.active,
        "ended_on": provider.ended_on.isoformat() if provider.ended_on else None,
    }


def active_with_end_date_message() -> str:
    """The refusal of an end date for an active provider (the service and the admin's form say the same)."""
    return _("An active provider has no end date: clear “active” to end the contract, or leave the date empty.")


def _provider_end(*, active: bool, ended_on: dt.date | None, stored_end: dt.date | None = None) -> dt.date | None:
    """The end date that goes with the active flag: none while active; when inactive the date given, else the one
    already stored, else today (Stockholm).

    A new end date for an active provider is refused; the stored one sent back (a form reactivating the provider
    still shows it) is cleared."""
    if active:
        if ended_on is not None and ended_on != stored_end:
            raise InvalidInput({"ended_on": [active_with_end_date_message()]})
        return None
    return ended_on or stored_end or stockholm_today()


def _provider_event(provider: Provider, *, action: str, changes: dict, by, via: str) -> ProviderEvent:
    return ProviderEvent.objects.create(
        provider=provider, at=timezone.now(), action=action, actor=actor_or_none(by), via=via, changes=changes
    )


def provider_create(
    *,
    hsa_id: str,
    name: str,
    org_number: str,
    region_code: str,
    active: bool = True,
    ended_on: dt.date | None = None,
    by=None,
    via: str = Via.SYSTEM,
) -> Provider:
    """Create a provider; one created inactive ends on ``ended_on`` (default today, Stockholm)."""
    cleaned = _clean_provider_fields(hsa_id=hsa_id, name=name, org_number=org_number, region_code=region_code)
    end = _provider_end(active=active, ended_on=ended_on)
    try:
        with transaction.atomic():
            provider = Provider.objects.create(**cleaned, active=active, ended_on=end)
            _provider_event(
                provider, action="created", changes=changes_between(None, provider_snapshot(provider)), by=by, via=via
            )
            return provider
    except IntegrityError:
        raise InvalidInput(
            {"hsa_id": [_("A provider with HSA-id %(hsa_id)s already exists.") % {"hsa_id": cleaned["hsa_id"]}]}
        ) from None


@transaction.atomic
def provider_update(
    *,
    provider: Provider,
    name: str,
    org_number: str,
    region_code: str,
    active: bool,
    ended_on: dt.date | None = None,
    by=None,
    via: str = Via.SYSTEM,
) -> Provider:
    """Change a provider's name, organisation number, contracting region or active flag (the HSA-id is fixed).

    Deactivating ends the contract on ``ended_on`` (default today, Stockholm): intake refuses the provider's
    contacts dated after it. An inactive provider's end date may be moved; reactivating clears it.
    Records the fields that changed, before and after; a save that changes nothing records nothing.
    """
    cleaned = _clean_provider_fields(hsa_id=provider.hsa_id, name=name, org_number=org_number, region_code=region_code)
    stored = Provider.objects.select_for_update().get(pk=provider.pk)
    before = provider_snapshot(stored)
    stored.ended_on = _provider_end(active=active, ended_on=ended_on, stored_end=stored.ended_on)
    stored.name = cleaned["name"]
    stored.org_number = cleaned["org_number"]
    stored.region = cleaned["region"]
    stored.active = active
    changes = changes_between(before, provider_snapshot(stored))
    if changes:
        stored.save(update_fields=["name", "org_number", "region", "active", "ended_on", "updated_at"])
        _provider_event(stored, action="changed", changes=changes, by=by, via=via)
    return stored


# ---------------------------------------------------------------------------------------------------
# Rate recommendations
# ---------------------------------------------------------------------------------------------------


def _clean_rates(rates: dict[str, Decimal | str]) -> dict[str, Decimal]:
    unknown = set(rates) - set(RateCategory.values)
    if unknown:
        raise InvalidInput(
            {"rates": [_("Unknown rate categories: %(names)s.") % {"names": ", ".join(sorted(unknown))}]}
        )
    cleaned = {}
    for category, amount in rates.items():
        try:
            value = to_money(amount)
        except (InvalidOperation, TypeError, ValueError):
            raise InvalidInput(
                {"rates": [_("Rate for %(category)s is not an amount.") % {"category": category}]}
            ) from None
        if value < 0:
            raise InvalidInput({"rates": [_("Rate for %(category)s may not be negative.") % {"category": category}]})
        cleaned[category] = value
    return cleaned


def _clean_criteria(criteria: list[str]) -> list[str]:
    unknown = [c for c in criteria if c not in Criterion.values]
    if unknown:
        raise InvalidInput({"criteria": [_("Unknown criteria: %(names)s.") % {"names": ", ".join(unknown)}]})
    if len(set(criteria)) != len(criteria):
        raise InvalidInput({"criteria": [_("A criterion may be listed only once.")]})
    return list(criteria)


def recommendation_snapshot(recommendation: RateRecommendation) -> dict:
    """A version's audited content as JSON values: its fields, one entry per rate, and its criteria in order."""
    stored = (
        RateRecommendation.objects.select_related("supersedes")
        .prefetch_related("rates", "criteria")
        .get(pk=recommendation.pk)
    )
    snapshot = {
        "code": stored.code,
        "title": stored.title,
        "decided_on": stored.decided_on.isoformat(),
        "effective_from": stored.effective_from.isoformat(),
        "includes_patient_fee": stored.includes_patient_fee,
        "source_reference": stored.source_reference,
        "supersedes": stored.supersedes.code if stored.supersedes else None,
        "status": stored.status,
        "criteria": [c.criterion for c in sorted(stored.criteria.all(), key=lambda c: (c.position, c.pk))],
    }
    snapshot.update({f"rates.{rate.category}": f"{rate.amount:.2f}" for rate in stored.rates.all()})
    return snapshot


def _recommendation_event(
    recommendation: RateRecommendation, *, action: str, changes: dict, by, via: str, note: str = ""
) -> RecommendationEvent:
    return RecommendationEvent.objects.create(
        recommendation_id=recommendation.pk,
        code=recommendation.code,
        at=timezone.now(),
        action=action,
        actor=actor_or_none(by),
        via=via,
        changes=changes,
        note=note,
    )


def recommendation_changed(
    *, recommendation: RateRecommendation, before: dict | None, by=None, via: str = Via.ADMIN
) -> RecommendationEvent | None:
    """Record what an edit of a draft changed (fields, rates and criteria at once), given its snapshot from before
    (None: the draft was just created).

    The admin edits a draft with a form and inline rates and criteria; it takes the snapshot before saving and
    calls this after, in the same transaction. Nothing changed: nothing recorded.
    """
    changes = changes_between(before, recommendation_snapshot(recommendation))
    if not changes:
        return None
    action = "created" if before is None else "changed"
    return _recommendation_event(recommendation, action=action, changes=changes, by=by, via=via)


@transaction.atomic
def recommendation_create(
    *,
    code: str,
    title: str,
    decided_on: dt.date,
    effective_from: dt.date,
    includes_patient_fee: bool,
    source_reference: str,
    rates: dict[str, Decimal | str],
    criteria: list[str],
    supersedes: RateRecommendation | None = None,
    by=None,
    via: str = Via.SYSTEM,
) -> RateRecommendation:
    """Create a draft version with its rates and criteria. Publish it with ``recommendation_publish``."""
    if RateRecommendation.objects.filter(code=code).exists():
        raise InvalidInput({"code": [_("A recommendation with code %(code)s already exists.") % {"code": code}]})
    cleaned_rates = _clean_rates(rates)
    cleaned_criteria = _clean_criteria(criteria)
    recommendation = RateRecommendation(
        code=code,
        title=title,
        decided_on=decided_on,
        effective_from=effective_from,
        includes_patient_fee=includes_patient_fee,
        source_reference=source_reference,
        supersedes=supersedes,
    )
    try:
        recommendation.full_clean()
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from None
    recommendation.save()
    RecommendationRate.objects.bulk_create(
        RecommendationRate(recommendation=recommendation, category=category, amount=amount)
        for category, amount in cleaned_rates.items()
    )
    RecommendationCriterion.objects.bulk_create(
        RecommendationCriterion(recommendation=recommendation, criterion=criterion, position=position)
        for position, criterion in enumerate(cleaned_criteria)
    )
    changes = changes_between(None, recommendation_snapshot(recommendation))
    _recommendation_event(recommendation, action="created", changes=changes, by=by, via=via)
    return recommendation


@transaction.atomic
def recommendation_set_rates(
    *, recommendation: RateRecommendation, rates: dict[str, Decimal | str], by=None, via: str = Via.SYSTEM
) -> RateRecommendation:
    """Replace a draft's rates. Refused for a published version (the model refuses too)."""
    recommendation = RateRecommendation.objects.select_for_update().get(pk=recommendation.pk)
    if recommendation.is_published:
        raise ImmutableObject(
            _("Recommendation %(code)s is published and cannot be changed; publish a new version.")
            % {"code": recommendation.code}
        )
    cleaned = _clean_rates(rates)
    before = recommendation_snapshot(recommendation)
    recommendation.rates.all().delete()
    RecommendationRate.objects.bulk_create(
        RecommendationRate(recommendation=recommendation, category=category, amount=amount)
        for category, amount in cleaned.items()
    )
    recommendation_changed(recommendation=recommendation, before=before, by=by, via=via)
    return recommendation


@transaction.atomic
def recommendation_delete(*, recommendation: RateRecommendation, by=None, via: str = Via.SYSTEM) -> None:
    """Remove a draft version (a published one never goes). Its history stays, with what it contained."""
    recommendation = RateRecommendation.objects.select_for_update().get(pk=recommendation.pk)
    if recommendation.is_published:
        raise ImmutableObject(
            _("Recommendation %(code)s is published and cannot be deleted.") % {"code": recommendation.code}
        )
    changes = changes_between(recommendation_snapshot(recommendation), None)
    _recommendation_event(recommendation, action="deleted", changes=changes, by=by, via=via)
    recommendation.delete()


@transaction.atomic
def recommendation_publish(*, recommendation: RateRecommendation, by=None, via: str = Via.SYSTEM) -> RateRecommendation:
    """Publish a draft: from now on it prices contacts dated on or after its effective date, and never changes."""
    recommendation = RateRecommendation.objects.select_for_update().get(pk=recommendation.pk)
    if recommendation.is_published:
        raise StateConflict(_("Recommendation %(code)s is already published.") % {"code": recommendation.code})
    missing = set(RateCategory.values) - set(recommendation.rates.values_list("category", flat=True))
    if missing:
        raise InvalidInput({"rates": [_("A rate is missing for: %(names)s.") % {"names": ", ".join(sorted(missing))}]})
    if not recommendation.criteria.exists():
        raise InvalidInput({"criteria": [_("A recommendation must apply at least one criterion.")]})
    recommendation.status = RecommendationStatus.PUBLISHED
    recommendation.published_at = timezone.now()
    recommendation.published_by = actor_or_none(by)
    recommendation.save(update_fields=["status", "published_at", "published_by"])
    changes = {"status": [RecommendationStatus.DRAFT.value, RecommendationStatus.PUBLISHED.value]}
    _recommendation_event(recommendation, action="published", changes=changes, by=by, via=via)
    # Contacts dated from its effective day on, not yet on a submitted or approved invoice, are priced anew.
    effective = recommendation.effective_from.isoformat()
    # contacts.tasks.reevaluate_since, by name: contacts builds on regions, which imports nothing of it.
    transaction.on_commit(lambda: job_queue("contacts.reevaluate_since", effective))
    return recommendation


# ---------------------------------------------------------------------------------------------------
# Users, organisations and API clients
# ---------------------------------------------------------------------------------------------------


def _organisation(*, role: Role, region_code: str | None, provider_hsa_id: str | None) -> dict:
    if region_code and provider_hsa_id:
        raise InvalidInput(_("A user belongs to a region or to a provider, not both."))
    if role == Role.PROVIDER:
        if not provider_hsa_id:
            raise InvalidInput({"provider": [_("The provider role needs a provider (HSA-id).")]})
        provider = Provider.objects.filter(hsa_id=provider_hsa_id.strip().upper()).first()
        if provider is None:
            raise InvalidInput({"provider": [_("Unknown provider %(hsa_id)s.") % {"hsa_id": provider_hsa_id}]})
        return {"provider": provider}
    if provider_hsa_id:
        raise InvalidInput({"provider": [_("Only the provider role belongs to a provider.")]})
    if role in (Role.CLERK, Role.MANAGER) and not region_code:
        raise InvalidInput({"region": [_("The %(role)s role needs a region (län code).") % {"role": role}]})
    if region_code:
        region = Region.objects.filter(code=region_code.strip()).first()
        if region is None:
            raise InvalidInput({"region": [_("Unknown region %(code)r.") % {"code": region_code}]})
        return {"region": region}
    return {}


@transaction.atomic
def user_create(
    *,
    username: str,
    role: Role,
    password: str | None = None,
    region_code: str | None = None,
    provider_hsa_id: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
):
    """Create a user with one role and its organisation. Region staff may use the admin; provider users may not."""
    role = Role(role)
    organisation = _organisation(role=role, region_code=region_code, provider_hsa_id=provider_hsa_id)
    if User.objects.filter(username=username).exists():
        raise InvalidInput({"username": [_("A user named %(name)s already exists.") % {"name": username}]})
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=role in STAFF_ROLES,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name=role))
    Membership.objects.create(user=user, **organisation)
    return user


@transaction.atomic
def api_client_create(
    *, name: str, role: Role, region_code: str | None = None, provider_hsa_id: str | None = None
) -> tuple[ApiClient, str]:
    """Create an API client and return it with its key. The key is shown once; only its hash is kept."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput({"name": [_("A name is required.")]})
    if ApiClient.objects.filter(name=name).exists():
        raise InvalidInput({"name": [_("An API client named %(name)r already exists.") % {"name": name}]})
    user = user_create(
        username=f"api:{name}"[:150],
        role=role,
        region_code=region_code,
        provider_hsa_id=provider_hsa_id,
    )
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    key = new_key()
    client = ApiClient.objects.create(name=name, user=user, key_prefix=key[:8], key_hash=hash_key(key))
    return client, key


def api_client_revoke(*, client: ApiClient) -> ApiClient:
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
    return client
