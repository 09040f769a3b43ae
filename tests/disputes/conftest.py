from tests.billing.conftest import january, run_now, staff  # noqa: F401 (shared fixtures)
