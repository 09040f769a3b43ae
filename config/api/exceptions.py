"""One exception handler: domain errors become the documented 400 / 409 shapes, never a 500.

``not_found`` is the project's 404 view: under the API, a path that matches no route (e.g. ``/contacts/1.5/``)
answers the API's JSON shape rather than the HTML page meant for the admin.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import ngettext
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import ImmutableObject, InvalidInput, NotAllowed, StateConflict


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
    if isinstance(exc, Http404):
        # get_object_or_404's "No Contact matches the given query." is English and names the model: the answer is
        # the same translated "not found" for a missing object and for one outside the caller's scope.
        exc = NotFound()
    return drf_exception_handler(exc, context)


def not_found(request, exception):
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)
