"""What every ModelAdmin of the product shares: the one scoping rule, applied in ``get_queryset``."""

from collections.abc import Mapping

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from kernel.forms import checked
from regions.permissions import can_change_reference_data
from regions.selectors import visible_to


def confirming_action_form(confirmations: Mapping[str, str]) -> type[helpers.ActionForm]:
    """The changelist's action form, whose irreversible actions carry the question ``confirm.js`` asks before
    the form is sent (``<option value="publish" data-confirm="…">``; the CSP allows no inline handler)."""

    class ConfirmingSelect(forms.Select):
        def create_option(self, name, value, *args, **kwargs):
            option = super().create_option(name, value, *args, **kwargs)
            if value in confirmations:
                option["attrs"]["data-confirm"] = str(confirmations[value])
            return option

    class ConfirmingActionForm(helpers.ActionForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["action"].widget = ConfirmingSelect()

    return ConfirmingActionForm


class CheckedInline:
    """Mixin for inlines: their forms refuse what ``CheckedInputForm`` refuses (kernel/forms.py)."""

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("form", checked(self.form))
        return super().get_formset(request, obj, **kwargs)


class ViewOnlyAdmin:
    """Mixin for screens that only show what the product wrote (logs, upload batches, loaded registers): nobody
    adds, changes or deletes their rows in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedAdmin(admin.ModelAdmin):
    """Shows only the rows the scoping selector lets the user see; anything else is a 404.

    A changelist filtered on one of the model's region fields (``<field>__<pk>__exact``) passes that value
    to the selector as pinned, so the user's own region gives an index-friendly scope (see ``visible_to``).

    Every screen loads the project's styles and ``confirm.js``: forms with ``data-confirm`` ask before they are
    sent, and so do the actions named in ``action_confirmations`` (action name → the question).
    """

    action_confirmations: Mapping[str, str] = {}
    empty_value_display = "–"  # as every other empty value of the product's screens (Django's is "-")
    # Whether the object's page shows its own history (an element ``id="history"``): the page's "History" button
    # then opens that, not Django's list of admin log entries (empty for what the services changed).
    own_history = False

    class Media:
        css = {"all": ["utomlans/admin.css"]}
        js = ["utomlans/confirm.js"]

    @property
    def action_form(self):
        return confirming_action_form(self.action_confirmations)

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Control and invisible formatting characters, and digits other than 0-9, refused (kernel/forms.py).
        return checked(super().get_form(request, obj, change, **kwargs))

    def history_view(self, request, object_id, extra_context=None):
        if not self.own_history:
            return super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        opts = self.model._meta
        if obj is None:  # outside the user's scope or gone: answered as Django answers for its own pages
            return self._get_obj_does_not_exist_redirect(request, opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]) + "#history")

    def object_label(self, obj) -> str | None:
        """How the page names its object (heading, breadcrumbs, browser title) when the model's ``__str__`` shows
        ids or codes a person should not need to read; None keeps ``__str__``."""
        return None

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        label = self.object_label(obj) if obj is not None else None
        if label:
            context.update(subtitle=label, object_label=label)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request), pinned=self._pinned_regions(request))

    # What every region shares (``Scoping.public``: regions, populations, professions, recommendation versions)
    # is changed by national admins only; a region's admin, with the same model permissions, reads it.
    def _may_change_shared_data(self, request) -> bool:
        shared = getattr(getattr(self.model, "Scoping", None), "public", False)
        return not shared or can_change_reference_data(request.user)

    def has_add_permission(self, request):
        return self._may_change_shared_data(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_change_shared_data(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_change_shared_data(request) and super().has_delete_permission(request, obj)

    def _pinned_regions(self, request) -> dict[str, str]:
        rules = getattr(self.model, "Scoping", None)
        pinned = {}
        for name in getattr(rules, "region_fields", ()):
            if "__" in name:  # a region reached through a relation has no list filter of its own here
                continue
            target = self.model._meta.get_field(name).target_field.name
            value = request.GET.get(f"{name}__{target}__exact")
            if value:
                pinned[name] = value
        return pinned


def field_labels(model) -> dict[str, str]:
    """The model's field names and their labels, for naming the fields of a change."""
    return {field.name: str(field.verbose_name) for field in model._meta.fields}
