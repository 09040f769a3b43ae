"""Who may do what: the one module of permission decisions (views and admin ask here)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from regions.models import Role
from regions.selectors import scope_of


def is_admin(user) -> bool:
    return scope_of(user).role == Role.ADMIN


def can_create_provider(user, region_code: str) -> bool:
    """Providers are created through the API by admins: national ones for any region, a region's admin for its own
    region (region staff add their own in the admin)."""
    scope = scope_of(user)
    return scope.national or (scope.role == Role.ADMIN and scope.region_code == region_code)


def can_manage_users(user) -> bool:
    """Users, their roles and organisations are national: a region's admin who could edit them could make itself
    national, or a superuser."""
    return bool(getattr(user, "is_superuser", False)) or scope_of(user).national


def can_change_reference_data(user) -> bool:
    """What every region shares (regions and their populations, professions, recommendation versions) is read by
    everyone in scope and changed by national admins only; a region's admin would otherwise act for all regions."""
    return scope_of(user).national


class ReadOnlyOrAdmin(BasePermission):
    """Any scoped user may read; only admins may write."""

    def has_permission(self, request, view):
        if scope_of(request.user).role is None:
            return False
        return request.method in SAFE_METHODS or is_admin(request.user)
