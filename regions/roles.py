"""The role groups and the model permissions each role's work needs.

Roles are Django groups (``clerk``, ``manager``, ``admin``, ``provider``). The permissions below are what
the admin screens check; what a user sees inside them is decided by the scoping selector.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from regions.models import Role

_REFERENCE_VIEW = [
    "regions.view_region",
    "regions.view_regionpopulation",
    "regions.view_profession",
    "regions.view_raterecommendation",
    "regions.view_recommendationrate",
    "regions.view_recommendationcriterion",
]

_REGION_STAFF = [
    *_REFERENCE_VIEW,
    "regions.view_provider",
    "regions.add_provider",
    "regions.change_provider",
    # Contacts: the list and detail, the re-evaluate and reject actions, the CSV upload.
    "contacts.view_contact",
    "contacts.change_contact",
    "contacts.add_contact",
    "contacts.view_contactevent",
    # Disputes: the queue and the case page (its comment, assignment and decision forms check who may).
    "disputes.view_dispute",
    "disputes.change_dispute",
    # Billing: follow and start runs; read invoices, move them through the workflow (services check who may).
    "billing.view_invoicerun",
    "billing.add_invoicerun",
    "billing.view_invoice",
    "billing.change_invoice",
    "billing.view_invoiceevent",
    # The buyer's registers (review): read them, and load files into them (the load's own page and history).
    "review.view_populationentry",
    "review.view_listingentry",
    "review.view_registerload",
    "review.add_registerload",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.PROVIDER: [],
    Role.CLERK: _REGION_STAFF,
    Role.MANAGER: _REGION_STAFF,
    # Admins maintain reference data and clients; "*" means every permission of these apps.
    # They also see failed logins and unlock a locked-out user (django-axes: deleting the access attempt).
    Role.ADMIN: [
        "regions.*",
        "contacts.*",
        "billing.*",
        "disputes.*",
        "review.*",
        "auth.view_user",
        "auth.change_user",
        "auth.add_user",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
    ],
}

STAFF_ROLES = {Role.CLERK, Role.MANAGER, Role.ADMIN}


def _permissions(names: list[str]) -> list[Permission]:
    condition = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        if codename == "*":
            condition |= Q(content_type__app_label=app_label)
        else:
            condition |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(condition))


def sync_role_groups() -> None:
    """Create the role groups and set their permissions (idempotent)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(_permissions(names))
