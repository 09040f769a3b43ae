"""gunicorn's settings for Utomläns: ``gunicorn -c config/gunicorn.py config.wsgi`` (command-line options such as
``-w 4 -b 0.0.0.0:8000`` still apply).

Prometheus metrics in multiprocess mode (``config/observability/metrics.py``): with ``PROMETHEUS_MULTIPROC_DIR``
set to a directory only this server uses, each worker process writes its counters to files there and ``/metrics``
adds up every process's. The directory is emptied when the server starts (values of an earlier run would otherwise
be added in) and a worker that exits is marked dead (``child_exit``), as prometheus-client asks.
"""

import os
from pathlib import Path

from prometheus_client import multiprocess

# gunicorn writes no access log unless asked: request lines name addresses, which may carry search terms.
accesslog = None


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
