from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from billing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceRun
from billing.services import invoice_approve, invoice_run_start, invoice_runs_start_scheduled, invoice_submit
from config.celery import app as celery_app
from kernel.business_time import stockholm_today
from regions.models import Role
from tests.worker import celery_worker, needs_worker, new_queue, tasks_sent_to, wait_for


@pytest.fixture
def submitted(month, make_user):
    """One submitted invoice (04 → 25, four contacts) and a manager to approve it."""
    from tests.billing.conftest import run_now

    run_now(period=month["period"], run_date=stockholm_today())
    invoice = Invoice.objects.get(seller_id="04", buyer_id="25")
    invoice_submit(invoice=invoice, by=month["clerk"])
    return invoice


def _content(invoice: Invoice) -> tuple:
    invoice = Invoice.objects.get(pk=invoice.pk)
    lines = sorted(invoice.lines.values_list("contact_id", "amount"))
    return invoice.status, invoice.number, invoice.total, invoice.contact_count, invoice.issue_date, lines


@pytest.fixture
def as_on_a_worker():
    """Eager tasks retried as a worker retries them. Tests (and the embedded setup) propagate an eager task's
    first error to its caller instead (CELERY_TASK_EAGER_PROPAGATES), which leaves Celery no retry to make."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def test_a_pdf_rendering_that_fails_once_is_retried_and_the_invoice_never_changes(
    submitted, make_user, api_as, monkeypatch, django_capture_on_commit_callbacks, caplog, as_on_a_worker
):
    from billing import tasks

    api = api_as(Role.CLERK, "04")
    real_render = tasks.render_invoice_pdf
    seen = []

    def render_failing_once(invoice):
        if not seen:
            # While the first attempt fails: approved and numbered, no PDF yet, and the API says so.
            seen.append((_content(invoice), api.get(f"/api/v1/invoices/{invoice.pk}/pdf/")))
            raise OSError(28, "No space left on device")
        seen.append(None)
        return real_render(invoice)

    monkeypatch.setattr(tasks, "render_invoice_pdf", render_failing_once)
    with django_capture_on_commit_callbacks(execute=True):
        approved = invoice_approve(invoice=submitted, by=make_user(Role.MANAGER, "04"))
    after = _content(approved)

    (during, pending), retried = seen
    assert retried is None and len(seen) == 2
    assert during == after
    assert after[:4] == ("approved", approved.number, Decimal("1340.00"), 4)
    assert (pending.status_code, pending.json()) == (202, {"detail": "PDF:en skapas; försök igen om en stund."})
    approved.refresh_from_db()
    assert approved.pdf.read(5) == b"%PDF-" and approved.specification_pdf.read(5) == b"%PDF-"
    done = api.get(f"/api/v1/invoices/{approved.pk}/pdf/")
    assert (done.status_code, done["Content-Type"]) == (200, "application/pdf")
    assert b"".join(done.streaming_content)[:5] == b"%PDF-"
    assert [r.getMessage() for r in caplog.records if r.name == "billing.tasks"] == [
        f"Rendering the documents of invoice {approved.pk} failed (OSError: [Errno 28] No space left on device); "
        "attempt 2 of 6 follows."
    ]


def test_a_pdf_rendering_that_keeps_failing_leaves_the_invoice_approved_and_can_be_rendered_again(
    submitted, make_user, api_as, client, monkeypatch, django_capture_on_commit_callbacks, caplog, as_on_a_worker
):
    from billing import tasks

    api = api_as(Role.CLERK, "04")
    real_render = tasks.render_invoice_pdf
    attempts = []

    def render_failing(invoice):
        attempts.append(invoice.pk)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(tasks, "render_invoice_pdf", render_failing)
    with django_capture_on_commit_callbacks(execute=True):
        approved = invoice_approve(invoice=submitted, by=make_user(Role.MANAGER, "04"))  # the approval stands
    before = _content(approved)

    assert len(attempts) == 6  # the first and five retries
    assert before[:4] == ("approved", approved.number, Decimal("1340.00"), 4)
    approved.refresh_from_db()
    assert (approved.pdf.name, approved.specification_pdf.name) == ("", "")
    pending = api.get(f"/api/v1/invoices/{approved.pk}/pdf/")
    assert (pending.status_code, pending.json()) == (202, {"detail": "PDF:en skapas; försök igen om en stund."})
    errors = [r.getMessage() for r in caplog.records if r.name == "billing.tasks" and r.levelname == "ERROR"]
    assert errors == [
        f"Rendering the documents of invoice {approved.pk} failed for good (OSError: [Errno 5] Input/output error). "
        "The invoice stays approved and unchanged without its PDFs; render them again with the admin action "
        "'Render the PDFs again'."
    ]

    # The buyer's clerk may not have it rendered; the seller's clerk may, with the admin action.
    monkeypatch.setattr(tasks, "render_invoice_pdf", real_render)
    changelist = reverse("admin:billing_invoice_changelist")
    action = {"action": "render_documents_again", "_selected_action": [approved.pk]}
    client.force_login(make_user(Role.CLERK, "25"))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        refused = client.post(changelist, action, follow=True)
    assert queued == []
    assert [str(m) for m in refused.context["messages"]] == [
        f"{approved.number}: bara säljarens handläggare och chefer får rendera dess PDF igen."
    ]
    seller_clerk = make_user(Role.CLERK, "04")
    client.force_login(seller_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(changelist, action, follow=True)
    assert [str(m) for m in done.context["messages"]] == [f"PDF:erna för {approved.number} renderas igen."]

    approved.refresh_from_db()
    assert approved.pdf.read(5) == b"%PDF-" and approved.specification_pdf.read(5) == b"%PDF-"
    assert _content(approved) == before
    assert api.get(f"/api/v1/invoices/{approved.pk}/pdf/").status_code == 200
    event = InvoiceEvent.objects.filter(invoice=approved).latest("id")
    assert (event.action, event.from_status, event.to_status, event.actor, event.via) == (
        "render_documents",
        "approved",
        "approved",
        seller_clerk,
        "admin",
    )


def test_in_the_embedded_setup_a_failing_rendering_does_not_undo_the_approval(
    submitted, make_user, api_as, monkeypatch, django_capture_on_commit_callbacks
):
    """No broker: the rendering runs in-process after the approval's commit and its error propagates (no retry);
    the approval stands all the same, and the PDF is rendered again from the admin."""
    from billing import tasks

    monkeypatch.setattr(tasks, "render_invoice_pdf", mock.Mock(side_effect=OSError(28, "No space left on device")))
    with django_capture_on_commit_callbacks(execute=True):
        approved = invoice_approve(invoice=submitted, by=make_user(Role.MANAGER, "04"))

    assert _content(approved)[:4] == ("approved", approved.number, Decimal("1340.00"), 4)
    assert api_as(Role.CLERK, "04").get(f"/api/v1/invoices/{approved.pk}/pdf/").status_code == 202


def test_rendering_again_is_refused_for_an_invoice_that_is_not_approved(submitted, make_user):
    from billing.services import invoice_documents_render
    from kernel.errors import StateConflict

    with pytest.raises(StateConflict, match="är inte godkänd"):
        invoice_documents_render(invoice=submitted, by=make_user(Role.CLERK, "04"))
    assert not InvoiceEvent.objects.filter(invoice=submitted, action="render_documents").exists()


@pytest.mark.celery_worker
@needs_worker
@pytest.mark.django_db(transaction=True)
def test_on_a_real_worker_a_pdf_that_cannot_be_stored_is_retried_until_it_can(month, make_user, tmp_path):
    """The worker's media directory has a file where the invoices' directory belongs: storing fails (OSError)
    until the test removes it; the retried task then stores both PDFs."""
    from tests.billing.conftest import run_now

    run_now(period=month["period"], run_date=stockholm_today())
    invoice = Invoice.objects.get(seller_id="04", buyer_id="25")
    invoice_submit(invoice=invoice, by=month["clerk"])
    obstacle = tmp_path / "invoices"
    obstacle.write_text("not a directory")
    queue = new_queue()
    env = {"TEST_WORKER_KEYS": f"{queue}-keys", "TEST_WORKER_MEDIA_ROOT": str(tmp_path)}
    with celery_worker(queue, settings_module="tests.worker_settings", env=env) as worker, tasks_sent_to(queue):
        approved = invoice_approve(invoice=invoice, by=make_user(Role.MANAGER, "04"))
        before = _content(approved)
        assert wait_for(lambda: "attempt 2 of 6 follows" in worker.log(), seconds=60), worker.log()
        assert not Invoice.objects.get(pk=invoice.pk).pdf
        obstacle.unlink()
        assert wait_for(lambda: bool(Invoice.objects.get(pk=invoice.pk).specification_pdf), seconds=60), worker.log()

    approved.refresh_from_db()
    assert _content(approved) == before
    assert (tmp_path / approved.pdf.name).read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / approved.specification_pdf.name).read_bytes()[:5] == b"%PDF-"
    assert "failed for good" not in worker.log()


def test_an_invoice_run_task_run_again_changes_nothing(month, django_capture_on_commit_callbacks):
    from billing.tasks import invoice_run_task

    with django_capture_on_commit_callbacks(execute=True):
        run = invoice_run_start(billing_region="04", period=month["period"])  # eager: carried out after commit
    run.refresh_from_db()
    snapshot = sorted(InvoiceLine.objects.values_list("pk", "invoice_id", "contact_id"))

    assert invoice_run_task.apply(args=[run.pk]).get() == "succeeded"
    assert sorted(InvoiceLine.objects.values_list("pk", "invoice_id", "contact_id")) == snapshot
    assert InvoiceRun.objects.get(pk=run.pk).finished_at == run.finished_at


def test_the_monthly_schedule_run_again_starts_no_second_run(providers, django_capture_on_commit_callbacks):
    import datetime as dt

    with django_capture_on_commit_callbacks(execute=False):
        first = invoice_runs_start_scheduled(today=dt.date(2026, 2, 5))
        again = invoice_runs_start_scheduled(today=dt.date(2026, 2, 5))
        InvoiceRun.objects.filter(pk=first[0]).update(status="failed")
        after_a_failure = invoice_runs_start_scheduled(today=dt.date(2026, 2, 5))

    assert [InvoiceRun.objects.get(pk=pk).billing_region_id for pk in first] == ["04", "06"]
    assert again == []
    assert [InvoiceRun.objects.get(pk=pk).billing_region_id for pk in after_a_failure] == ["04"]
