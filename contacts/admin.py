"""The contacts admin for billing clerks: a changelist that stays fast over millions of rows, a read-only
detail page (facts, evaluation, criteria, history), re-evaluation and manual rejection actions, and a CSV upload
that goes through the one intake path.

Permissions are Django model permissions, like every admin screen (``regions/roles.py`` grants them per role):
``contacts.view_contact`` to see, ``contacts.change_contact`` for the actions, ``contacts.add_contact`` to upload.
What a user sees inside is decided by the scoping selector (``ScopedAdmin``); who may reject a contact and who
sees full identity numbers by ``contacts.permissions``.
"""

import datetime as dt
import secrets
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.business_time import period_bounds, stockholm_today
from config.errors import DomainError
from config.history import Via
from config.money import format_sek
from config.text import is_ascii_digits, neutralise
from contacts.audit.models import ReadVia
from contacts.audit.services import identity_shown
from contacts.csv_columns import upload_columns, upload_template_csv
from contacts.csv_upload import ParsedCsv, parse_contacts_csv
from contacts.filters import reason_condition
from contacts.forms import CsvUploadForm, RejectForm
from contacts.identifiers import PersonalIdentityError, mask_personal_identity, parse_personal_identity
from contacts.intake import contacts_upsert
from contacts.models import Contact, Content, EventKind, Mode, Status
from contacts.permissions import can_reject, sees_full_identity
from contacts.reasons import REASON_LABELS, Reason
from contacts.services import contact_decision, contact_reject, contacts_reevaluate
from regions.admin_base import ScopedAdmin, person
from regions.models import Criterion, Provider
from regions.selectors import scope_of, visible_to

# The changelist counts at most this many rows; beyond it the list says "more than" and asks for a filter.
COUNT_CAP = 10_000
# At most this many contacts are rejected by one action (each one is its own locked transaction).
MAX_REJECT = 1_000
# At most this many selected contacts are listed on the rejection confirmation page.
MAX_LISTED = 100


class CappedCountPaginator(Paginator):
    """A paginator whose ``count`` never scans more than ``COUNT_CAP + 1`` rows.

    Django's admin needs a count (result count, number of pages). ``COUNT(*)`` over millions of contacts
    takes seconds on PostgreSQL, filtered or not, so the count runs over a sliced query,
    ``SELECT COUNT(*) FROM (SELECT ... LIMIT cap + 1)``, which stops after ``cap + 1`` rows. Up to the cap the
    count is exact; above it the paginator reports the cap (``capped`` is True) and the list shows the first
    ``COUNT_CAP`` rows in order, with a note asking to narrow the list with filters, the dates or a search.
    Deep OFFSET pages would be slow anyway. An estimate (PostgreSQL's ``reltuples``) was not used: it only
    fits the unfiltered table, and a clerk's list is always filtered by the scope.
    """

    cap = COUNT_CAP

    @cached_property
    def _counted(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap


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


# The user's recent CSV uploads whose stored contacts the rules rejected, in the session: {key: {"label", "ids"}}.
UPLOADS_SESSION_KEY = "contacts_csv_uploads"
# How many uploads the session remembers (the oldest is forgotten first).
UPLOADS_REMEMBERED = 5


def remember_upload(request, *, file_name: str, contact_ids: list[int]) -> str:
    """Remember contacts of an upload in the user's session; the key the contact list's ``UploadFilter`` takes.

    No upload batch is stored with the contacts, and a list of ids in the link would pass the length a request line
    may have (a few kilobytes) for a large file, so the ids stay on the server, as runs of consecutive ids (a file's
    new contacts get consecutive ids)."""
    uploads = dict(request.session.get(UPLOADS_SESSION_KEY, {}))
    while len(uploads) >= UPLOADS_REMEMBERED:
        uploads.pop(next(iter(uploads)))
    key = secrets.token_hex(4)
    label = f"{neutralise(file_name[:60])} {localtime().strftime('%Y-%m-%d %H:%M')}"
    uploads[key] = {"label": label, "runs": _runs(sorted(contact_ids))}
    request.session[UPLOADS_SESSION_KEY] = uploads
    return key


def _runs(ids: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for pk in ids:
        if runs and runs[-1][1] == pk - 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    return runs


class UploadFilter(admin.SimpleListFilter):
    """The contacts of one of the user's recent CSV uploads that the rules rejected (the upload report links here).
    Offered only while the session remembers an upload; an unknown or forgotten key shows no contacts."""

    title = _("CSV upload: rejected contacts")
    parameter_name = "upload"

    def _uploads(self, request) -> dict:
        return request.session.get(UPLOADS_SESSION_KEY, {})

    def lookups(self, request, model_admin):
        return [(key, upload["label"]) for key, upload in reversed(self._uploads(request).items())]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        upload = self._uploads(request).get(self.value())
        if upload is None:
            return queryset.none()
        ids = [pk for first, last in upload["runs"] for pk in range(first, last + 1)]
        return queryset.filter(pk__in=ids)


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
        "status",
        ReasonFilter,
        OutOfCountyFilter,
        "billing_region",
        "home_region",
        ProviderFilter,
        "profession",
        UploadFilter,
    ]
    list_select_related = ["provider", "home_region", "billing_region", "profession"]
    # Matched exactly in get_search_results (never icontains): a full personal identity number or an external id.
    search_fields = ["=external_id", "=patient_id"]
    search_help_text = _("A full personal identity number (YYYYMMDD-NNNN) or an exact external id.")
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

        return [
            "started_at",
            "external_id",
            "provider_name",
            patient,
            "home_region",
            "billing_region",
            "profession",
            "status",
            "reasons_display",
            "amount_display",
        ]

    def get_list_display_links(self, request, list_display):
        return ["started_at", "external_id"]

    @admin.display(description=_("care provider"))
    def provider_name(self, obj):
        return obj.provider.name

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
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            identity = parse_personal_identity(term, today=stockholm_today())
        except PersonalIdentityError:
            return queryset.filter(external_id=term), False
        return queryset.filter(patient_id=identity.number), False

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
        rows = format_html_join(
            "",
            '<tr class="criterion-{}"><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    "passed" if result.passed else "failed",
                    Criterion(result.criterion).label if result.criterion in Criterion else result.criterion,
                    gettext("Met") if result.passed else gettext("Not met"),
                    "" if result.passed else REASON_LABELS[Reason(result.reason)],
                )
                for result in decision.criteria
            ),
        )
        return format_html(
            '<table class="contact-criteria"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table><p>{}</p>",
            gettext("Criterion"),
            gettext("Result"),
            gettext("Reason"),
            rows,
            gettext("Recommendation version: %(code)s") % {"code": decision.recommendation},
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
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            [
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
            ],
        )
        headers = format_html_join(
            "",
            "<th>{}</th>",
            (
                (label,)
                for label in (
                    gettext("Event"),
                    gettext("Time"),
                    gettext("Via"),
                    gettext("By"),
                    gettext("Changes"),
                    gettext("Result before"),
                    gettext("Result after"),
                    gettext("Note"),
                )
            ),
        )
        return format_html(
            '<table class="contact-history" id="history"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}',
            headers,
            rows,
            "" if events else format_html('<p class="contact-no-changes">{}</p>', gettext("No changes recorded.")),
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
        if not self.has_upload_permission(request):
            raise PermissionDenied
        form = CsvUploadForm(request.POST or None, request.FILES or None)
        report = None
        file_errors: list[str] = []
        changelist_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            parsed = parse_contacts_csv(upload.read())
            file_errors = parsed.errors
            if not file_errors and not parsed.items:
                file_errors = [gettext("The file has a header row but no contacts.")]
            if not file_errors:
                report = self._upload(request, parsed, file_name=upload.name, changelist_url=changelist_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Upload contacts (CSV)"),
            "opts": self.opts,
            "form": form,
            "file_errors": file_errors,
            "report": report,
            "changelist_url": changelist_url,
            "template_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_upload_csv_template"),
            "columns": upload_columns(request.user),
        }
        return TemplateResponse(request, "admin/contacts/contact/upload_csv.html", context)

    def _upload(self, request, parsed: ParsedCsv, *, file_name: str, changelist_url: str) -> dict:
        """Store a parsed file's rows through intake; the report of what became of each (the page's "Result").

        Rows the parsing refused (a local time that does not exist) are not sent; every other row is. The report
        lists every refused row by its file line, and links to the stored contacts of the file that the rules
        rejected (``UploadFilter``)."""
        sent = [index for index in range(len(parsed.items)) if index not in parsed.item_errors]
        result = contacts_upsert(
            items=[parsed.items[index] for index in sent],
            user=request.user,
            channel=Via.CSV,
            text_booleans=True,
            lines=[parsed.lines[index] for index in sent],
        )
        refused = [(sent[error.index], error.external_id, error.errors) for error in result.errors]
        refused += [
            (index, parsed.items[index].get("external_id"), errors) for index, errors in parsed.item_errors.items()
        ]
        refused_indexes = {sent[error.index] for error in result.errors}
        stored_ids = [pk for index, pk in result.ids.items() if sent[index] not in refused_indexes]
        rejected_ids = sorted(
            Contact.objects.filter(pk__in=stored_ids, status=Status.REJECTED).values_list("pk", flat=True)
        )
        rules_rejected_url = None
        if rejected_ids:
            key = remember_upload(request, file_name=file_name, contact_ids=rejected_ids)
            rules_rejected_url = f"{changelist_url}?{urlencode({UploadFilter.parameter_name: key})}"
        return {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": [
                {
                    "line": parsed.lines[index],
                    "external_id": external_id if isinstance(external_id, str) else "",
                    # By the file's column; a message about the row as a whole under no name at all.
                    "errors": sorted(
                        ("" if field == "non_field_errors" else field, messages) for field, messages in errors.items()
                    ),
                }
                for index, external_id, errors in sorted(refused, key=lambda entry: entry[0])
            ],
            "rules_rejected": len(rejected_ids),
            "rules_rejected_url": rules_rejected_url,
        }

    def upload_csv_template_view(self, request):
        """A CSV file to start from: the header row and one example row, as Swedish Excel opens it (UTF-8 with a
        byte-order mark, semicolons)."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        response = HttpResponse(upload_template_csv(request.user), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="kontakter-mall.csv"'
        return response


# The dispute queue lives with the disputes; registered here, with the rest of the contacts admin.
from contacts.disputes.admin import DisputeAdmin  # noqa: E402
from contacts.disputes.models import Dispute  # noqa: E402

admin.site.register(Dispute, DisputeAdmin)

# The log of reads of full identity numbers (national admins only).
from contacts.audit.admin import IdentityReadAdmin  # noqa: E402
from contacts.audit.models import IdentityRead  # noqa: E402

admin.site.register(IdentityRead, IdentityReadAdmin)
