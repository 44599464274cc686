"""Creating people and changing their role keeps the role's group (admin permissions) in step."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from salesops.models import ROLE_GROUPS, Role
from salesops.services import manager_create, manager_set_role
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def group_names(user):
    return set(user.groups.values_list("name", flat=True))


def test_new_manager_gets_a_login_and_the_managers_group():
    team = TeamFactory()
    manager = manager_create(
        username="anna", password="long-enough-pw-1", team=team, extension="101",
        active_from=datetime.date(2026, 1, 1),
    )
    assert manager.user.check_password("long-enough-pw-1")
    assert group_names(manager.user) == {ROLE_GROUPS[Role.MANAGER]}
    assert not manager.user.is_staff


def test_promoting_to_sales_head_swaps_the_group_and_opens_the_admin():
    manager = manager_create(
        username="boris", password="long-enough-pw-1", team=TeamFactory(),
        active_from=datetime.date(2026, 1, 1),
    )
    manager_set_role(manager=manager, role=Role.SALES_HEAD)
    manager.user.refresh_from_db()
    assert group_names(manager.user) == {ROLE_GROUPS[Role.SALES_HEAD]}
    assert manager.user.is_staff
    assert manager.user.has_perm("salesops.view_calllog")
    assert not manager.user.has_perm("salesops.delete_calllog")


def test_manager_without_a_team_is_refused_before_anything_is_saved():
    with pytest.raises(ValidationError):
        manager_create(
            username="vera", password="long-enough-pw-1", team=None,
            active_from=datetime.date(2026, 1, 1),
        )
    assert not get_user_model().objects.filter(username="vera").exists()


def test_every_role_has_its_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_GROUPS.values())
