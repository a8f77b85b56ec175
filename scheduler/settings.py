"""Django settings, read once from the environment (django-environ).

Defaults run the whole product with nothing installed: SQLite, kombu's filesystem broker and
emails written as files, all under var/. Production and the test suite set DATABASE_URL,
CELERY_BROKER_URL, CACHE_URL and EMAIL_URL. Nothing else in the code base reads os.environ.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-secret-key-change-me-in-production")
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Django's admin with a site class that can require staff two-factor (OTP_REQUIRED_FOR_STAFF).
    "scheduler.security.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "django_ratelimit",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "scheduler",
    "common",
    "fellows",
    "events",
    "notifications",
    "impact",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # A page whose view cannot reach the database answers 503 "try again", not a bare 500.
    "common.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Gives request.user.is_verified() for the optional staff two-factor in the admin.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A board action htmx sends after the session ended: the sign-in page as a page.
    "common.htmx.SignInRedirectMiddleware",
    # Records the signed-in user on each historical row (the audit trail of events).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out login attempt into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "scheduler.urls"
WSGI_APPLICATION = "scheduler.wsgi.application"
ASGI_APPLICATION = "scheduler.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "scheduler" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two bookings for one fellow
    # cannot both pass the conflict check before either writes (PostgreSQL uses row locks and an
    # exclusion constraint instead).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# With persistent connections, test each one before a request reuses it, so a database restart
# costs the requests in flight and not every request on a connection that died with it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if "redis" in CACHES["default"]["BACKEND"].lower():
    # A hung Redis must not hang a page: rate limits fail open and feeds render without it.
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 0.5)
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", 0.5)
# Requests per token and client address on private feeds and day sheets: "<count>/<s|m|h|d>".
FEED_RATE_LIMIT = env.str("FEED_RATE_LIMIT", default="120/h")
# Public speaker-request submissions (form and API together) per client: "count/s|m|h|d".
REQUEST_RATE_LIMIT = env.str("REQUEST_RATE_LIMIT", default="10/h")
# Survey answers per client address and event. One room answers through one address (a
# venue's Wi-Fi, a campus NAT): this must cover the largest audience answering at once.
SURVEY_RATE_LIMIT = env.str("SURVEY_RATE_LIMIT", default="600/h")
# Survey answers per event from every address together: a brake on a flood of junk answers.
SURVEY_EVENT_RATE_LIMIT = env.str("SURVEY_EVENT_RATE_LIMIT", default="3000/h")
# Days before a published event from which the public page shows its exact time and address.
PUBLIC_EVENT_DETAILS_DAYS = env.int("PUBLIC_EVENT_DETAILS_DAYS", default=2)
# Every limit is counted by django-ratelimit (common.rate_limits) in the default cache.
RATELIMIT_USE_CACHE = "default"
SILENCED_SYSTEM_CHECKS = [
    # `make run`'s local-memory cache is per process, and it runs one web process; Django's own
    # Redis cache (production) increments atomically but is not on the library's list.
    "django_ratelimit.E003",
    "django_ratelimit.W001",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The board's own sign-in page (the admin's rules, the product's look); the admin keeps its own.
LOGIN_URL = "board:login"
# A stale form (signed in or out in another tab) gets words and a way back, not Django's page.
CSRF_FAILURE_VIEW = "common.csrf.csrf_failure"
# django-axes refuses a login (admin, board, /me/login/) once a username from one address failed
# AXES_FAILURE_LIMIT times, for AXES_COOLOFF_MINUTES, even with the right password. It only
# watches username/password logins: API tokens and existing sessions are untouched.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Counted per username from one address and per address across usernames, each with its own
# limit (common.login_throttle); the lockout answer is a page saying what to do.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_HANDLER = "common.login_throttle.LoginThrottle"
AXES_LOCKOUT_CALLABLE = "common.login_throttle.lockout_page"
AXES_RESET_ON_SUCCESS = True
# How many proxies in front of the app append to X-Forwarded-For (0: clients connect directly).
# Every per-client limit, axes included, keys on common.client_address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "common.client_address.client_ip"
# Staff two-factor: when true, the admin accepts staff only after a TOTP token (django-otp).
OTP_REQUIRED_FOR_STAFF = env.bool("OTP_REQUIRED_FOR_STAFF", default=False)
OTP_TOTP_ISSUER = "LiNK Fellow Tours"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
# Django's own date output (the admin) in the product's one format, zone named: scheduler/formats.
FORMAT_MODULE_PATH = ["scheduler.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Email: files under var/mail/ unless EMAIL_URL names an SMTP server (smtp://user:pass@host:port,
# smtp+tls://..., smtps://...).
_email = env.email_url("EMAIL_URL", default="filemail://")
vars().update(_email)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LiNK Fellow Tours <tours@example.org>")
STAFF_MAILBOX = env.str("STAFF_MAILBOX", default="tours@example.org")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: kombu's filesystem transport under var/broker by default, Redis in production.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "out").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Fanout bindings (worker control) too, or kombu writes them to ./control in the tree.
        "control_folder": str(_broker_dir / "control"),
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    # A hung broker (Redis stopped, not closed) must not hang a page: every socket operation
    # of a publish gives up after CELERY_BROKER_SOCKET_TIMEOUT and the outbox row waits for
    # the sweeper. A broker that refuses the connection (Redis down) is not tried again either:
    # kombu would otherwise sleep between attempts for seconds while the host waits for the page
    # (workers reconnect by their own setting, broker_connection_max_retries).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "max_retries": 0,
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0),
        "socket_connect_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0),
    }
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3.0)
# Publishing is not retried in the request: the outbox sweeper is the retry. After a failed
# publish a process leaves publishing to the sweeper for this long (notifications.services).
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_RETRY_SECONDS = env.float("CELERY_BROKER_RETRY_SECONDS", default=10.0)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Lets several deployments (or benchmarks) share one Redis without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Notifications outbox (notifications/). Failed sends wait BASE * 2**(attempt-1) seconds with
# jitter, capped at MAX; after MAX_ATTEMPTS the row is dead until staff retry it. A row left in
# "sending" longer than SENDING_TIMEOUT (which must exceed the longest possible SMTP send) is
# reclaimed by the sweeper and sent again with the same Message-ID.
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=60.0)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.float("NOTIFICATIONS_RETRY_MAX_SECONDS", default=6 * 3600.0)
NOTIFICATIONS_SENDING_TIMEOUT = env.float("NOTIFICATIONS_SENDING_TIMEOUT", default=900.0)
NOTIFICATIONS_SWEEP_SECONDS = env.float("NOTIFICATIONS_SWEEP_SECONDS", default=60.0)
# The sweeper leaves a row alone this long after its task went to the broker.
NOTIFICATIONS_DISPATCH_GRACE_SECONDS = env.float(
    "NOTIFICATIONS_DISPATCH_GRACE_SECONDS", default=600.0
)
NOTIFICATIONS_REMINDER_SCAN_SECONDS = env.float("NOTIFICATIONS_REMINDER_SCAN_SECONDS", default=900)
NOTIFICATIONS_HOST_REMINDER_DAYS = env.int("NOTIFICATIONS_HOST_REMINDER_DAYS", default=7)
# A host who has not answered a proposed time gets one reminder after this many days.
NOTIFICATIONS_PROPOSAL_REMINDER_DAYS = env.int("NOTIFICATIONS_PROPOSAL_REMINDER_DAYS", default=3)
# Days a completed, declined or withdrawn request keeps the host's contact data (events.retention).
HOST_DATA_RETENTION_DAYS = env.int("HOST_DATA_RETENTION_DAYS", default=365)
# DatabaseScheduler copies these entries into django-celery-beat's PeriodicTask table.
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep-outbox": {
        "task": "notifications.tasks.sweep_outbox",
        "schedule": NOTIFICATIONS_SWEEP_SECONDS,
    },
    "notifications-queue-reminders": {
        # events.tasks.queue_reminders, still registered under the name it first had.
        "task": "notifications.tasks.queue_reminders",
        "schedule": NOTIFICATIONS_REMINDER_SCAN_SECONDS,
    },
    "events-remind-unanswered-proposals": {
        "task": "events.tasks.remind_unanswered_proposals",
        "schedule": NOTIFICATIONS_REMINDER_SCAN_SECONDS,
    },
    "events-anonymise-host-data": {
        "task": "events.tasks.anonymise_host_data",
        "schedule": 24 * 3600.0,
    },
}

REST_FRAMEWORK = {
    # Token first: DRF answers a request without credentials with the first class's challenge,
    # so an anonymous call is 401 with `WWW-Authenticate: Token` (session authentication has no
    # challenge, which would make it 403). Signed-in users without the right still get 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    # DRF's three parsers, with JSON refusing absurdly nested bodies (common.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A database outage answers 503 JSON with Retry-After instead of an HTML 500.
    "EXCEPTION_HANDLER": "common.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fellow Tour Scheduler API",
    "DESCRIPTION": "Speaker requests, tours and events for LiNK's Advocacy Fellows.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Error answers (400/401/403/404/429) and offset-free local times, so clients and the
    # schema fuzzing test see what the API really returns.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.api_support.document_error_responses",
    ],
    # One schema name per choice set that several serializers share.
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "events.models.Organization.Kind",
        "SpeakerRequestStatusEnum": "events.models.SpeakerRequest.Status",
        "EventStatusEnum": "events.models.Event.Status",
    },
}

# Production hardening switches; `manage.py check --deploy` is clean when these are set.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from our own origin (htmx and every other
# script are static files; the API docs use drf-spectacular's split view for the same reason).
# Inline <style> blocks and style attributes remain in our templates, the admin and Swagger UI,
# so styles allow 'unsafe-inline'; Swagger UI draws its icons as data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
