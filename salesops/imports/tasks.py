"""Celery adapters: take ids and call the service. Running one twice is harmless: a finished
batch is left alone, a batch whose worker died resumes after its last committed chunk, and the
unique (source, external id) keeps any repeated chunk from adding a call."""

from celery import shared_task

from .services import import_batch_run
from .watchdog import import_batches_redrive


@shared_task(name="salesops.imports.run_batch")
def import_batch_run_task(batch_id: int) -> dict:
    batch = import_batch_run(batch_id=batch_id)
    if batch is None:
        return {"batch": batch_id, "status": "missing"}
    return {
        "batch": batch.pk, "status": batch.status, "created": batch.created_count,
        "present": batch.present_count, "skipped": batch.skipped_count,
        "errors": batch.error_count, "updated": batch.updated_count,
        "conflicts": batch.conflict_count,
    }


@shared_task(name="salesops.imports.recognise_batch")
def import_batch_recognise_task(batch_id: int) -> dict:
    """A file uploaded without a chosen layout: read its first rows, then run it or hold it
    for the column mapping (``recognition``)."""
    from .recognition import import_batch_recognise

    batch = import_batch_recognise(batch_id=batch_id)
    return {"batch": batch_id, "status": batch.status if batch else "missing"}


@shared_task(name="salesops.imports.watchdog")
def import_watchdog_task() -> dict:
    """Every minute (beat): batches whose worker died run again; see ``watchdog``."""
    done = import_batches_redrive()
    return {"requeued": done.requeued, "failed": done.failed}
