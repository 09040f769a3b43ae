"""Settings for Utomläns, driven by environment variables.

With nothing configured the app runs on its embedded default: a SQLite file in the project folder and
Celery jobs executed in-process. Production sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis),
SECRET_KEY, ALLOWED_HOSTS and leaves DEBUG off; a missing production setting stops start-up.
"""

import ipaddress
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from kernel.env import env_bool, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in production, or DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.UtomlansAdminConfig",  # django.contrib.admin with the start page (config/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "regions",
    "contacts",
    "billing",
    "disputes",
    "review",
]

MIDDLEWARE = [
    # Every line logged while a request is answered carries its id (config/observability/logs.py), then every answer
    # is counted by route and status, whichever middleware gave it (config/observability/metrics.py).
    "config.observability.logs.RequestIdMiddleware",
    "config.observability.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Swedish for everyone, English by the user's choice (the language cookie); instead of LocaleMiddleware, which
    # followed the browser. Needs no database, so it comes before the 503 handling: that page is translated too.
    "config.middleware.UserLanguageMiddleware",
    # Outside everything that reads the database (sessions, users, views): a database that cannot be reached
    # answers 503 with a clear message, wherever the request noticed it. Static files (above) need no database.
    "config.middleware.DatabaseUnavailableMiddleware",
    # Errors Django answers itself with an HTML page (no route under DEBUG=1, a refused request) are JSON under /api/.
    "config.middleware.ApiErrorsAsJsonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.RejectNulCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records the unmasked personal identity numbers a response showed (one INSERT per request).
    "contacts.audit.middleware.IdentityReadMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Database: DATABASE_URL, e.g. postgres://user@127.0.0.1:5432/utomlans; default a SQLite file.
# Connections are kept open between requests for DATABASE_CONN_MAX_AGE seconds (default 60): one per gunicorn worker
# process (sync workers answer one request at a time), so the server's connections are bounded by the number of
# processes; see the README (Production shape: database connections) for the sum to keep under max_connections.
# Django's development server (`runserver`, what `make run` serves) is different: it answers each HTTP connection in
# a thread of its own, and a thread keeps its database connection for as long as its client keeps the HTTP
# connection alive. Twenty browser tabs or API clients then hold twenty idle database connections, without bound
# (one server reached 88 and PostgreSQL refused everyone). Under runserver each request therefore closes its
# connection when it ends (CONN_MAX_AGE 0), whatever DATABASE_CONN_MAX_AGE says. psycopg's connection pool
# (OPTIONS["pool"]) would bound them too, but its package (psycopg-pool) is not among the requirements.
RUNS_THREADED_DEVELOPMENT_SERVER = sys.argv[1:2] == ["runserver"]
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=0 if RUNS_THREADED_DEVELOPMENT_SERVER else env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Language and time: Swedish first, English available; business dates in Europe/Stockholm.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as ISO 8601 (2026-12-01, 2026-12-01 07:17) in both languages: config/formats/<language>/formats.py.
FORMAT_MODULE_PATH = ["config.formats"]
# The choice made with the language selector in the admin header (Django's set_language view) is kept a year.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")

LOGIN_URL = "admin:login"
# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Cache (API throttle counters): Redis in production, shared by every gunicorn process and machine
# (CACHE_URL=redis://host:6379/1); unset, a per-process memory cache, enough for one process.
_CACHE_URL = env_str("CACHE_URL")
if _CACHE_URL and not _CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// or rediss:// URL, got {_CACHE_URL!r}")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
    if _CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "utomlans"}
}
CACHES["default"]["KEY_PREFIX"] = "utomlans"

# The number of reverse proxies in front of the app that append the client's address to X-Forwarded-For
# (0: the client connects directly and REMOTE_ADDR is its address). Login lockouts key on this address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "regions.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kernel.api.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "kernel.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["kernel.api.parsers.JsonParser"],
    "EXCEPTION_HANDLER": "kernel.api.exceptions.exception_handler",
    # One request budget per API client (its user), counted in the cache; see API_THROTTLE_RATE.
    "DEFAULT_THROTTLE_CLASSES": [
        "kernel.api.throttling.ClientRateThrottle",
        # ... and a smaller one for the views with a throttle_scope: see API_DOCUMENTS_THROTTLE_RATE.
        "kernel.api.throttling.ScopedClientRateThrottle",
    ],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "PAGE_SIZE": 100,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

# Requests per API client (token or web user) and period: "N/s", "N/min", "N/h" or "N/day"; empty: no limit.
# The default is about 70 times what `make bench` sends at its busiest (16 bulk requests of 10 000 contacts).
API_THROTTLE_RATE = env_rate("API_THROTTLE_RATE", "1200/min")
# ... and of those, requests for documents (invoice and specification PDFs, the specification CSV) per client:
# each can read every line of an invoice. A client polling a preview after 202 asks about 12 times a minute.
API_DOCUMENTS_THROTTLE_RATE = env_rate("API_DOCUMENTS_THROTTLE_RATE", "30/min")

# Requests per address without credentials to the only public API pages, the schema and the docs ("N/min" as above;
# empty: no limit). Generating the schema took 0.3 s of CPU, and eight anonymous clients asking for it slowed real
# requests fourfold; it is now generated once per process and language, and this bounds the rest.
API_ANONYMOUS_THROTTLE_RATE = env_rate("API_ANONYMOUS_THROTTLE_RATE", "60/min")

# The largest JSON body the API reads (a 10 000-contact bulk request is about 6 MB); larger is a 413.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 32 * 1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "Utomläns API",
    "DESCRIPTION": "Billing of digital out-of-county care between Swedish regions (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The contract is public; every endpoint it describes still needs a token or a session.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ContactStatusEnum": "contacts.models.Status",
        "InvoiceStatusEnum": "billing.models.InvoiceStatus",
        "RunStatusEnum": "billing.models.RunStatus",
        "DisputeStatusEnum": "disputes.models.DisputeStatus",
        "DisputeKindEnum": "disputes.models.DisputeKind",
        "InvoiceKindEnum": "billing.models.InvoiceKind",
        # The contacts' mode keeps its name beside the register loads' mode.
        "ModeEnum": "contacts.models.Mode",
        "RegisterKindEnum": "review.models.RegisterKind",
        "RegisterLoadModeEnum": "review.models.LoadMode",
        "RegisterLoadViaEnum": "review.models.LoadVia",
        # A credit note's reason, an accepted objection's and the one an objection proposes: one set, one name.
        "CreditReasonEnum": "billing.models.CreditReason",
    },
    # Swagger UI and ReDoc served from the project's own static files: the docs work without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: with no broker configured, jobs run in-process (eagerly) so the embedded setup needs nothing.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis has no acknowledgements of its own: a task taken by a worker that dies before acknowledging it (acks late)
# is handed out again once it has been out this long (seconds). Long enough that no task still running, or held for
# a retry countdown, is handed out twice (the longest, an invoice run of a million contacts, takes about 30 s; a PDF
# retry waits at most 16 s); short enough that a run whose worker was killed completes within half an hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 1800)}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The monthly invoice runs (celery beat): by default on the 5th at 02:00, for the month before.
# Reports read rollups of the contacts: how often the recent months are rebuilt (minutes, a divisor of 60)
# and how many months back counts as recent (contacts older than that change only by a rare late credit,
# which the nightly full rebuild picks up).
REPORTS_REFRESH_MINUTES = env_int("REPORTS_REFRESH_MINUTES", 15)
REPORTS_RECENT_MONTHS = env_int("REPORTS_RECENT_MONTHS", 13)

# The buyer regions' registers (review): entries whose validity ended more than this many days ago are deleted
# every night (personal data kept no longer than the review needs: an invoice may be objected to for months).
REGISTER_RETENTION_DAYS = env_int("REGISTER_RETENTION_DAYS", 730)
# The largest register file loaded at once (a population extract of 2.5 million rows is about 120 MB).
REGISTER_MAX_UPLOAD_BYTES = env_int("REGISTER_MAX_UPLOAD_BYTES", 256 * 1024 * 1024)

CELERY_BEAT_SCHEDULE = {
    "monthly-invoice-runs": {
        "task": "billing.schedule_monthly_runs",
        "schedule": crontab(
            day_of_month=env_str("INVOICE_RUN_DAY_OF_MONTH") or "5",
            hour=env_str("INVOICE_RUN_HOUR") or "2",
            minute="0",
        ),
    },
    "daily-dispute-deadlines": {
        "task": "contacts.dispute_deadline_digest",
        "schedule": crontab(hour=env_str("DISPUTE_DIGEST_HOUR") or "7", minute="0"),
    },
    # The report rollups: the recent months every few minutes, all months once a night.
    "report-figures-recent": {
        "task": "billing.refresh_reports",
        "schedule": crontab(minute=f"*/{REPORTS_REFRESH_MINUTES}"),
        "kwargs": {"full": False},
    },
    "register-retention": {
        "task": "review.purge_expired_register_entries",
        "schedule": crontab(hour=env_str("REGISTER_RETENTION_HOUR") or "4", minute="15"),
    },
    "report-figures-all": {
        "task": "billing.refresh_reports",
        "schedule": crontab(hour=env_str("REPORTS_FULL_REFRESH_HOUR") or "3", minute="30"),
        "kwargs": {"full": True},
    },
    # Retention of personal data (README: Retention of personal data): every night, the identity numbers of contacts
    # past the retention period are pseudonymised (disputes.retention.personal_data_pseudonymise).
    "nightly-personal-data-retention": {
        "task": "disputes.personal_data_retention",
        "schedule": crontab(hour=env_str("PERSONAL_DATA_RETENTION_HOUR") or "4", minute="15"),
    },
}

# Logs (config/observability/logs.py): LOG_FORMAT "json" (one JSON object a line, for a log collector; the default
# with DEBUG off) or "text" (a readable line; the default with DEBUG=1). Every line carries the id of the request or
# task that caused it (request_id, "-" outside both).
# No personal identity number and no credential in a log (config/identity_scrubbing.py): the filter masks them in
# every record that passes the console handler, in django.request's records before any handler (its 4xx/5xx lines
# name the address), and in the development server's access log (request lines with their query strings), which
# Django gives a handler of its own and which is therefore redefined here with the filter; the formatters mask the
# whole line they write once more (tracebacks and extra fields included).
LOG_FORMAT = env_str("LOG_FORMAT") or ("text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "scrub_identity_numbers": {"()": "config.identity_scrubbing.ScrubIdentityNumbers"},
        "request_id": {"()": "config.observability.logs.RequestIdFilter"},
    },
    "formatters": {
        "json": {
            "()": "config.observability.logs.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        },
        "text": {
            "()": "config.observability.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "scrub_identity_numbers"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["scrub_identity_numbers"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {
        "django.request": {"filters": ["scrub_identity_numbers"]},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # WeasyPrint and fontTools narrate every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
# A Celery worker logs through this configuration too (JSON lines with the task's request id), not its own: the
# worker's --loglevel is therefore not used, LOG_LEVEL is.

# Optional error reporting (config/observability/errors.py): only with SENTRY_DSN, without personal data.
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from config.observability.errors import error_reporting_init

    error_reporting_init(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT"), release=env_str("SENTRY_RELEASE"))

# Health (config/health.py): how long readiness waits for a Celery worker to answer its ping (seconds).
HEALTH_WORKER_TIMEOUT = env_int("HEALTH_WORKER_TIMEOUT", 1)

# Metrics (config/observability/metrics.py): /metrics answers a bearer token equal to METRICS_TOKEN, or clients from
# METRICS_ALLOWED_IPS (addresses or networks, comma-separated); with neither set it does not exist (404).
METRICS_TOKEN = env_str("METRICS_TOKEN") or ""
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", default=[])
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {_network!r} is not an address or a network") from None

# Security headers on every response, in development too (so a page that breaks them breaks early).
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy: scripts and styles only from our own static files, or inline with the response's
# nonce (the admin's templates carry it; ours do too, see templates/). No 'unsafe-inline', no 'unsafe-eval'.
# ReDoc builds its search index in a worker loaded from a blob: URL; images may be data: URLs (icons).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if env_str("CSP_REPORT_URI"):
    SECURE_CSP["report-uri"] = env_str("CSP_REPORT_URI")
# Signed-in sessions last a working day (seconds), not Django's two weeks.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)

# Production hardening, active whenever DEBUG is off. The bench (and a loopback test without TLS) turns the
# TLS-only parts off with SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0.
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers and Prometheus often ask the processes directly over plain HTTP: answered, not redirected.
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^healthz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # TLS ends at the reverse proxy, which sets X-Forwarded-Proto (and must overwrite one a client sends).
    if env_bool("SECURE_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed logins for one user name from one address,
# that pair is refused for LOGIN_COOLOFF_MINUTES. Keyed on the pair, not on the address alone: a whole office
# behind one NAT address is never locked out by one person's (or one intruder's) guessing, and not on the user
# name alone: nobody elsewhere can lock a clerk out by guessing at the clerk's name. An admin unlocks earlier
# by deleting the attempt in the admin (Axes: access attempts) or with `manage.py axes_reset_username NAME`.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts while locked out are refused without being counted: the lock ends LOGIN_COOLOFF_MINUTES after the
# last counted failure, as the lockout page says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "regions.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "regions.lockout.client_ip"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # shared by every process; visible in the admin
# No "AXES: BEGIN ..." banner on every start of every process and command (it said nothing the settings do not).
AXES_VERBOSE = False

# Invoicing rules (Riksavtalet för utomlänsvård), kept as settings: the right to payment lapses when no
# invoice is sent within this many months of the contact; the buyer may object within this many months of
# the invoice date; invoices are due this many days after their issue date.
INVOICING_DEADLINE_MONTHS = env_int("INVOICING_DEADLINE_MONTHS", 6)
OBJECTION_PERIOD_MONTHS = env_int("OBJECTION_PERIOD_MONTHS", 3)
INVOICE_PAYMENT_TERM_DAYS = env_int("INVOICE_PAYMENT_TERM_DAYS", 30)

# Retention of personal data (README: Retention of personal data). The specification of an invoice is accounting
# material (räkenskapsinformation), which bokföringslagen (1999:1078) 7 kap. 2 § keeps for seven years after the end
# of the calendar year in which the fiscal year ended: the contacts' identity numbers are kept as long, then replaced
# by pseudonyms (contacts.retention). Fewer years than the law's seven are refused at start-up.
PERSONAL_DATA_RETENTION_MIN_YEARS = 7
PERSONAL_DATA_RETENTION_YEARS = env_int("PERSONAL_DATA_RETENTION_YEARS", PERSONAL_DATA_RETENTION_MIN_YEARS)
if PERSONAL_DATA_RETENTION_YEARS < PERSONAL_DATA_RETENTION_MIN_YEARS:
    raise ImproperlyConfigured(
        f"PERSONAL_DATA_RETENTION_YEARS must be at least {PERSONAL_DATA_RETENTION_MIN_YEARS} (bokföringslagen "
        f"7 kap. 2 §), got {PERSONAL_DATA_RETENTION_YEARS}"
    )
# The key of the pseudonyms (HMAC-SHA-256): without it a pseudonym cannot be traced back to its number, and with the
# same key the same number always gets the same pseudonym (so a patient's old contacts still belong together). Set
# it in production and never change it; when it is not set it is derived from SECRET_KEY (contacts.retention).
PERSONAL_DATA_PSEUDONYM_KEY = env_str("PERSONAL_DATA_PSEUDONYM_KEY") or ""
# Contacts pseudonymised per transaction (one UPDATE per table and batch, one history row per batch).
PERSONAL_DATA_RETENTION_BATCH = env_int("PERSONAL_DATA_RETENTION_BATCH", 2000)
# Seconds after which a draft's preview still rendering is taken for lost (its worker gone) and the next request
# queues it again: longer than the largest specification takes (about 1.2 ms a line).
PREVIEW_RENDER_TIMEOUT = env_int("PREVIEW_RENDER_TIMEOUT", 600)
# Inera's fakturaunderlag (billing.einvoice.claim) requires each line's medical field (medicinskt verksamhetsområde,
# Socialstyrelsen's three-digit code), which contacts do not carry: one code for every line, as a setting
# (*assumption*: 100, general practice, for digital primary care; confirm against Socialstyrelsen's list, which
# Inera's rule ÖR49 checks).
CLAIM_MEDICAL_FIELD_CODE = env_str("CLAIM_MEDICAL_FIELD_CODE", "100")

# E-invoices (Peppol BIS Billing 3.0, billing.einvoice.ubl): compensation between regions for out-of-county care is
# outside the scope of VAT, so every line and the VAT breakdown carry category "O" (not subject to VAT) with this
# exemption reason code and text (BR-O-10). "E" (exempt, with a VATEX-EU-132-* code) is the one alternative the
# renderer accepts, for a region whose tax adviser reads it so; README: E-invoices.
EINVOICE_VAT_CATEGORY = env_str("EINVOICE_VAT_CATEGORY") or "O"
EINVOICE_VAT_EXEMPTION_REASON_CODE = env_str("EINVOICE_VAT_EXEMPTION_REASON_CODE") or "VATEX-EU-O"
EINVOICE_VAT_EXEMPTION_REASON = (
    env_str("EINVOICE_VAT_EXEMPTION_REASON")
    or "Ej föremål för mervärdesskatt: ersättning mellan regioner för utomlänsvård"
)

# E-mail (Django 6.1 mailers): the console in development; SMTP (EMAIL_HOST, default localhost:25) otherwise.
_MAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
MAILERS = {
    "default": {
        "BACKEND": _MAIL_BACKEND,
        "OPTIONS": {
            "host": env_str("EMAIL_HOST") or "localhost",
            "port": env_int("EMAIL_PORT", 25),
            "username": env_str("EMAIL_HOST_USER") or "",
            "password": env_str("EMAIL_HOST_PASSWORD") or "",
            "use_tls": env_bool("EMAIL_USE_TLS", False),
        }
        if _MAIL_BACKEND.endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "utomlans@localhost"

# Disputes: the other party answers within this many days; evidence files are limited in size and type.
DISPUTE_RESPONSE_DAYS = env_int("DISPUTE_RESPONSE_DAYS", 30)
DISPUTE_ATTACHMENT_MAX_BYTES = env_int("DISPUTE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# Which of the kinds disputes.attachments recognises by their bytes are accepted (by media type).
DISPUTE_ATTACHMENT_TYPES = env_list(
    "DISPUTE_ATTACHMENT_TYPES", default=["application/pdf", "image/png", "image/jpeg", "text/plain"]
)
# Per comment (one request) and per case: how many files and how many bytes in all.
DISPUTE_ATTACHMENTS_PER_COMMENT = env_int("DISPUTE_ATTACHMENTS_PER_COMMENT", 5)
DISPUTE_ATTACHMENT_BYTES_PER_COMMENT = env_int("DISPUTE_ATTACHMENT_BYTES_PER_COMMENT", 20 * 1024 * 1024)
DISPUTE_ATTACHMENTS_PER_CASE = env_int("DISPUTE_ATTACHMENTS_PER_CASE", 30)
DISPUTE_ATTACHMENT_BYTES_PER_CASE = env_int("DISPUTE_ATTACHMENT_BYTES_PER_CASE", 50 * 1024 * 1024)
