"""OpenAPI generation: drf-spectacular's AutoSchema, plus the error answers every operation can give.

drf-spectacular documents only the success codes a view declares. Clients (and the API fuzz test) need the
error answers as well, in the shapes ``kernel.api.exceptions`` produces (API.md, General: Errors):

- 400 ``{"field": ["message", ...]}`` for input that breaks a rule, and ``{"parameter": ["message"]}`` for a query
  parameter with a control or invisible formatting character or a digit other than 0-9; ``{"detail": "..."}`` for
  a body that is not JSON or an address with a NUL character (both ``config.middleware``), so any operation can
  answer 400;
- 401 without valid credentials, 403 when the caller's role may not do this, 404 for a path naming something
  outside the caller's scope (or a list's invalid cursor), 413 for a body over ``API_MAX_BODY_BYTES``,
  415 for a body of a media type the operation does not read, 429 when the caller is throttled, 503 when the
  database is unavailable for a moment (``config.middleware``); each ``{"detail": "..."}``.

409 (a conflict with the object's state) is declared by the views where it can happen, with ``CONFLICT``.
"""

import re

from django.utils import translation
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# Any text without a NUL character (the API refuses an address containing one).
NO_NUL = "^[^\\x00]*$"


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in the language of the request (Accept-Language).")


CONFLICT = OpenApiResponse(DetailSerializer, description="The request conflicts with the object's current state.")

VALIDATION_ERROR = {
    "type": "object",
    "description": (
        'Messages by input field, e.g. {"patient_fee": ["May not be negative."]}; "non_field_errors" for the '
        'request as a whole; {"detail": "..."} when the body cannot be read at all.'
    ),
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
            {"type": "object", "description": "Messages of nested items, by position or name."},
        ]
    },
}


# What an operation without a summary of its own does, by the view's action: "List invoices", "Approve an invoice".
ACTION_VERBS = {
    "list": "List",
    "retrieve": "Retrieve",
    "create": "Create",
    "update": "Replace",
    "partial_update": "Update",
    "destroy": "Delete",
}
# Actions whose name is not a verb to put before the object ("{a}": "an invoice").
ACTION_SUMMARIES = {
    "lines": "The lines of {a}",
    "pdf": "The PDF of {a}",
    "specification_pdf": "The specification PDF of {a}",
    "return_to_draft": "Return {a} to draft",
    "mark_sent": "Mark {a} as sent",
    "mark_paid": "Mark {a} as paid",
    "comments": "Comment on {a}",
    "bulk": "Create or update contacts in bulk",
}


class AutoSchema(openapi.AutoSchema):
    def get_description(self):
        """The view's docstring as Markdown: reST's ``literal`` is Markdown's `code`."""
        return re.sub(r"``([^`]+)``", r"`\1`", super().get_description() or "")

    def get_summary(self):
        """The view's own summary; else one made of its action and model, so that no operation lacks one."""
        summary = super().get_summary()
        if summary:
            return summary
        action = getattr(self.view, "action", None)
        queryset = getattr(self.view, "queryset", None)
        model = getattr(queryset, "model", None)
        if action is None or model is None:
            return None
        with translation.override("en"):  # the API's documentation is in English
            singular, plural = str(model._meta.verbose_name), str(model._meta.verbose_name_plural)
        if action == "list":
            return f"List {plural}"
        named = f"{'an' if singular[:1].lower() in 'aeiou' else 'a'} {singular}"
        if action in ACTION_SUMMARIES:
            return ACTION_SUMMARIES[action].format(a=named)
        verb = ACTION_VERBS.get(action) or action.replace("_", " ").capitalize()
        return f"{verb} {named}"

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code, description, schema in self._error_responses(operation):
            response = responses.setdefault(code, {"description": description})
            # A view may declare an error code with its own description only; the body is the common shape.
            response.setdefault("content", {"application/json": {"schema": schema}})
        operation["responses"] = dict(sorted(responses.items()))
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                self._describe_query_parameter(parameter)
        return operation

    @staticmethod
    def _describe_query_parameter(parameter: dict) -> None:
        """What the API reads in a query parameter, as the code reads it (schemathesis' ST201 and ST202):

        - an optional parameter given empty (``started_before=``, ``perspective=``) counts as left out, as
          django-filter and the report filters read it: ``allowEmptyValue``;
        - free text never contains NUL: the API refuses an address containing one (``config.middleware``), so
          ``cursor`` and the other free-text parameters say so with a pattern.
        """
        if not parameter.get("required"):
            parameter["allowEmptyValue"] = True
        schema = parameter.get("schema", {})
        if schema.get("type") == "string" and not ({"enum", "format", "pattern"} & set(schema)):
            schema["pattern"] = NO_NUL

    def _error_responses(self, operation: dict):
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        error = self.resolve_serializer(DetailSerializer, "response").ref
        invalid = "Invalid input: messages by field (or a body or an address that cannot be read)."
        yield "400", invalid, self._validation_ref()
        security = operation.get("security", [])
        if security and {} not in security:
            yield "401", "No valid credentials (Authorization: Token <key>, or a session).", error
            yield "403", "The caller's role may not do this.", error
        if any(p["in"] == "path" for p in parameters) or any(p["name"] == "cursor" for p in parameters):
            yield "404", "Not found, or outside the caller's scope (or an invalid cursor).", error
        if has_body:
            yield "413", "The body is larger than the API accepts.", error
            yield "415", "The body's media type is not one this operation reads.", error
        if self.view.get_throttles():
            yield "429", "Too many requests; retry after the time in the Retry-After header.", error
        yield "503", "The database is not available right now; retry after the time in the Retry-After header.", error

    def _validation_ref(self) -> dict:
        component = ResolvedComponent(
            name="ValidationError", type=ResolvedComponent.SCHEMA, object="ValidationError", schema=VALIDATION_ERROR
        )
        self.registry.register_on_missing(component)
        return component.ref
