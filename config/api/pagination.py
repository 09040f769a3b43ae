from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination: constant time per page on big tables, no full count.

    Answers ``{"next", "previous", "results"}`` as API.md prescribes. A view names its ordering in
    ``ordering`` (a field or tuple of fields that is unique, or ends in a unique field, and is indexed).
    """

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-pk"

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
