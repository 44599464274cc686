"""What counts as a conversation for whom: one rule for pay and for every figure shown (SPEC §2,
§7 "every figure shown anywhere counts by the same rules as pay").

A conversation is a call with ``talk_s`` at or above the threshold of the plan version that pays
the manager in the call's month; a manager with no plan that month falls back to
``salesops.models.CONVERSATION_THRESHOLD_S``. The plan is found as pay finds it
(``payouts.engine.plans.plan_versions_for``): the manager's own assignment wins over the team's,
the latest start wins among assignments of one kind, and of the plan's versions the latest that
took effect by the month applies.

The thresholds are read in one query per month for any number of managers, and the count is a
conditional aggregate grouped by threshold: never a Python loop over calls.
"""

import datetime
from collections import defaultdict

from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from salesops.models import CONVERSATION_THRESHOLD_S, Manager
from salesops.periods import month_bounds, month_start

from .models import PlanAssignment, PlanVersion


def _assignment_in_force(month: datetime.date, **who) -> Subquery:
    assignments = (
        PlanAssignment.objects.filter(effective_from__lte=month, **who)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=month))
        .order_by("-effective_from", "-pk")
    )
    return Subquery(assignments.values("plan_id")[:1])


def _managers_with_threshold(manager_ids, month: datetime.date):
    version = (
        PlanVersion.objects.filter(plan_id=OuterRef("paying_plan"), effective_from__lte=month)
        .order_by("-effective_from")
    )
    return (
        Manager.objects.filter(pk__in=manager_ids)
        .annotate(paying_plan=Coalesce(
            _assignment_in_force(month, manager_id=OuterRef("pk")),
            _assignment_in_force(month, team_id=OuterRef("team_id")),
        ))
        .annotate(threshold_s=Coalesce(
            Subquery(version.values("conversation_threshold_s")[:1]),
            Value(CONVERSATION_THRESHOLD_S), output_field=IntegerField(),
        ))
    )


def conversation_thresholds(
    *, manager_ids, months
) -> dict[tuple[int, datetime.date], int]:
    """(manager id, first of month) → that month's conversation threshold in seconds."""
    ids = list(manager_ids)
    thresholds = {}
    for month in sorted({month_start(m) for m in months}):
        for pk, threshold in _managers_with_threshold(ids, month).values_list("pk", "threshold_s"):
            thresholds[(pk, month)] = threshold
    return thresholds


def conversation_q(
    thresholds: dict[tuple[int, datetime.date], int], *, prefix: str = "",
    manager_field: str = "manager_id",
) -> Q:
    """A filter matching the calls that are conversations under ``thresholds``.

    ``prefix`` is the lookup path to the call (``"calls__"`` from a manager); ``manager_field``
    the path from the call to its manager's id. Managers sharing a threshold in a month share
    one branch, so the filter has a few branches whatever the number of managers. A call of a
    manager or month not in ``thresholds`` matches nothing.
    """
    groups = defaultdict(list)
    for (manager_id, month), threshold in thresholds.items():
        groups[(month, threshold)].append(manager_id)
    match = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    for (month, threshold), ids in sorted(groups.items()):
        start, end = month_bounds(month)
        match |= Q(**{
            f"{prefix}{manager_field}__in": sorted(ids),
            f"{prefix}started_at__gte": start,
            f"{prefix}started_at__lt": end,
            f"{prefix}talk_s__gte": threshold,
        })
    return match
