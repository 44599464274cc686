"""Settings are production's unless asked otherwise (issue 8): DEBUG off, a secret key required,
HTTPS, secure cookies and HSTS by default; each switch read from the environment; and
`check --deploy` is clean with a production-like environment."""

import importlib
import os
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

import salesops.settings as production
from tests.realservices import REPO

HARDENING = [
    "DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SECURE_HSTS_SECONDS", "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "DJANGO_SECURE_HSTS_PRELOAD", "DJANGO_SECURE_PROXY_SSL_HEADER",
    "DJANGO_SESSION_COOKIE_SECURE", "DJANGO_CSRF_COOKIE_SECURE",
    "DJANGO_SECURE_CONTENT_TYPE_NOSNIFF", "DJANGO_X_FRAME_OPTIONS", "DJANGO_REFERRER_POLICY",
]


@pytest.fixture
def load(monkeypatch):
    """Import the production settings afresh with exactly the variables given."""
    for name in HARDENING:
        monkeypatch.delenv(name, raising=False)

    def load_with(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(production)

    yield load_with
    monkeypatch.undo()
    importlib.reload(production)


def test_without_a_secret_key_production_settings_refuse_to_start(load):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        load()


def test_debug_is_off_and_https_is_required_unless_asked(load):
    settings = load(DJANGO_SECRET_KEY="k" * 50)
    assert settings.DEBUG is False
    assert settings.SECRET_KEY == "k" * 50
    assert (settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE,
            settings.CSRF_COOKIE_SECURE) == (True, True, True)
    assert (settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
            settings.SECURE_HSTS_PRELOAD) == (31_536_000, True, True)
    assert (settings.SECURE_CONTENT_TYPE_NOSNIFF, settings.X_FRAME_OPTIONS,
            settings.SECURE_REFERRER_POLICY) == (True, "DENY", "same-origin")
    # A proxy's header is trusted only when it is named.
    assert settings.SECURE_PROXY_SSL_HEADER is None


def test_debug_asked_for_relaxes_https_and_allows_the_development_key(load):
    settings = load(DJANGO_DEBUG="true")
    assert settings.DEBUG is True
    assert settings.SECRET_KEY.startswith("dev-only")
    assert (settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE,
            settings.SECURE_HSTS_SECONDS) == (False, False, 0)


def test_each_switch_comes_from_the_environment(load):
    settings = load(
        DJANGO_SECRET_KEY="k" * 50, DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_HSTS_SECONDS="600", DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        DJANGO_SECURE_HSTS_PRELOAD="false", DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        DJANGO_SESSION_COOKIE_SECURE="false", DJANGO_CSRF_COOKIE_SECURE="false",
        DJANGO_SECURE_CONTENT_TYPE_NOSNIFF="false", DJANGO_X_FRAME_OPTIONS="SAMEORIGIN",
        DJANGO_REFERRER_POLICY="no-referrer",
    )
    assert (settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS,
            settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD,
            settings.SECURE_PROXY_SSL_HEADER, settings.SESSION_COOKIE_SECURE,
            settings.CSRF_COOKIE_SECURE, settings.SECURE_CONTENT_TYPE_NOSNIFF,
            settings.X_FRAME_OPTIONS, settings.SECURE_REFERRER_POLICY) == (
        False, 600, False, False, ("HTTP_X_FORWARDED_PROTO", "https"), False, False, False,
        "SAMEORIGIN", "no-referrer",
    )


def test_upload_limits_come_from_the_environment(load):
    settings = load(DJANGO_SECRET_KEY="k" * 50, SALESOPS_UPLOAD_MAX_MB="5",
                    SALESOPS_UPLOAD_RETENTION_DAYS="3")
    assert (settings.SALESOPS_UPLOAD_MAX_MB, settings.SALESOPS_UPLOAD_RETENTION_DAYS) == (5, 3)


def test_check_deploy_is_clean_with_a_production_like_environment():
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SALESOPS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="salesops.settings", DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64), DJANGO_ALLOWED_HOSTS="salesops.example.com",
        DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
