"""Personal identity numbers kept out of logs and addresses (issue 16 item 8).

A personnummer or samordningsnummer is sensitive personal data: it is never written to a log, and no address the
product builds carries one. ``looks_like_identity_number`` says whether a text holds something that looks like one
(the admin's search then keeps the term on the server, ``config.admin_lists``); ``scrub_identity_numbers`` masks
every such number in a text, and ``ScrubIdentityNumbers`` does so for every log record that passes its logger
(``LOGGING`` in ``config/settings.py``: the development server's access log, ``django.request``, the console).

What "looks like one" is deliberately wider than what ``contacts.identifiers`` accepts (no check digit is verified,
so a mistyped number is masked too), and narrower than "any 10 or 12 digits": the month must be 01-12 and the day
01-31, or 61-91 for a samordningsnummer. Organisation numbers (232100-0016: "month" 21) and invoice numbers are not
masked. The separator may be written as ``-``, ``+``, a space, or URL-encoded (``%2B``, ``%2D``, ``%20``, a form's
``+``), as it appears in a logged address.

Credentials are kept out the same way (issue 20 item 4): ``scrub_secrets`` masks the value of an ``Authorization``
header (``Token …``, ``Bearer …``, ``Basic …``) and of anything named an API key, token, secret or password
(``api_key=…``, ``"token": "…"``, ``X-API-Key: …``), however it was written into a text. ``scrub`` applies both
rules: the log filter and formatters (``config.observability.logs``) and the error reports
(``config.observability.errors``) use it, so there is one masking rule for every way text leaves the process.
"""

import logging
import re

_SEPARATOR = r"(?:[-+ ]|%2[BbDd0])?"
IDENTITY_NUMBER = re.compile(
    r"(?<![0-9])"
    r"(?P<birth>(?:18|19|20)?[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01]))"
    rf"{_SEPARATOR}"
    r"[0-9]{4}"
    r"(?![0-9])"
)
MASK = "****"

# The value after an authentication scheme (at least 16 characters, so that "token expired" stays readable), or
# after a credential's name and ``:``/``=`` (quoted or not, as a header, a query parameter, a dict's repr or JSON).
SECRET = re.compile(
    r"(?i)(?P<label>"
    r"\b(?:token|bearer|basic)\s+(?=[A-Za-z0-9._~+/=-]{16,})"
    r"|\b(?:http_)?(?:authorization|x[-_]api[-_]key|api[-_]?key|api[-_]?token|access[-_]?token|auth[-_]?token"
    r"|metrics[-_]token|token|secret|secret[-_]key|password|passwd|dsn)[\"']?\s*[:=]\s*[\"']?"
    r"(?:(?:token|bearer|basic)\s+)?"
    r")"
    r"(?P<value>[A-Za-z0-9._~+/=:@-]+)"
)


def looks_like_identity_number(text: str) -> bool:
    return bool(IDENTITY_NUMBER.search(text))


def scrub_identity_numbers(text: str) -> str:
    """The text with every identity-number look-alike masked as its birth date and ``-****`` (``19121212-****``),
    as the product masks numbers on screen."""
    return IDENTITY_NUMBER.sub(lambda match: f"{match['birth']}-{MASK}", text)


def scrub_secrets(text: str) -> str:
    """The text with every credential value masked: ``Authorization: Token ****``, ``api_key=****``."""
    return SECRET.sub(lambda match: f"{match['label']}{MASK}", text)


def scrub(text: str) -> str:
    """Identity numbers and credentials masked: what may be written to a log or sent to error reporting."""
    return scrub_secrets(scrub_identity_numbers(text))


class ScrubIdentityNumbers(logging.Filter):
    """Masks identity numbers and credentials (``scrub``) in a log record's message (its arguments merged in) and
    in its traceback text.

    The record is changed in place, so every handler after the filter (and every logger the record propagates to)
    sees the masked text. It never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: logged as it is, masked as text
            message = f"{record.msg} {record.args}"
        scrubbed = scrub(message)
        if scrubbed != message or record.args:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True
