"""Writes on the sales floor's people: creating managers and changing their role."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from .inputs.membership import membership_first
from .models import ROLE_GROUPS, Manager, Role, Team


def _sync_role_group(*, user, role: str) -> None:
    """Keep the user in exactly one role group, the one matching ``role``."""
    user.groups.remove(*Group.objects.filter(name__in=ROLE_GROUPS.values()))
    user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))


@transaction.atomic
def manager_create(
    *,
    username: str,
    role: str = Role.MANAGER,
    team: Team | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    password: str | None = None,
    password_hash: str | None = None,
    extension: str = "",
    telephony_login: str = "",
    telephony_email: str = "",
    active_from: datetime.date,
) -> Manager:
    """Create a login and its manager profile in one step, with the role's group.

    ``password_hash`` lets a bulk caller (demo data) hash once and reuse the hash.
    """
    user = get_user_model()(
        username=username, first_name=first_name, last_name=last_name, email=email,
        # Everyone but plain managers works in the admin screens.
        is_staff=role != Role.MANAGER,
    )
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    manager = Manager(
        user=user, role=role, team=team, extension=extension, telephony_login=telephony_login,
        telephony_email=telephony_email, active_from=active_from,
    )
    manager.full_clean()
    manager.save()
    if team is not None:
        # Dated membership (SPEC §1): in the team from the first day the person works.
        membership_first(manager=manager, team=team, since=active_from)
    _sync_role_group(user=user, role=role)
    return manager


@transaction.atomic
def manager_set_role(
    *, manager: Manager, role: str, team: Team | None = None, by=None
) -> Manager:
    """Give ``manager`` the role ``role`` (and ``team``), keeping the role group and
    ``is_staff`` in step. ``by``, when given (every screen gives it), must be allowed the grant
    by the policy (salesops.policy.GRANTS), and the change is audited. A new team takes
    effect today (``membership_transfer``: dated membership, SPEC §1)."""
    from salesops.inputs import audit_record
    from salesops.inputs.membership import membership_transfer, organisation_today

    from . import policy

    stored = Manager.objects.filter(pk=manager.pk).values("role", "team_id").first() or {}
    if by is not None:
        if not policy.may_grant(by, manager=manager, role=role):
            raise policy.AccessDenied(
                _("%(user)s may not make %(manager)s %(role)s")
                % {"user": by, "manager": manager, "role": Role(role).label}
            )
        if team is not None and not policy.may(by, policy.VIEW, "teams", team):
            raise policy.AccessDenied(_("%(user)s may not move people to %(team)s")
                                      % {"user": by, "team": team})
    manager.role = role
    if team is not None and team.pk != stored.get("team_id"):
        membership_transfer(manager=manager, team=team, since=organisation_today(), by=by)
        manager.team = team
    manager.full_clean()
    manager.save(update_fields=["role", "team"])
    user = manager.user
    user.is_staff = role != Role.MANAGER or user.is_superuser
    user.save(update_fields=["is_staff"])
    _sync_role_group(user=user, role=role)
    changed = stored.get("role") != role or stored.get("team_id") != manager.team_id
    if by is not None and (changed or role in (Role.ADMIN, Role.OWNER)):
        audit_record(
            action="role_granted", obj=manager, by=by,
            before={"role": stored.get("role"), "team": stored.get("team_id")},
            after={"role": role, "team": manager.team_id},
        )
    return manager
