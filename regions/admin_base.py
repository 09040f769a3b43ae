"""What every ModelAdmin of the product shares: the one scoping rule, applied in ``get_queryset``."""

from django.contrib import admin

from regions.selectors import visible_to


class ScopedAdmin(admin.ModelAdmin):
    """Shows only the rows the scoping selector lets the user see; anything else is a 404.

    A changelist filtered on one of the model's region fields (``<field>__<pk>__exact``) passes that value
    to the selector as pinned, so the user's own region gives an index-friendly scope (see ``visible_to``).
    """

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request), pinned=self._pinned_regions(request))

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
