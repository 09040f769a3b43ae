from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    """Dispute cases over contacts: above billing (a case cites an invoice line, an accepted objection credits it).
    Their admin module is found by the admin's autodiscovery (after billing's, whose invoice screen it extends: the
    app comes after billing in INSTALLED_APPS), their Celery task by Celery's."""

    name = "disputes"
    verbose_name = _("Disputes")

    def ready(self) -> None:
        # Its Celery task (the daily deadline digest) is registered in every process, not only in a worker.
        from disputes import tasks  # noqa: F401
