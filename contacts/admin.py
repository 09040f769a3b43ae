"""The contacts admin for billing clerks: a changelist that stays fast over millions of rows, a read-only
detail page (facts, evaluation, criteria, history), re-evaluation and manual rejection actions, and a CSV upload
that goes through the one intake path (``contacts.uploads``: uploads as persisted batches).

Permissions are Django model permissions, like every admin screen (``regions/roles.py`` grants them per role):
``contacts.view_contact`` to see, ``contacts.change_contact`` for the actions, ``contacts.add_contact`` to upload.
What a user sees inside is decided by the scoping selector (``ScopedAdmin``); who may reject a contact and who
sees full identity numbers by ``contacts.permissions``.
"""

import datetime as dt
from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import F, Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contacts.audit.models import ReadVia
from contacts.audit.services import identity_shown
from contacts.csv_columns import upload_template_csv
from contacts.filters import parse_admin_date, reason_condition, stockholm_day_range
from contacts.forms import RejectForm
from contacts.identifiers import PersonalIdentityError, mask_personal_identity, parse_personal_identity
from contacts.models import Contact, Content, EventKind, Mode, Status
from contacts.permissions import can_reject, sees_full_identity
from contacts.reasons import REASON_LABELS, Reason
from contacts.services import contact_decision, contact_reject, contacts_reevaluate
from contacts.uploads.admin import ContactUploadFilter, upload_csv_view
from kernel.admin_history import history_table, included, person
from kernel.business_time import period_bounds, stockholm_today
from kernel.errors import DomainError
from kernel.history import Via
from kernel.money import format_sek
from kernel.paginators import COUNT_CAP, CappedCountPaginator
from kernel.text import is_ascii_digits
from regions.admin_base import ScopedAdmin
from regions.identifiers import IdentifierError, normalize_hsa_id
from regions.models import Criterion, Provider
from regions.selectors import scope_of, visible_to

# A search term ending with this is the beginning of external ids (never of identity numbers), at least MIN_PREFIX long.
PREFIX_MARK = "*"
MIN_PREFIX = 2
# At most this many contacts are rejected by one action (each one is its own locked transaction).
MAX_REJECT = 1_000
# At most this many selected contacts are listed on the rejection confirmation page.
MAX_LISTED = 100


class PeriodFilter(admin.SimpleListFilter):
    """The billing period (month, Europe/Stockholm), offered from the calendar without querying the table.

    Used instead of ``date_hierarchy``, whose drill-down runs a DISTINCT over every visible row (about half a
    second per page view on a million contacts); a period is an indexed range on ``started_at``.
    """

    title = _("period")
    parameter_name = "period"
    months = 24

    def lookups(self, request, model_admin):
        today = stockholm_today()
        year, month = today.year, today.month
        choices = []
        for _step in range(self.months):
            choices.append((f"{year:04d}-{month:02d}", f"{year:04d}-{month:02d}"))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            start, end = period_bounds(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(started_at__gte=start, started_at__lt=end)


class StartedRangeFilter(admin.ListFilter):
    """Contacts that started from one Stockholm date to another, both included (either may be left open): two date
    fields in the filter panel, ``?started_from=2026-03-01&started_to=2026-03-15``. A date that is not a date
    (``YYYY-MM-DD``, 1900-2999) is a wrong parameter: the admin shows the unfiltered list (``?e=1``)."""

    title = _("started (Stockholm dates)")
    template = "admin/contacts/contact/started_range_filter.html"
    parameters = ("started_from", "started_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.used_parameters = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)[-1].strip()
                if value:
                    self.used_parameters[name] = value
        try:
            self.first, self.last = (
                parse_admin_date(self.used_parameters[name]) if name in self.used_parameters else None
                for name in self.parameters
            )
        except ValueError as exc:
            raise IncorrectLookupParameters(exc) from exc

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        if self.first is None and self.last is None:
            return queryset
        return queryset.filter(stockholm_day_range(self.first, self.last))

    def choices(self, changelist):
        # The list's other filters and its search go along as hidden fields.
        others = {name: values for name, values in changelist.filter_params.items() if name not in self.parameters}
        yield {
            "selected": bool(self.used_parameters),
            "first": self.used_parameters.get("started_from", ""),
            "last": self.used_parameters.get("started_to", ""),
            "hidden": [(name, value) for name, values in others.items() for value in values],
            "clear_query_string": changelist.get_query_string(remove=list(self.parameters)),
        }


class ReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [(reason.value, REASON_LABELS[reason]) for reason in Reason]

    def queryset(self, request, queryset):
        if self.value() in Reason:
            return queryset.filter(reason_condition(self.value()))
        return queryset


class OutOfCountyFilter(admin.SimpleListFilter):
    """Out-of-county care or not: a contact whose patient lives in the billing region is none (rejected as not
    out-of-county, with nothing to contest); the start page's review of rejected contacts leaves those out."""

    title = _("out-of-county care")
    parameter_name = "out_of_county"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No: the patient lives in the billing region"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(home_region_id=F("billing_region_id"))
        if self.value() == "no":
            return queryset.filter(home_region_id=F("billing_region_id"))
        return queryset


class ProviderFilter(admin.SimpleListFilter):
    """Providers the user may see (the scoping selector), not every provider in the country."""

    title = _("care provider")
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        providers = visible_to(request.user, Provider.objects.order_by("name")).values_list("id", "name", "hsa_id")
        return [(str(pk), f"{name} ({hsa_id})") for pk, name, hsa_id in providers]

    def queryset(self, request, queryset):
        value = self.value()
        if is_ascii_digits(value):  # "٣".isdecimal() too, and int() reads it as 3
            return queryset.filter(provider_id=int(value))
        return queryset


def _current_result(contact: Contact) -> dict:
    """The contact's evaluation as its history stores one (``ContactEvent.result_after``)."""
    return {
        "status": contact.status,
        "reasons": contact.reason_list,
        "amount": f"{contact.amount:.2f}",
    }


def reason_labels(codes) -> list[str]:
    return [str(REASON_LABELS[Reason(code)]) if code in Reason else code for code in codes]


def yes_no(value: bool, explanation: str = "") -> str:
    """A yes/no fact as text (the admin draws a read-only boolean as an icon under the field's help text, which reads
    as if the contact were what the help text describes); the explanation only with "yes", where it says what it
    means."""
    if not value:
        return gettext("No")
    if not explanation:
        return gettext("Yes")
    return format_html('{}<div class="help">{}</div>', gettext("Yes"), explanation)


def _field_label(column: str) -> str:
    """A stored change's field (``home_region_id``, ``mode``) by its label."""
    name = column.removesuffix("_id")
    try:
        return str(Contact._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return column


def _change_value(column: str, value) -> str:
    """A stored change's value as read: choices by their labels, yes/no, kronor, Stockholm time."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    choices = {"mode": Mode, "content": Content}.get(column)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    if column == "patient_fee":
        return format_sek(Decimal(str(value)))
    if column == "started_at":
        try:
            return localize(localtime(dt.datetime.fromisoformat(value)))
        except (TypeError, ValueError):
            return str(value)
    return str(value)


_FIELD_ORDER = {field.name: index for index, field in enumerate(Contact._meta.fields)}


def _changes_text(changes: dict) -> str:
    # In the contact's field order, whatever order the database kept the JSON keys in (jsonb sorts them by length).
    ordered = sorted(changes.items(), key=lambda item: (_FIELD_ORDER.get(item[0], len(_FIELD_ORDER)), item[0]))
    return (
        "; ".join(
            f"{_field_label(name)}: {_change_value(name, before)} → {_change_value(name, after)}"
            for name, (before, after) in ordered
        )
        or "–"
    )


def _result_text(result: dict | None) -> str:
    """A stored evaluation (``ContactEvent.result_before/after``) as clerks read it."""
    if not result:
        return "–"
    parts = [str(Status(result["status"]).label) if result.get("status") in Status else str(result.get("status"))]
    if result.get("reasons"):
        parts.append("; ".join(reason_labels(result["reasons"])))
    amount = result.get("amount")
    parts.append(format_sek(Decimal(str(amount))) if amount not in (None, "") else "–")
    return " – ".join(parts)


@admin.register(Contact)
class ContactAdmin(ScopedAdmin):
    own_history = True  # the page's history table (id="history")
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facets count every filter choice over the whole list
    list_per_page = 100
    ordering = ["-started_at", "-id"]  # the (…, started_at, id) indexes
    sortable_by = ["started_at"]
    list_filter = [
        PeriodFilter,
        StartedRangeFilter,
        "status",
        ReasonFilter,
        OutOfCountyFilter,
        "billing_region",
        "home_region",
        ProviderFilter,
        "profession",
        ContactUploadFilter,
    ]
    list_select_related = ["provider", "home_region", "billing_region", "profession"]
    # Matched exactly in get_search_results (never icontains): a full personal identity number or an external id.
    search_fields = ["=external_id", "=patient_id"]
    search_help_text = _(
        "A full personal identity number (YYYYMMDD-NNNN), a care provider's HSA-id, an exact external id, or the "
        "beginning of external ids followed by * (lk-2*)."
    )
    actions = ["reevaluate", "reject"]
    fieldsets = [
        (
            _("Reported facts"),
            {
                "fields": [
                    "provider",
                    "external_id",
                    "patient_identity",
                    "home_region",
                    "home_municipality",
                    "profession",
                    "started_at",
                    "mode",
                    "strong_authentication_display",
                    "triage_display",
                    "documented_display",
                    "content",
                    "patient_fee_display",
                    "listing_unit",
                    "care_unit",
                ]
            },
        ),
        (
            _("Evaluation"),
            {
                "fields": [
                    "billing_region",
                    "status",
                    "reason_list_display",
                    "recommendation",
                    "rate_display",
                    "amount_display",
                    "overridden_display",
                    "locked_display",
                    "evaluated_at",
                ]
            },
        ),
        (_("Criteria of the recommendation version"), {"fields": ["criteria_table"]}),
        (_("History"), {"fields": ["history_table"]}),
        (
            _("Provenance"),
            {
                "fields": [
                    "created_at",
                    "created_via",
                    "created_by_display",
                    "updated_at",
                    "updated_via",
                    "updated_by_display",
                ]
            },
        ),
    ]
    change_list_template = "admin/contacts/contact/change_list.html"

    # --- permissions: read-only detail, no add form, no delete -------------------------------------------

    def has_add_permission(self, request):
        # Contacts arrive through the API or the CSV upload (the intake path), never through an admin form.
        return False

    def has_change_permission(self, request, obj=None):
        # A contact's facts come from its provider and its result from the engine: the detail page is
        # read-only. Without an object this is the permission the actions check.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_upload_permission(self, request) -> bool:
        return request.user.has_perm("contacts.add_contact") and scope_of(request.user).role is not None

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._sees_full_identity = sees_full_identity(request.user, obj)
            obj._request = request
        return obj

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    # --- changelist --------------------------------------------------------------------------------------

    def get_list_display(self, request):
        @admin.display(description=_("personal identity number"))
        def patient(obj):
            if not sees_full_identity(request.user, obj):
                return mask_personal_identity(obj.patient_id)
            identity_shown(request, contact_id=obj.pk, via=ReadVia.ADMIN_LIST)
            return obj.patient_id

        # Nine columns that fit a 1280 px screen beside the sidebar (issue 15): the regions and the profession by
        # their codes, each naming itself on hover (<abbr title>), long names and reasons wrapped (utomlans/layout.css).
        return [
            "started_at",
            "external_id",
            "provider_name",
            patient,
            "regions_display",
            "profession_display",
            "status",
            "reasons_display",
            "amount_display",
        ]

    def get_list_display_links(self, request, list_display):
        return ["started_at", "external_id"]

    @admin.display(description=_("care provider"))
    def provider_name(self, obj):
        return obj.provider.name

    @admin.display(description=_("regions (billing → home)"))
    def regions_display(self, obj):
        return format_html(
            '<abbr title="{}">{}</abbr>&nbsp;→ <abbr title="{}">{}</abbr>',
            obj.billing_region.name,
            obj.billing_region_id,
            obj.home_region.name,
            obj.home_region_id,
        )

    @admin.display(description=_("profession"))
    def profession_display(self, obj):
        return format_html('<abbr title="{}">{}</abbr>', obj.profession.name, obj.profession_id)

    @admin.display(description=_("amount"))
    def amount_display(self, obj):
        return format_sek(obj.amount)

    @admin.display(description=_("rate"))
    def rate_display(self, obj):
        return format_sek(obj.rate) if obj.rate is not None else "–"

    @admin.display(description=_("patient fee"))
    def patient_fee_display(self, obj):
        return format_sek(obj.patient_fee)

    @admin.display(description=_("created by"))
    def created_by_display(self, obj):
        return person(obj.created_by) if obj.created_by_id else "–"

    @admin.display(description=_("last changed by"))
    def updated_by_display(self, obj):
        return person(obj.updated_by) if obj.updated_by_id else "–"

    def object_label(self, obj):
        return f"{obj.external_id} ({obj.provider.name})"

    @admin.display(description=_("reasons"))
    def reasons_display(self, obj):
        return format_html_join("", "<div>{}</div>", ((label,) for label in reason_labels(obj.reason_list))) or "–"

    def get_search_results(self, request, queryset, search_term):
        """One term: a full personal identity number (exactly that patient: never a prefix or part of a number),
        a provider's HSA-id, an external id exactly, or the beginning of external ids followed by ``*``
        (``lk-2*``). The search box posts the term; an identity number never reaches the address
        (``config.admin_lists``)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            identity = parse_personal_identity(term, today=stockholm_today())
        except PersonalIdentityError:
            pass
        else:
            return queryset.filter(patient_id=identity.number), False
        if term.endswith(PREFIX_MARK):
            prefix = term.rstrip(PREFIX_MARK)
            if len(prefix) < MIN_PREFIX:
                return queryset.none(), False
            return queryset.filter(external_id__startswith=prefix), False
        try:
            hsa_id = normalize_hsa_id(term)
        except IdentifierError:
            return queryset.filter(external_id=term), False
        return queryset.filter(Q(provider__hsa_id=hsa_id) | Q(external_id=term)), False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_upload_csv": self.has_upload_permission(request),
            "count_cap": COUNT_CAP,
        }
        return super().changelist_view(request, extra_context)

    # --- detail page -------------------------------------------------------------------------------------

    @admin.display(description=_("personal identity number"))
    def patient_identity(self, obj):
        if getattr(obj, "_sees_full_identity", False):
            identity_shown(obj._request, contact_id=obj.pk, via=ReadVia.ADMIN_DETAIL)
            return obj.patient_id
        return mask_personal_identity(obj.patient_id)

    @admin.display(description=_("reasons"))
    def reason_list_display(self, obj):
        if not obj.reason_list:
            return "–"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((label,) for label in reason_labels(obj.reason_list)))
        )

    @admin.display(description=_("strong authentication"))
    def strong_authentication_display(self, obj):
        return yes_no(obj.strong_authentication)

    @admin.display(description=_("triage"))
    def triage_display(self, obj):
        return yes_no(obj.triage)

    @admin.display(description=_("documented"))
    def documented_display(self, obj):
        return yes_no(obj.documented)

    @admin.display(description=_("rejection overridden"))
    def overridden_display(self, obj):
        return yes_no(obj.overridden, gettext("An accepted dispute made this contact billable."))

    @admin.display(description=_("locked"))
    def locked_display(self, obj):
        return yes_no(obj.locked, gettext("On a submitted or approved invoice: no longer changeable."))

    @admin.display(description=_("criteria"))
    def criteria_table(self, obj):
        decision = contact_decision(obj)
        if not decision.criteria:
            return gettext("No recommendation version was in force on the contact's date: no criteria were applied.")
        rows = [
            {
                "outcome": "passed" if result.passed else "failed",
                "criterion": Criterion(result.criterion).label if result.criterion in Criterion else result.criterion,
                "result": gettext("Met") if result.passed else gettext("Not met"),
                "reason": "" if result.passed else REASON_LABELS[Reason(result.reason)],
            }
            for result in decision.criteria
        ]
        return included(
            "admin/contacts/includes/contact_evaluation.html",
            {
                "rows": rows,
                "version": gettext("Recommendation version: %(code)s") % {"code": decision.recommendation},
            },
        )

    @admin.display(description=_("history"))
    def history_table(self, obj):
        """The contact's history, its creation first. Creation is stored on the contact (when, through which
        interface, by whom); what it was then is the first later event's result before, or the contact as it
        stands when nothing has happened since."""
        events = list(obj.events.select_related("actor").order_by("at", "id"))
        created = (
            gettext("Created"),
            localize(localtime(obj.created_at)),
            Via(obj.created_via).label if obj.created_via in Via else obj.created_via,
            person(obj.created_by) if obj.created_by_id else "–",
            "–",
            "–",
            _result_text(events[0].result_before if events else _current_result(obj)),
            "–",
        )
        rows = [
            created,
            *(
                (
                    EventKind(event.kind).label if event.kind in EventKind else event.kind,
                    localize(localtime(event.at)),
                    Via(event.via).label if event.via in Via else event.via,
                    person(event.actor) if event.actor else "–",
                    _changes_text(event.changes),
                    _result_text(event.result_before),
                    _result_text(event.result_after),
                    event.note or "–",
                )
                for event in events
            ),
        ]
        headers = (
            gettext("Event"),
            gettext("Time"),
            gettext("Via"),
            gettext("By"),
            gettext("Changes"),
            gettext("Result before"),
            gettext("Result after"),
            gettext("Note"),
        )
        return history_table(
            rows,
            headers=headers,
            css_class="contact-history",
            events=bool(events),
            no_events_class="contact-no-changes",
        )

    # --- actions -----------------------------------------------------------------------------------------

    @admin.action(description=_("Re-evaluate selected contacts"), permissions=["change"])
    def reevaluate(self, request, queryset):
        ids = list(queryset.order_by().values_list("pk", flat=True))
        changed = contacts_reevaluate(contact_ids=ids, by=request.user, via=Via.ADMIN)
        self.message_user(
            request,
            gettext("Re-evaluated %(selected)d contact(s); %(changed)d changed.")
            % {"selected": len(ids), "changed": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reject selected contacts (with a note)"), permissions=["change"])
    def reject(self, request, queryset):
        contacts = list(queryset.order_by("-started_at", "-id")[: MAX_REJECT + 1])
        if len(contacts) > MAX_REJECT:
            self.message_user(
                request,
                gettext("Select at most %(max)d contacts to reject at once.") % {"max": MAX_REJECT},
                messages.ERROR,
            )
            return None
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._reject_all(request, contacts, form.cleaned_data["note"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reject contacts"),
            "opts": self.opts,
            "form": form,
            "contacts": contacts[:MAX_LISTED],
            "not_listed": max(len(contacts) - MAX_LISTED, 0),
            "selected_ids": [contact.pk for contact in contacts],
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/contacts/contact/reject_confirmation.html", context)

    def _reject_all(self, request, contacts, note: str) -> None:
        rejected = 0
        for contact in contacts:
            if not can_reject(request.user, contact):
                self.message_user(
                    request,
                    gettext("%(contact)s: only the billing region's clerks and managers may reject this contact.")
                    % {"contact": self.object_label(contact)},
                    messages.ERROR,
                )
                continue
            try:
                contact_reject(contact=contact, by=request.user, note=note, via=Via.ADMIN)
            except DomainError as exc:
                self.message_user(request, f"{self.object_label(contact)}: {exc}", messages.ERROR)
            else:
                rejected += 1
        if rejected:
            self.message_user(
                request, gettext("Rejected %(count)d contact(s).") % {"count": rejected}, messages.SUCCESS
            )

    # --- CSV upload --------------------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("upload-csv/", self.admin_site.admin_view(self.upload_csv_view), name=f"{prefix}_upload_csv"),
            path(
                "upload-csv/template/",
                self.admin_site.admin_view(self.upload_csv_template_view),
                name=f"{prefix}_upload_csv_template",
            ),
            *super().get_urls(),
        ]

    def upload_csv_view(self, request):
        # The upload page, the upload batches and their own pages live in contacts.uploads.
        return upload_csv_view(self, request)

    def upload_csv_template_view(self, request):
        """A CSV file to start from: the header row and one example row, as Swedish Excel opens it (UTF-8 with a
        byte-order mark, semicolons)."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        response = HttpResponse(upload_template_csv(request.user), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="kontakter-mall.csv"'
        return response


# The log of reads of full identity numbers (national admins only).
from contacts.audit.admin import IdentityReadAdmin  # noqa: E402
from contacts.audit.models import IdentityRead  # noqa: E402

admin.site.register(IdentityRead, IdentityReadAdmin)
