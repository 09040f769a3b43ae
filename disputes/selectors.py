"""Reads of dispute cases: who a case may be assigned to."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from disputes.models import Dispute
from regions.models import Role


def dispute_assignable(dispute: Dispute) -> QuerySet:
    """The people a case may be assigned to: the active clerks and managers of its billing region, but not the one
    who opened it (who may not decide it). The same set as ``disputes.permissions.can_resolve_dispute``: a user's
    role is its highest role group, so a member of the admin group (or a superuser) is an admin, not a clerk."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            is_superuser=False,
            membership__region_id=dispute.contact.billing_region_id,
            groups__name__in=[Role.CLERK, Role.MANAGER],
        )
        .exclude(groups__name=Role.ADMIN)
        .exclude(pk=dispute.opened_by_id)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
