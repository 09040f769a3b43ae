"""Queueing a Celery job by its name, so that a service never imports the module of the task that calls it back.

Tasks import services (each task calls one service); a service that hands work to a worker (an invoice run, an
invoice's documents, contacts to re-evaluate) names the job instead of importing it, which keeps imports one way:
``billing.tasks`` → ``billing.services``, and ``regions`` below the ``contacts`` whose job it queues. The job is the
registered task itself (``.delay``), so the embedded setup still carries it out in-process (CELERY_TASK_ALWAYS_EAGER)
and a test that replaces a task's ``delay`` sees the call. Each app's ``AppConfig.ready`` imports its ``tasks``
module, so every job is registered in the web process too, not only in a worker (whose autodiscovery does it).
"""

from celery import current_app


def job_queue(name: str, *args) -> None:
    """Send the registered task ``name`` with ``args``; raises what ``delay`` raises (e.g. the broker unreachable)."""
    current_app.tasks[name].delay(*args)
