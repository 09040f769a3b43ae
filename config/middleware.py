"""Requests refused before any view runs, requests the database cannot serve right now, and the language of
each request."""

import logging
import sys
from urllib.parse import unquote

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from kernel.text import input_problem

logger = logging.getLogger(__name__)


class RejectNulCharactersMiddleware:
    """A URL whose path or query string contains NUL (``%00``) is a 400; so is an API query parameter with a
    control or invisible formatting character or a digit other than 0-9 (kernel/text.py). A path with one of those
    is a 404: it names nothing.

    No identifier, filter value or search term contains NUL, and PostgreSQL refuses it in any query: without
    this, a lookup such as ``/admin/regions/region/%00/change/`` or an admin search for ``%00`` fails with a
    database error (a 500) instead of a clear answer. Bodies are not looked at: forms and serializers refuse
    NUL per field.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            message = _("The address contains a NUL character.")
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return defaults.bad_request(request, exception=None)
        if input_problem(request.path_info):
            # An id written with look-alike digits ("/api/v1/contacts/١/": int() reads it as 1) or with an invisible
            # character names nothing: the same answer as an id that does not exist.
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
            return defaults.page_not_found(request, exception=None)
        if request.path_info.startswith("/api/"):
            # Every query parameter of the API is a number, a date, a period, a code, an id, a choice or a cursor,
            # never free text: one with a control or invisible formatting character, or a digit other than 0-9
            # (django-filter and DRF read "٣" as 3 and "٢٠٢٦-٠١-٠١" as a date), is a 400 naming the parameter.
            refused = {
                name: [problem]
                for name, values in request.GET.lists()
                for problem in [next(filter(None, map(input_problem, values)), None)]
                if problem
            }
            if refused:
                return JsonResponse(refused, status=400)
        return self.get_response(request)


class ApiErrorsAsJsonMiddleware:
    """Under ``/api/`` an error is ``{"detail": "..."}`` even when Django, not an API view, answered it.

    Django answers two kinds of request itself with an HTML page: an address no route matches (``handler404``
    answers JSON, but under ``DEBUG=1`` Django shows its technical 404 page instead of calling it), and a request
    it refuses as suspicious outside an API view (its 400 page, or the technical page under ``DEBUG=1``). An API
    client reading the documented JSON got HTML. A 400 or 404 under ``/api/`` that is not a DRF response and is
    HTML becomes the API's shape with the same status. It sits outside ``CommonMiddleware``, so that an address
    missing its trailing slash is still redirected (APPEND_SLASH) rather than answered 404.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code in (400, 404)
            and request.path_info.startswith("/api/")
            and not isinstance(response, Response)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            message = NotFound.default_detail if response.status_code == 404 else _("The request could not be read.")
            return JsonResponse({"detail": str(message)}, status=response.status_code)
        return response


# A database that cannot be reached (refused, dropped, restarting) or a transient conflict it reports the same
# way (psycopg's OperationalError covers a lost connection as well as a deadlock or a statement timeout): in every
# case the request may succeed if tried again, so the answer is 503 with Retry-After, never a 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    """A request that fails because the database is unavailable answers 503 with a clear message, not a 500.

    Under ``/api/`` the answer is JSON ``{"detail": "..."}``, elsewhere the page ``templates/503.html``, which
    needs nothing from the database; both carry ``Retry-After``. The error is logged with the request's method
    and path only (no query string, no body, no user: nothing personal).

    It sits outside the session and authentication middleware, and catches the failure wherever it happens:
    - in a view: ``process_exception`` (DRF's exception handler leaves database errors alone and re-raises them,
      so an API view's failure arrives here too);
    - in an inner middleware (a session saved, the identity-read log written): Django turns such an exception
      into a 500 response at that middleware's boundary, so it never reaches this ``__call__`` as an exception;
      the ``got_request_exception`` signal, sent while the exception is being handled, marks the request, and
      the 500 is replaced here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        error = getattr(request, "_database_unavailable", None)
        if error is not None and response.status_code == 500:
            return database_unavailable_response(request, error)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable_response(request, exception)
        return None


@receiver(got_request_exception, dispatch_uid="config.middleware.database_unavailable")
def _note_database_unavailable(sender, request=None, **kwargs):
    exception = sys.exception()
    if request is not None and isinstance(exception, DATABASE_UNAVAILABLE):
        request._database_unavailable = exception


def database_unavailable_response(request, exception: BaseException):
    first_line = (str(exception).strip().splitlines() or [""])[0][:200]
    logger.error(
        "Database unavailable: %s %s answered 503 (%s: %s)",
        request.method,
        request.path,
        type(exception).__name__,
        first_line,
    )
    message = _("The database is not available right now. Please try again in a moment.")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=503, headers=headers)
    html = render_to_string("503.html", {"message": message, "retry_after": RETRY_AFTER_SECONDS})
    return HttpResponse(html, status=503, headers=headers)


class UserLanguageMiddleware:
    """The language of a request: Swedish for everyone, English by the user's own choice.

    Replaces Django's ``LocaleMiddleware``, which takes the browser's ``Accept-Language`` and so showed English
    to a Swedish clerk whose browser happens to be set up in English. The rule:

    - **The web UI** (admin, reports, login and lockout pages): the language cookie (``LANGUAGE_COOKIE_NAME``,
      set by Django's ``set_language`` view, which the selector in the admin header posts to) when it names a
      language of ``LANGUAGES``; otherwise ``LANGUAGE_CODE`` (Swedish). ``Accept-Language`` is ignored.
    - **The API** (``/api/``): the same cookie (a signed-in web user reading the API docs), then
      ``Accept-Language`` when it names a language of ``LANGUAGES``, then ``LANGUAGE_CODE``. Machine clients
      have no cookie and no selector; the header is how an integrator asks for English error messages, as the
      OpenAPI schema documents. A client that sends no header (or one naming only other languages) gets
      Swedish. API responses therefore vary by ``Accept-Language``; the data itself (codes, ``"435.00"``, ISO
      dates) is the same in both languages.

    What goes to other parties is written in ``LANGUAGE_CODE`` whoever causes it: the invoice and specification
    PDFs (billing.documents) and the dispute e-mails (disputes.notifications).

    Every response says its language (``Content-Language``) and varies by ``Cookie``. It reads no database
    (only a cookie and a header), so it sits outside ``DatabaseUnavailableMiddleware`` and the 503 page is in
    the user's language too. As with ``LocaleMiddleware``, the language stays active after the response is
    returned, so a streamed response is rendered in it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path_info.startswith("/api/")
        language = self.language_for(request, api=api)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie", "Accept-Language") if api else ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response

    @staticmethod
    def language_for(request, *, api: bool) -> str:
        if api:
            return translation.get_language_from_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            try:
                return translation.get_supported_language_variant(chosen)
            except LookupError:
                pass  # a cookie naming a language we do not offer: the default
        return settings.LANGUAGE_CODE
