from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender, **kwargs):
    from regions.roles import sync_role_groups

    sync_role_groups()


class RegionsConfig(AppConfig):
    name = "regions"
    verbose_name = _("Regions and reference data")

    def ready(self) -> None:
        # After every migrate (and test-database flush) the role groups carry the current permissions.
        post_migrate.connect(_sync_role_groups, dispatch_uid="regions.sync_role_groups")
