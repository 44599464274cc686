"""Reads: above all, what a user may see (SPEC §1). Every page, API and admin list asks here.

A manager sees own rows, a sales head the rows of own team, owners and admins everything,
anybody else nothing.
"""

import datetime

from django.db.models import Count, QuerySet, Sum

from payouts.thresholds import conversation_q, conversation_thresholds

from .models import CallLog, Manager, Role
from .periods import month_bounds, next_month

SEES_EVERYTHING = {Role.ADMIN, Role.OWNER}


def manager_for_user(user) -> Manager | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.manager
    except Manager.DoesNotExist:
        return None


def user_sees_everything(user) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    manager = manager_for_user(user)
    return manager is not None and manager.role in SEES_EVERYTHING


def scope_to_user(queryset: QuerySet, user, *, via: str = "manager") -> QuerySet:
    """Narrow ``queryset`` to the rows ``user`` may see.

    ``via`` is the lookup path from the queryset's model to the Manager whose rows these are
    (``"manager"`` for calls, ``"owner"`` for leads, ``"lead__owner"`` for payments, ``""`` for
    managers themselves).
    """
    if not getattr(user, "is_active", False):
        return queryset.none()
    if user_sees_everything(user):
        return queryset
    manager = manager_for_user(user)
    if manager is None:
        # A partner's login reads by the policy's partner paths (salesops.policy, issue 20).
        from . import policy

        if policy.role_of(user) == policy.PARTNER:
            return policy.scoped(user, policy.VIEW, queryset.model, queryset)
        return queryset.none()
    prefix = f"{via}__" if via else ""
    if manager.role == Role.SALES_HEAD and manager.team_id is not None:
        return queryset.filter(**{f"{prefix}team_id": manager.team_id})
    return queryset.filter(**{f"{prefix}pk": manager.pk})


def managers_visible_to(user) -> QuerySet[Manager]:
    return scope_to_user(Manager.objects.select_related("user", "team"), user, via="")


def floor_managers(*, user) -> QuerySet[Manager]:
    """The managers of the sales floor ``user`` may see, in the page's order."""
    return managers_visible_to(user).filter(role=Role.MANAGER).order_by(
        "team__name", "user__last_name", "user__first_name")


def floor_month_summary(*, user, month: datetime.date) -> list[Manager]:
    """Each visible manager with the month's calls, conversations and operator seconds."""
    return floor_month_figures(managers=list(floor_managers(user=user)), month=month)


def floor_month_figures(*, managers: list[Manager], month: datetime.date) -> list[Manager]:
    """``managers`` (a page of the floor) with the month's calls, conversations and operator
    seconds as attributes.

    Read from the daily figures imports keep (``DailyManagerStats``: one row per person and
    day), never from the month's calls, so the page costs the same whatever the month's size.
    A conversation is what pay counts, by the manager's plan for the month (SPEC §7): a day
    counted with another threshold (the plan changed since the import, before the next
    computation recounts it) is counted again from that manager's calls."""
    from .models import DailyManagerStats

    ids = [m.pk for m in managers]
    thresholds = conversation_thresholds(manager_ids=ids, months=[month])
    figures = {pk: {"calls": 0, "conversations": 0, "operator": 0} for pk in ids}
    recount = set()
    for row in (DailyManagerStats.objects.filter(manager__in=ids, day__gte=month,
                                                 day__lt=next_month(month))
                .values("manager", "threshold_s")
                .annotate(calls=Sum("calls"), conversations=Sum("conversations"),
                          operator=Sum("operator_s")).order_by()):
        mine = figures[row["manager"]]
        mine["calls"] += row["calls"]
        mine["operator"] += row["operator"]
        if row["threshold_s"] == thresholds[(row["manager"], month)]:
            mine["conversations"] += row["conversations"]
        else:
            recount.add(row["manager"])
    if recount:
        for pk in recount:
            figures[pk]["conversations"] = 0
        start, end = month_bounds(month)
        counted = (CallLog.objects.filter(manager__in=recount, started_at__gte=start,
                                          started_at__lt=end)
                   .filter(conversation_q({key: value for key, value in thresholds.items()
                                           if key[0] in recount}))
                   .values("manager").annotate(n=Count("pk")).order_by())
        for row in counted:
            figures[row["manager"]]["conversations"] = row["n"]
    for manager in managers:
        mine = figures[manager.pk]
        manager.month_calls = mine["calls"]
        manager.month_conversations = mine["conversations"]
        manager.month_operator_s = mine["operator"]
    return managers
