"""The public pages of the API: its OpenAPI schema and the Swagger UI and ReDoc pages that read it.

drf-spectacular's views, with three changes:

- The schema is generated once per process and language (and API version), not on every request: generating it
  takes about 0.3 s of CPU, and eight anonymous clients fetching it in a loop slowed everyone's requests fourfold.
  It depends on the code only (``SERVE_PUBLIC``: the same for every caller); a settings change in tests clears it.
- Requests without credentials are counted per address (``AnonymousRateThrottle``, ``API_ANONYMOUS_THROTTLE_RATE``),
  those of API clients and signed-in users in their own budget (``ClientRateThrottle``): 429 with Retry-After.
- The Swagger UI page keeps the project's ``Cross-Origin-Opener-Policy: same-origin``. drf-spectacular sends
  ``unsafe-none`` there for OAuth2's sign-in pop-up, which this API does not use (tokens and sessions only).
"""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.response import Response

from kernel.api.throttling import AnonymousRateThrottle, ClientRateThrottle

THROTTLES = [ClientRateThrottle, AnonymousRateThrottle]

# (language, version) → the generated schema (a dict, never changed once made); with the media type → the rendered
# body and its Content-Type (rendering the YAML, the default format, takes about as long as generating).
_schemas: dict[tuple, dict] = {}
_rendered: dict[tuple, tuple[bytes, str]] = {}


@receiver(setting_changed)
def _forget_schemas(**kwargs):
    _schemas.clear()
    _rendered.clear()


class SchemaView(SpectacularAPIView):
    throttle_classes = THROTTLES
    _key = None

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        self._key = key = (translation.get_language(), version)
        schema = _schemas.get(key)
        if schema is None:
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            schema = _schemas[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=schema,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code != 200 or self._key is None:
            return response
        key = (*self._key, response.accepted_media_type)
        if key in _rendered:
            response.content, response["Content-Type"] = _rendered[key]
        else:
            response.render()
            _rendered[key] = (response.content, response["Content-Type"])
        return response


class SwaggerView(SpectacularSwaggerView):
    throttle_classes = THROTTLES

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        del response.headers["Cross-Origin-Opener-Policy"]  # SecurityMiddleware sets the project's own
        return response


class RedocView(SpectacularRedocView):
    throttle_classes = THROTTLES
