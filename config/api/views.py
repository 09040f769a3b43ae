from regions.selectors import visible_to


class ScopedQuerysetMixin:
    """Every API list and detail goes through the scoping selector; out of scope is 404."""

    def get_queryset(self):
        return visible_to(self.request.user, super().get_queryset())
