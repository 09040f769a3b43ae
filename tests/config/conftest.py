"""The admin site's and the error pages' tests read the billing and dispute data sets the admin tests use."""

from tests.billing.conftest import cases, invoices, january, named, staff  # noqa: F401 (shared fixtures)
