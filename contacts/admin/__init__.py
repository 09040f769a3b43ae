"""Admin for billing clerks: the contact screen (``contacts``). Importing the package registers the screens; the names
stay importable from ``contacts.admin``."""

from contacts.admin.contacts import COUNT_CAP, CappedCountPaginator, ContactAdmin

__all__ = ["COUNT_CAP", "CappedCountPaginator", "ContactAdmin"]
