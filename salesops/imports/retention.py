"""How long uploaded call logs are kept: files of finished batches are deleted after
SALESOPS_UPLOAD_RETENTION_DAYS. The batch rows, their counts and error reports stay: the history
of what was imported outlives the file (which holds customers' phone numbers)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from salesops.models import ImportBatch

FINISHED = (ImportBatch.Status.DONE, ImportBatch.Status.FAILED, ImportBatch.Status.ROLLED_BACK)


@dataclass(frozen=True)
class FilesDeleted:
    batches: int
    bytes: int


def import_files_delete_expired(
    *, now: datetime.datetime | None = None, retention_days: int | None = None
) -> FilesDeleted:
    """Delete the stored files of batches that finished more than ``retention_days`` ago.

    Each batch is locked and cleared in its own transaction and its file deleted once that
    commits, so a batch never names a file that is gone and a run can be repeated at any time.
    """
    days = settings.SALESOPS_UPLOAD_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    expired = (
        ImportBatch.objects.filter(status__in=FINISHED)
        .exclude(file="")
        .annotate(ended=Coalesce("finished_at", "created_at"))
        .filter(ended__lt=cutoff)
        .values_list("pk", flat=True)
    )
    batches = size = 0
    for pk in list(expired):
        with transaction.atomic():
            batch = (
                ImportBatch.objects.select_for_update()
                .filter(pk=pk, status__in=FINISHED)
                .exclude(file="")
                .first()
            )
            if batch is None:  # re-run or cleared meanwhile
                continue
            storage, name = batch.file.storage, batch.file.name
            size += storage.size(name) if storage.exists(name) else 0
            batch.file = ""
            batch.save(update_fields=["file"])
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
            batches += 1
    return FilesDeleted(batches=batches, bytes=size)
