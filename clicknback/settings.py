"""Django settings for ClickNBack, read from the environment through django-environ.

Development defaults are safe for a laptop; ``DJANGO_ENV=production`` turns on the
hardened profile, which refuses to start without ``DJANGO_SECRET_KEY``.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production.")
    # Development-only key, never used by the production profile.
    SECRET_KEY = "dev-only-insecure-key-change-me-" + "x" * 32

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "rest_framework_api_key",
    "axes",
    "clicknback.audit",
    "clicknback.flags",
    "clicknback.outbox",
    "users",
    "merchants",
    "offers",
    "wallets",
    "purchases",
    "payouts",
    "partners",
    "events",
    "demo",
    "clicknback",
]

MIDDLEWARE = [
    "clicknback.api.metrics.RequestMetricsMiddleware",
    "clicknback.api.guards.HeadWithoutBodyMiddleware",
    "clicknback.api.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "clicknback.api.security.ContentSecurityPolicyMiddleware",
    "clicknback.api.guards.NulGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its refusal.
    "axes.middleware.AxesMiddleware",
]

# Staff sign-in is throttled by django-axes: after ADMIN_LOGIN_FAILURE_LIMIT failed
# attempts for one account from one address, the admin login refuses that pair for
# ADMIN_LOCKOUT_MINUTES (the wallet pages and the API have their own per-IP throttles).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The admin login form names the email field "username" (axes would look for "email").
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
AXES_HANDLER = "backoffice.signin.AdminOnlyAxesHandler"

ROOT_URLCONF = "clicknback.urls"
WSGI_APPLICATION = "clicknback.wsgi.application"
APPEND_SLASH = False

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

# --- Database ---------------------------------------------------------------
# DATABASE_URL is required; `make run` / `make test` set it to an embedded server
# when it is not given. A Unix-socket host may be percent-encoded in the URL.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/clicknback")}
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Django's PostgreSQL backend, whose health check skips the SELECT 1 round trip while the
# connection's socket shows the server has said nothing (clicknback/db/base.py).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "clicknback.db"
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
# Parameters travel apart from the SQL (server-side binding), so psycopg can prepare a
# statement on the server once it has run DB_PREPARE_THRESHOLD times on a connection
# and then skip parsing and planning it: the hot paths send the same few statements
# over and over (bench/NOTEBOOK.md measured about 40 % less database CPU per purchase).
# Behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode
# before 1.21), set DB_PREPARE_THRESHOLD=0 to turn preparing off.
_prepare_threshold = env.int("DB_PREPARE_THRESHOLD", default=5)
# Behind PgBouncer in transaction mode, also set DB_DISABLE_SERVER_SIDE_CURSORS=true: a
# server-side cursor (the CSV exports' .iterator()) cannot outlive the transaction on a
# pooled connection (docs/scale-out.md).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DB_DISABLE_SERVER_SIDE_CURSORS", default=False)
DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", _prepare_threshold or None)
if env.str("DB_TEST_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("DB_TEST_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "/wallet/login/"

# --- Redis / cache / Celery -------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="clicknback"),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# Seconds a cached catalog page (GET /offers/active) may live; changes through the
# services invalidate it at once (clicknback/catalog_cache.py). 0 turns the cache off.
CATALOG_CACHE_SECONDS = env.int("CATALOG_CACHE_SECONDS", default=30)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=50)
CELERY_TASK_IGNORE_RESULT = True
# Keep a worker's database connection across tasks (Celery closes it around every task
# by default); stale connections are still dropped before each task (clicknback/celery.py).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)}
# Three queues, each with workers of its own (scripts/run_stack.py, docker-compose.yml):
# the default one for the dispatcher and the other beat tasks, never behind a
# verification; one for the verifications; one reserved for webhook deliveries.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="clicknback")
CELERY_VERIFY_QUEUE = env.str("CELERY_VERIFY_QUEUE", default=f"{CELERY_TASK_DEFAULT_QUEUE}.verify")
CELERY_WEBHOOK_QUEUE = env.str("CELERY_WEBHOOK_QUEUE", default=f"{CELERY_TASK_DEFAULT_QUEUE}.webhooks")
CELERY_TASK_ROUTES = {
    "purchases.tasks.verify_purchases": {"queue": CELERY_VERIFY_QUEUE},
    "purchases.tasks.verify_purchase": {"queue": CELERY_VERIFY_QUEUE},
    # Webhook deliveries (the events app's sender), on a queue reserved for them.
    "events.tasks.send_webhook_delivery": {"queue": CELERY_WEBHOOK_QUEUE},
    "events.tasks.dispatch_webhook_deliveries": {"queue": CELERY_WEBHOOK_QUEUE},
    # Notification emails too: an SMTP server that hangs holds up no money work either.
    "events.tasks.send_notifications": {"queue": CELERY_WEBHOOK_QUEUE},
    "webhooks.tasks.*": {"queue": CELERY_WEBHOOK_QUEUE},
}
# Task events (sent, started, succeeded, failed...) for Flower or any Celery monitor.
CELERY_WORKER_SEND_TASK_EVENTS = env.bool("CELERY_SEND_EVENTS", default=True)
CELERY_TASK_SEND_SENT_EVENT = CELERY_WORKER_SEND_TASK_EVENTS
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

PURCHASE_CONFIRMATION_INTERVAL_SECONDS = env.int("PURCHASE_CONFIRMATION_INTERVAL_SECONDS", default=60)
PURCHASE_MAX_VERIFICATION_ATTEMPTS = env.int("PURCHASE_MAX_VERIFICATION_ATTEMPTS", default=3)
# Seeded BankSimFail merchant id; the simulator never matches its purchases.
BANKSIMFAIL_MERCHANT_ID = "00000000-0000-4000-8000-00000000fa11"
REJECTION_MERCHANT_IDS = env.list("REJECTION_MERCHANT_IDS", default=[BANKSIMFAIL_MERCHANT_ID])
PURCHASE_VERIFIER_CLASS = env.str("PURCHASE_VERIFIER_CLASS", default="purchases.verifier.SimulatedBankVerifier")
PURCHASE_CLAIM_SECONDS = env.int("PURCHASE_CLAIM_SECONDS", default=120)
PURCHASE_DISPATCH_BATCH_SIZE = env.int("PURCHASE_DISPATCH_BATCH_SIZE", default=500)
# Claimed purchases per verification task (1: one task per purchase).
PURCHASE_VERIFY_CHUNK_SIZE = env.int("PURCHASE_VERIFY_CHUNK_SIZE", default=100)
# Verifications running at once in one chunk task (threads waiting on the bank); the
# default asks about a whole chunk at once. Lower it for a bank that limits concurrency.
PURCHASE_VERIFY_CONCURRENCY = env.int("PURCHASE_VERIFY_CONCURRENCY", default=100)
# One verification's time limit; an error or a time-out uses no attempt, is retried
# after BACKOFF * 2^(errors-1) (capped, jittered), and after MAX_VERIFICATION_ERRORS of
# them the purchase waits in the back office's review queue.
PURCHASE_VERIFY_TIMEOUT_SECONDS = env.float("PURCHASE_VERIFY_TIMEOUT_SECONDS", default=10.0)
PURCHASE_MAX_VERIFICATION_ERRORS = env.int("PURCHASE_MAX_VERIFICATION_ERRORS", default=10)
PURCHASE_VERIFY_BACKOFF_SECONDS = env.float("PURCHASE_VERIFY_BACKOFF_SECONDS", default=30.0)
PURCHASE_VERIFY_BACKOFF_MAX_SECONDS = env.float("PURCHASE_VERIFY_BACKOFF_MAX_SECONDS", default=3600.0)
# The simulator's answer time (0: at once; 200 is a real bank's latency).
PURCHASE_SIMULATOR_LATENCY_MS = env.int("PURCHASE_SIMULATOR_LATENCY_MS", default=0)
# A verification must end well inside its claim and its task's limits.
if not 0 < PURCHASE_VERIFY_TIMEOUT_SECONDS < min(CELERY_TASK_SOFT_TIME_LIMIT / 2, PURCHASE_CLAIM_SECONDS * 0.75):
    raise ImproperlyConfigured(
        "PURCHASE_VERIFY_TIMEOUT_SECONDS must be shorter than half of CELERY_TASK_SOFT_TIME_LIMIT "
        "and three quarters of PURCHASE_CLAIM_SECONDS."
    )
# reconcile_wallets: dotted paths of functions returning, per user id, what the domain
# says the wallet should hold ({"pending", "available_minus_owed", "paid"}).
WALLET_RECONCILERS = [
    "purchases.reconcile.contribution",
    "payouts.reconcile.contribution",
    "wallets.adjustments.contribution",
]

CELERY_BEAT_SCHEDULE = {
    "dispatch-purchase-confirmations": {
        "task": "purchases.tasks.dispatch_purchase_confirmations",
        "schedule": float(PURCHASE_CONFIRMATION_INTERVAL_SECONDS),
    },
    "purge-expired-idempotency-keys": {
        "task": "payouts.tasks.purge_idempotency_keys",
        "schedule": 3600.0,
    },
    "relay-events": {
        "task": "events.tasks.relay_events",
        "schedule": float(env.int("EVENT_RELAY_INTERVAL_SECONDS", default=5)),
    },
    "dispatch-webhook-deliveries": {
        "task": "events.tasks.dispatch_webhook_deliveries",
        "schedule": float(env.int("WEBHOOK_DISPATCH_INTERVAL_SECONDS", default=5)),
    },
    # Emails left pending (a failed send, a lost message) are picked up again.
    "send-notifications": {
        "task": "events.tasks.send_notifications",
        "schedule": 60.0,
    },
    "purge-expired-refresh-tokens": {
        "task": "users.tasks.purge_expired_refresh_tokens",
        "schedule": 3600.0,
    },
}

# GET /metrics (Prometheus): with a token, only "Authorization: Bearer <token>"; without
# one, only clients on loopback or private addresses.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

PAYOUT_MIN_AMOUNT = env.str("PAYOUT_MIN_AMOUNT", default="10.00")
PAYOUT_MONTHLY_LIMIT = env.str("PAYOUT_MONTHLY_LIMIT", default="100.00")
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)

# --- Partners (contract §13) ------------------------------------------------------
# How far back a partner may date a purchase (days); up to 5 minutes ahead is allowed.
PURCHASE_MAX_AGE_DAYS = env.int("PURCHASE_MAX_AGE_DAYS", default=90)
PURCHASE_MAX_FUTURE_SECONDS = 300
PARTNER_BATCH_MAX_ITEMS = 1000
# A postback's timestamp may be this far from now, either way.
POSTBACK_TIMESTAMP_WINDOW_SECONDS = env.int("POSTBACK_TIMESTAMP_WINDOW_SECONDS", default=300)
# Throttles, counted in the Redis cache ("off" disables one): per partner key, and per
# user for purchase ingestion and payout requests (§9).
PARTNER_RATE_LIMIT = env.str("PARTNER_RATE_LIMIT", default="1200/min")
PURCHASE_THROTTLE_RATE = env.str("PURCHASE_THROTTLE_RATE", default="120/min")
PAYOUT_THROTTLE_RATE = env.str("PAYOUT_THROTTLE_RATE", default="10/min")
# Browser calls from other origins (django-cors-headers): none unless listed.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(api|postbacks)/.*$"
CORS_ALLOW_HEADERS = ("authorization", "content-type", "idempotency-key", "x-request-id")
CORS_EXPOSE_HEADERS = ("x-request-id", "retry-after")

# --- Request limits -------------------------------------------------------------
# The largest request body any view reads (Django's own setting, here configurable): a
# bigger API body is a 413 PAYLOAD_TOO_LARGE. gunicorn.conf.py limits the request line
# and the headers.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REQUEST_BODY_MAX_BYTES", default=2_621_440)
# How deeply arrays and objects may nest in an API body (clicknback/api/parsers.py).
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)

# --- REST framework ---------------------------------------------------------
AUTH_THROTTLE_RATE = env.str("AUTH_THROTTLE_RATE", default="5/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clicknback.api.authentication.BearerTokenAuthentication",
        # A partner key is recognised everywhere so that it is refused with a 403 (not
        # taken for a malformed token) outside /partner/*, where it is the only credential.
        "partners.authentication.PartnerKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["clicknback.api.permissions.IsUser"],
    "DEFAULT_RENDERER_CLASSES": ["clicknback.api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["clicknback.api.parsers.DecimalJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "clicknback.api.pagination.OffsetLimitPagination",
    "DEFAULT_FILTER_BACKENDS": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "clicknback.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "DEFAULT_THROTTLE_RATES": {"auth": None if AUTH_THROTTLE_RATE == "off" else AUTH_THROTTLE_RATE},
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Password reset links (contract §3): Django's token machinery, valid this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3600)
# Email: console output unless EMAIL_URL names a server (smtp://user:pass@host:587, ...).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ClickNBack <no-reply@clicknback.local>")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.int("ACCESS_TOKEN_LIFETIME_SECONDS", default=15 * 60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env.int("REFRESH_TOKEN_LIFETIME_SECONDS", default=30 * 24 * 3600)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": False,  # rotation and reuse detection: users.RefreshTokenRecord
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ClickNBack API",
    "DESCRIPTION": "Cashback platform: purchases, cashback wallet and payouts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # active/inactive is shared by merchants and offers: one named enum.
    "ENUM_NAME_OVERRIDES": {
        "ActivationStatusEnum": "offers.models.OfferStatus",
        "WebhookDeliveryStatusEnum": "events.models.DeliveryStatus",
    },
    # 413, 415 and 500 on every operation that can answer them (clicknback/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "clicknback.api.schema.document_transport_errors",
    ],
}

# --- I18N / static ----------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Files served at the site root, e.g. /favicon.ico, which browsers ask for on every page.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

ADMIN_URL = env.str("ADMIN_URL", default="admin/")

# --- Security ---------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: JSON lines carrying the request id ----------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "clicknback.api.middleware.RequestIdLogFilter"}},
    "formatters": {
        "json": {
            # Masks payment details in every field (clicknback/redact.py).
            "()": "clicknback.redact.RedactingJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}

# --- Events, webhooks and notifications (contract §14) ---------------------------------
# Hosts a webhook URL may name although they resolve to an internal address (then http is allowed too).
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
# Seconds to wait before each retry of a failed delivery (with jitter); then the delivery is failed.
WEBHOOK_RETRY_SCHEDULE = [
    float(value)
    for value in env.list("WEBHOOK_RETRY_SCHEDULE", default=["5", "300", "1800", "7200", "18000", "36000", "36000"])
]
WEBHOOK_RETRY_JITTER = env.float("WEBHOOK_RETRY_JITTER", default=0.2)  # ± this fraction of each wait
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=10)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# How long a claimed delivery or email is reserved for the worker that claimed it.
WEBHOOK_CLAIM_SECONDS = env.int("WEBHOOK_CLAIM_SECONDS", default=60)
EVENT_RELAY_BATCH_SIZE = env.int("EVENT_RELAY_BATCH_SIZE", default=500)

# Notification emails use the email settings above (EMAIL_URL); their wallet link starts here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
