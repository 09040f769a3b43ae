"""The admin, with the product's own site (``config.admin_site``): a hook, not a fork of Django's admin."""

from django.contrib.admin.apps import AdminConfig


class UtomlansAdminConfig(AdminConfig):
    """Replaces ``django.contrib.admin`` in INSTALLED_APPS: the same admin, whose default site (``admin.site``, where
    every app registers its screens, found by autodiscovery of each app's admin module) is ``UtomlansAdminSite``."""

    default_site = "config.admin_site.UtomlansAdminSite"
