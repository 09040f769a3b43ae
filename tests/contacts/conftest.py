"""The contact page's tests read the billing data set the admin tests use (a module may define its own staff)."""

from tests.billing.conftest import invoices, january, named, staff  # noqa: F401 (shared fixtures)
