"""Test settings: the project's settings with a test key; DATABASE_URL and CELERY_BROKER_URL as given."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from config.settings import *  # noqa: F403

# Tests run over plain HTTP with the test client.
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405

# Tasks queued by services run in-process in tests, so their effects can be asserted; the worker test
# (tests/config/test_celery.py) switches this off to go through the real broker.
CELERY_TASK_ALWAYS_EAGER = True

# Security settings that would get in the way of unrelated tests; tests/test_login_throttling.py and
# tests/test_api_throttling.py switch them on.
# Test clients log in with client.login(), which passes no request, as django-axes needs to count failures.
AXES_ENABLED = False
# No request budget: suites that fire many requests as one client (the API fuzzing) are not about throttling.
API_THROTTLE_RATE = ""
API_DOCUMENTS_THROTTLE_RATE = ""
API_ANONYMOUS_THROTTLE_RATE = ""  # likewise for the schema and docs fetched without credentials
# Mail as before production defaulted to SMTP (a Celery worker process started by a test sends through this).
MAILERS["default"] = {"BACKEND": "django.core.mail.backends.console.EmailBackend", "OPTIONS": {}}  # noqa: F405
