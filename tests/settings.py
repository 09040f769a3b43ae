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
# (tests/test_celery_worker.py) switches this off to go through the real broker.
CELERY_TASK_ALWAYS_EAGER = True
