"""Helpers for tests that need the real services: a PostgreSQL test database shared with a real
Celery worker process, and headless Chromium.

Where a service is missing the test is skipped with the reason, except when CI sets
``SALESOPS_REQUIRE_SERVICES=1``: there a missing service is a failure, never a silent skip.
"""

import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("SALESOPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]


def services_required() -> bool:
    return os.environ.get("SALESOPS_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str):
    if services_required():
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def require_worker_services():
    if settings.CELERY_BROKER_URL.startswith("memory"):
        skip_or_fail("no CELERY_BROKER_URL: a real worker needs a broker")
    if connection.vendor != "postgresql":
        skip_or_fail("a real worker shares the test database, which needs PostgreSQL")


def require_chromium():
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} not found (apt-get install chromium)")


def _test_database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@contextmanager
def celery_worker(*, concurrency: int = 1, beat: bool = False, env: dict | None = None,
                  as_deployed: bool = False):
    """Run a real ``celery worker`` on its own queue against the test database.

    Yields ``(process, queue)``; send tasks with ``apply_async(queue=queue)``. ``beat``: the
    worker also runs the periodic tasks, sending them (and whatever they queue) to its queue;
    ``env`` adds settings for the worker process; ``as_deployed``: with gossip, mingle and
    heartbeats, as ``make worker`` runs it (they are off otherwise, for a faster start).
    """
    require_worker_services()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "PYTHONUNBUFFERED": "1",
           **(env or {})}
    extra = []
    if beat:
        env["CELERY_TASK_DEFAULT_QUEUE"] = queue
        extra = ["--beat", f"--schedule=/tmp/{queue}-beat-schedule"]
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "salesops", "worker", "--loglevel=INFO",
            f"--queues={queue}", f"--concurrency={concurrency}", "--pool=prefork",
            f"--hostname={queue}@%h",
            *([] if as_deployed else ["--without-gossip", "--without-mingle",
                                      "--without-heartbeat"]),
            *extra,
        ],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process, queue
    finally:
        stop_worker(process)


def stop_worker(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


