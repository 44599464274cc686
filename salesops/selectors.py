"""Reads: above all, what a user may see (SPEC §1). Every page, API and admin list asks here.

A manager sees own rows, a sales head the rows of own team, owners and admins everything,
anybody else nothing.
"""

import datetime

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from payouts.thresholds import conversation_q, conversation_thresholds

from .models import Manager, Role
from .periods import month_bounds

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
        return queryset.none()
    prefix = f"{via}__" if via else ""
    if manager.role == Role.SALES_HEAD and manager.team_id is not None:
        return queryset.filter(**{f"{prefix}team_id": manager.team_id})
    return queryset.filter(**{f"{prefix}pk": manager.pk})


def managers_visible_to(user) -> QuerySet[Manager]:
    return scope_to_user(Manager.objects.select_related("user", "team"), user, via="")


def floor_month_summary(*, user, month: datetime.date) -> QuerySet[Manager]:
    """Each visible manager with the month's calls, conversations and operator seconds.

    The figures are conditional aggregates over the month's calls, in one query after the one
    that reads each manager's conversation threshold: a conversation here is what pay counts,
    by the manager's plan for the month (SPEC §7).
    """
    start, end = month_bounds(month)
    in_month = Q(calls__started_at__gte=start, calls__started_at__lt=end)
    managers = managers_visible_to(user).filter(role=Role.MANAGER)
    thresholds = conversation_thresholds(
        manager_ids=managers.values_list("pk", flat=True), months=[month]
    )
    return (
        managers
        .annotate(
            month_calls=Count("calls", filter=in_month),
            month_conversations=Count(
                "calls", filter=conversation_q(thresholds, prefix="calls__")
            ),
            month_operator_s=Coalesce(
                Sum(F("calls__duration_s") + F("calls__wrapup_s"), filter=in_month), 0
            ),
        )
        .order_by("team__name", "user__last_name", "user__first_name")
    )
