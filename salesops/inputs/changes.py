"""What changed that feeds pay, per (manager, month): stale runs and incremental recompute
(SPEC §7).

Every write of a pay input marks, in its own transaction, the (manager, month) pairs it feeds,
so the mark commits with the change or not at all. A mark is one row per (manager, month)
whose ``version`` goes up by one per change, written with one multi-row upsert.

Why marks and not ``updated_at`` comparisons: the inputs are millions of calls, and a deleted
call (an import rolled back) leaves no row to compare; a mark is one small row per person and
month, found by key. Why a version and not a time: a writer's clock is read before its commit,
so a computation that started in between would see neither the change nor a later time; a
member reads the versions before it gathers its figures, so a higher version now means that
something changed that its figures may not hold.

A change to the current month runs the hooks registered with ``on_open_month_change`` once it
commits (payouts registers "recompute the open month's changed people").
"""

import datetime
from collections.abc import Callable, Iterable

from django.db import connections, router, transaction
from django.db.models import F, Sum
from django.utils import timezone

from salesops.lookups import AnyOf
from salesops.periods import current_month, month_start

from .models import PayoutInputChange

Pair = tuple[int, datetime.date]
_OPEN_MONTH_HOOKS: list[Callable[[], None]] = []


def on_open_month_change(hook: Callable[[], None]) -> None:
    """Run ``hook`` after the commit of any change to the current month (registered once, from
    an ``AppConfig.ready``)."""
    if hook not in _OPEN_MONTH_HOOKS:
        _OPEN_MONTH_HOOKS.append(hook)


def mark_months(*, manager_ids: Iterable[int], months: Iterable[datetime.date]) -> int:
    """Mark every (manager, month) of ``manager_ids`` × ``months`` changed; returns how many."""
    months = {month_start(month) for month in months}
    return mark_pairs({(pk, month) for pk in manager_ids if pk for month in months})


def mark_days(*, days: Iterable[tuple[int, datetime.date]]) -> int:
    """Mark the months of (manager, day) pairs changed (SPEC §3 months)."""
    return mark_pairs({(pk, month_start(day)) for pk, day in days if pk})


def mark_pairs(pairs: set[Pair]) -> int:
    pairs = {(pk, month_start(month)) for pk, month in pairs if pk}
    if not pairs:
        return 0
    model = PayoutInputChange
    db = connections[router.db_for_write(model)]
    table = db.ops.quote_name(model._meta.db_table)
    changed_at = model._meta.get_field("changed_at").get_db_prep_save(timezone.now(), db)
    rows = sorted(pairs)  # one order for every writer: concurrent upserts cannot deadlock
    # No savepoint: a failed upsert fails the writer's whole transaction anyway.
    with transaction.atomic(using=db.alias, savepoint=False), db.cursor() as cursor:
        for start in range(0, len(rows), 500):
            batch = rows[start:start + 500]
            cursor.execute(
                f"INSERT INTO {table} (manager_id, month, version, changed_at) VALUES "
                + ", ".join(["(%s, %s, 1, %s)"] * len(batch))
                + f" ON CONFLICT (manager_id, month) DO UPDATE SET"
                f" version = {table}.version + 1, changed_at = excluded.changed_at",
                [value for pk, month in batch for value in (pk, month, changed_at)],
            )
    if any(month == current_month() for _pk, month in rows):
        for hook in _OPEN_MONTH_HOOKS:
            transaction.on_commit(hook, using=db.alias)
    return len(rows)


def inputs_versions(*, manager_ids: Iterable[int], months: Iterable[datetime.date]) -> dict:
    """manager id → the sum of its change versions over ``months`` (0 when never changed).
    Versions only grow, so a larger sum than a member read means a change since."""
    versions = dict.fromkeys(manager_ids, 0)
    rows = (
        PayoutInputChange.objects.filter(AnyOf(F("manager_id"), list(versions)),
                                         month__in=list(months))
        .order_by().values("manager_id").annotate(total=Sum("version"))
    )
    for row in rows:
        versions[row["manager_id"]] = row["total"]
    return versions
