"""Reads of the buyer's registers.

Scope: the registers and their loads are the buyer region's own. Only that region's staff (clerks, managers, its
admin) see them; other regions, providers and national admins see nothing (``registers_visible_to``).
"""

from django.db.models import QuerySet

from regions.selectors import scope_of, visible_to
from review.models import ListingEntry, PopulationEntry, RegisterLoad

# ---------------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------------


def registers_visible_to(user, queryset: QuerySet) -> QuerySet:
    """The rows of a register (or its loads) the user may see: its own region's staff only. The general rule lets
    national admins see every region's rows; personal data held by one buyer region is for that region alone."""
    if not scope_of(user).is_region_staff:
        return queryset.none()
    return visible_to(user, queryset)


def population_for(user) -> QuerySet[PopulationEntry]:
    return registers_visible_to(user, PopulationEntry.objects.all())


def listing_for(user) -> QuerySet[ListingEntry]:
    return registers_visible_to(user, ListingEntry.objects.all())


def register_loads_for(user) -> QuerySet[RegisterLoad]:
    return registers_visible_to(user, RegisterLoad.objects.select_related("loaded_by"))
