"""What every changelist of the admin shares, whatever its ModelAdmin (issue 16 items 7 and 8).

``ListRules`` is mixed into every ModelAdmin the site registers (``UtomlansAdminSite.register``: the product's
own, Django's users and groups, django-axes' logs), so that no screen can forget it:

- **Only the declared filters.** A changelist accepts its ``list_filter``'s parameters (and ``date_hierarchy``'s),
  the admin's own (``o``, ``p``, ``q``, ``e``, ``all``, ``_popup``, ``_to_field``, ``_facets``) and the search key
  below, nothing else. Django's admin also applies any other ``field__lookup=value`` of the model's own fields
  (``?patient_id__regex=(`` failed in the database, a 500; ``?patient_id__startswith=19`` was a prefix search of
  identity numbers; ``?patient_fee__lt=1e999999`` overflowed, a 500). Such a parameter is now a 400, as Django
  answers a lookup through a relation it does not allow (``DisallowedModelAdminLookup``): a filtered list is never
  shown for it. A declared filter's value that the database cannot take (a date past year 9999, a number too large)
  is the admin's answer to wrong parameters, a redirect to the unfiltered list with ``?e=1``, never a 500.
- **No identity number in an address.** The search box posts its term (``<changelist>/search/``); a term that looks
  like a personnummer or samordningsnummer (``config.identity_scrubbing``) is kept in the user's session under a
  random key, and the list is shown at ``?qk=<key>``, which the changelist resolves on the server. Any other term
  stays ``?q=term`` (an external id, an invoice number: links to share). A list asked for with such a number in
  ``?q=`` (a bookmark, a hand-written address) is redirected to its key the same way, and the number is masked in
  the logs (``ScrubIdentityNumbers``). A key the session no longer has (a new login, another user) finds nothing:
  the list asks for the search again rather than show every row.
"""

import secrets
from functools import cache

from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import FieldError, PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, QueryDict
from django.urls import path, reverse
from django.utils.translation import gettext

from config.identity_scrubbing import looks_like_identity_number

# The changelist's parameter that names a search kept on the server.
SEARCH_KEY_VAR = "qk"
# The user's searches kept on the server, in the session: {key: term}, the oldest forgotten first.
SEARCHES_SESSION_KEY = "admin_searches"
SEARCHES_REMEMBERED = 20
# A longer term is kept on the server too: an address has room for a few kilobytes at most.
LONGEST_TERM_IN_ADDRESS = 200
# Errors a filter value raises when the database adapter converts it (a datetime beyond year 9999 or before year 1
# in UTC, an integer it cannot hold, a value of the wrong type): wrong parameters, not a server error.
VALUE_ERRORS = (ValueError, OverflowError, TypeError, ValidationError, FieldError)


class SeeOther(HttpResponseRedirect):
    """The answer to a posted search: the browser fetches the list with GET."""

    status_code = 303


class StrictChangeList:
    """Mixed into the ModelAdmin's ChangeList class (``ListRules.get_changelist``)."""

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(SEARCH_KEY_VAR, None)
        return lookup_params

    def get_filters(self, request):
        try:
            filters = super().get_filters(request)
        except (OverflowError, ValueError) as exc:  # e.g. date_hierarchy's day after 9999-12-31
            raise IncorrectLookupParameters(exc) from exc
        remaining = set(filters[2])
        if self.date_hierarchy and f"{self.date_hierarchy}__year" in self.filter_params:
            # The bounds Django derives from the hierarchy's year, month and day (replacing any sent under their names).
            remaining -= {f"{self.date_hierarchy}__gte", f"{self.date_hierarchy}__lt"}
        if remaining:
            # The parameter's name only (never its value: it may be an identity number).
            raise DisallowedModelAdminLookup(f"Filtering by {min(remaining)} not allowed: not a filter of this list")
        return filters

    def get_queryset(self, request, exclude_parameters=None):
        term = getattr(request, "_kept_search_term", None)
        if term is not None:
            self.query = term
        return super().get_queryset(request, exclude_parameters)

    def get_results(self, request):
        try:
            super().get_results(request)
        except VALUE_ERRORS as exc:
            raise IncorrectLookupParameters(exc) from exc


@cache
def _strict(changelist_class: type[ChangeList]) -> type[ChangeList]:
    return type(f"Strict{changelist_class.__name__}", (StrictChangeList, changelist_class), {})


def _searches(request) -> dict[str, str]:
    return dict(request.session.get(SEARCHES_SESSION_KEY, {}))


def search_keep(request, term: str) -> str:
    """Keep a search term in the user's session; the key that names it in the list's address."""
    searches = _searches(request)
    while len(searches) >= SEARCHES_REMEMBERED:
        searches.pop(next(iter(searches)))
    key = secrets.token_urlsafe(9)
    searches[key] = term
    request.session[SEARCHES_SESSION_KEY] = searches
    return key


def search_kept(request, key: str) -> str | None:
    return _searches(request).get(key)


def list_query(params: QueryDict, term: str, request) -> str:
    """The list's query string for a new search ``term`` over the other parameters (page 1): ``q=term``, or the
    key of the term kept on the server when it looks like an identity number."""
    query = params.copy()
    for name in (SEARCH_VAR, SEARCH_KEY_VAR, PAGE_VAR, ERROR_FLAG, "csrfmiddlewaretoken"):
        query.pop(name, None)
    if term:
        if looks_like_identity_number(term) or len(term) > LONGEST_TERM_IN_ADDRESS:
            query[SEARCH_KEY_VAR] = search_keep(request, term)
        else:
            query[SEARCH_VAR] = term
    return query.urlencode()


class ListRules:
    """The rules of every changelist (see the module's docstring); the site mixes it into every ModelAdmin."""

    def get_changelist(self, request, **kwargs):
        return _strict(super().get_changelist(request, **kwargs))

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_search"
        return [path("search/", self.admin_site.admin_view(self.search_view), name=name), *super().get_urls()]

    def search_view(self, request):
        """The search box's POST: back to the list with the term (or its key), the list's other parameters kept."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        if request.method != "POST":
            return HttpResponseRedirect(changelist)
        query = list_query(request.POST, request.POST.get(SEARCH_VAR, "").strip(), request)
        return SeeOther(f"{changelist}?{query}" if query else changelist)

    def changelist_view(self, request, extra_context=None):
        term = request.GET.get(SEARCH_VAR, "")
        if request.method == "GET" and term and looks_like_identity_number(term):
            return HttpResponseRedirect(f"{request.path}?{list_query(request.GET, term.strip(), request)}")
        key = request.GET.get(SEARCH_KEY_VAR)
        if key is not None:
            # Resolved for an action's POST too: "select all" acts on the searched list, never on the whole list.
            kept = search_kept(request, key)
            if kept is None:
                messages.warning(request, gettext("That search is no longer available: please search again."))
                query = request.GET.copy()
                query.pop(SEARCH_KEY_VAR)
                return HttpResponseRedirect(f"{request.path}?{query.urlencode()}".removesuffix("?"))
            request._kept_search_term = kept
        return super().changelist_view(request, extra_context)


def with_list_rules(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """The ModelAdmin class with ``ListRules`` first in its bases (itself when it has them already)."""
    if issubclass(admin_class, ListRules):
        return admin_class
    return type(admin_class.__name__, (ListRules, admin_class), {"__module__": admin_class.__module__})
