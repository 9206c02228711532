"""CarDoc AI settings: one file, driven by the environment (see README's Configuration table)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CARDOC_VAR_DIR", default=str(BASE_DIR / "var")))
# SQLite, media and static files live under var/; creating it here lets a fresh clone run with no set-up.
for _folder in ("", "static", "media"):
    (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)

env = environ.Env()
# `make run` writes a development .env (DEBUG=true, a generated key) once, so manage.py works by hand too.
# The environment wins over the file; CARDOC_ENV_FILE names another file (tests use it to read none).
environ.Env.read_env(env.str("CARDOC_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-cardoc-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. For development, run `make run` once (it writes a .env "
            "with DEBUG=true and a generated key) or set DEBUG=true."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Before the admin, as django-modeltranslation asks: it patches the catalog models' translated fields.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "auditlog",
    "django_q",
    "django_prometheus",
    "cardoc",
    "accounts",
    "catalog",
    "tutorials",
    "directory",
    "mlops",
    "diagnostics",
    "maintenance",
]

MIDDLEWARE = [
    # First: probes come by IP over plain HTTP, so they must pass before host checks and the HTTPS redirect.
    "cardoc.health.HealthCheckMiddleware",
    # /metrics, for the same reason; then django-prometheus's timer, which must wrap everything that follows.
    "cardoc.metrics.MetricsMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # After the probes, which would fill the log; outside everything else, so it times and sees all of it.
    "cardoc.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before CommonMiddleware, as django-cors-headers asks; inert while CORS_ALLOWED_ORIGINS is empty.
    "corsheaders.middleware.CorsMiddleware",
    # CSP on server pages, no-store on personal API answers.
    "cardoc.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cardoc.middleware.TrustedProxyMiddleware",
    # Outermost of the database users, so an outage anywhere below it is a 503, not a 500.
    "cardoc.middleware.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The driver's language from Accept-Language (English by default); public pages are cached per language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication, so the admin's log entries reach the audit trail with their user and IP.
    "cardoc.middleware.CurrentRequestMiddleware",
    # PostgreSQL only: the request's connection scoped to its user by row-level security (cardoc.rls).
    "cardoc.middleware.RowLevelSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, as django-prometheus asks: it labels the request with its view.
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "cardoc.urls"
WSGI_APPLICATION = "cardoc.wsgi.application"

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

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'cardoc.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the django-q2 worker writes; IMMEDIATE takes the write lock
    # at BEGIN, so two writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
    }
    # A file, not :memory:, so a test can start a real django-q2 worker process on the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_cardoc.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# django-prometheus's wrappers of the same backends time every query for /metrics (django_db_*).
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "django_prometheus.db.backends.", 1
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # The rate limits and the sign-in lockout count in this cache, so it must be shared by every web process:
    # a per-process (locmem) cache would give each gunicorn worker its own allowance. The database is the one
    # store every process already shares, so it is the default; `manage.py createcachetable` makes its table.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cardoc_cache",
            "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=50_000)},
        }
    }
# Rendered public pages (catalog, tutorials, services). Per process on purpose: a hit must cost no network
# round trip, and staleness is ruled out by the content version in each key (cardoc/public_cache.py).
CACHES["public_pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "cardoc-public-pages",
    # Tutorial view counts are not a staff edit, so a cached list shows them at most this old.
    "TIMEOUT": env.int("PUBLIC_CACHE_SECONDS", default=300),
    "OPTIONS": {"MAX_ENTRIES": 2000},
}
# How long clients and shared caches may reuse a public page before revalidating it with If-None-Match.
PUBLIC_CACHE_MAX_AGE = env.int("PUBLIC_CACHE_MAX_AGE", default=60)

# --- Authentication -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous-user row would be a fake account in the users table; we never grant it anything.
ANONYMOUS_USER_NAME = None

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Repeated failed sign-ins on one address lock it, on the API, the web and the admin alike.
LOGIN_LOCKOUT_THRESHOLD = env.int("LOGIN_LOCKOUT_THRESHOLD", default=10)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
# Reset links work once and for an hour; verification links for three days.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=3 * 24 * 60 * 60)
# Where the links in those emails point: the app's screens, which post the token back to the API.
PASSWORD_RESET_URL = env.str("PASSWORD_RESET_URL", default="cardoc://reset-password?uid={uid}&token={token}")
EMAIL_VERIFICATION_URL = env.str("EMAIL_VERIFICATION_URL", default="cardoc://verify-email?token={token}")
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/mechanics/listings/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Our first market, Cameroon, reads French and English.
LANGUAGES = [("en", "English"), ("fr", "Français")]
TIME_ZONE = "UTC"
# The garages' working hours are local times in this zone (the demo directory is in Yaoundé).
DIRECTORY_TIME_ZONE = env.str("DIRECTORY_TIME_ZONE", default="Africa/Douala")
USE_I18N = True
USE_TZ = True
# Our own catalogue (API messages, errors, hints); Django, DRF and simplejwt ship French of their own.
LOCALE_PATHS = [BASE_DIR / "locale"]
# Catalog content in both languages (catalog/translation.py, tutorials/translation.py): a field with no French
# falls back to the English text, never to an empty string.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
# Only public files (catalog icons, garage photos) live in MEDIA_ROOT; drivers' photos and recordings go to the
# private storage, which has no URL and is streamed to its owner by the API.
MEDIA_ROOT = VAR_DIR / "media"
PRIVATE_MEDIA_ROOT = VAR_DIR / "private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}


def _s3_storage(url: str, *, folder: str, public: bool) -> dict[str, object]:
    """A django-storages S3 backend from ``s3://bucket[/prefix]?endpoint_url=…&region_name=…&custom_domain=…``.

    Credentials come the way boto3 reads them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the machine's
    role), never from the URL. Public files get plain URLs (the bucket policy makes ``<prefix>/public``
    readable); private ones none that work without a signature, and the API streams them to their owner.
    """
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ImproperlyConfigured(f"A storage URL looks like s3://bucket/prefix?endpoint_url=..., not {url!r}.")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"endpoint_url", "region_name", "custom_domain"}
    if unknown:
        raise ImproperlyConfigured(f"Unknown storage URL option(s): {', '.join(sorted(unknown))}.")
    prefix = parts.path.strip("/")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": parts.netloc,
            "location": f"{prefix}/{folder}" if prefix else folder,
            "endpoint_url": query.get("endpoint_url"),
            "region_name": query.get("region_name"),
            "custom_domain": query.get("custom_domain") if public else None,
            "querystring_auth": not public,
            # Our names are unique (uuids): never rename on collision, and never let a bucket ACL decide.
            "file_overwrite": True,
            "default_acl": None,
        },
    }


# Off by default (files under var/). With several web or worker machines, uploads must be where every one
# of them can read them: an S3-compatible bucket (AWS, MinIO, Ceph, R2...) through django-storages.
MEDIA_STORAGE_URL = env.str("MEDIA_STORAGE_URL", default="")
PRIVATE_STORAGE_URL = env.str("PRIVATE_STORAGE_URL", default=MEDIA_STORAGE_URL)
if MEDIA_STORAGE_URL:
    STORAGES["default"] = _s3_storage(MEDIA_STORAGE_URL, folder="public", public=True)
if PRIVATE_STORAGE_URL:
    STORAGES["private"] = _s3_storage(PRIVATE_STORAGE_URL, folder="private", public=False)
FORMS_URLFIELD_ASSUME_HTTPS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Security -------------------------------------------------------------------------------------
# How many reverse proxies stand in front of the app. Zero means X-Forwarded-For is never trusted.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if env.bool("SECURE_PROXY_SSL", default=TRUSTED_PROXY_COUNT > 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Cross-origin calls to the API (a web client on another origin) only from the origins named here; none by
# default, since the mobile app is not a browser and needs no CORS.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Django REST framework ------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Checks the account's status on every request, so suspending someone ends their session at once.
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ActiveAccountJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        # Ours: DRF's, with a nesting cap (deep JSON would otherwise end in RecursionError and a 500).
        "cardoc.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "cardoc.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cardoc.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login_ip": env.str("THROTTLE_LOGIN_IP", default="20/min"),
        "login_email": env.str("THROTTLE_LOGIN_EMAIL", default="5/min"),
        "register_ip": env.str("THROTTLE_REGISTER_IP", default="10/hour"),
        "register_email": env.str("THROTTLE_REGISTER_EMAIL", default="5/hour"),
        # Unauthenticated and a database write each: a phone refreshes every 15 minutes, so this is generous.
        "refresh_ip": env.str("THROTTLE_REFRESH_IP", default="60/min"),
        # Guessing the old password with a stolen access token would turn 15 minutes into the account.
        "password_change": env.str("THROTTLE_PASSWORD_CHANGE", default="5/hour"),
        # Each reset request sends an email: few per address, and per IP so nobody floods others' inboxes.
        "password_reset_ip": env.str("THROTTLE_PASSWORD_RESET_IP", default="10/hour"),
        "password_reset_email": env.str("THROTTLE_PASSWORD_RESET_EMAIL", default="3/hour"),
        "verification_resend": env.str("THROTTLE_VERIFICATION_RESEND", default="3/hour"),
        # Writes that cost storage, a model run or a moderator's attention, per account.
        "diagnostic_write": env.str("THROTTLE_DIAGNOSTIC_WRITE", default="60/hour"),
        "review_write": env.str("THROTTLE_REVIEW_WRITE", default="20/hour"),
        "calendar_token": env.str("THROTTLE_CALENDAR_TOKEN", default="10/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    # Long-lived refresh tokens keep the offline-first app signed in; rotation limits what a leak buys.
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Access tokens carry a digest of the password hash: changing the password ends every session at once,
    # not only when the access tokens expire.
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CarDoc AI API",
    "DESCRIPTION": "Dashboard and engine-sound diagnosis, the fault catalog, maintenance and mechanics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The sidecar ships Swagger UI inside the package, so /api/docs/ works with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models share a field name ("severity", "status") with different choices: name each enum after
    # its model's choices so the schema stays unambiguous.
    "ENUM_NAME_OVERRIDES": {
        "LightSeverityEnum": "catalog.models.LightSeverity",
        "SoundSeverityEnum": "catalog.models.SoundSeverity",
        "DiagnosticStatusEnum": "diagnostics.models.DiagnosticStatus",
        "UrgencyEnum": "diagnostics.models.Urgency",
        "ServiceCategoryEnum": "directory.models.ServiceCategory",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cardoc.schema.document_paging_errors",
    ],
}

# --- Background work (django-q2) ------------------------------------------------------------------
Q_CLUSTER: dict[str, object] = {
    "name": "cardoc",
    "workers": env.int("Q_WORKERS", default=2),
    # Tasks a cluster takes from the broker ahead of its workers. On SIGTERM it still runs those before it
    # exits, so keep it to one per worker: what is left stays in the broker for the next cluster.
    "queue_limit": env.int("Q_WORKERS", default=2),
    "recycle": 500,
    "timeout": env.int("Q_TIMEOUT", default=120),
    "retry": env.int("Q_RETRY", default=180),
    "max_attempts": 1,
    "catch_up": False,
    "label": "Background tasks",
    "poll": 0.1,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
# django-q2 reads Q_CLUSTER once at import, so tests switch to inline execution through this setting,
# which cardoc.tasks.enqueue passes on every call.
TASKS_SYNC = env.bool("TASKS_SYNC", default=False)

# --- Retention (daily jobs; see setup_schedules) ------------------------------------------------------
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
PREDICTION_RETENTION_DAYS = env.int("PREDICTION_RETENTION_DAYS", default=180)
# How long the change feed keeps deletions: a phone offline for longer gets 410 and syncs from scratch.
SYNC_TOMBSTONE_RETENTION_DAYS = env.int("SYNC_TOMBSTONE_RETENTION_DAYS", default=90)
# Expired tokens are refused by their own signature; their rows are kept a while only for investigations.
EXPIRED_TOKEN_RETENTION_DAYS = env.int("EXPIRED_TOKEN_RETENTION_DAYS", default=7)
# A stored upload no diagnostic points to is removed once it is this old (younger ones may be committing).
ORPHAN_MEDIA_GRACE_HOURS = env.int("ORPHAN_MEDIA_GRACE_HOURS", default=24)

# --- Storage quota --------------------------------------------------------------------------------
# The files one account may keep, in MB, over every feature that stores them (diagnostics' photos and recordings
# today): an upload past it is refused with 413 storage_quota_exceeded. About 60 full combined uploads at 500.
USER_STORAGE_QUOTA_MB = env.int("USER_STORAGE_QUOTA_MB", default=500)

# --- Health ---------------------------------------------------------------------------------------
# /health/ready turns 503 when more tasks than this wait in the queue, or less disk than this is free.
HEALTH_MAX_QUEUE = env.int("HEALTH_MAX_QUEUE", default=200)
HEALTH_MIN_FREE_MB = env.int("HEALTH_MIN_FREE_MB", default=500)

# --- Metrics (/metrics, Prometheus) ----------------------------------------------------------------
# Readable with "Authorization: Bearer <METRICS_TOKEN>" or from these addresses/networks; neither: nobody.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])

# --- Diagnostics ----------------------------------------------------------------------------------
# How many analysis runs one request for analysis may take before it fails for good; transient errors
# (no model deployed, database locked) spend one each.
DIAGNOSTIC_MAX_ATTEMPTS = env.int("DIAGNOSTIC_MAX_ATTEMPTS", default=3)
# A run still in progress after this long belongs to a worker that died: the sweep picks it up again.
DIAGNOSTIC_STUCK_AFTER = timedelta(minutes=env.int("DIAGNOSTIC_STUCK_AFTER_MINUTES", default=10))
# A pending diagnostic queued this long ago with no task in the queue lost its task: the sweep re-queues it.
DIAGNOSTIC_PENDING_AFTER = timedelta(minutes=env.int("DIAGNOSTIC_PENDING_AFTER_MINUTES", default=10))

# --- Email ----------------------------------------------------------------------------------------
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CarDoc AI <no-reply@cardoc.example>")

# --- Audit ----------------------------------------------------------------------------------------
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    "catalog.WarningLight",
    "catalog.EngineSound",
    "tutorials.Tutorial",
    "tutorials.TutorialWarningLight",
    "tutorials.TutorialEngineSound",
    "directory.Service",
    "directory.Mechanic",
    "directory.MechanicService",
    "mlops.MLModel",
    "cardoc.AppSetting",
)

# --- ML -------------------------------------------------------------------------------------------
ML_ARTIFACTS_DIR = BASE_DIR / "mlops" / "artifacts"
# ONNX exports of the registered models for offline phones (manage.py export_onnx); rebuilt, never committed.
ML_ONNX_DIR = VAR_DIR / "onnx"
# One thread per process: the worker runs Q_WORKERS processes, and more threads than cores stall OpenMP.
ML_TORCH_THREADS = env.int("ML_TORCH_THREADS", default=1)

# JSON lines for log shippers in production, text in development; both carry the request id (cardoc/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "cardoc.logs.RequestContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "cardoc.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_context"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler would print each of its lines a second time beside the root's.
        "django": {"handlers": [], "propagate": True},
        # Our request line (cardoc.request) reports every 4xx; Django's "Unauthorized: /path" would be a second.
        "django.request": {"level": "ERROR"},
        # runserver's access line, the same again in development.
        "django.server": {"handlers": [], "propagate": True, "level": "ERROR"},
    },
}
