"""What changed that feeds pay, per (manager, month): stale runs and incremental recompute
(SPEC §7).

Every write of an input of pay (an import of calls, a milestone, a payment or refund, a decision
on an exception or a duplicate) calls one of the functions below in its own transaction, so the
mark commits with the change or not at all. A mark is one row per (manager, month) whose
``version`` goes up by one per change, written with one multi-row upsert.

Why marks and not ``updated_at`` comparisons: the inputs are millions of calls, and a deleted
call (an import rolled back) leaves no row to compare; a mark is one small row per person and
month, found by key. Why a version and not a time: a writer's clock is read before its commit,
so a computation that started in between would see neither the change nor a later time; a
member reads the versions before it gathers its figures, so a higher version now means that
something changed that its figures may not hold.

Plans are not marked: which version pays whom is compared directly (``payouts.staleness``).
"""

import datetime
from collections.abc import Iterable

from django.db import connections, router, transaction
from django.utils import timezone

from salesops.periods import current_month, month_of, month_start

from .models import PayoutInputChange

Pair = tuple[int, datetime.date]


def payout_inputs_changed(*, manager_ids: Iterable[int], months: Iterable[datetime.date]) -> int:
    """Mark every (manager, month) of ``manager_ids`` × ``months`` changed; returns how many."""
    months = {month_start(month) for month in months}
    return _mark({(pk, month) for pk in manager_ids if pk for month in months})


def payout_inputs_changed_on_days(*, days: Iterable[tuple[int, datetime.date]]) -> int:
    """Mark the months of (manager, day) pairs changed (an import's calls, SPEC §3 months)."""
    return _mark({(pk, month_start(day)) for pk, day in days if pk})


def payout_inputs_changed_for_leads(*, lead_ids: Iterable[int]) -> int:
    """A decision on leads (an exception, a duplicate) changes what their owners are paid in
    each month in which the leads reached a milestone or received a payment."""
    from leads.models import LeadMilestone, Payment

    lead_ids = list(lead_ids)
    pairs = {
        (owner_id, month_of(at))
        for owner_id, at in LeadMilestone.objects.filter(lead_id__in=lead_ids)
        .values_list("lead__owner_id", "at")
    }
    pairs |= {
        (owner_id, month_start(day))
        for owner_id, day in Payment.objects.filter(lead_id__in=lead_ids)
        .values_list("lead__owner_id", "received_on")
    }
    return _mark(pairs)


def pay_input_pair(instance) -> Pair | None:
    """The (manager, month) whose pay a saved row feeds: a call or shift by its start, a
    monthly plan by its month, a payment by its lead's owner and received date (SPEC §3)."""
    from leads.models import Payment
    from salesops.models import CallLog, MonthlyPlan, WorkShift

    if isinstance(instance, CallLog | WorkShift):
        return instance.manager_id, month_of(instance.started_at)
    if isinstance(instance, MonthlyPlan):
        return instance.manager_id, month_start(instance.month)
    if isinstance(instance, Payment):
        return instance.lead.owner_id, month_start(instance.received_on)
    return None


class MarksPayInputs:
    """For spreadsheet imports of rows that feed pay (django-import-export resources): each
    saved row's (manager, month) is collected, and marked changed once after the import."""

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        pair = pay_input_pair(instance)
        if pair is not None:
            self.__dict__.setdefault("_pay_inputs", set()).add(pair)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        pairs = self.__dict__.pop("_pay_inputs", set())
        if not kwargs.get("dry_run"):  # a preview saves nothing, so nothing changed
            _mark(pairs)


def inputs_versions(*, manager_ids: Iterable[int], months: Iterable[datetime.date]) -> dict:
    """manager id → the sum of its change versions over ``months`` (0 when never changed).
    Versions only grow, so a larger sum than a member read means a change since."""
    from django.db.models import F, Sum

    from salesops.lookups import AnyOf

    versions = dict.fromkeys(manager_ids, 0)
    rows = (
        PayoutInputChange.objects.filter(AnyOf(F("manager_id"), list(versions)),
                                         month__in=list(months))
        .order_by().values("manager_id").annotate(total=Sum("version"))
    )
    for row in rows:
        versions[row["manager_id"]] = row["total"]
    return versions


def _mark(pairs: set[Pair]) -> int:
    if not pairs:
        return 0
    model = PayoutInputChange
    db = connections[router.db_for_write(model)]
    table = db.ops.quote_name(model._meta.db_table)
    changed_at = model._meta.get_field("changed_at").get_db_prep_save(timezone.now(), db)
    rows = sorted(pairs)  # one order for every writer: concurrent upserts cannot deadlock
    with transaction.atomic(using=db.alias), db.cursor() as cursor:
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
        _refresh_open_month_on_commit(db.alias)
    return len(rows)


def _refresh_open_month_on_commit(alias: str) -> None:
    """Keep the open month's "earned so far" fresh: once the change commits, queue one
    recomputation of the people it touched (payouts.tasks.refresh_open_month_pay)."""
    from .tasks import refresh_open_month_pay_soon

    transaction.on_commit(refresh_open_month_pay_soon, using=alias)
