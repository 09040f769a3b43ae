import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("utomlans")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id carried into tasks and set while they run (signal receivers, in the web process and the worker).
import config.observability.logs  # noqa: E402, F401
