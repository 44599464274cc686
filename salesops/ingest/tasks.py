"""The ingestion's background work: thin, idempotent, given plain values."""

import datetime

from celery import shared_task

from salesops.imports.stats import daily_stats_refresh

from .tallies import tallies_apply

ROUNDS = 20  # then the next request or the beat's sweep carries on


@shared_task(name="salesops.ingest.daily_stats_refresh", ignore_result=True)
def ingest_daily_stats_refresh(pairs: list[list]) -> int:
    """Recount the dashboard's (manager, day) rows given. Requests no longer queue this
    (``ingest_tallies_apply`` does it for them); kept for messages queued before."""
    return daily_stats_refresh(pairs={(int(pk), datetime.date.fromisoformat(day))
                                      for pk, day in pairs})


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
