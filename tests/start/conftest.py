"""The start page's tests read the billing and dispute data sets the admin tests use."""

from tests.billing.conftest import invoices, january, named, staff  # noqa: F401 (shared fixtures)
