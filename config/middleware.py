"""Requests refused before any view runs."""

from urllib.parse import unquote

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


class RejectNulCharactersMiddleware:
    """A URL whose path or query string contains NUL (``%00``) is a 400.

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
        return self.get_response(request)
