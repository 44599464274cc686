"""Reads: above all, what a user may see (SPEC §1). Every page, API and admin list asks here.

A manager sees own rows, a sales head the rows of own team, owners and admins everything,
anybody else nothing.
"""


from django.db.models import QuerySet

from .models import Manager, Role

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
