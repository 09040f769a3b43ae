from rest_framework.renderers import BaseRenderer


class PassthroughRenderer(BaseRenderer):
    """For views that answer with a finished Django response (a PDF, a CSV stream): accepts any Accept header."""

    media_type = "*/*"
    format = "raw"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data
