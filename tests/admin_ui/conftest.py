"""The admin's usability tests (issue 8) read the billing and dispute data sets the other admin tests use."""

from tests.billing.conftest import invoices, january, named, staff  # noqa: F401 (shared fixtures)
