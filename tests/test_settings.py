import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _import_settings(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_production_without_secret_key_fails_loudly():
    result = _import_settings(DEBUG="0", ALLOWED_HOSTS="example.se")

    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stderr


def test_production_without_allowed_hosts_fails_loudly():
    result = _import_settings(DEBUG="0", SECRET_KEY="x" * 50)

    assert result.returncode == 1
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_a_bad_boolean_is_refused():
    result = _import_settings(DEBUG="perhaps")

    assert result.returncode == 1
    assert "DEBUG must be a boolean" in result.stderr


def test_development_defaults_need_nothing():
    result = _import_settings(DEBUG="1")

    assert result.returncode == 0, result.stderr
