"""Where a batch runs once its upload has committed.

With a broker, on a Celery worker. In the embedded mode there is no worker: Celery runs a task
eagerly, inside the caller, so the upload request itself would run the whole import and the
admin would watch a spinner. There the task runs on a thread of this process instead, one batch
at a time (SQLite takes one writer), and the request returns at once to the progress page.
A process that stops mid-import leaves the batch running; its committed chunks stay, and running
it again resumes after them.

``IMPORT_RUN_IN_THREAD = False`` (the tests' default) runs it in the caller, as Celery would.
"""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import")
        return _executor


def run_batch_soon(batch_id: int, *, recognise: bool = False) -> Future | None:
    """Queue the batch's run (or, with ``recognise``, its first look at the file): on the
    broker, or on this process's import thread."""
    from .tasks import import_batch_recognise_task, import_batch_run_task

    task = import_batch_recognise_task if recognise else import_batch_run_task
    eager = task.app.conf.task_always_eager
    if not (eager and getattr(settings, "IMPORT_RUN_IN_THREAD", True)):
        task.delay(batch_id)
        return None
    return _pool().submit(_run_in_thread, batch_id, task)


def _run_in_thread(batch_id: int, task) -> None:
    try:
        task.apply(args=[batch_id], throw=True)
    except Exception:
        # The batch records its own failure; a crash before that is logged, never lost.
        logger.exception("import batch %s failed on the import thread", batch_id)
    finally:
        connections.close_all()  # this thread's connections, not the requests'
