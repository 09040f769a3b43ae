from config.celery import app as celery_app


def test_every_project_task_is_acknowledged_late_and_requeued_if_its_worker_is_lost():
    celery_app.autodiscover_tasks(force=True)  # every app's tasks module, as a worker imports them
    project = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}

    assert set(project) >= {
        "billing.invoice_run",
        "billing.refresh_reports",
        "billing.render_documents",
        "billing.schedule_monthly_runs",
        "contacts.dispute_deadline_digest",
        "contacts.reevaluate_since",
        "regions.count_regions",
    }
    assert {name: task.acks_late for name, task in project.items()} == dict.fromkeys(project, True)
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1
    assert celery_app.conf.broker_transport_options == {"visibility_timeout": 1800}
