"""Settings shared by every environment, read from the environment with django-environ."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # modeltranslation must come before django.contrib.admin
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "guardian",
    "axes",
    "auditlog",
    "registry",
    "intake",
    "casework",
    "services",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "registry.middleware.NoStoreMiddleware",
    "registry.middleware.HtmlMethodsMiddleware",
    "registry.middleware.SessionLifetimeMiddleware",
    # after the session's lifetime: a donor reviewer reaches the aggregates only (404 elsewhere)
    "registry.middleware.DonorReachMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # after the language, the user and the session: its 400 page is the user's
    "registry.middleware.RefuseNulMiddleware",
    "registry.middleware.AuditlogMiddleware",
    # axes must be last
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: opening a PostgreSQL connection for every request cost about a fifth
# of the requests a flight's rush could be served (issue 15). Each is checked before a request
# reuses it, so a restarted database costs a reconnection, not an error page. Every process
# (gunicorn worker, Celery worker) holds one: with more processes than the server's
# max_connections, put PgBouncer in transaction mode between them (see docs/ARCHITECTURE.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default: a transaction takes the write lock when it begins, so two
    # submissions of one client UUID run one after the other (registry.idempotency), and a
    # writer waits for the other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # PostgreSQL's JIT compiles large-estimate queries at ~70 ms each: far more than the
    # indexed page queries of this application take (measured on the case list).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # Server-side prepared statements: a statement a connection has sent PREPARE_THRESHOLD
    # times is prepared and its plan kept, so PostgreSQL no longer plans it at each request
    # (issue 15: planning the hot pages' queries cost more than running them). It needs
    # server-side binding, and PgBouncer 1.21+ (max_prepared_statements) in transaction mode.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"].update(
            server_side_binding=True,
            prepare_threshold=env.int("DATABASE_PREPARE_THRESHOLD", default=5),
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate limits (the API's throttles, the export jobs) are counted per user across every web
# process and worker, so they live in a shared cache of their own alias: Redis in production
# (CACHE_URL=redis://host:6379/1), the database otherwise (the table is made by a migration,
# casework 0015). Local memory would count per process: a user could multiply the limit by
# the number of workers. The default cache stays per process; nothing shared is kept there.
THROTTLE_CACHE = "throttle"
THROTTLE_CACHE_TABLE = "retorno_cache"


def shared_cache(url: str) -> dict:
    """The cache a CACHE_URL names: redis://... (Django's own RedisCache) or db:// (default)."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url in ("", "db://"):
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": THROTTLE_CACHE_TABLE,
        }
    raise ImproperlyConfigured(f"CACHE_URL must be redis://... or db://, not {url!r}")


CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    THROTTLE_CACHE: shared_cache(env("CACHE_URL", default="")),
}

AUTHENTICATION_BACKENDS = [
    # axes first: it refuses locked-out username + IP pairs before any password check
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend reading the permissions in one statement
    "registry.backends.OneQueryModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Languages: Spanish first and default, English second.
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
MODELTRANSLATION_DEFAULT_LANGUAGE = "es"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("es", "en")
USE_I18N = True
TIME_ZONE = "America/Guatemala"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media"))

# Sessions: idle timeout and an absolute lifetime. The idle clock is renewed by a request at
# most once every SESSION_RENEW_SECONDS (registry.middleware.SessionLifetimeMiddleware): a
# session row written on every page view cost three statements per request under a rush; the
# idle timeout then ends between SESSION_IDLE_TIMEOUT minus those seconds and itself.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_LIFETIME = env.int("SESSION_ABSOLUTE_LIFETIME_SECONDS", default=12 * 60 * 60)
SESSION_RENEW_SECONDS = env.int("SESSION_RENEW_SECONDS", default=60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# django-axes: lock out by username + IP, never by IP alone (a centre's tablets share one address).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address for lockouts, the audit log and API throttles (registry.client_address):
# behind N proxies that each append to X-Forwarded-For (the TLS proxy in production: 1), set
# N; with 0 the header is ignored, as a client could write anything in it.
RETORNO_TRUSTED_PROXY_COUNT = env.int("RETORNO_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "registry.client_address.client_ip"
# The API's sign-in answers its own JSON 429; the HTML sign-in gets the template above.
AXES_LOCKOUT_CALLABLE = "registry.sign_in.lockout_response"

# API tokens (POST /api/v1/auth/token/) expire after a tablet shift.
API_TOKEN_LIFETIME_HOURS = env.int("API_TOKEN_LIFETIME_HOURS", default=12)

# django-auditlog
AUDITLOG_INCLUDE_ALL_MODELS = False

# django-guardian: no anonymous user object; centre permissions use direct foreign keys.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

REST_FRAMEWORK = {
    # The token first: an API client without valid credentials is answered 401 with
    # WWW-Authenticate (sign in again), a signed-in user refused 403 or 404.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.sign_in.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A donor reviewer reaches only the aggregate API, which names its own permission class.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "registry.api_common.DonorReviewersKeptOut",
    ],
    # The API reads JSON only, through the parser that refuses NUL characters and deep nesting.
    "DEFAULT_PARSER_CLASSES": ["registry.api_common.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "registry.api_common.PageNumberPagination",
    "EXCEPTION_HANDLER": "registry.api_common.exception_handler",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "registry.throttling.AnonRateThrottle",
        "registry.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": "5000/hour",
        "anon": "60/hour",
        "aggregates": "120/hour",
        # donor report exports started (HTML), per user
        "exports": "10/hour",
        # per address: the tablets of a centre share one
        "sign_in": "60/hour",
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Retorno API",
    "DESCRIPTION": "Intake, casework, services and aggregate reporting for reception centres "
    "of returned migrants.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_schema.common_responses",
    ],
}

# Celery: with no broker configured, tasks run in-process (embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_BEAT_SCHEDULE = {
    "reporting-exports-purge-expired": {
        "task": "reporting.exports_purge_expired",
        "schedule": crontab(hour=3, minute=15),
    },
    # The summary tables are kept current after each change; the nightly rebuild catches up
    # anything a lost task missed (and a change of age bands).
    "reporting-summary-rebuild": {
        "task": "reporting.summary_rebuild",
        "schedule": crontab(hour=2, minute=30),
    },
    # The batched summary refresh is scheduled by the changes themselves; this drains the
    # queue should a scheduled run be lost (nothing to do most minutes).
    "reporting-summary-refresh-pending": {
        "task": "reporting.summary_refresh_pending",
        "schedule": crontab(minute="*"),
    },
    # Possible duplicate records, for the supervisors' review queue (intake.duplicates).
    "intake-duplicates-find": {
        "task": "intake.duplicates_find",
        "schedule": crontab(hour=1, minute=30),
    },
    # After the rebuild: freeze the donor tables of the periods closed since (reporting.releases).
    "reporting-releases-close": {
        "task": "reporting.releases_close",
        "schedule": crontab(hour=4, minute=0),
    },
}

# Seconds a change waits for others to be refreshed with it (reporting/refreshing.py): the
# donor figures are current within about this delay under a broker.
SUMMARY_REFRESH_DELAY = env.int("SUMMARY_REFRESH_DELAY", default=5)
# Reference data (centres, geography, reasons, the service catalogue) is held by each process;
# another process's change is seen within this many seconds (registry/reference_cache.py).
REFERENCE_CACHE_SECONDS = env.int("REFERENCE_CACHE_SECONDS", default=5)
# Reporting: disclosure control threshold and how long export files are kept.
REPORTING_DISCLOSURE_K = env.int("REPORTING_DISCLOSURE_K", default=10)
REPORTING_EXPORT_TTL_HOURS = env.int("REPORTING_EXPORT_TTL_HOURS", default=24)
# Days after a period's end before its donor tables are released and frozen (late records).
REPORTING_RELEASE_LAG_DAYS = env.int("REPORTING_RELEASE_LAG_DAYS", default=45)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="WARNING")},
}
