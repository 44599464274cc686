"""The ingestion's background work: thin, idempotent, given plain values."""

from celery import shared_task

from .tallies import tallies_apply

ROUNDS = 20  # then the next request or the beat's sweep carries on


@shared_task(name="salesops.ingest.tallies_apply", ignore_result=True)
def ingest_tallies_apply() -> int:
    """Bring the day batches' counters and the daily figures up to the posted calls."""
    applied = 0
    for _round in range(ROUNDS):
        done = tallies_apply()
        applied += done
        if not done:
            break
    return applied
