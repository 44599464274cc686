"""The worker's first look at a file uploaded without a chosen layout: its first rows are read
(and kept on the batch, ``sample``), then the batch runs with the preset made for its layout,
or waits for the admin's column mapping. The upload page only stores the file and queues this:
no page parses a file inside a request.

An attempt is counted before the file is opened, as for a run: a file that kills its worker
while being recognised is failed after ``IMPORT_MAX_ATTEMPTS``, never redelivered for ever.
"""

from pathlib import Path

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from salesops.models import ImportBatch

from .columns import import_batch_await_mapping, import_batch_use_preset
from .reader import UnreadableFile
from .sample import read_sample
from .selectors import batch_proposal
from .services import attempts_used_message, import_batch_run

Status = ImportBatch.Status


def import_batch_recognise(*, batch_id: int) -> ImportBatch | None:
    max_attempts = settings.IMPORT_MAX_ATTEMPTS
    pending = ImportBatch.objects.filter(pk=batch_id, status=Status.PENDING, started_at=None)
    if not pending.filter(attempts__lt=max_attempts).update(attempts=F("attempts") + 1):
        pending.update(status=Status.FAILED, finished_at=timezone.now(),
                       message=attempts_used_message(max_attempts))
        return ImportBatch.objects.filter(pk=batch_id).first()
    batch = ImportBatch.objects.get(pk=batch_id)
    try:
        sample = read_sample(Path(batch.file.path))
    except (UnreadableFile, OSError):
        # Run anyway, so that the batch fails with the reason, as every import does.
        ImportBatch.objects.filter(pk=batch_id).update(attempts=0)
        return import_batch_run(batch_id=batch_id)
    ImportBatch.objects.filter(pk=batch_id).update(sample=sample, attempts=0)
    batch.refresh_from_db()
    proposal = batch_proposal(batch)
    if not proposal.known:
        return import_batch_await_mapping(batch=batch)
    import_batch_use_preset(batch=batch, preset=proposal.preset.name)
    return import_batch_run(batch_id=batch_id)
