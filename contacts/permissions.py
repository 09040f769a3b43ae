"""Who may see and do what with a contact (the one place these decisions live)."""

from regions.models import Role
from regions.selectors import scope_of


def sees_full_identity(user, contact) -> bool:
    """Clerks, managers and admins of the billing or home region see the full personal identity number."""
    scope = scope_of(user)
    if scope.role not in (Role.CLERK, Role.MANAGER, Role.ADMIN):
        return False
    if scope.national:
        return True
    return scope.region_code in (contact.billing_region_id, contact.home_region_id)


def can_reject(user, contact) -> bool:
    """A manual rejection is the billing region's decision: its clerks and managers (and national admins)."""
    scope = scope_of(user)
    if scope.national:
        return True
    return scope.role in (Role.CLERK, Role.MANAGER) and scope.region_code == contact.billing_region_id
