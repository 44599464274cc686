"""A real Celery worker killed in the middle of a file, then the batch run again: the right
total, no duplicates (SPEC §6.1). PostgreSQL and Redis, real processes."""

import signal
import time

import pytest

from salesops.imports.services import import_batch_create, import_file
from salesops.imports.tasks import import_batch_run_task
from salesops.models import CallLog, ImportBatch
from tests.realservices import celery_worker, require_worker_services, stop_worker

from .factories import ManagerFactory

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]
ROWS = 120_000


def _write_master_csv(path, rows: int) -> None:
    with path.open("w") as handle:
        for n in range(rows):
            day, seconds = 1 + n // 86_000, n % 86_000
            clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            stamp = f"2026-10-{day:02d} {clock}"
            handle.write(
                f'"","{101 + n % 5}","8916{n:07d}","from-internal","","SIP/{101 + n % 5}-{n:08x}",'
                f'"","Dial","","{stamp}","{stamp}","{stamp}",{30 + n % 50},{n % 30},"ANSWERED",'
                f'"DOCUMENTATION","1790000000.{n}",""\n'
            )


def test_a_worker_killed_mid_file_then_rerun_imports_every_call_once(tmp_path, monkeypatch):
    require_worker_services()
    monkeypatch.setenv("SALESOPS_MEDIA_ROOT", str(tmp_path / "media"))
    monkeypatch.setenv("SALESOPS_IMPORT_CHUNK_ROWS", "2000")
    for extension in range(101, 106):
        ManagerFactory(extension=str(extension))
    path = tmp_path / "Master.csv"
    _write_master_csv(path, ROWS)
    with path.open("rb") as handle:
        batch = import_batch_create(file=handle, file_name="Master.csv")

    with celery_worker() as (process, queue):
        import_batch_run_task.apply_async(args=[batch.pk], queue=queue)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            batch.refresh_from_db()
            if batch.rows_read >= 10_000:
                break
            time.sleep(0.05)
        stop_worker(process, signal.SIGKILL)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.RUNNING
    assert 10_000 <= batch.rows_read < ROWS, "the kill must land in the middle of the file"
    assert CallLog.objects.count() == batch.created_count == batch.rows_read

    with celery_worker() as (process, queue):
        result = import_batch_run_task.apply_async(args=[batch.pk], queue=queue).get(timeout=180)
    batch.refresh_from_db()
    assert result["status"] == ImportBatch.Status.DONE
    assert (batch.rows_read, batch.created_count, batch.error_count) == (ROWS, ROWS, 0)
    assert batch.attempts == 2
    assert CallLog.objects.count() == ROWS
    assert CallLog.objects.values("external_id").distinct().count() == ROWS

    again = import_file(path=path)
    assert (again.created_count, again.present_count) == (0, ROWS)
    assert CallLog.objects.count() == ROWS


def test_a_killed_workers_batch_is_driven_to_the_end_by_the_watchdog_with_no_manual_call(
        tmp_path, monkeypatch):
    require_worker_services()
    monkeypatch.setenv("SALESOPS_MEDIA_ROOT", str(tmp_path / "media"))
    monkeypatch.setenv("SALESOPS_IMPORT_CHUNK_ROWS", "2000")
    for extension in range(101, 106):
        ManagerFactory(extension=str(extension))
    path = tmp_path / "Master.csv"
    _write_master_csv(path, ROWS)
    with path.open("rb") as handle:
        batch = import_batch_create(file=handle, file_name="Master.csv")

    with celery_worker() as (process, queue):
        import_batch_run_task.apply_async(args=[batch.pk], queue=queue)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            batch.refresh_from_db()
            if batch.rows_read >= 10_000:
                break
            time.sleep(0.05)
        stop_worker(process, signal.SIGKILL)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.RUNNING
    assert 10_000 <= batch.rows_read < ROWS, "the kill must land in the middle of the file"

    # Only the scheduler runs now: its watchdog must find the silent batch and drive it.
    watchdog = {"SALESOPS_IMPORT_WATCHDOG_EVERY_S": "1", "SALESOPS_IMPORT_STALE_AFTER_S": "3"}
    with celery_worker(beat=True, env=watchdog):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            batch.refresh_from_db()
            if batch.status != ImportBatch.Status.RUNNING:
                break
            time.sleep(0.2)
    assert (batch.status, batch.rows_read, batch.created_count, batch.error_count) == (
        ImportBatch.Status.DONE, ROWS, ROWS, 0)
    assert batch.attempts == 2
    assert CallLog.objects.values("external_id").distinct().count() == CallLog.objects.count()
    assert CallLog.objects.count() == ROWS
