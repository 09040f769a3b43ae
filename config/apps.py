"""The admin, with the product's own site (``config.admin_site``): a hook, not a fork of Django's admin."""

from django.contrib.admin.apps import AdminConfig


class UtomlansAdminConfig(AdminConfig):
    """Replaces ``django.contrib.admin`` in INSTALLED_APPS: the same admin, whose default site (``admin.site``, where
    every app registers its screens) is ``UtomlansAdminSite``."""

    default_site = "config.admin_site.UtomlansAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscovery: each app's admin module
        # The disputes: a package of contacts (their models are the contacts app's) above billing, so no app's admin
        # or tasks module imports them; they register their screens and their Celery task when imported here, from
        # the top of the house, in every process (web and worker: Celery's Django fixup sets Django up).
        import contacts.disputes.admin
        import contacts.disputes.tasks  # noqa: F401
