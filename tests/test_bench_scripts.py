"""The bench's sections that time work in a Django process of their own (bench/runs.py ``_django_script``): the
process can set Django up from the bench's environment alone, and a failing script says why. The invoice-run
section once failed with nothing but "returned non-zero exit status 1": its environment had no settings module."""

import pytest

from bench.common import bench_env
from bench.runs import _django_script

URL = "postgres://bench@127.0.0.1:5432/utomlans_bench_never_connected"


@pytest.fixture(autouse=True)
def _outside_pytest(monkeypatch):
    """``make bench`` runs outside pytest, whose own settings module would otherwise be inherited."""
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)


def test_a_script_sets_django_up_from_the_bench_environment_alone():
    script = (
        "import json, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "print('noise first')\n"
        "print(json.dumps({'settings': settings.SETTINGS_MODULE, 'engine': settings.DATABASES['default']['ENGINE']}))\n"
    )

    assert _django_script(bench_env(URL), script) == {
        "settings": "config.settings",
        "engine": "django.db.backends.postgresql",
    }


def test_a_failing_script_raises_with_its_traceback():
    with pytest.raises(RuntimeError) as failure:
        _django_script(bench_env(URL), "import django\ndjango.setup()\nraise LookupError('no invoice 7')\n")

    assert "exit status 1" in str(failure.value)
    assert "LookupError: no invoice 7" in str(failure.value)


def test_a_script_reports_its_own_peak_memory_not_the_bench_process_peak():
    ballast = bytearray(400 * 1024 * 1024)  # the bench process after its intake section holds more than a script
    ballast[::4096] = b"x" * len(ballast[::4096])  # touched, so resident
    script = (
        "import json\n"
        "from bench.common import peak_memory_mb\n"
        "before = peak_memory_mb()\n"
        "block = bytearray(80 * 1024 * 1024); block[::4096] = b'x' * len(block[::4096])\n"
        "print(json.dumps({'before': before, 'after': peak_memory_mb()}))\n"
    )

    peaks = _django_script(bench_env(URL), script)
    del ballast

    assert peaks["before"] < 100  # a bare Python, not the 400 MB of the process that started it
    assert 75 < peaks["after"] - peaks["before"] < 100
