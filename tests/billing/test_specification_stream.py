"""The specification CSV streams safely (issue 16, item 6): under DEBUG=1 (Django's CursorDebugWrapper, as ``make run``
sets it) the PostgreSQL COPY path writes every line, a failure in the middle of the stream aborts the transfer (logged),
and the identity read is recorded only once lines were produced: what left, never a read that did not happen."""

import csv
import io
import logging
from unittest import mock

import pytest
from django.core.signals import request_finished
from django.db import OperationalError, close_old_connections, connection
from django.db.backends.utils import CursorDebugWrapper
from rest_framework.test import APIRequestFactory, force_authenticate

import billing.api
import billing.documents
from billing.document_stream import specification_stream
from billing.models import Invoice
from contacts.audit.models import IdentityRead, ReadVia
from regions.models import Role
from tests.billing.conftest import run_now

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")


@pytest.fixture
def invoice(january):
    run_now()
    return Invoice.objects.get(buyer_id="25")


def reads() -> list[tuple]:
    return list(IdentityRead.objects.order_by("id").values_list("via", "invoice_id", "contact_count", "path"))


def failing_after(lines: int, writer):
    """A writer that yields its header and ``lines`` lines, then fails as a lost connection would."""

    def write(invoice, *, full_identity):
        chunks = writer(invoice, full_identity=full_identity)
        yield next(chunks)  # the header
        for _ in range(lines):
            yield next(chunks)
        raise ConnectionResetError("server closed the connection unexpectedly")

    return write


# --- DEBUG=1: the COPY path under Django's debug cursor ---------------------------------------------------------


@on_postgresql
def test_under_debug_the_copy_path_writes_every_line_and_records_the_read(settings, api_as, invoice):
    settings.DEBUG = True  # Django wraps cursors in CursorDebugWrapper, whose copy() takes the statement alone
    with connection.cursor() as cursor:
        assert isinstance(cursor, CursorDebugWrapper)
    path = f"/api/v1/invoices/{invoice.pk}/specification.csv"

    response = api_as(Role.CLERK, "25").get(path)
    body = b"".join(response.streaming_content).decode("utf-8-sig")

    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert response.status_code == 200
    assert [row[2] for row in rows[1:]] == ["lk-29", "lk-30", "ps-30", "sj-31"]
    assert rows[1][11] == "198503122387"
    assert reads() == [(ReadVia.CSV_SPECIFICATION, invoice.pk, 4, path)]
    # The debug cursor logged the COPY with the invoice bound into it.
    copies = [query["sql"] for query in connection.queries if query["sql"].lstrip().startswith("COPY")]
    assert len(copies) == 1 and f"WHERE l.invoice_id = {invoice.pk}" in copies[0]


@on_postgresql
def test_the_copy_path_sends_one_chunk_per_line(invoice):
    chunks = list(billing.documents.specification_csv(invoice, full_identity=False))

    assert len(chunks) == 1 + 4
    assert [chunk.split(";")[2] for chunk in chunks[1:]] == ["lk-29", "lk-30", "ps-30", "sj-31"]


# --- a failure in the middle of the stream ---------------------------------------------------------------------

# Both CSVs: the machine one (COPY on PostgreSQL, Python elsewhere) and the Swedish one (header, lines, sum row).
DOCUMENTS = [
    pytest.param("specification.csv", "InvoiceSpecificationCsvView", id="machine"),
    pytest.param("specification-sv.csv", "InvoiceSpecificationSwedishCsvView", id="swedish"),
]


def break_after(monkeypatch, view: str, lines: int) -> None:
    """The view's writer yields its header and ``lines`` lines, then fails as a lost connection would."""
    real = getattr(billing.api, view).write_rows

    def write(invoice, *, full_identity):
        chunks = real(invoice, full_identity=full_identity)
        yield next(chunks)  # the header
        for _ in range(lines):
            yield next(chunks)
        # The writer's query ends with the failure (as a COPY or a cursor that fails does).
        chunks.close()
        raise ConnectionResetError("server closed the connection unexpectedly")

    monkeypatch.setattr(getattr(billing.api, view), "write_rows", staticmethod(write))


def consume(response) -> tuple[list[bytes], BaseException | None]:
    """What a server would send of the streamed body, and the error that stopped it."""
    received = []
    try:
        for chunk in response.streaming_content:
            received.append(chunk)
    except Exception as error:
        return received, error
    return received, None


def logged(caplog) -> list[tuple[str, str]]:
    return [(record.levelname, record.getMessage()) for record in caplog.records if record.name == STREAM_LOGGER]


STREAM_LOGGER = "billing.document_stream"


@pytest.mark.parametrize(("name", "view"), DOCUMENTS)
def test_a_failure_before_the_first_line_sends_nothing_and_records_nothing(
    monkeypatch, caplog, api_as, invoice, name, view
):
    break_after(monkeypatch, view, lines=0)
    path = f"/api/v1/invoices/{invoice.pk}/{name}"

    with caplog.at_level(logging.ERROR, logger=STREAM_LOGGER):
        received, error = consume(api_as(Role.CLERK, "25").get(path))

    # Not even the header: the server has sent nothing, so it answers 500 instead of a 200 with a header alone.
    assert (received, type(error)) == ([], ConnectionResetError)
    assert reads() == []
    assert logged(caplog) == [
        ("ERROR", f"{path} (invoice {invoice.pk}) failed after 0 chunks were sent; the transfer is aborted.")
    ]


@pytest.mark.parametrize(("name", "view"), DOCUMENTS)
def test_a_failure_after_some_lines_aborts_the_transfer_and_records_the_lines_that_left(
    monkeypatch, caplog, api_as, invoice, name, view
):
    break_after(monkeypatch, view, lines=3)
    path = f"/api/v1/invoices/{invoice.pk}/{name}"

    with caplog.at_level(logging.ERROR, logger=STREAM_LOGGER):
        received, error = consume(api_as(Role.CLERK, "25").get(path))

    # The header and two lines left (the third was held back); then the error reaches the server, which aborts the
    # transfer: the body never ends as a whole file does (no fourth line, no sum row).
    assert type(error) is ConnectionResetError
    text = b"".join(received).decode("utf-8-sig")
    assert len(received) == 3 and text.count("\n") == 3
    assert "sj-31" not in text and "Summa" not in text
    assert reads() == [(ReadVia.CSV_SPECIFICATION, invoice.pk, 2, path)]  # what was read, not the invoice's 4
    assert logged(caplog) == [
        ("ERROR", f"{path} (invoice {invoice.pk}) failed after 3 chunks were sent; the transfer is aborted.")
    ]


@pytest.mark.parametrize(("name", "view"), DOCUMENTS)
def test_the_read_is_recorded_once_every_line_was_produced_before_the_last_leaves(
    monkeypatch, api_as, invoice, name, view
):
    path = f"/api/v1/invoices/{invoice.pk}/{name}"
    seen_when_recorded = []
    real_record = billing.api.identity_reads_record

    def record(**kwargs):
        seen_when_recorded.append(len(received))
        return real_record(**kwargs)

    monkeypatch.setattr(billing.api, "identity_reads_record", record)
    response = api_as(Role.CLERK, "25").get(path)
    assert reads() == []  # nothing yet: the view has only set the stream up

    received = []
    for chunk in response.streaming_content:
        received.append(chunk)

    chunks = 1 + 4 + (1 if name == "specification-sv.csv" else 0)  # header, lines (and the sum row)
    assert len(received) == chunks
    assert seen_when_recorded == [chunks - 1]  # written while the last chunk was still held back
    assert reads() == [(ReadVia.CSV_SPECIFICATION, invoice.pk, 4, path)]


@pytest.mark.parametrize(("name", "view"), DOCUMENTS)
def test_a_record_that_cannot_be_written_aborts_the_transfer_before_its_end(
    monkeypatch, caplog, api_as, invoice, name, view
):
    path = f"/api/v1/invoices/{invoice.pk}/{name}"
    monkeypatch.setattr(billing.api, "identity_reads_record", mock.Mock(side_effect=OperationalError("disk full")))

    with caplog.at_level(logging.ERROR, logger=STREAM_LOGGER):
        received, error = consume(api_as(Role.CLERK, "25").get(path))

    chunks = 1 + 4 + (1 if name == "specification-sv.csv" else 0)
    assert (type(error), len(received)) == (OperationalError, chunks - 1)  # the last chunk never left
    assert logged(caplog) == [
        ("ERROR", f"{path} (invoice {invoice.pk}) failed after {chunks - 1} chunks were sent; the transfer is aborted.")
    ]


def served(invoice, name, user):
    """The view's response as a WSGI server gets it (no test client around it)."""
    path = f"/api/v1/invoices/{invoice.pk}/{name}"
    request = APIRequestFactory().get(path)
    force_authenticate(request, user=user)
    view = {"specification.csv": billing.api.InvoiceSpecificationCsvView,
            "specification-sv.csv": billing.api.InvoiceSpecificationSwedishCsvView}[name]  # fmt: skip
    return view.as_view()(request, pk=invoice.pk)


def client_gone(response) -> None:
    """What the server does when the client disconnects: it closes the response. (Without closing the test's
    database connection, as Django does at the end of a request made in a transaction.)"""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize(("name", "view"), DOCUMENTS)
def test_a_client_that_goes_away_is_recorded_with_the_lines_it_was_sent(staff, invoice, name, view):
    response = served(invoice, name, staff["clerk25"])
    content = iter(response.streaming_content)

    received = [next(content) for _ in range(3)]  # the header and two lines
    client_gone(response)

    assert b"".join(received).decode("utf-8-sig").count("\n") == 3
    path = f"/api/v1/invoices/{invoice.pk}/{name}"
    assert reads() == [(ReadVia.CSV_SPECIFICATION, invoice.pk, 2, path)]
    assert Invoice.objects.filter(pk=invoice.pk).exists()  # the connection is fine for the next request


def test_a_client_that_goes_away_before_any_line_records_nothing(staff, invoice):
    response = served(invoice, "specification.csv", staff["clerk25"])
    next(iter(response.streaming_content))  # the header only

    client_gone(response)

    assert reads() == []


def test_masked_numbers_record_nothing_even_when_the_stream_completes():
    chunks = list(specification_stream(iter(["h\n", "a\n", "b\n"]), record=None, description="test"))

    assert chunks == ["h\n", "a\n", "b\n"]
