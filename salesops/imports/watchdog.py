"""The import watchdog: a batch whose worker died is driven again, one that keeps killing its
worker is failed.

A running batch writes ``heartbeat_at`` with every committed chunk (seconds apart). One silent
for ``IMPORT_STALE_AFTER_S`` lost its worker (killed, out of memory, the machine restarted) —
without this, the broker would redeliver its task only after its visibility timeout, an hour
later. Each batch is claimed by a conditional update on the heartbeat it was seen with, so two
watchdogs never both re-queue it; the run resumes after the last committed chunk. A batch
started ``IMPORT_MAX_ATTEMPTS`` times is failed with that reason instead of re-queued forever.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from salesops.models import ImportBatch

from .services import attempts_used_message

logger = logging.getLogger(__name__)
Status = ImportBatch.Status


@dataclass
class Redriven:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def import_batches_redrive(
    *, stale_after_s: int | None = None, max_attempts: int | None = None,
) -> Redriven:
    stale_after_s = settings.IMPORT_STALE_AFTER_S if stale_after_s is None else stale_after_s
    max_attempts = settings.IMPORT_MAX_ATTEMPTS if max_attempts is None else max_attempts
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=stale_after_s)
    stale = ImportBatch.objects.filter(
        Q(status=Status.RUNNING)
        & (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
        # A pending batch whose task never reached a worker (the broker was down).
        | Q(status=Status.PENDING, started_at__isnull=True, created_at__lt=cutoff)
    ).values_list("pk", "status", "heartbeat_at", "attempts")
    done = Redriven()
    for pk, status, heartbeat_at, attempts in stale:
        seen = ImportBatch.objects.filter(pk=pk, status=status, heartbeat_at=heartbeat_at)
        if status == Status.RUNNING and attempts >= max_attempts:
            failed = seen.update(
                status=Status.FAILED, finished_at=now, heartbeat_at=now,
                message=attempts_used_message(attempts),
            )
            if failed:
                logger.warning("import batch %s failed after %d attempts", pk, attempts)
                done.failed.append(pk)
            continue
        if seen.update(heartbeat_at=now):
            logger.warning("import batch %s silent since %s: queued again", pk, heartbeat_at)
            _queue(pk)
            done.requeued.append(pk)
    return done


def _queue(batch_id: int) -> None:
    from .tasks import import_batch_run_task

    transaction.on_commit(lambda: import_batch_run_task.delay(batch_id))
