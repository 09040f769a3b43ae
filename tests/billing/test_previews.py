"""Previews of drafts: rendered once per version of the draft by a task, stored, served from storage while current;
202 with Retry-After (API) or a page that reloads itself (admin) while rendered; document endpoints throttled."""

import io
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from pypdf import PdfReader

from billing.models import Invoice
from billing.previews import services as previews
from billing.previews.models import InvoicePreview, PreviewDocument, PreviewStatus
from billing.previews.tasks import render_preview_task
from billing.services import invoice_approve, invoice_submit
from contacts.intake import contacts_upsert
from contacts.services import contact_reject
from kernel.api import throttling
from regions.models import Region, Role
from tests.billing.conftest import run_now
from tests.factories import contact_item

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def renders(monkeypatch):
    """Every rendering of a preview, by document (the real renderers still run)."""
    done = []
    for document, render in list(previews.RENDERERS.items()):

        def counted(invoice, document=document, render=render):
            done.append(document)
            return render(invoice)

        monkeypatch.setitem(previews.RENDERERS, document, counted)
    return done


@pytest.fixture
def worker(settings, monkeypatch, django_capture_on_commit_callbacks):
    """Jobs go to a broker, as in production: ``queued`` lists what was sent (after commit), ``work()`` carries it out
    as a worker would."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(render_preview_task, "delay", lambda *args: queued.append(args))

    class Worker:
        def __init__(self):
            self.queued = queued

        def get(self, client, path):
            with django_capture_on_commit_callbacks(execute=True):
                return client.get(path)

        def work(self):
            results = [render_preview_task(*args) for args in queued]
            queued.clear()
            return results

    return Worker()


@pytest.fixture
def draft(january):
    run_now()
    return Invoice.objects.get(buyer_id="25")


def test_n_requests_queue_one_render_and_then_the_stored_pdf_is_served(api_as, draft, worker, renders):
    seller, buyer = api_as(Role.CLERK, "04"), api_as(Role.MANAGER, "25")
    path = f"/api/v1/invoices/{draft.pk}/specification-pdf/"

    waiting = [worker.get(client, path) for client in (seller, buyer, seller, buyer, seller)]

    assert [response.status_code for response in waiting] == [202] * 5
    assert {response["Retry-After"] for response in waiting} == {"3"}  # 2 s, and 1 more for up to 1 000 lines
    assert {response.json()["detail"] for response in waiting} == {"PDF:en skapas; försök igen om en stund."}
    assert len(worker.queued) == 1 and renders == []

    assert worker.work() == ["rendered"]
    served = [worker.get(client, path) for client in (seller, buyer, seller)]

    assert [response.status_code for response in served] == [200, 200, 200]
    assert served[0]["Content-Type"] == "application/pdf"
    assert served[0]["Content-Disposition"] == f'inline; filename="fakturaunderlag-forhandsvisning-{draft.pk}.pdf"'
    text = _text(served[1])
    for external_id in ["lk-29", "lk-30", "ps-30", "sj-31"]:
        assert external_id in text
    assert renders == [PreviewDocument.SPECIFICATION]  # one render for eight requests
    assert worker.queued == []


def test_each_document_has_its_own_preview(api_as, draft, worker, renders):
    api = api_as(Role.CLERK, "04")

    invoice_pdf = worker.get(api, f"/api/v1/invoices/{draft.pk}/pdf/")
    specification = worker.get(api, f"/api/v1/invoices/{draft.pk}/specification-pdf/")
    worker.work()

    assert (invoice_pdf.status_code, invoice_pdf["Retry-After"]) == (202, "2")
    assert specification.status_code == 202
    assert sorted(renders) == [PreviewDocument.INVOICE, PreviewDocument.SPECIFICATION]
    assert "FÖRHANDSVISNING" in _text(worker.get(api, f"/api/v1/invoices/{draft.pk}/pdf/"))


def test_a_change_of_the_lines_renders_the_preview_again_and_removes_the_old_file(
    api_as, draft, worker, renders, staff
):
    api = api_as(Role.CLERK, "04")
    path = f"/api/v1/invoices/{draft.pk}/specification-pdf/"
    worker.get(api, path)
    worker.work()
    first = InvoicePreview.objects.get(invoice=draft)
    old_file = first.file.name
    contacts_upsert(
        items=[contact_item(provider=first.invoice.lines.first().contact.provider.hsa_id, external_id="late-lk",
                            started_at="2026-01-28T09:00:00+01:00")],
        user=staff["clerk04"],
        channel="api",
    )  # fmt: skip
    run_now()  # the run puts it on the draft: its lines change

    changed = worker.get(api, path)
    worker.work()
    again = worker.get(api, path)

    assert changed.status_code == 202
    assert again.status_code == 200
    assert "late-lk" in _text(again)
    assert renders == [PreviewDocument.SPECIFICATION, PreviewDocument.SPECIFICATION]
    assert not first.file.storage.exists(old_file)
    assert InvoicePreview.objects.get(invoice=draft).file.name != old_file


def test_a_change_of_a_party_renders_again_and_nothing_else_does(api_as, draft, worker, renders):
    api = api_as(Role.CLERK, "04")
    path = f"/api/v1/invoices/{draft.pk}/pdf/"
    worker.get(api, path)
    worker.work()

    unchanged = worker.get(api, path)
    Region.objects.filter(code="04").update(address="Box 999")
    changed = worker.get(api, path)
    worker.work()
    shown = worker.get(api, path)

    assert (unchanged.status_code, changed.status_code, shown.status_code) == (200, 202, 200)
    assert "Box 999" in _text(shown)
    assert renders == [PreviewDocument.INVOICE, PreviewDocument.INVOICE]


def test_a_render_queued_for_a_version_since_replaced_renders_nothing(api_as, draft, worker, renders):
    api = api_as(Role.CLERK, "04")
    worker.get(api, f"/api/v1/invoices/{draft.pk}/pdf/")
    Region.objects.filter(code="25").update(invoice_reference="Ny referens")  # before the worker takes the job

    assert worker.work() == ["superseded"]
    assert renders == []
    assert worker.get(api, f"/api/v1/invoices/{draft.pk}/pdf/").status_code == 202  # the new version is queued
    assert len(worker.queued) == 1


def test_a_lost_render_is_queued_again_after_the_timeout(api_as, draft, worker, settings):
    api = api_as(Role.CLERK, "04")
    path = f"/api/v1/invoices/{draft.pk}/pdf/"
    worker.get(api, path)
    worker.queued.clear()  # the worker died with it
    waiting = worker.get(api, path)
    settings.PREVIEW_RENDER_TIMEOUT = 0

    retried = worker.get(api, path)

    assert (waiting.status_code, retried.status_code) == (202, 202)
    assert len(worker.queued) == 1


def test_a_failed_render_is_recorded_and_the_next_request_tries_again(api_as, draft, worker, monkeypatch):
    api = api_as(Role.CLERK, "04")
    path = f"/api/v1/invoices/{draft.pk}/pdf/"

    def broken(invoice):
        raise RuntimeError("font missing")

    monkeypatch.setitem(previews.RENDERERS, PreviewDocument.INVOICE, broken)
    worker.get(api, path)
    with pytest.raises(RuntimeError):
        worker.work()
    failed = InvoicePreview.objects.get(invoice=draft)
    monkeypatch.undo()
    retried = worker.get(api, path)

    assert (failed.status, failed.error) == (PreviewStatus.FAILED, "RuntimeError: font missing")
    assert retried.status_code == 202 and len(worker.queued) == 1
    worker.work()
    assert worker.get(api, path).status_code == 200


def test_with_jobs_in_process_the_first_request_gets_the_pdf(api_as, draft, renders):
    api = api_as(Role.MANAGER, "25")  # the buyer's system reads drafts (API.md's scope)

    responses = [api.get(f"/api/v1/invoices/{draft.pk}/specification-pdf/") for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert renders == [PreviewDocument.SPECIFICATION]


def test_the_admin_shows_a_page_that_reloads_itself_until_the_pdf_is_ready(client, draft, staff, worker, renders):
    client.force_login(staff["clerk04"])
    path = f"/admin/billing/invoice/{draft.pk}/pdf/"

    pending = worker.get(client, path)
    again = worker.get(client, path)
    worker.work()
    ready = worker.get(client, path)

    assert (pending.status_code, again.status_code) == (202, 202)
    page = pending.content.decode()
    assert "<title>PDF:en förbereds" in page
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Sidan uppdateras av sig själv tills PDF:en är klar." in page
    assert ready.status_code == 200 and ready["Content-Type"] == "application/pdf"
    assert ready["Content-Disposition"] == f'inline; filename="faktura-{draft.pk}.pdf"'
    assert "FÖRHANDSVISNING" in _text(ready)
    assert renders == [PreviewDocument.INVOICE]


def test_an_approved_invoice_keeps_its_final_pdf_and_its_previews_are_removed(
    api_as, draft, staff, renders, django_capture_on_commit_callbacks
):
    api = api_as(Role.CLERK, "04")
    api.get(f"/api/v1/invoices/{draft.pk}/pdf/")  # previewed (in-process) while a draft
    preview_file = InvoicePreview.objects.get(invoice=draft).file
    invoice_submit(invoice=draft, by=staff["clerk04"])
    with django_capture_on_commit_callbacks(execute=True):
        approved = invoice_approve(invoice=draft, by=staff["manager04"])

    response = api.get(f"/api/v1/invoices/{approved.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="faktura-{approved.number}.pdf"'
    text = _text(response)
    assert approved.number in text and "FÖRHANDSVISNING" not in text
    assert InvoicePreview.objects.filter(invoice=draft).count() == 0
    assert not preview_file.storage.exists(preview_file.name)
    assert renders == [PreviewDocument.INVOICE]  # the final documents are the approval's, not previews


def test_a_preview_queued_before_the_approval_renders_nothing(api_as, draft, staff, worker, renders):
    worker.get(api_as(Role.CLERK, "04"), f"/api/v1/invoices/{draft.pk}/specification-pdf/")
    invoice_submit(invoice=draft, by=staff["clerk04"])
    invoice_approve(invoice=draft, by=staff["manager04"])

    assert worker.work() == ["approved"]
    assert renders == []
    assert InvoicePreview.objects.filter(invoice=draft).count() == 0


def test_an_approved_invoice_still_being_rendered_says_when_to_ask_again(api_as, draft, staff):
    invoice_submit(invoice=draft, by=staff["clerk04"])
    invoice_approve(invoice=draft, by=staff["manager04"])  # the render task waits for the commit

    response = api_as(Role.CLERK, "25").get(f"/api/v1/invoices/{draft.pk}/specification-pdf/")

    assert (response.status_code, response["Retry-After"]) == (202, "5")
    assert response.json() == {"detail": "PDF:en skapas; försök igen om en stund."}


def test_document_endpoints_have_a_smaller_budget_of_their_own(api_as, draft, settings, monkeypatch):
    cache.clear()
    monkeypatch.setattr(throttling.time, "time", lambda: 1_800_000_015.0)  # 15 s into a minute
    settings.API_THROTTLE_RATE = "100/min"
    settings.API_DOCUMENTS_THROTTLE_RATE = "3/min"
    api, other = api_as(Role.CLERK, "04"), api_as(Role.CLERK, "25")
    base = f"/api/v1/invoices/{draft.pk}"

    documents = [api.get(f"{base}/{path}").status_code for path in ("pdf/", "specification-pdf/", "specification.csv")]
    refused = api.get(f"{base}/pdf/")
    not_documents = [api.get(f"{base}/").status_code, api.get(f"{base}/lines/").status_code]
    others = other.get(f"{base}/specification.csv").status_code
    cache.clear()

    assert documents == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert refused.json() == {"detail": "För många anrop från den här API-klienten. Försök igen om 45 sekunder."}
    assert not_documents == [200, 200]  # the client's other requests are not held up
    assert others == 200  # nor is another client


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent sessions: PostgreSQL")
def test_concurrent_requests_queue_one_render(january, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(render_preview_task, "delay", lambda *args: queued.append(args))
    run_now()
    invoice_id = Invoice.objects.get(buyer_id="25").pk
    start = threading.Barrier(8)
    statuses, errors = [], []

    def request():
        try:
            invoice = Invoice.objects.get(pk=invoice_id)
            start.wait()
            preview = previews.invoice_preview_request(invoice=invoice, document=PreviewDocument.SPECIFICATION)
            statuses.append(preview.status)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert statuses == [PreviewStatus.RENDERING] * 8
    assert len(queued) == 1
    assert InvoicePreview.objects.filter(invoice_id=invoice_id).count() == 1


def test_a_draft_a_run_deletes_as_empty_takes_its_preview_files_with_it(
    api_as, draft, worker, renders, staff, django_capture_on_commit_callbacks
):
    api = api_as(Role.CLERK, "04")
    worker.get(api, f"/api/v1/invoices/{draft.pk}/specification-pdf/")
    worker.work()
    stored = InvoicePreview.objects.get(invoice=draft).file
    assert stored.storage.exists(stored.name)
    for line in draft.lines.select_related("contact"):
        contact_reject(contact=line.contact, by=staff["clerk04"], note="Fel region")

    with django_capture_on_commit_callbacks(execute=True):
        run_now()  # every contact of the draft is rejected now: the run deletes the draft

    assert not Invoice.objects.filter(pk=draft.pk).exists()
    assert not InvoicePreview.objects.filter(invoice_id=draft.pk).exists()
    assert not stored.storage.exists(stored.name)
