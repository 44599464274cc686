"""SalesOps settings, read from the environment by one reader (django-environ).

With nothing set the site runs embedded: a SQLite file and Celery tasks executed eagerly in
process. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to PostgreSQL and a real broker.
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

from salesops.exports import SafeCSV, SafeXLSX

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless asked for: the development server (`make demo`) and the test settings ask.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# A development key only while DEBUG is on: with DEBUG off the deployment must set its own, and
# a missing DJANGO_SECRET_KEY stops the start instead of signing sessions with a public key.
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
    # Before staticfiles: runserver serves static files as production does (whitenoise).
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "axes",
    "csp",
    "salesops",
    # Calls posted by PBXs and the batch API (issue 21): its own app, its own migrations.
    "salesops.ingest",
    "leads",
    "leads.partners.apps.PartnerPortalConfig",
    "payouts",
    "payouts.review",
    "payouts.vendors",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL byte anywhere in a request is 400 before any view (salesops/middleware.py).
    "salesops.middleware.RejectNulBytes",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every request is a door: a pay input it writes other than through the write layer
    # fails loudly (salesops.inputs.guard).
    "salesops.inputs.guard.PayInputDoorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for too many wrong passwords into the lock-out page.
    "axes.middleware.AxesMiddleware",
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
                "salesops.context_processors.doors",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A worker keeps its connection for the next request (a new PostgreSQL connection per page
# costs more than most pages' queries); a connection found broken is replaced before use.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Shared by every process when it names Redis (API throttling counts), e.g. redis://…/1.
CACHES = {"default": env.cache_url("DJANGO_CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lock-out check runs before the password check (django-axes, settings below).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
# Vendored front-end libraries with their licences (static/vendor/*) and site-wide scripts.
STATICFILES_DIRS = [BASE_DIR / "static"]
# `manage.py collectstatic` gathers here; whitenoise serves it, compressed and with hashed names.
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("SALESOPS_MEDIA_ROOT", default=BASE_DIR / "media")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Basic auth that answers a locked-out login with the lock-out, not "wrong password".
        "salesops.login_throttling.LockoutAwareBasicAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("SALESOPS_API_THROTTLE_ANON", default="30/minute"),
        "user": env.str("SALESOPS_API_THROTTLE_USER", default="600/minute"),
    },
    # Behind N trusted proxies the client is the Nth address from the right of X-Forwarded-For.
    "NUM_PROXIES": env.int("SALESOPS_TRUSTED_PROXY_COUNT", default=0) or None,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
}
# Requests per integration token (salesops.ingest): webhooks and batches of calls.
INGEST_THROTTLE_RATE = env.str("SALESOPS_INGEST_THROTTLE", default="30000/minute")
# How long a process reuses the manager keys, status mappings and an integration's teams and
# day batch between calls (seconds): a new alias or mapping is seen that much later.
INGEST_LOOKUP_TTL_S = env.float("SALESOPS_INGEST_LOOKUP_TTL_S", default=5.0)
# How soon after a burst of posted calls their day batch's counters and the daily figures are
# brought up to date (seconds, salesops.ingest.tallies); the beat sweeps every minute too.
INGEST_TALLY_DELAY_S = env.int("SALESOPS_INGEST_TALLY_DELAY_S", default=5)
SPECTACULAR_SETTINGS = {
    "TITLE": "SalesOps API",
    "DESCRIPTION": "Calls, leads and pay, scoped to what the signed-in user may see.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from the sidecar package: the site needs no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name per choice set that several endpoints share (payouts.review's API).
    # Every operation documents its error answers (salesops/api_schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "salesops.api_schema.document_error_answers",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LineKindEnum": "payouts.models.LineKind",
        "ExceptionKindEnum": "payouts.models.ExceptionKind",
        "ExceptionStatusEnum": "payouts.models.ExceptionStatus",
        "InquiryStatusEnum": "payouts.models.InquiryStatus",
        "HandedStatusEnum": "leads.partners.models.HandedStatus",
        "PartnerLeadStepEnum": "leads.partners.selectors.STEP_CHOICES",
    },
}

# --- Hardening (HTTPS, cookies, headers, CSP, login throttling) ---------------------------
# Every switch has the production value unless DEBUG is on; each can be set on its own.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
# Behind a proxy that ends TLS: the header it sets, e.g. HTTP_X_FORWARDED_PROTO. Trusted only
# when named, since a client could send it itself where no proxy overwrites it.
_proxy_ssl_header = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default="")
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = env.bool("DJANGO_SECURE_CONTENT_TYPE_NOSNIFF", default=True)
X_FRAME_OPTIONS = env.str("DJANGO_X_FRAME_OPTIONS", default="DENY")
SECURE_REFERRER_POLICY = env.str("DJANGO_REFERRER_POLICY", default="same-origin")

# Content security policy (django-csp 4): scripts only from this site or carrying the
# request's nonce; styles may be inline (the pages' and Swagger UI's <style> blocks, admin's
# style attributes), which cannot run code.
CONTENT_SECURITY_POLICY = {
    "REPORT_ONLY": env.bool("SALESOPS_CSP_REPORT_ONLY", default=False),
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # The one inline handler in the admin's export form (django-import-export's "select
        # all" box, onSelectToggleChange(event)), allowed by its hash and nothing else.
        "script-src": [
            "'self'", NONCE, "'unsafe-hashes'",
            "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",
        ],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login throttling (django-axes) for the login form, the admin login and API Basic auth:
# SALESOPS_LOGIN_FAILURE_LIMIT wrong passwords in a row for one user from one address lock
# that pair out for SALESOPS_LOGIN_COOLOFF_MINUTES; a right password resets the count.
AXES_FAILURE_LIMIT = env.int("SALESOPS_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=env.int("SALESOPS_LOGIN_COOLOFF_MINUTES", default=30)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# No admin screens for the lock-out records: one door fewer for the access policy to guard;
# operators lift a lock-out with `manage.py axes_reset_username`.
AXES_ENABLE_ADMIN = False
# A locked-out pair that keeps trying is not locked out for longer: the lock-out has one end.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "salesops.login_throttling.lockout_response"
if env.int("SALESOPS_TRUSTED_PROXY_COUNT", default=0):
    AXES_IPWARE_PROXY_COUNT = env.int("SALESOPS_TRUSTED_PROXY_COUNT")
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
# Admin exports (django-import-export) in CSV and XLSX only, through the safe-export helper
# (salesops.exports) that every other CSV and XLSX writer uses.
EXPORT_FORMATS = [SafeCSV, SafeXLSX]
# --- end of hardening ---------------------------------------------------------------------

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
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 600,
    # A connection the broker dropped (a restart) is found out and replaced within seconds.
    "health_check_interval": 10,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that restarts is waited for as long as it takes (the default gives up after 100
# tries), and results are stored once it is back instead of failing the task that made them.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULT_BACKEND_MAX_RETRIES = 30
# A ceiling on each worker child's address space, MB (salesops/celery.py); 0: none. A child
# grown past half of it is replaced after its task, so memory a task leaves behind is given back.
SALESOPS_WORKER_MEMORY_MB = env.int("SALESOPS_WORKER_MEMORY_MB", default=1536)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = SALESOPS_WORKER_MEMORY_MB * 1024 // 2 or None
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
    # Payout runs whose worker died, re-driven within minutes (payouts.tasks.watchdog).
    "payouts-watchdog": {"task": "payouts.watchdog", "schedule": 120.0},
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
# calamine allocates its whole used range (rows × columns, ~32 bytes a cell): above this many
# cells openpyxl streams the sheet instead.
IMPORT_XLSX_CALAMINE_MAX_CELLS = env.int("SALESOPS_IMPORT_XLSX_CALAMINE_MAX_CELLS",
                                         default=4_000_000)
# What the XLSX readers' own structures may take (shared strings, calamine's cells): the reader
# is chosen to fit it, and a workbook neither fits is refused before parsing.
IMPORT_XLSX_MEMORY_BUDGET = env.int("SALESOPS_IMPORT_XLSX_MEMORY_BUDGET_BYTES",
                                    default=256 * 2**20)
# Both readers hold the shared strings in memory whole: their XML is bounded on its own.
IMPORT_XLSX_MAX_SHARED_STRINGS = env.int("SALESOPS_IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES",
                                         default=96 * 2**20)
# A call dated later than this after the import starts is a row error (a wrong date), not a
# call of a month to come.
IMPORT_MAX_FUTURE_S = env.int("SALESOPS_IMPORT_MAX_FUTURE_S", default=86_400)
# The watchdog: a running batch silent this long lost its worker and is run again; one that
# has been started this many times is failed instead (it kills its worker).
IMPORT_STALE_AFTER_S = env.int("SALESOPS_IMPORT_STALE_AFTER_S", default=300)
IMPORT_MAX_ATTEMPTS = env.int("SALESOPS_IMPORT_MAX_ATTEMPTS", default=3)
IMPORT_WATCHDOG_EVERY_S = env.int("SALESOPS_IMPORT_WATCHDOG_EVERY_S", default=60)
# The queue tasks go to when none is named (the watchdog's re-queued imports among them).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULE["ingest-tallies"] = {"task": "salesops.ingest.tallies_apply",
                                          "schedule": 60.0}
CELERY_BEAT_SCHEDULE["imports-watchdog"] = {
    "task": "salesops.imports.watchdog", "schedule": IMPORT_WATCHDOG_EVERY_S,
}
# Embedded mode (no broker): run an import on a thread of the web process, so that the upload
# returns at once and the page shows progress (salesops/imports/background.py).
IMPORT_RUN_IN_THREAD = env.bool("SALESOPS_IMPORT_IN_THREAD", default=True)
# Uploads are streamed to disk above this size instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The non-file part of a request (form fields, JSON): Django's default is plenty.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# --- end of call imports ------------------------------------------------------------------

# --- Uploads: size, type and how long files are kept (salesops.imports.upload_rules) ------
SALESOPS_UPLOAD_MAX_MB = env.int("SALESOPS_UPLOAD_MAX_MB", default=200)
# The admin's import screens preview and confirm a file inside the request: up to this size.
# A larger call log goes to the background import; other files are refused, saying so.
SALESOPS_ADMIN_IMPORT_PREVIEW_MAX_MB = env.int("SALESOPS_ADMIN_IMPORT_PREVIEW_MAX_MB", default=5)
# The error report (CSV) streams at most this many rows, then a last row says it was capped
# and that the batch's page counts them all.
IMPORT_ERROR_REPORT_MAX_ROWS = env.int("SALESOPS_IMPORT_ERROR_REPORT_MAX_ROWS",
                                       default=1_000_000)
# Files of finished batches are deleted after this many days; the batches and reports stay.
SALESOPS_UPLOAD_RETENTION_DAYS = env.int("SALESOPS_UPLOAD_RETENTION_DAYS", default=30)
CELERY_BEAT_SCHEDULE["imports-delete-expired-files"] = {
    "task": "salesops.imports.delete_expired_files",
    "schedule": crontab(hour=3, minute=10),
}
# The admin's import screens keep a file between preview and confirm here, under random names
# that only the uploader's session may use (salesops/imports/admin_files.py); empty: a folder
# "import-export" in MEDIA_ROOT (never served).
IMPORT_EXPORT_TMP_DIR = env.str("SALESOPS_IMPORT_EXPORT_TMP_DIR", default="")
# Every import screen's default too, not only those of the checked mixin.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "salesops.imports.admin_files.SessionFileStorage"
# --- end of uploads -----------------------------------------------------------------------


# --- Mail (payouts.notifications): the console unless the environment names an SMTP host ------
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=(
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"))
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="salesops@localhost")
# Links in mail point here.
SALESOPS_SITE_URL = env.str("SALESOPS_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- The partner portal (issue 20, leads.partners) -------------------------------------------
# Our commission on a payment a partner reports is due this many days after their client paid.
SALESOPS_HANDED_COMMISSION_DUE_DAYS = env.int("SALESOPS_HANDED_COMMISSION_DUE_DAYS", default=14)
# Referral form and link: submissions per hour per address and per partner; the largest body.
SALESOPS_REFERRALS_PER_ADDRESS_HOUR = env.int("SALESOPS_REFERRALS_PER_ADDRESS_HOUR", default=10)
SALESOPS_REFERRALS_PER_PARTNER_HOUR = env.int("SALESOPS_REFERRALS_PER_PARTNER_HOUR", default=30)
SALESOPS_REFERRAL_MAX_BODY = env.int("SALESOPS_REFERRAL_MAX_BODY", default=4096)
# Partners with a handed lead silent for 14 days get one reminder (leads.partners.tasks).
CELERY_BEAT_SCHEDULE["partner-portal-remind-silent-handed-leads"] = {
    "task": "partner_portal.remind_silent_handed_leads", "schedule": crontab(hour=9, minute=0),
}
