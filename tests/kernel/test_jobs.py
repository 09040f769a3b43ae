"""kernel.jobs: a service queues a Celery job by its registered name, reaching the task itself (so the embedded
setup runs it in-process and a test that replaces a task's ``delay`` sees the call), and a name no task has is an
error, not a job silently lost."""

import pytest
from celery.exceptions import NotRegistered

from billing.tasks import invoice_run_task
from contacts.tasks import reevaluate_since
from kernel.jobs import job_queue


def test_a_job_reaches_the_registered_task_with_its_arguments(monkeypatch):
    sent = []
    monkeypatch.setattr(invoice_run_task, "delay", lambda *args: sent.append(("run", args)))
    monkeypatch.setattr(reevaluate_since, "delay", lambda *args: sent.append(("reevaluate", args)))

    job_queue("billing.invoice_run", 42)
    job_queue("contacts.reevaluate_since", "2026-01-01")

    assert sent == [("run", (42,)), ("reevaluate", ("2026-01-01",))]


def test_a_name_no_task_has_is_refused():
    with pytest.raises(NotRegistered):
        job_queue("billing.no_such_job", 1)
