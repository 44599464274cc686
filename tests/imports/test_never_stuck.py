"""No import can get stuck: any failure ends the batch failed with its reason in the admin's
language, keeps the chunks committed before it, and the batch can be resumed; a lost database
connection is retried; the watchdog drives a batch whose worker died, and fails one that keeps
killing its worker."""

import datetime

import pytest
from django.db import OperationalError, connection
from django.utils import timezone, translation

from salesops.imports import services
from salesops.imports.loaders import loader_class
from salesops.imports.services import ImportRefused, import_batch_create, import_batch_resume
from salesops.imports.tasks import import_watchdog_task
from salesops.models import CallLog, ImportBatch
from tests.factories import ManagerFactory
from tests.fixtures import hostile
from tests.realservices import skip_or_fail

pytestmark = pytest.mark.django_db
DONE, FAILED, RUNNING = (ImportBatch.Status.DONE, ImportBatch.Status.FAILED,
                         ImportBatch.Status.RUNNING)


@pytest.fixture(autouse=True)
def manager():
    return ManagerFactory(extension=hostile.EXTENSION)


@pytest.fixture
def six_calls(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(hostile.csv_text(hostile.good_rows(6)).encode())
    return path


def _failing_on_chunk(monkeypatch, number: int, error: Exception):
    real, calls = services._load_chunk, []

    def load(*args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_load_chunk", load)


def test_an_unexpected_failure_ends_the_batch_failed_in_the_admins_language_keeping_chunks(
        run_import, six_calls, monkeypatch):
    _failing_on_chunk(monkeypatch, 2, RuntimeError("disk full"))
    with translation.override("ru"):
        batch = run_import(six_calls, chunk_rows=2)
    assert (batch.status, batch.rows_read, batch.created_count) == (FAILED, 2, 2)
    assert batch.message.startswith("Импорт остановился из-за непредвиденной ошибки "
                                    "(RuntimeError: disk full)")
    assert CallLog.objects.count() == 2


def test_a_failed_batch_resumes_after_its_last_committed_chunk(
        run_import, six_calls, monkeypatch, django_capture_on_commit_callbacks):
    _failing_on_chunk(monkeypatch, 2, RuntimeError("disk full"))
    batch = run_import(six_calls, chunk_rows=2)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_resume(batch=batch)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_read, batch.created_count, batch.error_count) == (
        DONE, 6, 6, 0)
    assert CallLog.objects.count() == 6


def test_only_a_failed_batch_can_be_resumed(run_import, six_calls):
    batch = run_import(six_calls)
    with pytest.raises(ImportRefused):
        import_batch_resume(batch=batch)
    batch.refresh_from_db()
    assert batch.status == DONE


def test_a_lost_database_connection_is_retried_and_the_run_goes_on(
        run_import, six_calls, monkeypatch):
    monkeypatch.setattr(services, "DB_RETRY_PAUSE_S", 0)
    loader = loader_class()
    real, lost = loader.send, []

    def send(self, rows):
        if not lost:
            lost.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real(self, rows)

    monkeypatch.setattr(loader, "send", send)
    batch = run_import(six_calls, chunk_rows=2)
    assert lost == [1]
    assert (batch.status, batch.rows_read, batch.created_count, batch.attempts) == (
        DONE, 6, 6, 1)
    assert CallLog.objects.count() == 6


def test_a_database_that_stays_away_fails_the_batch_saying_so(run_import, six_calls, monkeypatch):
    monkeypatch.setattr(services, "DB_RETRY_PAUSE_S", 0)

    def send(self, rows):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(loader_class(), "send", send)
    batch = run_import(six_calls, chunk_rows=2)
    assert (batch.status, batch.created_count) == (FAILED, 0)
    assert batch.message.startswith("The connection to the database was lost and did not come "
                                    "back (could not connect to server).")


@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_by_the_server_mid_file_is_reopened_and_the_file_finished(
        run_import, six_calls, monkeypatch):
    """PostgreSQL: the server ends the import's session between two chunks."""
    if connection.vendor != "postgresql":
        skip_or_fail("killing a database session needs PostgreSQL")
    import psycopg

    from tests.realservices import _test_database_url

    monkeypatch.setattr(services, "DB_RETRY_PAUSE_S", 0.1)
    real, killed = services._load_chunk, []

    def load(*args, **kwargs):
        if len(killed) == 0 and CallLog.objects.exists():
            pid = connection.cursor().connection.info.backend_pid
            with psycopg.connect(_test_database_url(), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_load_chunk", load)
    batch = run_import(six_calls, chunk_rows=2)
    assert len(killed) == 1
    assert (batch.status, batch.rows_read, batch.created_count, batch.error_count) == (
        DONE, 6, 6, 0)
    assert CallLog.objects.count() == 6
    assert CallLog.objects.values("external_id").distinct().count() == 6


def _stalled(path, *, attempts: int, silent_for: datetime.timedelta) -> ImportBatch:
    with path.open("rb") as handle:
        batch = import_batch_create(file=handle, file_name=path.name)
    then = timezone.now() - silent_for
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=RUNNING, attempts=attempts, started_at=then, heartbeat_at=then)
    return batch


def test_the_watchdog_runs_again_a_batch_whose_worker_went_silent(
        six_calls, django_capture_on_commit_callbacks):
    batch = _stalled(six_calls, attempts=1, silent_for=datetime.timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        result = import_watchdog_task.apply().get()
    batch.refresh_from_db()
    assert result == {"requeued": [batch.pk], "failed": []}
    assert (batch.status, batch.created_count, batch.attempts) == (DONE, 6, 2)


def test_the_watchdog_leaves_a_batch_with_a_recent_heartbeat_alone(
        six_calls, django_capture_on_commit_callbacks):
    batch = _stalled(six_calls, attempts=1, silent_for=datetime.timedelta(seconds=30))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        result = import_watchdog_task.apply().get()
    batch.refresh_from_db()
    assert (result, queued) == ({"requeued": [], "failed": []}, [])
    assert (batch.status, batch.attempts) == (RUNNING, 1)


def test_a_batch_that_killed_its_worker_k_times_is_failed_not_requeued(
        six_calls, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_MAX_ATTEMPTS = 3
    batch = _stalled(six_calls, attempts=3, silent_for=datetime.timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        result = import_watchdog_task.apply().get()
    batch.refresh_from_db()
    assert (result, queued) == ({"requeued": [], "failed": [batch.pk]}, [])
    assert batch.status == FAILED
    assert batch.message.startswith("The import was started 3 times and its worker stopped each "
                                    "time")
    assert CallLog.objects.count() == 0


def test_the_watchdog_runs_every_minute_by_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["imports-watchdog"]
    assert (entry["task"], entry["schedule"]) == ("salesops.imports.watchdog", 60)
