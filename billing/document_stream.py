"""Streaming a specification (CSV) to a client: a failure is an error the client sees, and the identity-read record
says what was actually sent.

A streamed response has sent its status (200) before its rows are read, so an error while reading them cannot
change the status. What the stream can do, and does here:

- **Nothing leaves before the first line exists.** The header is held back until the database has produced the
  first line (or has finished, for an invoice without lines), so a query that fails at once (a broken COPY, a lost
  connection) fails before the server has sent anything: the server answers 500, not a 200 with a header alone.
- **A failure later aborts the transfer.** The error is logged and raised again, so the WSGI server stops the
  response where it is: under gunicorn (HTTP/1.1, chunked) the final chunk is never sent and the client reports an
  incomplete transfer (curl: "transfer closed with outstanding read data remaining"); it never receives a
  complete-looking file. One chunk is always held back, so a file that was cut short lacks at least its last line.
- **The identity read is recorded once the lines were produced**, before the last of them leaves (a record that
  cannot be written aborts the transfer too). A stream that stops early records the lines that did leave, if any
  (a client that disconnects, an error after some lines); one that stops before any line left records nothing.

The writers feed this one chunk per line after their header (PostgreSQL's COPY sends a row per message; the Python
writers write a row per chunk), so the lines that left are counted as chunks.
"""

import logging
from collections.abc import Callable, Iterator

logger = logging.getLogger(__name__)


def specification_stream(
    chunks: Iterator[str],
    *,
    record: Callable[[int], None] | None,
    description: str,
    trailer_chunks: int = 0,
) -> Iterator[str]:
    """``chunks`` (a header, then one chunk per line, then ``trailer_chunks`` chunks such as a sum row), streamed as
    described above. ``record(lines)`` writes the identity read (None: nothing to record, e.g. masked numbers).
    ``description`` names the document in the log (never an identity number)."""
    sent = 0  # chunks yielded to the server
    recorded = False

    def record_once(lines: int) -> None:
        nonlocal recorded
        if record is not None and not recorded:
            recorded = True
            record(lines)

    def lines_sent() -> int:
        return max(sent - 1, 0)  # the header is the first chunk; the trailer is never sent before the last line

    iterator = iter(chunks)
    try:
        held = next(iterator)  # the header: not sent until a line exists
        produced = 1
        for chunk in iterator:
            produced += 1
            sent += 1  # counted as it is handed over: a client that stops now has it
            yield held
            held = chunk
        record_once(max(produced - 1 - trailer_chunks, 0))  # every line was produced: the read happens now
        sent += 1
        yield held
    except GeneratorExit:
        # The client went away (the server closes the stream): what left was read. The writer is closed first: a
        # COPY still under way holds the connection until it ends.
        _close(iterator, description)
        if lines_sent():
            _record_partial(record_once, lines_sent(), description)
        raise
    except Exception:
        logger.exception("%s failed after %d chunks were sent; the transfer is aborted.", description, sent)
        _close(iterator, description)
        if lines_sent() and not recorded:
            _record_partial(record_once, lines_sent(), description)
        raise


def _close(iterator: Iterator[str], description: str) -> None:
    try:
        getattr(iterator, "close", lambda: None)()
    except Exception:
        logger.exception("%s: its writer could not be closed.", description)


def _record_partial(record_once: Callable[[int], None], lines: int, description: str) -> None:
    try:
        record_once(lines)
    except Exception:
        logger.exception("%s: the identity read of the %d lines sent could not be recorded.", description, lines)
