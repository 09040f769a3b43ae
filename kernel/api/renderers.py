from rest_framework.renderers import BaseRenderer, JSONRenderer


class PassthroughRenderer(BaseRenderer):
    """For views that answer with a finished Django response (a PDF, a CSV stream): accepts any Accept header.

    Such a view's errors (401, 403, 404, ...) still arrive here as data; they are answered as JSON, the same
    shape and media type as every other API error.
    """

    media_type = "*/*"
    format = "raw"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, (bytes, str)):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = JSONRenderer.media_type
        return JSONRenderer().render(data, renderer_context=renderer_context)
