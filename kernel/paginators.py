"""A paginator for the admin's changelists of tables that only grow (contacts, the log of identity reads)."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

# The changelist counts at most this many rows; beyond it the list says "more than" and asks for a filter.
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """A paginator whose ``count`` never scans more than ``COUNT_CAP + 1`` rows.

    Django's admin needs a count (result count, number of pages). ``COUNT(*)`` over millions of contacts
    takes seconds on PostgreSQL, filtered or not, so the count runs over a sliced query,
    ``SELECT COUNT(*) FROM (SELECT ... LIMIT cap + 1)``, which stops after ``cap + 1`` rows. Up to the cap the
    count is exact; above it the paginator reports the cap (``capped`` is True) and the list shows the first
    ``COUNT_CAP`` rows in order, with a note asking to narrow the list with filters, the dates or a search.
    Deep OFFSET pages would be slow anyway. An estimate (PostgreSQL's ``reltuples``) was not used: it only
    fits the unfiltered table, and a clerk's list is always filtered by the scope.
    """

    cap = COUNT_CAP

    @cached_property
    def _counted(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
