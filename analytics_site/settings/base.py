"""Settings shared by every environment; values come from the environment (twelve-factor)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _private_var_dir() -> None:
    """Create var/ readable by its owner alone: it holds the secret key, the admin password, and in the
    embedded mode the database (sessions, password hashes, today's visitor salts) and the archive."""
    VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    VAR_DIR.chmod(0o700)


def _private_file(path: Path) -> None:
    """Create the file, if missing, as 0600, and make an existing one 0600 (SQLite's -wal and -shm files
    take the database file's mode)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


def _local_secret_key() -> str:
    """Return a per-checkout secret key for local use, generating it on first run."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        _private_var_dir()
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "sites",
    "tracker",
    "dashboard",
    "compat",
    "reports",
    "ops",
    "imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "compat.middleware.MicroanalyticsHostMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # The ingest endpoints need nothing below: answered here, they skip it.
    "tracker.ingest.middleware.IngestShortcutMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Ends sessions of users with an authenticator that were opened without its code.
    "dashboard.two_factor.RequireVerifiedSession",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Answers only the provider's callback, while OIDC_ISSUER is set; reads nothing from it before.
    "analytics_site.sso.SsoBackend",
]
# Five wrong passwords for one username from one client lock that pair out for an hour.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "analytics_site.login_guard.login_client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not Axes' business

# Pages run only our own static scripts and styles: no inline script can run, so a value a
# visitor sent us cannot become code even where escaping were ever missed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "analytics_site.urls"
WSGI_APPLICATION = "analytics_site.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'footfall.sqlite3'}"),
}
# Connections are kept between requests (opening one costs more than most dashboard queries) and
# checked before reuse, so a restarted database costs one failed check, not a failed request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets dashboard reads run while the inline pipeline writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    if str(DATABASES["default"]["NAME"]).startswith(str(VAR_DIR)):
        _private_var_dir()
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        _private_file(Path(DATABASES["default"]["NAME"]))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password-reset mail: configure EMAIL_URL (e.g. smtp+tls://user:pass@mail.example:587) in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)  # django-environ's way: EMAIL_BACKEND, EMAIL_HOST, ...
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="footfall@localhost")
# This instance's address as people reach it: mails link to its dashboards and unsubscribe pages.
PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000")

# Who may make an account: `invite` (the default) only through an owner's invitation, `open` anyone at
# /accounts/signup/ too, `closed` nobody (invitations then join existing accounts only).
REGISTRATION = env.str("REGISTRATION", default="invite")
if REGISTRATION not in ("closed", "invite", "open"):
    raise ImproperlyConfigured(f"REGISTRATION must be closed, invite or open, not {REGISTRATION!r}.")
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)

# Single sign-on through an OpenID Connect provider (analytics_site/sso.py); off while OIDC_ISSUER is empty.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on")
OIDC_ALLOWED_EMAIL_DOMAINS = env.list("OIDC_ALLOWED_EMAIL_DOMAINS", default=[])
OIDC_ALLOWED_GROUPS = env.list("OIDC_ALLOWED_GROUPS", default=[])
OIDC_CREATE_USERS = env.bool("OIDC_CREATE_USERS", default=False)
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc-callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"

# Two-factor login is optional per user (a TOTP authenticator app, set up on /accounts/two-factor/).
OTP_TOTP_ISSUER = "Footfall"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:site-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "dashboard.api.errors.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "dashboard.api.negotiation.FirstRendererWhenNoneAccepted",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # The request loggers would print client addresses of failed requests; Footfall never logs IPs.
    "loggers": {
        "django.server": {"handlers": [], "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
        # Its start-up banner on every command is noise; lockouts are warnings and still show.
        "axes": {"level": "WARNING"},
    },
}

# The ingest endpoints are called from every site that embeds the snippet.
CORS_URLS_REGEX = r"^/api/events?$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_PREFLIGHT_MAX_AGE = 86400

# --- Footfall ---------------------------------------------------------------------------

# Redis: unset means the embedded mode, where events are processed inline in the request.
REDIS_URL = env.str("REDIS_URL", default="")
BUFFER_STREAM = env.str("BUFFER_STREAM", default="footfall:events")
BUFFER_GROUP = "footfall-workers"
# The stream is split into this many partitions by visitor (tracker/buffer.py); each is read by one
# worker at a time, so workers store different visitors' events in parallel. Change it only with
# ingest stopped and the stream drained: a visitor's partition follows from it.
BUFFER_PARTITIONS = env.int("BUFFER_PARTITIONS", default=4)
# A full stream answers 503 instead of trimming unprocessed events.
BUFFER_MAX_LENGTH = env.int("BUFFER_MAX_LENGTH", default=5_000_000)
# Pending entries idle this long belong to a dead worker and are claimed by a live one.
BUFFER_CLAIM_IDLE_MS = env.int("BUFFER_CLAIM_IDLE_MS", default=60_000)
BUFFER_BATCH_SIZE = env.int("BUFFER_BATCH_SIZE", default=1000)
# One drain task (drain_buffer_task, run on demand) keeps reading for up to this long before it returns.
BUFFER_DRAIN_SECONDS = env.float("BUFFER_DRAIN_SECONDS", default=5.0)
# A worker's stream reader waits on an empty stream this long per read (XREADGROUP BLOCK): new events
# wake it at once, so this only sets how often an idle worker claims a dead worker's batches and
# notes that it is alive (READY_MAX_WORKER_SILENCE_SECONDS must be well above it).
BUFFER_BLOCK_SECONDS = env.float("BUFFER_BLOCK_SECONDS", default=5.0)
SPOOL_BATCH_SIZE = env.int("SPOOL_BATCH_SIZE", default=1000)

# Where events (and their visits) are also kept for questions rollups cannot answer: `db` (only the
# tables above), `clickhouse://user:password@host:8123/database` (a ClickHouse server over HTTP) or
# `chdb:///path` (the same engine in-process: one process may hold the path, so the inline mode only).
EVENT_STORE = env.str("EVENT_STORE", default="db")

# Number of reverse proxies in front of Footfall that append to X-Forwarded-For.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
# Requests per client address per minute on the ingest endpoints; 0 disables the limit.
INGEST_RATE_LIMIT_PER_MINUTE = env.int("INGEST_RATE_LIMIT_PER_MINUTE", default=600)
INGEST_MAX_BYTES = env.int("INGEST_MAX_BYTES", default=64 * 1024)
INGEST_BATCH_MAX_BYTES = env.int("INGEST_BATCH_MAX_BYTES", default=1024 * 1024)
# Django refuses bodies above this before the ingest views can answer 413 themselves.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(INGEST_BATCH_MAX_BYTES, 2_621_440) + 1

GEOIP_DATABASE = env.str("GEOIP_DATABASE", default=str(BASE_DIR / "tracker" / "data" / "dbip-country-lite.mmdb"))
SESSION_TIMEOUT_MINUTES = 30

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and CELERY_BROKER_URL == "memory://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
# An idle worker asks Redis for tasks every 10 s instead of every second; a task still starts at once.
# A stopping worker waits for the wait in hand to end, so a shorter one stops it sooner.
CELERY_BROKER_TRANSPORT_OPTIONS = {"polling_interval": env.float("BROKER_POLL_SECONDS", default=10.0)}
# The stream is read by each worker's own reader (tracker/consumer.py), not by a task: beat only sends
# periodic jobs.
CELERY_BEAT_SCHEDULE = {
    "drain-spool": {
        "task": "tracker.tasks.drain_spool_task",
        "schedule": 10.0,
        "options": {"expires": 20},
    },
    "rotate-salts": {
        "task": "tracker.tasks.rotate_salts_task",
        "schedule": 600.0,
        "options": {"expires": 600},
    },
    "rollup": {
        "task": "tracker.tasks.rollup_task",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
}

# --- Operations: readiness and metrics ---------------------------------------------------------

# /readyz fails when the stream's oldest event has waited longer than this, or no worker read the
# stream for longer than that (Redis mode only).
READY_MAX_STREAM_AGE_SECONDS = env.int("READY_MAX_STREAM_AGE_SECONDS", default=300)
READY_MAX_WORKER_SILENCE_SECONDS = env.int("READY_MAX_WORKER_SILENCE_SECONDS", default=60)
# /metrics answers requests with "Authorization: Bearer <METRICS_TOKEN>"; without a token set, only
# requests made on this machine (loopback, not forwarded by a proxy from elsewhere).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- Stats API --------------------------------------------------------------------------

# Requests per API key per minute on every /api/v1/ endpoint; 0 disables the limit.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
# Data requests per minute of the dashboard's pages, per user (or per client of a share link); a
# page view makes about ten. 0 disables the limit.
DASHBOARD_RATE_LIMIT_PER_MINUTE = env.int("DASHBOARD_RATE_LIMIT_PER_MINUTE", default=1200)

REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
SPECTACULAR_SETTINGS = {
    "TITLE": "Footfall Stats API",
    "DESCRIPTION": "Stats, sites and API keys of a Footfall instance. Authenticate with a bearer API key; "
    'errors are `{"error": {"code", "message", "field"}}` with a stable code.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page's scripts and styles come from this instance, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
}

# GraphQL API (/api/graphql): the most aggregate, timeseries, breakdown and realtime_visitors fields one
# request may ask for (a field under `sites` counts once per site the key reaches).
GRAPHQL_MAX_STATS_FIELDS = env.int("GRAPHQL_MAX_STATS_FIELDS", default=20)

# µAnalytics-compatible API (compat/). Mounted under this path ("" mounts it nowhere on the main
# host) and, when MICROANALYTICS_HOST names a host, at that host's root.
MICROANALYTICS_PATH = env.str("MICROANALYTICS_PATH", default="compat/microanalytics/")
MICROANALYTICS_HOST = env.str("MICROANALYTICS_HOST", default="")
# HTTP Basic auth: on unless turned off. Accepted: this user and password (every website), or
# any user name with a Footfall API key as the password (the key's sites and scopes).
MICROANALYTICS_AUTH = env.bool("MICROANALYTICS_AUTH", default=True)
MICROANALYTICS_USER = env.str("MICROANALYTICS_USER", default="")
MICROANALYTICS_PASSWORD = env.str("MICROANALYTICS_PASSWORD", default="")
# Who owns the websites created without an API key (a user name; empty: no owner, admins see them).
MICROANALYTICS_OWNER = env.str("MICROANALYTICS_OWNER", default="")
MICROANALYTICS_MAX_BYTES = env.int("MICROANALYTICS_MAX_BYTES", default=5 * 1024 * 1024)
# The largest file the settings page's import form takes (nginx's example site passes 6 MB bodies);
# `manage.py import_stats` reads files of any size.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
# Analytics one bulk request may hold (as /api/events takes 1,000 events); more answer PayloadTooLarge.
MICROANALYTICS_MAX_BULK = env.int("MICROANALYTICS_MAX_BULK", default=1000)
# With Redis, compat writes are processed in the request, so the very next read sees them as the
# µAnalytics contract promises; false queues them for the workers (faster, visible a moment later).
MICROANALYTICS_INLINE_WRITES = env.bool("MICROANALYTICS_INLINE_WRITES", default=True)
# Key of the monthly ip tokens (empty: derived from SECRET_KEY); see compat/visitors.py.
MICROANALYTICS_TOKEN_SECRET = env.str("MICROANALYTICS_TOKEN_SECRET", default="")

# --- Archive, export and retention ------------------------------------------------------------

# Where the archive goes: a directory (default var/archive/), or s3://bucket/prefix for
# S3-compatible storage through django-storages (credentials, endpoint and region from the usual
# AWS_* variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME).
ARCHIVE_STORAGE = env.str("ARCHIVE_STORAGE", default=str(VAR_DIR / "archive"))


def _archive_storage(location: str) -> dict[str, Any]:
    if location.startswith("s3://"):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        # file_overwrite: compaction replaces an hour's file in place (an S3 PUT is atomic).
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": bucket, "location": prefix.strip("/"), "file_overwrite": True},
        }
    # Archive files hold every event: readable by Footfall's own user only.
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": location, "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }


STORAGES["archive"] = _archive_storage(ARCHIVE_STORAGE)
# Archiving is on by default; the beat task writes a batch once this many events or seconds gathered.
ARCHIVE_ENABLED = env.bool("ARCHIVE_ENABLED", default=True)
# The format of archive files written from now on: json (.json.gz lines) or parquet (site=/date= partitions).
ARCHIVE_FORMAT = env.str("ARCHIVE_FORMAT", default="json")
if ARCHIVE_FORMAT not in ("json", "parquet"):
    raise ImproperlyConfigured(f"ARCHIVE_FORMAT must be json or parquet, not {ARCHIVE_FORMAT!r}.")
ARCHIVE_BATCH_EVENTS = env.int("ARCHIVE_BATCH_EVENTS", default=10_000)
ARCHIVE_BATCH_SECONDS = env.float("ARCHIVE_BATCH_SECONDS", default=60.0)
# An hour is compacted once it ended this long ago (late batches still merge into it later).
ARCHIVE_COMPACT_AFTER_SECONDS = env.int("ARCHIVE_COMPACT_AFTER_SECONDS", default=600)
# Archive files older than this many days are deleted (a site's archive_retention_days wins); unset: kept.
ARCHIVE_RETENTION_DAYS = env.int("ARCHIVE_RETENTION_DAYS", default=None)
# Raw rows deleted per transaction by retention and site deletion, so no lock is held for long.
DELETE_BATCH_SIZE = env.int("DELETE_BATCH_SIZE", default=5000)

CELERY_BEAT_SCHEDULE |= {
    "archive": {
        "task": "tracker.tasks.archive_task",
        # A batch is written 60-90 s after its first event with the defaults; a shorter tick wakes an
        # idle stack more often for little.
        "schedule": env.float("ARCHIVE_TICK_SECONDS", default=30.0),
        "options": {"expires": 30},
    },
    "compact-archive": {
        "task": "tracker.tasks.compact_archive_task",
        "schedule": 900.0,
        "options": {"expires": 900},
    },
    "retention": {
        "task": "tracker.tasks.retention_task",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
}

# --- Email reports and alerts -----------------------------------------------------------------

# Reports are due from local midnight after their week or month, in each site's time zone, so the
# task runs often; the sent-log keeps every mail to one send (reports/delivery.py).
CELERY_BEAT_SCHEDULE |= {
    "send-reports": {
        "task": "reports.tasks.send_reports_task",
        "schedule": env.float("REPORTS_TICK_SECONDS", default=600.0),
        "options": {"expires": 600},
    },
    "send-alerts": {
        "task": "reports.tasks.send_alerts_task",
        "schedule": env.float("ALERTS_TICK_SECONDS", default=60.0),
        "options": {"expires": 60},
    },
}
