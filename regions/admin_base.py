"""What every ModelAdmin of the product shares: the one scoping rule, applied in ``get_queryset``."""

from django.contrib import admin

from regions.selectors import visible_to


class ScopedAdmin(admin.ModelAdmin):
    """Shows only the rows the scoping selector lets the user see; anything else is a 404."""

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request))
