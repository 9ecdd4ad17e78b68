"""Guanxi settings. Every setting comes from the environment (see `.env.example`); the defaults
run on a laptop: SQLite under `var/`, jobs in SQLite, mail to the console."""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("GUANXI_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """The secret comes from SECRET_KEY; on a laptop without one, a random key is made once and
    kept under var/ so that sessions survive a restart. Several web processes need SECRET_KEY."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS: on by default outside DEBUG, so that `check --deploy` passes for a real deployment.
# `make run` serves plain HTTP on 127.0.0.1 and turns it off (HTTPS=false).
HTTPS = env.bool("HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "huey.contrib.djhuey",
    "axes",
    "guanxi.core",
    "guanxi.accounts",
    "guanxi.audit",
    "guanxi.jobs",
    "guanxi.customers",
    "guanxi.interactions",
    "guanxi.sales",
    "guanxi.followups",
    "guanxi.analytics",
    "guanxi.kb",
    "guanxi.pipeline",
    "guanxi.surveys",
    "guanxi.quality",
    "guanxi.tickets",
    "guanxi.needs",
    "guanxi.portal",
    "guanxi.segments",
    "guanxi.reports",
    "guanxi.care",
    "guanxi.pool",
    "guanxi.dedup",
    "guanxi.transfer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "guanxi.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "guanxi.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "guanxi.core.middleware.BadInputMiddleware",
    # Last: turns a locked-out log-in into guanxi.core.views.login_locked_out's answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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

# Database: SQLite under var/ unless DATABASE_URL says otherwise. SQLite is configured for a
# server (DESIGN.md): WAL, synchronous=FULL, a busy timeout and IMMEDIATE transactions, so that
# concurrent read-then-write requests queue instead of failing with "database is locked".
SQLITE_PATH = VAR_DIR / "guanxi.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=FULL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA temp_store=MEMORY;"
            "PRAGMA cache_size=-65536;"
            "PRAGMA mmap_size=268435456;"
        ),
    }
    # Tests run on a file, not in memory, so that threads share the database as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Log-in attempts (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is locked for LOGIN_LOCKOUT_MINUTES, on the web page and the API's
# token endpoint alike (both go through authenticate()). The pair, not the address alone: an
# office behind one NAT address is not locked out by one person's typos, and not the username
# alone: nobody can lock a colleague out from elsewhere. An administrator can unlock a user on
# the user's page. The attempts are rows in the database, shared by every web process.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "guanxi.core.views.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # successful log-ins are not kept (the audit log records changes)
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "guanxi.core.views.client_ip"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "guanxi.accounts.validators.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="guanxi@localhost")

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "guanxi.core.api.pagination.KeysetPagination",
    "PAGE_SIZE": 25,
    # JSON only; an upload endpoint (imports) names its own parsers.
    "DEFAULT_PARSER_CLASSES": ["guanxi.core.api.parsers.LimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "guanxi.core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": env.str("AUTH_THROTTLE_RATE", default="20/minute")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Guanxi API",
    "DESCRIPTION": "REST API of Guanxi, the open-source CRM.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Background jobs: huey with SQLite storage under var/ by default, Redis through REDIS_URL.
REDIS_URL = env.str("REDIS_URL", default="")
HUEY_IMMEDIATE = env.bool("HUEY_IMMEDIATE", default=False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "guanxi",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "guanxi",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
    }
HUEY["consumer"] = {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"}

# Guanxi's own settings.
RECYCLE_BIN_DAYS = env.int("RECYCLE_BIN_DAYS", default=30)
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="CNY")
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="CN")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # run_huey adds its own handler; without this every consumer line is printed twice.
    "loggers": {
        "huey": {"handlers": ["console"], "propagate": False},
        # Failed log-ins and lock-outs (warnings) are kept; not a line per successful log-in.
        "axes": {"level": "WARNING"},
    },
}

# Knowledge base: a published article is due for review this many days after publishing or
# after its last review; its owner gets a task on the due date.
KB_REVIEW_DAYS = env.int("KB_REVIEW_DAYS", default=180)
# Sales pipeline and surveys (guanxi.pipeline, guanxi.surveys).
# SKU of the product that stands for a whole opportunity's amount on the order it creates.
PIPELINE_ORDER_PRODUCT_SKU = env.str("PIPELINE_ORDER_PRODUCT_SKU", default="OPPORTUNITY")
# Days a survey link stays valid after it is made.
SURVEY_LINK_DAYS = env.int("SURVEY_LINK_DAYS", default=30)
# The language of the public survey page unless the customer switches it.
SURVEY_DEFAULT_LANGUAGE = env.str("SURVEY_DEFAULT_LANGUAGE", default="zh-hans")
# One name in the API schema for each choice set of the pipeline and surveys apps.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "PipelineOutcomeEnum": "guanxi.pipeline.models.Outcome",
        "SurveyStatusEnum": "guanxi.surveys.models.SurveyStatus",
        "ImprovementActionStatusEnum": "guanxi.surveys.models.ActionStatus",
        "SurveyKindEnum": "guanxi.surveys.models.SurveyKind",
        "GradeEnum": "guanxi.customers.models.Grade",
        "QuestionKindEnum": "guanxi.surveys.models.QuestionKind",
    }
)
# Customer portal and links in e-mails to customers (rating requests): the address customers
# reach this server at, and how long a portal link lives.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:8000")
PORTAL_LINK_DAYS = env.int("PORTAL_LINK_DAYS", default=30)
# Segments and reports (#6): a live segment count stops at this many customers ("more than N");
# the dashboard reads summary tables for all-customer scopes, refreshed by a job this often.
SEGMENT_COUNT_LIMIT = env.int("SEGMENT_COUNT_LIMIT", default=10000)
SEGMENT_COUNT_BUDGET_MS = env.int("SEGMENT_COUNT_BUDGET_MS", default=1500)
REPORTS_SUMMARY_MINUTES = env.int("REPORTS_SUMMARY_MINUTES", default=60)
# Public pool (公海) and customer care (guanxi.pool, guanxi.care).
# How many customers a rep may hold when claiming from the pool (0: no cap), and per role code.
POOL_CLAIM_CAP = env.int("POOL_CLAIM_CAP", default=200)
POOL_CLAIM_CAP_BY_ROLE = {
    code: int(cap) for code, cap in env.dict("POOL_CLAIM_CAP_BY_ROLE", default={}).items()
}
# Owned customers without a follow-up for this many days return to the pool (0: never); their
# owner gets a task this many days before.
POOL_RETURN_DAYS = env.int("POOL_RETURN_DAYS", default=90)
POOL_RETURN_WARNING_DAYS = env.int("POOL_RETURN_WARNING_DAYS", default=3)
# Import and export of customers (guanxi.transfer).
IMPORT_MAX_FILE_SIZE = env.int("IMPORT_MAX_FILE_SIZE", default=50 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_000_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=200)
IMPORT_MAX_UNPACKED_SIZE = env.int("IMPORT_MAX_UNPACKED_SIZE", default=1024 * 1024 * 1024)
IMPORT_MAX_RATIO = env.int("IMPORT_MAX_RATIO", default=200)
IMPORT_BATCH_SIZE = env.int("IMPORT_BATCH_SIZE", default=2000)
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=1_000_000)
EXPORT_MAX_IDS = env.int("EXPORT_MAX_IDS", default=10_000)
TRANSFER_KEEP_DAYS = env.int("TRANSFER_KEEP_DAYS", default=7)
# OpenAPI names of the import and export enums (their "status" and "kind" differ from others).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),
    "TransferStatusEnum": "guanxi.transfer.models.TransferStatus",
    "ImportKindEnum": "guanxi.transfer.services.IMPORT_KIND_CHOICES",
}
