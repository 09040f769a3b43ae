from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # The jobs its services queue by name (kernel.jobs) are registered in every process, not only in a worker.
        from billing import tasks  # noqa: F401
