"""JSON request parsing for the whole API: orjson (bulk bodies are megabytes), with a size limit."""

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


class JsonParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(
                _("The body is larger than %(limit)d MB; send at most 10 000 contacts per request.")
                % {"limit": limit // (1024 * 1024)}
            )
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": exc}) from None
