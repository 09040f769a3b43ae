import re

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

_WHOLE_NUMBER = re.compile(r"[0-9]+")


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination: constant time per page on big tables, no full count.

    Answers ``{"next", "previous", "results"}`` as API.md prescribes. A view names its ordering in
    ``ordering`` (a field or tuple of fields that is unique, or ends in a unique field, and is indexed).

    ``page_size`` is a whole number from 1 (more than ``max_page_size`` gives that many); left out or empty, the
    default. Anything else is a 400 on ``page_size``: DRF's own pagination ignored it (``page_size=null`` gave the
    default page), which the schema, saying an integer, did not allow (schemathesis' ST201).
    """

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-pk"

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if not _WHOLE_NUMBER.fullmatch(raw) or int(raw) < 1:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number from 1 up (at most %(max)d are given).") % {"max": self.max_page_size}
                    ]
                }
            )
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Results per page: {self.page_size} when left out, at most {self.max_page_size} (a larger number "
                    f"gives {self.max_page_size})."
                )
        return parameters
