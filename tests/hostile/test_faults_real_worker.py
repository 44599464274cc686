"""Faults nobody re-drives, on PostgreSQL with a real Celery worker: each import ends with every
row once and no person acting.

- The database connection is cut in the middle of a COPY: the run reconnects with backoff and
  goes on from its last committed chunk.
- The broker (a Redis server of the test's own) restarts with a task in flight: the worker
  reconnects, the task ends, and the next upload runs.
- A worker child is killed by its memory ceiling on every attempt: the batch is failed after
  its attempts instead of being redelivered for ever, and the worker goes on with the next file.
"""

import io
import time
import zipfile

import pytest

from salesops.celery import app
from salesops.imports.services import import_batch_create
from salesops.imports.tasks import import_batch_run_task
from salesops.models import CallLog, ImportBatch
from tests.factories import ManagerFactory
from tests.fixtures import hostile
from tests.realservices import celery_worker, require_worker_services

from .faults import CuttingProxy, own_redis

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]
DONE, FAILED = ImportBatch.Status.DONE, ImportBatch.Status.FAILED


@pytest.fixture(autouse=True)
def _services(tmp_path, monkeypatch):
    require_worker_services()
    monkeypatch.setenv("SALESOPS_MEDIA_ROOT", str(tmp_path / "media"))
    ManagerFactory(extension=hostile.EXTENSION)


def _batch(tmp_path, rows: int, name: str = "calls.csv") -> ImportBatch:
    path = tmp_path / name
    data = []
    for n in range(1, rows + 1):
        day, minute = 1 + n // 1400 % 28, n % 1400
        data.append(hostile.row(n, when=f"2026-10-{day:02d} {minute // 60:02d}:{minute % 60:02d}"
                                        f":{n % 60:02d}"))
    path.write_text(hostile.csv_text(data))
    with path.open("rb") as handle:
        return import_batch_create(file=handle, file_name=name)


def _wait(batch, *, until, timeout: float = 180) -> ImportBatch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if until(batch):
            return batch
        time.sleep(0.1)
    raise AssertionError(f"batch {batch.pk} stayed {batch.status} at {batch.rows_read} rows")


def _every_row_once(rows: int) -> None:
    assert CallLog.objects.count() == rows
    assert CallLog.objects.values("external_id").distinct().count() == rows


def test_a_database_connection_cut_during_copy_is_retried_with_backoff_and_the_file_finished(
        tmp_path):
    rows = 20_000
    batch = _batch(tmp_path, rows)
    with CuttingProxy(cut_at=3) as proxy, celery_worker(env={
            "DATABASE_URL": proxy.url, "SALESOPS_IMPORT_CHUNK_ROWS": "2000"}) as (_w, queue):
        import_batch_run_task.apply_async(args=[batch.pk], queue=queue)
        batch = _wait(batch, until=lambda b: b.status in (DONE, FAILED))
    assert proxy.cuts == 1, "the connection was cut in the middle of a COPY"
    assert (batch.status, batch.rows_read, batch.created_count, batch.error_count) == (
        DONE, rows, rows, 0)
    assert batch.attempts == 1  # retried inside the run: no redelivery, nobody pressed Run
    _every_row_once(rows)


def test_a_redis_restart_with_a_task_in_flight_keeps_the_worker_and_the_next_upload_runs(
        tmp_path):
    rows = 60_000
    first = _batch(tmp_path, rows, "first.csv")
    with own_redis() as redis, celery_worker(env={
            "CELERY_BROKER_URL": redis.url, "CELERY_RESULT_BACKEND": redis.url,
            "SALESOPS_IMPORT_CHUNK_ROWS": "1000"}, as_deployed=True) as (worker, queue):
        with app.connection_for_write(redis.url) as conn:
            import_batch_run_task.apply_async(args=[first.pk], queue=queue, connection=conn)
        _wait(first, until=lambda b: b.rows_read >= 3000, timeout=60)
        redis.restart(down_for=3.0)
        first = _wait(first, until=lambda b: b.status in (DONE, FAILED))
        assert first.rows_read < rows or first.status == DONE
        assert worker.poll() is None, "the worker survived the broker's restart"
        # The next upload, sent to the restarted broker, is run by the same worker.
        second = _batch(tmp_path, 500, "second.csv")
        with app.connection_for_write(redis.url) as conn:
            import_batch_run_task.apply_async(args=[second.pk], queue=queue, connection=conn)
        second = _wait(second, until=lambda b: b.status in (DONE, FAILED), timeout=60)
        assert worker.poll() is None
    assert (first.status, first.created_count, first.error_count) == (DONE, rows, 0)
    assert (second.status, second.created_count, second.present_count) == (DONE, 0, 500)
    assert second.attempts == 1
    _every_row_once(rows)


def _xlsx_with_far_cell(ref: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(hostile.xlsx(hostile.xlsx_rows(3))))
    out = io.BytesIO()
    row = "".join(c for c in ref if c.isdigit())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", f'<row r="{row}"><c r="{ref}" t="n"><v>1'
                                                     f"</v></c></row></sheetData>".encode())
            target.writestr(info.filename, data)
    return out.getvalue()


def test_a_child_killed_by_its_memory_ceiling_uses_its_attempts_then_the_batch_fails(tmp_path):
    path = tmp_path / "far.xlsx"
    # 26 columns × a million rows: within the cell limit, but calamine (forced here) would
    # allocate the whole range, far past the child's ceiling.
    path.write_bytes(_xlsx_with_far_cell("Z1000000"))
    with path.open("rb") as handle:
        hungry = import_batch_create(file=handle, file_name="far.xlsx")
    good = _batch(tmp_path, 300, "good.csv")
    with celery_worker(env={"SALESOPS_WORKER_MEMORY_MB": "400",
                            "SALESOPS_IMPORT_XLSX_READER": "calamine",
                            "SALESOPS_IMPORT_MAX_ATTEMPTS": "3"}) as (worker, queue):
        import_batch_run_task.apply_async(args=[hungry.pk], queue=queue)
        hungry = _wait(hungry, until=lambda b: b.status in (DONE, FAILED), timeout=120)
        import_batch_run_task.apply_async(args=[good.pk], queue=queue)
        good = _wait(good, until=lambda b: b.status in (DONE, FAILED), timeout=60)
        assert worker.poll() is None
    assert (hungry.status, hungry.attempts, hungry.created_count) == (FAILED, 3, 0)
    # The worker writes in the organisation's language (Russian by default).
    assert hungry.message.startswith("Импорт запускался 3 раз(а), и каждый раз обработчик "
                                     "останавливался")
    assert (good.status, good.created_count, good.attempts) == (DONE, 300, 1)
    _every_row_once(300)
