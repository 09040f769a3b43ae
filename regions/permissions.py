"""Who may do what: the one module of permission decisions (views and admin ask here)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from regions.models import Role
from regions.selectors import scope_of


def is_admin(user) -> bool:
    return scope_of(user).role == Role.ADMIN


def can_create_provider(user) -> bool:
    """Providers are created through the API by admins (region staff add their own in the admin)."""
    return is_admin(user)


class ReadOnlyOrAdmin(BasePermission):
    """Any scoped user may read; only admins may write."""

    def has_permission(self, request, view):
        if scope_of(request.user).role is None:
            return False
        return request.method in SAFE_METHODS or is_admin(request.user)
