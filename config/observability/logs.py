"""Structured logs, each line carrying the id of the request (or the task) that caused it.

- ``RequestIdMiddleware`` gives every request an id: the caller's ``X-Request-ID`` when it is a sane token (1-64
  letters, digits, ``.``, ``_``, ``:``, ``-``, and nothing the logs would mask), otherwise a
  new random one; the response carries it back in ``X-Request-ID``. The id is kept in a context variable from
  then until the request has finished, so Django's own lines about the response (``django.request``'s "Not Found:
  …", written after the last middleware returned) carry it too.
- Every log record gets the current id as ``record.request_id`` when it is created (a log record factory), or
  ``-`` outside a request and a task.
- A task queued during a request carries the id in its message headers (``before_task_publish``); the worker sets it
  for the task's duration (``task_prerun``/``task_postrun``), so the task's lines, and the tasks it queues in turn,
  carry the request's id. A task run in-process (no broker) runs inside the request and keeps its id as it is.
- ``JsonFormatter`` (python-json-logger) writes one JSON object a line: ``time``, ``level``, ``logger``, ``message``,
  ``request_id`` and the record's extra fields; ``TextFormatter`` the same as a readable line. ``LOG_FORMAT`` in
  settings chooses. Both mask identity numbers and credentials in the whole line they write (``scrub``), traceback
  and extra fields included, after ``ScrubIdentityNumbers`` has masked the message.
"""

import contextvars
import logging
import re
import uuid

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from django.core.signals import request_finished, request_started
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from config.identity_scrubbing import scrub

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# The name of the Celery message header that carries the id into a task.
TASK_HEADER = "utomlans_request_id"
NO_REQUEST = "-"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("utomlans_request_id", default=None)


def request_id_of(incoming: str | None) -> str:
    """The caller's id when it is a sane token, otherwise a new one (32 hexadecimal digits). Never one the logs would
    mask (digits that look like an identity number, ``password:…``): the id in a log line is the id the caller got."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming) and scrub(incoming) == incoming:
        return incoming
    while scrub(generated := uuid.uuid4().hex) != generated:
        pass
    return generated


class RequestIdMiddleware:
    """The first middleware: every line logged while the request is answered carries its id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request.headers.get(REQUEST_ID_HEADER))
        _request_id.set(request.request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


def _forget_request_id(sender, **kwargs):
    """Between requests a thread (or the test client's caller) carries no id: cleared when a request starts (before
    the middleware sets its own) and once it has finished (its response closed)."""
    _request_id.set(None)


request_started.connect(_forget_request_id, dispatch_uid="config.observability.logs.request_started")
request_finished.connect(_forget_request_id, dispatch_uid="config.observability.logs.request_finished")


# --- Every log record with the current id -----------------------------------------------------------------------

_previous_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    record = _previous_factory(*args, **kwargs)
    record.request_id = _request_id.get() or NO_REQUEST
    return record


if not getattr(_previous_factory, "adds_request_id", False):
    _record_with_request_id.adds_request_id = True
    logging.setLogRecordFactory(_record_with_request_id)


class RequestIdFilter(logging.Filter):
    """Gives a record made elsewhere (``logging.makeLogRecord``, another process's record) a ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or NO_REQUEST
        return True


# --- Into Celery tasks ------------------------------------------------------------------------------------------


@before_task_publish.connect(dispatch_uid="config.observability.logs.before_task_publish")
def _carry_request_id(sender=None, headers=None, **kwargs):
    request_id = _request_id.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


_task_tokens: dict[str, contextvars.Token] = {}


@setup_logging.connect(dispatch_uid="config.observability.logs.setup_logging")
def _log_as_django_does(**kwargs):
    """A Celery worker leaves logging to Django's ``LOGGING`` (applied when Celery sets Django up): the same JSON
    lines, masked, with the task's request id. (A receiver here is how Celery is told not to configure its own.)"""


@task_prerun.connect(dispatch_uid="config.observability.logs.task_prerun")
def _enter_task(sender=None, task_id=None, task=None, **kwargs):
    if task is None or not task_id:
        return
    # Through a broker the header is one of the task request's own fields; a task applied in-process with
    # ``headers=`` has it among the request's ``headers``.
    request_id = getattr(task.request, TASK_HEADER, None) or (getattr(task.request, "headers", None) or {}).get(
        TASK_HEADER
    )
    if request_id:
        _task_tokens[task_id] = _request_id.set(request_id_of(str(request_id)))
        logger.debug("Task %s[%s] runs for request %s", task.name, task_id, _request_id.get())


@task_postrun.connect(dispatch_uid="config.observability.logs.task_postrun")
def _leave_task(sender=None, task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        _request_id.reset(token)


# --- Formatters -------------------------------------------------------------------------------------------------

# The record's own attributes python-json-logger leaves out, and Django's request object (``django.request`` passes
# it as an extra field): its repr is the full address, and nothing in it belongs in a log line.
_LEFT_OUT = [*RESERVED_ATTRS, "request", "server_time"]


class JsonFormatter(BaseJsonFormatter):
    """One JSON object a line; the whole line masked."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger", "asctime": "time"})
        kwargs.setdefault("reserved_attrs", _LEFT_OUT)
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class TextFormatter(logging.Formatter):
    """A readable line (``DEBUG=1``, ``LOG_FORMAT=text``); the whole line masked, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))
