import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from salesops.celery import app as celery_app
from tests.factories import TeamFactory


@pytest.fixture(autouse=True)
def eager_celery_unless_real_worker(request):
    """Unit tests run tasks in process even where a real broker is configured (CI);
    tests marked ``real_worker`` talk to a real worker through that broker instead."""
    if request.node.get_closest_marker("real_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def queued_with_a_broker(monkeypatch):
    """``queued(task)``: the options each ``task.apply_async`` is sent with, as with a broker
    (tasks not run in process) for the rest of the test; the queueing cache starts empty."""
    sent: dict = {}
    eager = celery_app.conf.task_always_eager

    def queued(task) -> list[dict]:
        celery_app.conf.task_always_eager = False
        monkeypatch.setattr(task, "apply_async",
                            lambda **options: sent.setdefault(task.name, []).append(options))
        return sent.setdefault(task.name, [])

    cache.clear()
    yield queued
    celery_app.conf.task_always_eager = eager
    cache.clear()


@pytest.fixture(autouse=True)
def imports_run_in_the_caller(settings):
    """Embedded imports run on a thread of their own (salesops/imports/background.py); tests
    run them in the caller, as eager Celery does, unless a test asks for the thread."""
    settings.IMPORT_RUN_IN_THREAD = False


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with nothing cached: a page kept by an earlier test (whose rows may
    have had the same ids) is never served to the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def test_database_dropped_cleanly(django_db_setup, django_db_blocker):
    """Worker processes killed on purpose (crash tests) can leave their PostgreSQL session
    closing for a moment; end such sessions so the test database can always be dropped."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def team():
    """One sales team, the one most tests' people work in."""
    return TeamFactory(code="north")


@pytest.fixture(autouse=True)
def english_interface(settings):
    """Tests assert the English wording; the Russian interface has tests of its own that ask
    for it as a browser does (Accept-Language)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def browser():
    """Debian's Chromium, headless, for the browser tests (never a downloaded browser)."""
    from tests.realservices import CHROMIUM, CHROMIUM_FLAGS, require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
