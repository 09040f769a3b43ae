"""Security configuration: production settings pass `check --deploy` cleanly, every response carries the security
headers and a Content Security Policy without 'unsafe-inline', and every page's inline code carries its nonce."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from regions.models import Role

ROOT = Path(__file__).resolve().parents[2]

# What a production host sets (README, "Production shape"); everything security-related left at its default.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "utomlans.example.se",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/utomlans"),
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}
# Variables the settings read that must not leak in from the environment the tests run in.
SETTINGS_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "EMAIL_BACKEND",
    "CACHE_URL",
    "API_THROTTLE_RATE",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_COOLOFF_MINUTES",
    "TRUSTED_PROXY_COUNT",
    "CSP_REPORT_URI",
    "DJANGO_SETTINGS_MODULE",
}


def _run(args: list[str], **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    environment.update(PRODUCTION)
    environment.update(env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True)


def _settings(*names: str, **env) -> dict[str, str]:
    code = "import config.settings as s\n" + "".join(f"print({name!r}, repr(s.{name}))\n" for name in names)
    result = _run(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return dict(line.split(" ", 1) for line in result.stdout.splitlines())


# --- check --deploy ------------------------------------------------------------------------------------------


def test_production_settings_pass_check_deploy_with_no_issue_at_all():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_the_loopback_bench_switches_turn_off_exactly_the_tls_checks():
    """bench/__main__.py serves plain HTTP on loopback with these three set to 0."""
    result = _run(
        ["manage.py", "check", "--deploy"], SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0"
    )

    assert result.returncode == 0
    assert sorted(set(re.findall(r"\((security\.W\d+)\)", result.stderr))) == [
        "security.W008",  # SECURE_SSL_REDIRECT
        "security.W012",  # SESSION_COOKIE_SECURE
        "security.W016",  # CSRF_COOKIE_SECURE
    ]


def test_production_defaults():
    values = _settings(
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_AGE",
        "X_FRAME_OPTIONS",
        "SECURE_REFERRER_POLICY",
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "AXES_LOCKOUT_PARAMETERS",
        "API_THROTTLE_RATE",
        "CACHES['default']['BACKEND']",
    )

    assert values == {
        "SECURE_SSL_REDIRECT": "True",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "SECURE_HSTS_PRELOAD": "True",
        "SECURE_PROXY_SSL_HEADER": "('HTTP_X_FORWARDED_PROTO', 'https')",
        "SESSION_COOKIE_AGE": "28800",
        "X_FRAME_OPTIONS": "'DENY'",
        "SECURE_REFERRER_POLICY": "'same-origin'",
        "AXES_FAILURE_LIMIT": "5",
        "AXES_COOLOFF_TIME": "datetime.timedelta(seconds=900)",
        "AXES_LOCKOUT_PARAMETERS": "[['username', 'ip_address']]",
        "API_THROTTLE_RATE": "'1200/min'",
        "CACHES['default']['BACKEND']": "'django.core.cache.backends.locmem.LocMemCache'",
    }


def test_security_settings_follow_the_environment():
    values = _settings(
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "API_THROTTLE_RATE",
        "CACHES['default']",
        "TRUSTED_PROXY_COUNT",
        "SECURE_CSP['report-uri']",
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        SECURE_HSTS_PRELOAD="0",
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_COOLOFF_MINUTES="30",
        API_THROTTLE_RATE="50/s",
        CACHE_URL="redis://cache.example:6379/1",
        TRUSTED_PROXY_COUNT="1",
        CSP_REPORT_URI="/csp-reports/",
    )

    assert values == {
        "SECURE_HSTS_SECONDS": "600",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "False",
        "SECURE_HSTS_PRELOAD": "False",
        "AXES_FAILURE_LIMIT": "3",
        "AXES_COOLOFF_TIME": "datetime.timedelta(seconds=1800)",
        "API_THROTTLE_RATE": "'50/s'",
        "CACHES['default']": "{'BACKEND': 'django.core.cache.backends.redis.RedisCache', "
        "'LOCATION': 'redis://cache.example:6379/1', 'KEY_PREFIX': 'utomlans'}",
        "TRUSTED_PROXY_COUNT": "1",
        "SECURE_CSP['report-uri']": "'/csp-reports/'",
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"API_THROTTLE_RATE": "lots"},
            "API_THROTTLE_RATE must be a rate like 1200/min (or empty for none), got 'lots'",
        ),
        ({"API_THROTTLE_RATE": "0/min"}, "API_THROTTLE_RATE must be a rate like 1200/min"),
        (
            {"CACHE_URL": "memcached://x:11211"},
            "CACHE_URL must be a redis:// or rediss:// URL, got 'memcached://x:11211'",
        ),
        ({"LOGIN_FAILURE_LIMIT": "five"}, "LOGIN_FAILURE_LIMIT must be an integer, got 'five'"),
        ({"SECURE_HSTS_PRELOAD": "maybe"}, "SECURE_HSTS_PRELOAD must be a boolean"),
    ],
)
def test_a_bad_security_setting_stops_start_up(env, message):
    result = _run(["-c", "import config.settings"], **env)

    assert result.returncode == 1
    assert message in result.stderr


# --- headers and the Content Security Policy -------------------------------------------------------------


def _nonce(response) -> str:
    match = re.search(r"script-src 'self' 'nonce-([A-Za-z0-9_-]+)'", response["Content-Security-Policy"])
    assert match, response["Content-Security-Policy"]
    return match.group(1)


def _assert_inline_code_carries(html: str, nonce: str) -> None:
    """Every script and style element carries the nonce; no inline event handler or style attribute."""
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html)
    assert not re.search(r"<[^>]+\sstyle\s*=", html)


def test_every_response_carries_the_security_headers_and_the_csp(client, reference):
    response = client.get("/admin/login/", secure=True)
    nonce = _nonce(response)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    _assert_inline_code_carries(response.content.decode(), nonce)
    assert client.get("/admin/login/", secure=True)["Content-Security-Policy"] != response["Content-Security-Policy"]


def test_the_csp_has_no_unsafe_source(client, reference):
    policy = client.get("/admin/login/")["Content-Security-Policy"]

    assert "unsafe" not in policy
    assert "*" not in policy


@pytest.mark.parametrize(
    "page",
    [
        "/admin/",
        "/admin/contacts/contact/",
        "/admin/disputes/dispute/",
        "/admin/billing/invoice/",
        "/admin/billing/invoicerun/",
        "/admin/billing/invoicerun/add/",
        "/admin/contacts/contact/upload-csv/",
        "/admin/contacts/identityread/",
        "/admin/password_change/",
    ],
)
def test_admin_pages_have_their_inline_code_under_the_nonce(client, make_user, page):
    client.force_login(make_user(Role.ADMIN))

    response = client.get(page)

    assert response.status_code == 200
    _assert_inline_code_carries(response.content.decode(), _nonce(response))


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_api_docs_work_offline_under_the_csp(client, reference, page):
    response = client.get(page)
    html = response.content.decode()
    nonce = _nonce(response)

    assert response.status_code == 200
    # drf-spectacular sends "unsafe-none" on the Swagger UI page (for OAuth2's pop-up, which this API does not use).
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    _assert_inline_code_carries(html, nonce)
    # Scripts, styles and fonts come from our own static files (drf-spectacular-sidecar), never the internet.
    assert not re.search(r"""(?:src|href)=["']https?://""", html)
    assert re.search(r'<script src="/static/drf_spectacular_sidecar/[^"]+\.js"', html)
    if page == "/api/v1/redoc/":
        assert f'redocSettings.nonce = "{nonce}";' in html  # ReDoc puts it on the styles it creates


def test_project_templates_keep_no_code_the_csp_would_block():
    """Inline handlers (onsubmit=…), style attributes and inline script or style elements without the nonce are
    refused by the browser. PDF templates (WeasyPrint, recognised by their @page rule) are not served to one."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        if "@page" in text:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if re.search(r"\son[a-z]+\s*=|\sstyle\s*=|javascript:", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
            for tag in re.findall(r"<(?:script|style)\b[^>]*>", line):
                if "csp_nonce" not in tag:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {tag}")

    assert offenders == []


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
