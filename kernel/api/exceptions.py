"""One exception handler: domain errors become the documented 400 / 409 shapes, never a 500.

``not_found`` is the project's 404 view: under the API, a path that matches no route (e.g. ``/contacts/1.5/``)
answers the API's JSON shape rather than the HTML page meant for the admin.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kernel.errors import ImmutableObject, InvalidInput, NotAllowed, StateConflict


def exception_handler(exc, context):
    if isinstance(exc, InvalidInput):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotAllowed):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, (StateConflict, ImmutableObject)):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"non_field_errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Throttled):
        # DRF's own message is half translated; the wait is also in the Retry-After header (seconds).
        wait = int(exc.wait or 1)
        detail = ngettext(
            "Too many requests from this API client. Try again in %(wait)d second.",
            "Too many requests from this API client. Try again in %(wait)d seconds.",
            wait,
        ) % {"wait": wait}
        headers = {"Retry-After": str(wait)}
        return Response({"detail": detail}, status=status.HTTP_429_TOO_MANY_REQUESTS, headers=headers)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent, RequestDataTooBig)):
        # Django refuses a form body (multipart or urlencoded) past its limits while DRF reads it; uncaught, these
        # were Django's HTML 400 page. The JSON shape of every API error instead, naming the limit.
        return Response({"detail": body_refusal(exc)}, status=body_refusal_status(exc))
    if isinstance(exc, Http404):
        # get_object_or_404's "No Contact matches the given query." is English and names the model: the answer is
        # the same translated "not found" for a missing object and for one outside the caller's scope.
        exc = NotFound()
    return drf_exception_handler(exc, context)


def body_refusal(exc) -> str:
    """The message for a form body Django would not read."""
    if isinstance(exc, TooManyFieldsSent):
        return _("The body has more fields than the API reads (at most %(limit)d).") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    if isinstance(exc, TooManyFilesSent):
        return _("The body has more files than the API reads (at most %(limit)d).") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    return _("The body is larger than the API reads.")


def body_refusal_status(exc) -> int:
    return (
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if isinstance(exc, RequestDataTooBig) else status.HTTP_400_BAD_REQUEST
    )


def not_found(request, exception):
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)
