"""Settings for the test suite: production's settings, with what tests need and no environment.

The suite runs without any variable set; a key of its own keeps the DEBUG-off settings
importable, and plain HTTP (no redirect, no secure-only cookies) lets the test client and the
live server used by browser tests log in.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-key-not-secret-" + "x" * 40)

from salesops.settings import *  # noqa: E402,F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# No collectstatic before tests: files come from the apps, names are not hashed.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# API throttling has tests of its own (tests/test_hardening_login.py); elsewhere a test making
# many requests must not meet it.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
}
# The ingestion's short-lived lookups (salesops.ingest.memo) would outlive a test's rows.
INGEST_LOOKUP_TTL_S = 0
