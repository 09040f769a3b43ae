"""The admin's usability tests (issue 8) read the billing and dispute data sets the other admin tests use."""

from tests.billing.conftest import january, staff  # noqa: F401 (shared fixtures)
