"""Seedance Studio settings: one file, every knob read from the environment.

The defaults run the whole thing on a laptop (SQLite, ORM task broker, sandbox providers).
Production sets DEBUG=False, SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS, SITE_URL and, for
several workers, REDIS_URL. `.env.example` lists every variable.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the server refuses to start without one: "
            "set SECRET_KEY to a long random string (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# The public base URL; provider callback links and customer-facing URLs are built from it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

# --- HTTPS and browser security (docs/deploy.md) ----------------------------------------------
# Every default follows DEBUG: on in production, off on a laptop; each can be set on its own.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain HTTP; these paths are never redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Behind a TLS-terminating proxy: the header it sets, e.g. SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto.
# Only set it when the proxy always overwrites that header (a client could send it otherwise).
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_prometheus",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_q",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "billing",
    "generations",
    "generations.api",
    "generations.webhooks",
    "generations.sandbox",
    "ops",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # First of ours: every later line of the request carries its X-Request-ID.
    "ops.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "seedance_site.body_limit.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "seedance_site.urls"
WSGI_APPLICATION = "seedance_site.wsgi.application"

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
                "accounts.context_processors.tenancy",
                "billing.context_processors.low_balance_warning",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Default: a SQLite file in the project folder. WAL + IMMEDIATE transactions + a busy timeout,
# because the web server and the worker write to the same file: with Django's defaults about
# 40 % of concurrent writes fail with "database is locked" (docs/deps.md in shared/).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections: a new PostgreSQL connection per request is 3-5x slower.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so that threads, the live server and a worker share the test data.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("TEST_DB_NAME", default=str(BASE_DIR / ".test-db.sqlite3"))
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Accounts (django-allauth, docs/accounts.md) ---------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# Nobody logs in (so nobody generates or makes API keys) before their address is confirmed;
# an invitation link counts as confirmation of the invited address.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Reset requests for unknown addresses send nothing (the page says the same either way).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Seedance Studio: "
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "signup": "accounts.forms.SignupForm"}
# Per client (ip) and per address (key), counted in the default cache (Redis when REDIS_URL is
# set, so every web process shares the counts). "<n>/<period>/<ip|key|user>", see allauth docs.
ACCOUNT_RATE_LIMITS = {
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/15m/key"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="20/m/ip"),
    "reset_password": env.str("RATE_LIMIT_RESET_PASSWORD", default="20/m/ip,3/h/key"),
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "confirm_email": "1/3m/key",
}
# Second factor: TOTP with recovery codes, optional for everyone; required for owners of a team
# that turns on Tenant.require_owner_mfa (accounts.decorators.tenant_required enforces it).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Seedance Studio")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Mirrored results and uploaded frames: S3 (or any S3-compatible store) through django-storages
# when a bucket is named, else files under MEDIA_ROOT. django-storages reads the AWS_* names.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
AWS_LOCATION = env.str("AWS_LOCATION", default="")
AWS_S3_ADDRESSING_STYLE = env.str("AWS_S3_ADDRESSING_STYLE", default="") or None
AWS_S3_SIGNATURE_VERSION = "s3v4"
AWS_DEFAULT_ACL = None  # objects stay private; tenants get presigned URLs
AWS_S3_FILE_OVERWRITE = False
# Downloads redirect to a presigned URL valid this long (seconds).
AWS_QUERYSTRING_EXPIRE = env.int("RESULT_URL_TTL_SECONDS", default=300)
# Files over this size are uploaded in parts of this size (multipart upload).
AWS_S3_MULTIPART_CHUNK_BYTES = env.int("AWS_S3_MULTIPART_CHUNK_BYTES", default=8 * 1024 * 1024)
AWS_S3_TRANSFER_CONFIG = None  # set below, once boto3 is known to be wanted
# On the filesystem: with RESULT_ACCEL_REDIRECT_PREFIX (e.g. /protected-media/) downloads are
# handed to nginx with X-Accel-Redirect: <prefix><file name> (deploy/nginx.conf); else streamed.
RESULT_ACCEL_REDIRECT_PREFIX = env.str("RESULT_ACCEL_REDIRECT_PREFIX", default="")
AWS_S3_CLIENT_CONFIG = None  # set below
if AWS_STORAGE_BUCKET_NAME:
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    # Short connect timeout and few retries: a store that is down shows in /readyz within seconds.
    AWS_S3_CLIENT_CONFIG = Config(
        s3={"addressing_style": AWS_S3_ADDRESSING_STYLE},
        signature_version=AWS_S3_SIGNATURE_VERSION,
        connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3.0),
        read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=60.0),
        retries={"max_attempts": 3, "mode": "standard"},
    )
    AWS_S3_TRANSFER_CONFIG = TransferConfig(
        multipart_threshold=AWS_S3_MULTIPART_CHUNK_BYTES,
        multipart_chunksize=AWS_S3_MULTIPART_CHUNK_BYTES,
        max_concurrency=2,
    )
    DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Where <video> and <img> may load results from: downloads redirect to the bucket's presigned
# URLs, so its origin is allowed; CSP_MEDIA_SOURCES adds more (a CDN in front of the bucket).
CSP_MEDIA_SOURCES = env.list("CSP_MEDIA_SOURCES", default=[])
if AWS_STORAGE_BUCKET_NAME:
    from urllib.parse import urlsplit

    _endpoint = urlsplit(AWS_S3_ENDPOINT_URL) if AWS_S3_ENDPOINT_URL else None
    CSP_MEDIA_SOURCES.append(
        f"{_endpoint.scheme}://{_endpoint.netloc}" if _endpoint else "https://*.amazonaws.com"
    )
# Content-Security-Policy (django-csp 4): our own scripts only. Inline style attributes are
# allowed (the portal and Swagger UI use them); inline scripts are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *CSP_MEDIA_SOURCES],
        "media-src": ["'self'", *CSP_MEDIA_SOURCES],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Cache, task queue ------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

Q_CLUSTER = {
    "name": "seedance",
    "workers": env.int("Q_WORKERS", default=2),
    # retry must exceed timeout, or a slow task runs twice (django-q2 docs).
    "timeout": 120,
    "retry": 180,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 250,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.2

# --- Email, logging --------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Seedance Studio <noreply@localhost>")

# One JSON object per line on stdout (LOG_FORMAT=plain for a terminal). Every line carries the
# request id and, inside a job's work, its generation id and tenant (ops.logs).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "ops.logs.ContextFilter"},
        # Provider callback URLs carry a secret token: no handler writes it (docs/webhooks.md).
        "redact_callback_tokens": {"()": "seedance_site.log_redaction.RedactCallbackTokens"},
    },
    "formatters": {
        "plain": {"()": "ops.logs.PlainFormatter"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["redact_callback_tokens", "context"],
        }
    },
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's access log, through the redacting handler instead of Django's own.
        "django.server": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}

# --- Operations: health, metrics, error reporting (docs/deploy.md) -----------------------------
# /readyz counts a worker or poller as dead when its newest heartbeat is older than this.
HEARTBEAT_MAX_AGE_SECONDS = env.int("HEARTBEAT_MAX_AGE_SECONDS", default=60)
HEARTBEAT_INTERVAL_SECONDS = env.float("HEARTBEAT_INTERVAL_SECONDS", default=10.0)
# /readyz checks these parts; drop "worker"/"poller" on a web-only host that should not care.
READINESS_CHECKS = env.list("READINESS_CHECKS", default=["database", "redis", "storage", "worker", "poller"])
# Bearer token for /metrics; without one /metrics answers 404 (off).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.auth.HasApiKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "seedance_site.api_errors.api_exception_handler",
    # Rates are read from API_THROTTLE_KEY / API_THROTTLE_TENANT below at request time.
    "DEFAULT_THROTTLE_CLASSES": ["generations.api.throttles.ApiKeyThrottle"],
}
# Requests per API key and per tenant (all its keys together): "<n>/<sec|min|hour|day>".
API_THROTTLE_KEY = env.str("API_THROTTLE_KEY", default="120/min")
API_THROTTLE_TENANT = env.str("API_THROTTLE_TENANT", default="600/min")
# Result downloads (portal and API) per tenant, counted apart from the API's limits.
DOWNLOAD_THROTTLE_TENANT = env.str("DOWNLOAD_THROTTLE_TENANT", default="120/min")
# Where the limits library keeps its atomic counters: Redis when REDIS_URL is set (shared by
# every process), else this process's memory (development).
RATE_LIMIT_STORAGE_URL = env.str("RATE_LIMIT_STORAGE_URL", default=REDIS_URL or "memory://")
# How long an Idempotency-Key replays its first answer (Stripe: 24 h).
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)
# The one request body limit, for the API, the portal's forms and provider callbacks: two 10 MB
# images as base64 data: URIs, plus the rest. Past it: 413 (JSON on the API and callbacks).
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=28 * 1024 * 1024)
# Django's own cap on what it reads into memory (forms, request.body) is the same limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_BYTES
SPECTACULAR_SETTINGS = {
    "TITLE": "Seedance Studio API",
    "DESCRIPTION": "Generate videos with Seedance 1.5 Pro through several providers, with prepaid credits. "
    "Guide: docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies get their own components, so they can say additionalProperties: false.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "generations.api.schema.add_retry_after_header",
        "generations.api.schema.add_provider_rules",
        "generations.api.schema.forbid_nul_characters",
    ],
}

# --- Providers -------------------------------------------------------------------------------
# The local emulator of every provider protocol, mounted at /sandbox/. Off unless asked for
# (`make run` and the test suite ask). Never with DEBUG off, except for staging and load tests
# that say so with SANDBOX_ALLOW_PRODUCTION=1 and a private SANDBOX_API_KEY.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)
SANDBOX_ALLOW_PRODUCTION = env.bool("SANDBOX_ALLOW_PRODUCTION", default=False)
SANDBOX_DELAY_SECONDS = env.float("SANDBOX_DELAY_SECONDS", default=3.0)
# Task durations vary uniformly by up to this share of SANDBOX_DELAY_SECONDS (0.15: ±15 %).
SANDBOX_DELAY_SPREAD = env.float("SANDBOX_DELAY_SPREAD", default=0.15)
# The sandbox calls back from a timer when a task finishes (off in the test harness).
SANDBOX_CALLBACK_TIMERS = env.bool("SANDBOX_CALLBACK_TIMERS", default=True)
# Provider `auto` tries enabled providers in this order.
PROVIDER_ORDER = env.list(
    "PROVIDER_ORDER", default=["kie", "apikley", "kkiai", "ark", "aizfw", "jiekou", "sandbox"]
)
# The bearer key the sandbox accepts, and the key every adapter uses while it points there.
SANDBOX_API_KEY = env.str("SANDBOX_API_KEY", default="sandbox-key" if DEBUG else "")
if SANDBOX_ENABLED and not DEBUG:
    if not SANDBOX_ALLOW_PRODUCTION:
        raise ImproperlyConfigured(
            "SANDBOX_ENABLED is set with DEBUG off: the provider emulator would answer for real "
            "providers. Unset SANDBOX_ENABLED, or set SANDBOX_ALLOW_PRODUCTION=1 for a staging or "
            "load-test deploy."
        )
    if not SANDBOX_API_KEY or SANDBOX_API_KEY == "sandbox-key":
        raise ImproperlyConfigured(
            "The sandbox runs with DEBUG off: set SANDBOX_API_KEY to a private random string "
            "(the development default is public)."
        )
# Where each provider's protocol lives inside the sandbox (paths mirror the real ones).
PROVIDER_SANDBOX_PATHS = {
    "kie": "/sandbox/kie",
    "apikley": "/sandbox/apikley",
    "kkiai": "/sandbox/kkiai/volc/v1",
    "ark": "/sandbox/ark/api/v3",
    "aizfw": "/sandbox/aizfw/kyyAiPower",
    "jiekou": "/sandbox/jiekou",
    "sandbox": "/sandbox/ark/api/v3",  # the `sandbox` provider speaks Ark's protocol
}


def _provider(slug: str, real_base_url: str) -> tuple[str, str, bool]:
    """(<SLUG>_BASE_URL, <SLUG>_API_KEY, <SLUG>_ENABLED). With a key set: the real provider, on.
    Without one: the sandbox when it runs (development), otherwise off. Env always wins."""
    key = env.str(f"{slug.upper()}_API_KEY", default="")
    use_sandbox = SANDBOX_ENABLED and not key
    base_url = f"{SITE_URL}{PROVIDER_SANDBOX_PATHS[slug]}" if use_sandbox else real_base_url
    return (
        env.str(f"{slug.upper()}_BASE_URL", default=base_url).rstrip("/"),
        key or (SANDBOX_API_KEY if use_sandbox else ""),
        env.bool(f"{slug.upper()}_ENABLED", default=bool(key) or use_sandbox),
    )


# Real base URLs as each provider's pages give them (docs/providers.md); the protocol prefix is part of the base URL.
KIE_BASE_URL, KIE_API_KEY, KIE_ENABLED = _provider("kie", "https://api.kie.ai")
APIKLEY_BASE_URL, APIKLEY_API_KEY, APIKLEY_ENABLED = _provider("apikley", "https://api.apikley.ru")
KKIAI_BASE_URL, KKIAI_API_KEY, KKIAI_ENABLED = _provider("kkiai", "https://www.kkiai.com/volc/v1")
ARK_BASE_URL, ARK_API_KEY, ARK_ENABLED = _provider("ark", "https://ark.ap-southeast.bytepluses.com/api/v3")
AIZFW_BASE_URL, AIZFW_API_KEY, AIZFW_ENABLED = _provider("aizfw", "https://zcbservice.aizfw.cn/kyyAiPower")
JIEKOU_BASE_URL, JIEKOU_API_KEY, JIEKOU_ENABLED = _provider("jiekou", "https://api.jiekou.ai")
# Text-only JieKou jobs go to the documented image-to-video endpoint unless this names another path.
JIEKOU_TEXT_TO_VIDEO_PATH = env.str("JIEKOU_TEXT_TO_VIDEO_PATH", default="")
# The `sandbox` provider itself is on exactly when the sandbox is mounted (SANDBOX_ENABLED).
SANDBOX_BASE_URL = env.str("SANDBOX_BASE_URL", default=f"{SITE_URL}{PROVIDER_SANDBOX_PATHS['sandbox']}")
# Ark model ids: BytePlus (international) and Volcengine (China, also kkiai) name it differently.
ARK_MODEL = env.str("ARK_MODEL", default="seedance-1-5-pro-251215")
KKIAI_MODEL = env.str("KKIAI_MODEL", default="doubao-seedance-1-5-pro-251215")
# Kie's account-level webhook HMAC key: when set, unsigned or mis-signed Kie callbacks are
# refused (and the sandbox signs its Kie callbacks with it).
KIE_WEBHOOK_HMAC_KEY = env.str("KIE_WEBHOOK_HMAC_KEY", default="")
# Capability overrides per slug, because providers change their docs, e.g.
# PROVIDER_CAPABILITIES='{"kie": {"resolutions": ["480p", "720p", "1080p"]}}'
PROVIDER_CAPABILITIES = env.json("PROVIDER_CAPABILITIES", default={})
# The shared HTTP client: timeouts (s), attempts on connect errors/429/5xx, and the longest
# Retry-After honoured in-process (longer ones are handed back to the caller to reschedule).
PROVIDER_HTTP_CONNECT_TIMEOUT = env.float("PROVIDER_HTTP_CONNECT_TIMEOUT", default=5.0)
PROVIDER_HTTP_READ_TIMEOUT = env.float("PROVIDER_HTTP_READ_TIMEOUT", default=30.0)
PROVIDER_HTTP_MAX_ATTEMPTS = env.int("PROVIDER_HTTP_MAX_ATTEMPTS", default=3)
PROVIDER_RETRY_AFTER_MAX_SECONDS = env.float("PROVIDER_RETRY_AFTER_MAX_SECONDS", default=30.0)

# --- Generations -----------------------------------------------------------------------------
GENERATION_DEADLINE_HOURS = env.int("GENERATION_DEADLINE_HOURS", default=48)
# Per-provider deadlines, e.g. GENERATION_DEADLINE_HOURS_BY_PROVIDER=jiekou=24,kie=72
GENERATION_DEADLINE_HOURS_BY_PROVIDER = env.dict(
    "GENERATION_DEADLINE_HOURS_BY_PROVIDER", cast={"value": int}, default={}
)
TENANT_MAX_IN_FLIGHT = env.int("TENANT_MAX_IN_FLIGHT", default=10)
# Create calls per job, across providers, before it fails with `provider_unavailable`.
GENERATION_SUBMIT_MAX_ATTEMPTS = env.int("GENERATION_SUBMIT_MAX_ATTEMPTS", default=5)
# The poll schedule (generations.polling): once recent jobs of a kind show how long they take,
# polls come every CADENCE seconds from when the job can be done. Before that, and for a job
# that is unusually late, the backoff: MIN seconds doubling up to MAX. Where the provider calls
# back, the first poll is a safety net after the slowest recent jobs plus FIRST_POLL_WITH_CALLBACK.
GENERATION_POLL_CADENCE_SECONDS = env.int("GENERATION_POLL_CADENCE_SECONDS", default=4)
GENERATION_POLL_MIN_SECONDS = env.int("GENERATION_POLL_MIN_SECONDS", default=5)
GENERATION_POLL_MAX_SECONDS = env.int("GENERATION_POLL_MAX_SECONDS", default=60)
GENERATION_FIRST_POLL_WITH_CALLBACK_SECONDS = env.int(
    "GENERATION_FIRST_POLL_WITH_CALLBACK_SECONDS", default=30
)
# A submission still unconfirmed after this long is treated as lost (its worker died). Must
# exceed Q_CLUSTER["timeout"], or a slow but live create call would be judged lost.
GENERATION_SUBMIT_LEASE_SECONDS = env.int("GENERATION_SUBMIT_LEASE_SECONDS", default=300)
# How long a lost or timed-out submission may still be adopted by a provider callback
# before the job is failed and its credits released (docs/lifecycle.md).
GENERATION_AMBIGUOUS_GRACE_MINUTES = env.int("GENERATION_AMBIGUOUS_GRACE_MINUTES", default=30)
# The poller (`manage.py run_poller`): longest wait between sweeps (on PostgreSQL a new job
# wakes it at once), rows claimed per sweep.
GENERATION_POLLER_INTERVAL_SECONDS = env.float("GENERATION_POLLER_INTERVAL_SECONDS", default=1.0)
GENERATION_POLL_BATCH = env.int("GENERATION_POLL_BATCH", default=100)

# --- Outbound HTTP safety ----------------------------------------------------------------------
# Host names, addresses or CIDRs that customer webhooks and fetched image URLs may reach even
# though they are loopback/private (the sandbox and the test suite need it).
OUTBOUND_ALLOWLIST = env.list("OUTBOUND_ALLOWLIST", default=["127.0.0.1", "localhost"] if DEBUG else [])
# generations.outbound: timeouts (seconds), redirect hops, and what we identify as.
OUTBOUND_CONNECT_TIMEOUT = env.float("OUTBOUND_CONNECT_TIMEOUT", default=5.0)
OUTBOUND_READ_TIMEOUT = env.float("OUTBOUND_READ_TIMEOUT", default=30.0)
OUTBOUND_MAX_REDIRECTS = env.int("OUTBOUND_MAX_REDIRECTS", default=5)
OUTBOUND_USER_AGENT = env.str("OUTBOUND_USER_AGENT", default="SeedanceStudio/1.0 (+webhooks)")
OUTBOUND_IMAGE_MAX_BYTES = env.int("OUTBOUND_IMAGE_MAX_BYTES", default=10 * 1024 * 1024)

# --- Webhooks (customer notifications, docs/webhooks.md) ---------------------------------------
# Seconds to wait after failed attempt 1, 2, ...: about 27 hours in all, then the delivery fails.
WEBHOOK_RETRY_SCHEDULE = env.list(
    "WEBHOOK_RETRY_SCHEDULE", cast=int, default=[60, 300, 1800, 7200, 18000, 36000, 36000]
)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# The endpoint is disabled (and its owners emailed) when at least this many attempts in a row
# failed AND the failures have lasted this long: a brief outage never disables it.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=15)
WEBHOOK_DISABLE_AFTER_HOURS = env.int("WEBHOOK_DISABLE_AFTER_HOURS", default=24)

# --- Results (mirrored videos and last frames, docs/webhooks.md) -------------------------------
RESULT_MAX_BYTES = env.int("RESULT_MAX_BYTES", default=500 * 1024 * 1024)
RESULT_FRAME_MAX_BYTES = env.int("RESULT_FRAME_MAX_BYTES", default=20 * 1024 * 1024)
# Seconds between download attempts while the provider URL may still come back (5xx, timeouts).
RESULT_MIRROR_RETRY_SCHEDULE = env.list(
    "RESULT_MIRROR_RETRY_SCHEDULE", cast=int, default=[30, 120, 600, 1800, 3600, 7200]
)
RESULT_DOWNLOAD_TIMEOUT_SECONDS = env.float("RESULT_DOWNLOAD_TIMEOUT_SECONDS", default=60.0)

# --- Moderation ------------------------------------------------------------------------------
MODERATION_REVIEW_TERMS = env.list("MODERATION_REVIEW_TERMS", default=[])
MODERATION_BLOCKED_TERMS = env.list("MODERATION_BLOCKED_TERMS", default=[])
# Comma-separated, case-insensitive; terms staff add in admin (ModerationTerm) apply as well.

# --- Audit log -------------------------------------------------------------------------------
# How many reverse proxies in front of Django append to X-Forwarded-For. 0 trusts only
# REMOTE_ADDR, because a client can write any X-Forwarded-For it likes (accounts/audit.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# allauth's rate limits count per client address with the same rule.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# --- Payments (Stripe Checkout, docs/billing.md) -----------------------------------------------
# With STRIPE_SECRET_KEY set, the real Stripe is used. Without it, and while the sandbox runs
# (SANDBOX_ENABLED: make run, the tests; refused with DEBUG off unless SANDBOX_ALLOW_PRODUCTION),
# the local payment sandbox at /sandbox/stripe/ plays Stripe's part, handing out credits for
# nothing; otherwise buying credits is off and the billing page says so.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
PAYMENTS_SANDBOX = not STRIPE_SECRET_KEY and SANDBOX_ENABLED
PAYMENTS_ENABLED = bool(STRIPE_SECRET_KEY) or PAYMENTS_SANDBOX
# The signing secret of the webhook endpoint (/billing/stripe/webhook/). The development default
# is what the sandbox signs with; with a real key, the endpoint's own secret is required.
STRIPE_WEBHOOK_SECRET = env.str(
    "STRIPE_WEBHOOK_SECRET", default="" if STRIPE_SECRET_KEY else "whsec_sandbox_development_only"
)
if STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: copy the signing secret (whsec_...) "
        "of the webhook endpoint you created in Stripe's dashboard (docs/billing.md)."
    )
# Events signed longer ago than this are refused (Stripe's libraries default to 300 s).
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
STRIPE_SANDBOX_KEY = "sk_test_sandbox"
STRIPE_API_BASE = env.str(
    "STRIPE_API_BASE", default=f"{SITE_URL}/sandbox/stripe" if PAYMENTS_SANDBOX else "https://api.stripe.com"
).rstrip("/")
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=30.0)
# The stripe library retries connection errors and 409/429/5xx with backoff; every call that
# creates something carries an idempotency key, so a retry never buys twice.
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# A custom top-up (an amount instead of a pack) is priced at the smallest active pack's rate.
TOPUP_MIN_CREDITS = env.int("TOPUP_MIN_CREDITS", default=100)
TOPUP_MAX_CREDITS = env.int("TOPUP_MAX_CREDITS", default=1_000_000)

# --- Files (generations.files) ----------------------------------------------------------------
# How long an image uploaded with POST /api/v1/files stays usable (and stored).
UPLOADED_FILE_RETENTION_HOURS = env.int("UPLOADED_FILE_RETENTION_HOURS", default=7 * 24)

# --- Provider routing (generations.routing, generations.providers.health) -----------------------
# Circuit breaker: among a provider's last WINDOW create calls, once at least MIN_CALLS are known
# and more than FAILURE_RATIO failed, routing skips it for COOLDOWN_SECONDS.
PROVIDER_BREAKER_WINDOW = env.int("PROVIDER_BREAKER_WINDOW", default=10)
PROVIDER_BREAKER_MIN_CALLS = env.int("PROVIDER_BREAKER_MIN_CALLS", default=3)
PROVIDER_BREAKER_FAILURE_RATIO = env.float("PROVIDER_BREAKER_FAILURE_RATIO", default=0.5)
PROVIDER_BREAKER_COOLDOWN_SECONDS = env.int("PROVIDER_BREAKER_COOLDOWN_SECONDS", default=120)
# `fastest` and GET /api/v1/providers: statistics over the last this many days of jobs.
PROVIDER_STATS_DAYS = env.int("PROVIDER_STATS_DAYS", default=7)
