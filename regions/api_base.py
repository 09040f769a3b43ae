"""The API base every scoped view uses: lists and details go through the one scoping selector (``visible_to``)."""

from regions.selectors import visible_to


class ScopedQuerysetMixin:
    # Every API list and detail goes through the scoping selector; out of scope is 404. (A comment, not a
    # docstring: drf-spectacular would publish a docstring as the description of every operation without one.)
    #
    # ``scope_filters`` maps query parameters to the region fields they filter exactly, so that a list filtered
    # on the user's own region gets the simpler, index-friendly scope condition (see ``visible_to``).

    scope_filters: dict[str, str] = {}

    def get_queryset(self):
        params = self.request.query_params
        pinned = {field: params[param] for param, field in self.scope_filters.items() if params.get(param)}
        return visible_to(self.request.user, super().get_queryset(), pinned=pinned)
