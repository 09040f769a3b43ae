"""Issue 16 item 8: no personal identity number in a log. The filter masks them in logged addresses (the development
server's access log, django.request's lines) and leaves organisation numbers and other figures alone."""

import io
import logging
import sys

import pytest

from config.identity_scrubbing import ScrubIdentityNumbers, looks_like_identity_number, scrub, scrub_identity_numbers
from regions.models import Role
from tests.factories import personnummer

NUMBER = personnummer("19121212", "121")  # 19121212-1212


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "GET /admin/contacts/contact/?q=19121212-1212 HTTP/1.1",
            "GET /admin/contacts/contact/?q=19121212-**** HTTP/1.1",
        ),
        ("?q=191212121212&p=2", "?q=19121212-****&p=2"),
        ("?q=121212-1212", "?q=121212-****"),
        ("?q=1212121212", "?q=121212-****"),
        ("?q=19121212%2B1212", "?q=19121212-****"),  # a plus sign, URL-encoded
        ("?q=121212+1212", "?q=121212-****"),  # a plus sign, or a space in a form's encoding
        ("?q=19121212%201212", "?q=19121212-****"),
        ("/api/v1/contacts/?patient_id=19850372-2385", "/api/v1/contacts/?patient_id=19850372-****"),  # samordning
        ("a-19121212-1212-b", "a-19121212-****-b"),
        # Not identity numbers: an organisation number ("month" 21), an invoice number, a bankgiro, a period, ids.
        ("Org.nr 232100-0032", "Org.nr 232100-0032"),
        ("/admin/billing/invoice/?q=04-2026-000001", "/admin/billing/invoice/?q=04-2026-000001"),
        ("bankgiro 5402-9681", "bankgiro 5402-9681"),
        ("period=2026-01 id=12345678901", "period=2026-01 id=12345678901"),
        ("1234567890123", "1234567890123"),  # 13 digits: no number ends or starts inside it
    ],
)
def test_what_is_masked_and_what_is_not(text, expected):
    assert scrub_identity_numbers(text) == expected
    assert looks_like_identity_number(text) == (text != expected)


def test_a_record_is_masked_in_its_message_its_arguments_and_its_traceback():
    try:
        raise ValueError(f"no contact {NUMBER}")
    except ValueError:
        arguments = (f"/x/?q={NUMBER}",)
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Error: %s", arguments, None)
        record.exc_info = sys.exc_info()

    kept = ScrubIdentityNumbers().filter(record)

    assert kept is True
    assert record.getMessage() == "Error: /x/?q=19121212-****"
    assert "no contact 19121212-****" in record.exc_text
    assert "1212-1212" not in record.exc_text


def test_the_development_servers_access_log_is_scrubbed():
    """Django's runserver logs every request line, query string included, through ``django.server``."""
    logger = logging.getLogger("django.server")
    # The settings' handler (pytest adds its own capturing handlers beside it).
    (handler,) = [h for h in logger.handlers if any(isinstance(f, ScrubIdentityNumbers) for f in h.filters)]
    stream = io.StringIO()
    # Swapped directly, not with setStream(), which flushes the stream it replaces: the handler was made with the
    # sys.stderr of the moment, which an earlier test's output capturing may have closed since.
    previous, handler.stream = handler.stream, stream
    try:
        logger.info('"%s" %s %s', f"GET /admin/contacts/contact/?q={NUMBER}&p=2 HTTP/1.1", 302, 0)
    finally:
        handler.stream = previous

    line = stream.getvalue()
    assert '"GET /admin/contacts/contact/?q=19121212-****&p=2 HTTP/1.1" 302 0' in line
    assert "1212-1212" not in line


@pytest.mark.django_db
def test_a_request_logged_by_django_is_scrubbed(client, make_user, caplog):
    """A 404 for an address with a number in it: django.request logs the path ("Not Found: ..."), masked before any
    handler sees it."""
    client.force_login(make_user(Role.CLERK, "04"))

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(f"/no-such-page/{NUMBER}/")

    assert response.status_code == 404
    messages = [record.getMessage() for record in caplog.records if record.name == "django.request"]
    assert messages == ["Not Found: /no-such-page/19121212-****/"]


KEY = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Authorization: Token {KEY}", "Authorization: Token ****"),
        (f"{{'HTTP_AUTHORIZATION': 'Token {KEY}'}}", "{'HTTP_AUTHORIZATION': 'Token ****'}"),
        (f'{{"authorization": "Bearer {KEY}"}}', '{"authorization": "Bearer ****"}'),
        (f"GET /x?api_key={KEY}&page=2", "GET /x?api_key=****&page=2"),
        (f"X-API-Key: {KEY}", "X-API-Key: ****"),
        ("METRICS_TOKEN=s3cret-value", "METRICS_TOKEN=****"),
        ("password=hunter2 accepted", "password=**** accepted"),
        ("SENTRY dsn=https://public@sentry.example/1", "SENTRY dsn=****"),
        (f"sent Token {KEY} and 19121212-1212", "sent Token **** and 19121212-****"),
        # Words, not credentials: left alone.
        ("Invalid token.", "Invalid token."),
        ("The token was revoked", "The token was revoked"),
        ("Token authentication failed", "Token authentication failed"),
        (
            'SELECT "auth_user"."password", "auth_user"."last_login"',
            'SELECT "auth_user"."password", "auth_user"."last_login"',
        ),
    ],
)
def test_credentials_are_masked_by_the_same_rule(text, expected):
    assert scrub(text) == expected
