"""SalesOps settings, read from the environment by one reader (django-environ).

With nothing set the site runs embedded: a SQLite file and Celery tasks executed eagerly in
process. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to PostgreSQL and a real broker.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A development key only while DEBUG is on: a production deployment must set its own.
SECRET_KEY = (
    env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
    if DEBUG
    else env.str("DJANGO_SECRET_KEY")
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "salesops",
    "leads",
    "payouts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "salesops.urls"
WSGI_APPLICATION = "salesops.wsgi.application"

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
                "django.template.context_processors.i18n",
                "salesops.context_processors.organisation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The organisation: its calendar month is the pay period (SPEC §3), in its own time zone.
LANGUAGE_CODE = env.str("SALESOPS_LANGUAGE", default="ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("SALESOPS_TIME_ZONE", default="Europe/Moscow")
USE_TZ = True
SALESOPS_CURRENCY = env.str("SALESOPS_CURRENCY", default="RUB")
SALESOPS_ORGANISATION_NAME = env.str("SALESOPS_ORGANISATION_NAME", default="SalesOps")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("SALESOPS_MEDIA_ROOT", default=BASE_DIR / "media")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SalesOps API",
    "DESCRIPTION": "Calls, leads and pay, scoped to what the signed-in user may see.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from the sidecar package: the site needs no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Celery. No broker configured means the embedded mode: tasks run eagerly in this process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "cache+memory://",
)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# A task is acknowledged only once it has finished, and a worker that dies mid-task gives it
# back to the queue: every task is idempotent, so running it again is safe (DEVELOPERS.md).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3300)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic jobs are added by the apps that own them (payout recomputation, statements).
CELERY_BEAT_SCHEDULE: dict = {
    # The current month's draft pay, for the dashboard (payouts).
    "payouts-recompute-current-month": {
        "task": "payouts.recompute_current_month",
        "schedule": crontab(hour=2, minute=30),
    },
    # Last month, ready for approval on the 1st (SPEC §7).
    "payouts-compute-last-month": {
        "task": "payouts.compute_last_month",
        "schedule": crontab(day_of_month=1, hour=4, minute=0),
    },
    # Partner statements for last month (SPEC §5).
    "partner-statements-on-the-1st": {
        "task": "payouts.compute_last_month_partner_statements",
        "schedule": crontab(day_of_month=1, hour=3, minute=30),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Embedded mode runs tasks in process: one "succeeded" line per task is noise there.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}

# --- Call imports (salesops.imports) ------------------------------------------------------
# Rows per chunk: each chunk is one COPY + INSERT and one commit, and bounds the memory used.
IMPORT_CHUNK_ROWS = env.int("SALESOPS_IMPORT_CHUNK_ROWS", default=50_000)
IMPORT_SQLITE_CHUNK_ROWS = env.int("SALESOPS_IMPORT_SQLITE_CHUNK_ROWS", default=5_000)
# XLSX limits, checked on the archive before parsing: unpacked size, compression ratio of a
# part, cells. The reader: "openpyxl" (streams), "calamine" (fast, holds the sheet) or "auto":
# calamine up to a sheet of IMPORT_XLSX_CALAMINE_MAX_BYTES of XML (see salesops/imports/xlsx.py).
IMPORT_XLSX_MAX_UNCOMPRESSED = env.int("SALESOPS_IMPORT_XLSX_MAX_BYTES", default=1024 * 2**20)
IMPORT_XLSX_MAX_RATIO = env.int("SALESOPS_IMPORT_XLSX_MAX_RATIO", default=100)
IMPORT_XLSX_MAX_CELLS = env.int("SALESOPS_IMPORT_XLSX_MAX_CELLS", default=30_000_000)
IMPORT_XLSX_READER = env.str("SALESOPS_IMPORT_XLSX_READER", default="auto")
IMPORT_XLSX_CALAMINE_MAX_BYTES = env.int("SALESOPS_IMPORT_XLSX_CALAMINE_MAX_BYTES",
                                         default=64 * 2**20)
# The watchdog: a running batch silent this long lost its worker and is run again; one that
# has been started this many times is failed instead (it kills its worker).
IMPORT_STALE_AFTER_S = env.int("SALESOPS_IMPORT_STALE_AFTER_S", default=300)
IMPORT_MAX_ATTEMPTS = env.int("SALESOPS_IMPORT_MAX_ATTEMPTS", default=3)
IMPORT_WATCHDOG_EVERY_S = env.int("SALESOPS_IMPORT_WATCHDOG_EVERY_S", default=60)
# The queue tasks go to when none is named (the watchdog's re-queued imports among them).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULE["imports-watchdog"] = {
    "task": "salesops.imports.watchdog", "schedule": IMPORT_WATCHDOG_EVERY_S,
}
# Uploads are streamed to disk above this size instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# --- end of call imports ------------------------------------------------------------------
