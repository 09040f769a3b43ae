"""Settings of a worker process started by tests/billing/test_runs.py and tests/billing/test_tasks.py:
tests.settings, plus

- the broker's record of tasks taken but not yet acknowledged kept under keys of the test's own
  (``TEST_WORKER_KEYS``): a worker that hands out again what has been out too long then hands out only the
  test's tasks, never those of other test runs sharing the Redis;
- that check made every second, so a short ``CELERY_VISIBILITY_TIMEOUT`` (set by the test) takes effect at once;
- what its tasks queue, retries included, sent through the broker as a production worker sends it (tests.settings
  runs tasks in-process, where a retry cannot wait and is dropped);
- optionally its own MEDIA_ROOT (``TEST_WORKER_MEDIA_ROOT``), where the test can make storing a file fail.
"""

import os

from tests.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
_keys = os.environ["TEST_WORKER_KEYS"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "unacked_key": f"{_keys}:unacked",
    "unacked_index_key": f"{_keys}:unacked_index",
    "unacked_mutex_key": f"{_keys}:unacked_mutex",
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
if os.environ.get("TEST_WORKER_MEDIA_ROOT"):
    MEDIA_ROOT = os.environ["TEST_WORKER_MEDIA_ROOT"]
