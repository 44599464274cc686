"""Daily per-manager aggregates for the dashboard, refreshed for the days an import touched."""

import datetime

from django.db import transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate

from payouts.thresholds import conversation_q, conversation_thresholds
from salesops.models import CallLog, DailyManagerStats, ImportCallChange
from salesops.periods import next_month, organisation_zone


def daily_stats_refresh(*, pairs: set[tuple[int, datetime.date]]) -> int:
    """Recompute the (manager, day) rows in ``pairs`` from the calls; returns rows written.

    One aggregate query over the days' span for the managers involved: set-based, whatever
    the number of calls.
    """
    if not pairs:
        return 0
    zone = organisation_zone()
    managers = {manager_id for manager_id, _day in pairs}
    first = min(day for _m, day in pairs)
    last = max(day for _m, day in pairs)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min,
                                    tzinfo=zone)
    # A conversation counts as pay counts it: the manager's plan threshold of the day's month.
    thresholds = conversation_thresholds(
        manager_ids=managers, months={day.replace(day=1) for _m, day in pairs}
    )
    figures = (
        CallLog.objects.filter(manager_id__in=managers, started_at__gte=start, started_at__lt=end)
        .annotate(day=TruncDate("started_at", tzinfo=zone))
        .values("manager_id", "day")
        .annotate(
            calls=Count("pk"),
            conversations=Count("pk", filter=conversation_q(thresholds)),
            talk=Sum("talk_s"),
            operator=Sum(F("duration_s") + F("wrapup_s")),
        )
    )
    rows = [
        DailyManagerStats(
            manager_id=row["manager_id"], day=row["day"], calls=row["calls"],
            conversations=row["conversations"], talk_s=row["talk"], operator_s=row["operator"],
            threshold_s=thresholds[(row["manager_id"], row["day"].replace(day=1))],
        )
        for row in figures if (row["manager_id"], row["day"]) in pairs
    ]
    found = {(row.manager_id, row.day) for row in rows}
    with transaction.atomic():
        # Days left with no calls (a rolled-back batch) lose their row.
        for manager_id, day in pairs - found:
            DailyManagerStats.objects.filter(manager_id=manager_id, day=day).delete()
        DailyManagerStats.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["manager", "day"],
            update_fields=["calls", "conversations", "talk_s", "operator_s", "threshold_s"],
            batch_size=1000,
        )
    return len(rows)


def daily_stats_follow_thresholds(*, thresholds: dict[int, int], month: datetime.date) -> int:
    """Recount the month's rows of these managers (id → their plan's threshold, as the
    computation that calls this pays them) that were counted with another threshold (the plan
    changed after the import), so that the dashboard and the floor count the conversations pay
    counts. One query per threshold finds them (usually none); returns rows rewritten."""
    by_threshold: dict[int, list[int]] = {}
    for manager_id, threshold in thresholds.items():
        by_threshold.setdefault(threshold, []).append(manager_id)
    stale = set()
    for threshold, ids in by_threshold.items():
        stale |= set(
            DailyManagerStats.objects.filter(
                manager_id__in=ids, day__gte=month, day__lt=next_month(month))
            .exclude(threshold_s=threshold).values_list("manager_id", "day")
        )
    return daily_stats_refresh(pairs=stale)


def changed_days(*, batch) -> set[tuple[int, datetime.date]]:
    """The (manager, day) pairs of the calls a batch changed (not created), before and after."""
    zone = organisation_zone()
    changes = ImportCallChange.objects.filter(batch=batch)
    before = changes.annotate(day=TruncDate("started_at", tzinfo=zone)).values_list(
        "manager_id", "day")
    after = CallLog.objects.filter(pk__in=changes.values("call_id")).annotate(
        day=TruncDate("started_at", tzinfo=zone)).values_list("manager_id", "day")
    return set(before) | set(after)
