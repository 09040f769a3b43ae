from tests.billing.conftest import cases, contested, invoices, january, named, run_now, staff  # noqa: F401 (shared fixtures)
