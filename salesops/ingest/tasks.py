"""The ingestion's background work: thin, idempotent, given plain values."""

import datetime

from celery import shared_task

from salesops.imports.stats import daily_stats_refresh


@shared_task(name="salesops.ingest.daily_stats_refresh", ignore_result=True)
def ingest_daily_stats_refresh(pairs: list[list]) -> int:
    """Recount the dashboard's (manager, day) rows the posted calls touched."""
    return daily_stats_refresh(pairs={(int(pk), datetime.date.fromisoformat(day))
                                      for pk, day in pairs})
