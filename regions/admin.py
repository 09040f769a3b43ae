from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.admin_history import change_history_table, person
from kernel.errors import DomainError
from kernel.history import Via
from regions.admin_base import CheckedInline, ScopedAdmin, field_labels
from regions.forms import ProviderForm
from regions.identifiers import format_org_number
from regions.models import (
    ApiClient,
    Criterion,
    Membership,
    Profession,
    Provider,
    RateCategory,
    RateRecommendation,
    RecommendationCriterion,
    RecommendationRate,
    RecommendationStatus,
    Region,
    RegionPopulation,
    Role,
)
from regions.permissions import can_change_reference_data, can_manage_users
from regions.selectors import scope_of
from regions.services import (
    REGION_BILLING_FIELDS,
    REGION_OWN_FIELDS,
    active_with_end_date_message,
    api_client_revoke,
    provider_create,
    provider_update,
    recommendation_changed,
    recommendation_delete,
    recommendation_publish,
    recommendation_snapshot,
    region_billing_details_update,
)

admin.site.site_header = _("Utomläns – billing of digital out-of-county care")
admin.site.site_title = "Utomläns"
admin.site.index_title = _("Administration")


def _choice_label(choices, value) -> str:
    """A stored choice by its name (``published`` → ``Publicerad``); an unknown value as it is."""
    return str(choices(value).label) if value in choices.values else ("–" if value in (None, "") else str(value))


class PopulationInline(CheckedInline, admin.TabularInline):
    model = RegionPopulation
    extra = 0
    fields = ["year", "population", "source"]
    classes = ["plain-rows"]  # admin.css: no "04 2024: 123" above each row, the columns say it

    # Populations are national reference data, whoever may edit the region's billing details.
    def has_add_permission(self, request, obj=None):
        return can_change_reference_data(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return can_change_reference_data(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return can_change_reference_data(request.user) and super().has_delete_permission(request, obj)


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    """The regions: national reference data (name, län code, healthcare region, organisation number) changed by
    national admins; the billing details its invoices need (bankgiro, postal address, invoice reference) kept by
    the region's own admin too. Billing details change through the service, which records each change."""

    own_history = True  # the page's history table (id="history")

    list_display = ["code", "name", "healthcare_region", "org_number_display", "bankgiro"]
    search_fields = ["code", "name"]
    inlines = [PopulationInline]
    fieldsets_base = ["code", "name", "healthcare_region", "org_number", *REGION_OWN_FIELDS]

    @admin.display(description=_("organisation number"), ordering="org_number")
    def org_number_display(self, obj):
        return format_org_number(obj.org_number)

    def _own_region_admin(self, request, obj) -> bool:
        scope = scope_of(request.user)
        return (
            scope.role == Role.ADMIN
            and scope.region_code is not None
            and (obj is None or obj.code == scope.region_code)
            and request.user.has_perm("regions.change_region")
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or self._own_region_admin(request, obj)

    def get_fields(self, request, obj=None):
        return [*self.fieldsets_base, "history"] if obj is not None else self.fieldsets_base

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if can_change_reference_data(request.user):
            return ["code", "history"]
        return [name for name in self.fieldsets_base if name not in REGION_OWN_FIELDS] + ["history"]

    @admin.display(description=_("history"))
    def history(self, obj):
        return change_history_table(obj.events.select_related("actor").order_by("at", "id"), field_labels(Region))

    def save_model(self, request, obj, form, change):
        """The billing details through the service (validated, normalised, each change recorded); the national
        reference data as the form saves it."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        details = {name: form.cleaned_data[name] for name in REGION_BILLING_FIELDS if name in form.cleaned_data}
        national = [name for name in form.changed_data if name not in REGION_BILLING_FIELDS]
        if national:
            Region.objects.filter(pk=obj.pk).update(**{name: getattr(obj, name) for name in national})
        saved = region_billing_details_update(region=obj, by=request.user, via=Via.ADMIN, **details)
        for name in REGION_BILLING_FIELDS:
            setattr(obj, name, getattr(saved, name))


@admin.register(RegionPopulation)
class RegionPopulationAdmin(ScopedAdmin):
    list_display = ["region", "year", "population", "source"]
    list_filter = ["year", "region"]
    list_select_related = ["region"]


@admin.register(Profession)
class ProfessionAdmin(ScopedAdmin):
    list_display = ["code", "name", "category"]
    list_filter = ["category"]
    search_fields = ["code", "name"]


class ProviderAdminForm(ProviderForm):
    """The provider form with its end date: a date typed for a provider left active is refused with why (the
    service refuses it too); the stored date sent back when reactivating is cleared by the service."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("active") and cleaned.get("ended_on") and "ended_on" in self.changed_data:
            self.add_error("ended_on", active_with_end_date_message())
        return cleaned


@admin.register(Provider)
class ProviderAdmin(ScopedAdmin):
    own_history = True  # the page's history table (id="history")
    form = ProviderAdminForm
    list_display = ["name", "hsa_id", "org_number_display", "region", "active", "ended_on"]
    list_filter = ["active", "region"]
    list_select_related = ["region"]
    search_fields = ["hsa_id", "name", "org_number"]

    @admin.display(description=_("organisation number"), ordering="org_number")
    def org_number_display(self, obj):
        return format_org_number(obj.org_number)

    def get_fields(self, request, obj=None):
        fields = ["hsa_id", "name", "org_number", "region", "active", "ended_on"]
        return [*fields, "history"] if obj is not None else fields

    def get_readonly_fields(self, request, obj=None):
        # The HSA-id is the provider's identity in every integration: fixed once created.
        return ["hsa_id", "history"] if obj is not None else []

    @admin.display(description=_("history"))
    def history(self, obj):
        return change_history_table(obj.events.select_related("actor").order_by("at", "id"), field_labels(Provider))

    def has_delete_permission(self, request, obj=None):
        # Contacts, invoices and history refer to providers: one that stops is made inactive instead.
        return False

    def save_model(self, request, obj, form, change):
        """Through the services, which record who changed what (before and after) and through the admin."""
        values = {
            "name": obj.name,
            "org_number": obj.org_number,
            "region_code": obj.region_id,
            "active": obj.active,
            "ended_on": obj.ended_on,
            "by": request.user,
            "via": Via.ADMIN,
        }
        saved = provider_update(provider=obj, **values) if change else provider_create(hsa_id=obj.hsa_id, **values)
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at
        obj.ended_on = saved.ended_on

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = scope_of(request.user)
        if db_field.name == "region" and not scope.national:
            kwargs["queryset"] = Region.objects.filter(code=scope.region_code)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PublishedReadOnlyInline(CheckedInline, admin.TabularInline):
    """Rates and criteria are editable while the version is a draft, read-only (text) once published."""

    extra = 0
    classes = ["plain-rows"]  # admin.css: no "3 physician 435.00" above each row, the columns say it

    def has_add_permission(self, request, obj=None):
        return (obj is None or not obj.is_published) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return (obj is None or not obj.is_published) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.is_published) and super().has_delete_permission(request, obj)


class RecommendationRateInline(PublishedReadOnlyInline):
    model = RecommendationRate
    fields = ["category", "amount"]


class RecommendationCriterionInline(PublishedReadOnlyInline):
    model = RecommendationCriterion
    fields = ["position", "criterion"]


@admin.register(RateRecommendation)
class RateRecommendationAdmin(ScopedAdmin):
    own_history = True  # the page's history table (id="history")
    list_display = ["code", "title", "decided_on", "effective_from", "status", "published_at", "publisher"]
    list_filter = ["status"]
    list_select_related = ["published_by"]
    search_fields = ["code", "title"]
    ordering = ["-effective_from"]
    inlines = [RecommendationRateInline, RecommendationCriterionInline]
    readonly_fields = ["status", "published_at", "publisher", "history"]
    fields = [
        "code",
        "title",
        "decided_on",
        "effective_from",
        "includes_patient_fee",
        "source_reference",
        "supersedes",
        "status",
        "published_at",
        "publisher",
        "history",
    ]
    actions = ["publish"]
    action_confirmations = {
        "publish": _(
            "Publish the selected draft versions? A published version is in force from its date and can never be "
            "changed or removed: a correction is a new version."
        )
    }

    @admin.display(description=_("published by"))
    def publisher(self, obj):
        return person(obj.published_by) if obj.published_by_id else "–"

    @admin.display(description=_("history"))
    def history(self, obj):
        if obj.pk is None:
            return "–"
        labels = {
            **field_labels(RateRecommendation),
            "criteria": gettext("criteria"),
            **{
                f"rates.{category}": gettext("rate: %(category)s") % {"category": label}
                for category, label in RateCategory.choices
            },
        }
        events = list(obj.events.select_related("actor").order_by("at", "id"))
        for event in events:  # statuses and criteria by their names, not their codes
            changes = dict(event.changes)
            if "status" in changes:
                changes["status"] = [_choice_label(RecommendationStatus, v) for v in changes["status"]]
            if "criteria" in changes:
                changes["criteria"] = [
                    [_choice_label(Criterion, code) for code in value] if isinstance(value, list) else value
                    for value in changes["criteria"]
                ]
            event.changes = changes
        return change_history_table(events, labels)

    # A draft is edited with the form and the inline rates and criteria, all saved by Django in one transaction;
    # the snapshot before and the one after give the history entry of the whole edit.
    _BEFORE = "_recommendation_before"

    def save_model(self, request, obj, form, change):
        if change:
            setattr(request, self._BEFORE, recommendation_snapshot(obj))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        recommendation_changed(
            recommendation=form.instance, before=getattr(request, self._BEFORE, None), by=request.user, via=Via.ADMIN
        )

    def delete_model(self, request, obj):
        recommendation_delete(recommendation=obj, by=request.user, via=Via.ADMIN)

    def delete_queryset(self, request, queryset):
        for recommendation in queryset:
            recommendation_delete(recommendation=recommendation, by=request.user, via=Via.ADMIN)

    def has_change_permission(self, request, obj=None):
        # Published versions are shown, never edited: a correction is a new version.
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Publish selected draft versions"), permissions=["change"])
    def publish(self, request, queryset):
        for recommendation in queryset:
            try:
                recommendation_publish(recommendation=recommendation, by=request.user, via=Via.ADMIN)
            except DomainError as exc:
                self.message_user(request, f"{recommendation.code}: {exc}", messages.ERROR)
            else:
                self.message_user(request, _("%(code)s published.") % {"code": recommendation.code}, messages.SUCCESS)


class RevokedFilter(admin.SimpleListFilter):
    title = _("key")
    parameter_name = "key"

    def lookups(self, request, model_admin):
        return [("active", _("In use")), ("revoked", _("Revoked"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiClient)
class ApiClientAdmin(ScopedAdmin):
    list_display = ["name", "key_prefix", "role", "organisation", "created_at", "revoked_at"]
    list_filter = [RevokedFilter]
    list_select_related = ["user__membership__region", "user__membership__provider"]
    readonly_fields = ["name", "key_prefix", "role", "organisation", "created_at", "revoked_at"]
    fields = readonly_fields
    search_fields = ["name", "key_prefix"]
    actions = ["revoke"]
    action_confirmations = {
        "revoke": _(
            "Revoke the selected clients' keys? Their systems are refused at once, and a revoked key never works "
            "again: a new key is created with manage.py create_api_client."
        )
    }

    @admin.display(description=_("role"))
    def role(self, obj):
        return ", ".join(_choice_label(Role, group.name) for group in obj.user.groups.all())

    @admin.display(description=_("organisation"))
    def organisation(self, obj):
        return str(obj.user.membership)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("user__groups")

    def has_add_permission(self, request):
        # Keys are created with `manage.py create_api_client`, which shows the key once.
        return False

    @admin.action(description=_("Revoke selected clients' keys"), permissions=["change"])
    def revoke(self, request, queryset):
        for client in queryset:
            api_client_revoke(client=client)
        self.message_user(request, _("Revoked %(count)d client(s).") % {"count": len(queryset)}, messages.SUCCESS)


class MembershipInline(CheckedInline, admin.StackedInline):
    model = Membership
    can_delete = False
    fields = ["region", "provider"]
    # Searched as typed rather than a select of every provider: the choices come from the admin's autocomplete
    # endpoint, which lists what ``ProviderAdmin.get_queryset`` (the one scoping selector) lets the user see.
    autocomplete_fields = ["region", "provider"]


User = get_user_model()
admin.site.unregister(User)


class ManagedNationally:
    """Users and logins span every region: only national admins see and manage them
    (``regions.permissions.can_manage_users``); a region's admin has the same model permissions through its role."""

    def has_module_permission(self, request):
        return can_manage_users(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return can_manage_users(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return can_manage_users(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return can_manage_users(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return can_manage_users(request.user) and super().has_delete_permission(request, obj)


@admin.register(User)
class UtomlansUserAdmin(ManagedNationally, UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "organisation", "is_staff", "is_active"]
    list_select_related = ["membership__region", "membership__provider"]

    @admin.display(description=_("organisation"))
    def organisation(self, obj):
        membership = getattr(obj, "membership", None)
        return str(membership) if membership else "-"


# Failed logins and lockouts (django-axes): national admins read them and unlock (README, Login throttling).
for _model, _model_admin in [
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
]:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, type(_model_admin.__name__, (ManagedNationally, _model_admin), {}))
