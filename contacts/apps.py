from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        # The jobs its services queue by name (kernel.jobs) are registered in every process, not only in a worker.
        from contacts import tasks  # noqa: F401
