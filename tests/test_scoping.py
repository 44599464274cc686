"""SPEC §1 access: a manager sees own rows, a sales head own team, owner and admin all."""

import pytest
from django.contrib.auth.models import AnonymousUser

from leads.models import Lead, Payment
from salesops.models import CallLog, Manager, Role
from salesops.selectors import managers_visible_to, scope_to_user
from salesops.services import manager_set_role
from tests.factories import (
    CallFactory,
    LeadFactory,
    ManagerFactory,
    PaymentFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor():
    """Two teams, two managers each, a sales head per team; calls, leads and payments for all."""
    north, south = TeamFactory(code="north"), TeamFactory(code="south")
    people = {
        "anna": ManagerFactory(team=north),
        "boris": ManagerFactory(team=north),
        "vera": ManagerFactory(team=south),
        "gleb": ManagerFactory(team=south),
        "head_north": ManagerFactory(team=north, sales_head=True),
        "head_south": ManagerFactory(team=south, sales_head=True),
        "owner": ManagerFactory(owner=True),
        "admin": ManagerFactory(admin=True),
    }
    for name in ("anna", "boris", "vera", "gleb"):
        for _ in range(3):
            CallFactory(manager=people[name])
        PaymentFactory(lead=LeadFactory(owner=people[name]))
    return people


def test_manager_sees_only_own_calls_leads_and_payments(floor):
    anna = floor["anna"]
    user = anna.user
    assert set(scope_to_user(CallLog.objects.all(), user).values_list("manager", flat=True)) == {
        anna.pk
    }
    assert scope_to_user(CallLog.objects.all(), user).count() == 3
    assert list(scope_to_user(Lead.objects.all(), user, via="owner").values_list(
        "owner", flat=True)) == [anna.pk]
    assert list(scope_to_user(Payment.objects.all(), user, via="lead__owner").values_list(
        "lead__owner", flat=True)) == [anna.pk]
    assert list(managers_visible_to(user)) == [anna]


def test_manager_never_sees_a_teammates_rows(floor):
    boris_calls = scope_to_user(CallLog.objects.all(), floor["anna"].user).filter(
        manager=floor["boris"]
    )
    assert not boris_calls.exists()


def test_sales_head_sees_own_team_and_never_another_team(floor):
    head = floor["head_north"]
    visible_calls = scope_to_user(CallLog.objects.all(), head.user)
    assert visible_calls.count() == 6
    assert set(visible_calls.values_list("manager__team__code", flat=True)) == {"north"}
    visible_leads = scope_to_user(Lead.objects.all(), head.user, via="owner")
    assert set(visible_leads.values_list("owner__team__code", flat=True)) == {"north"}
    assert set(managers_visible_to(head.user)) == {floor["anna"], floor["boris"], head}


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_owner_and_admin_see_everything(floor, who):
    user = floor[who].user
    assert scope_to_user(CallLog.objects.all(), user).count() == CallLog.objects.count() == 12
    assert managers_visible_to(user).count() == Manager.objects.count()


def test_login_without_a_manager_profile_sees_nothing(floor):
    stranger = UserFactory()
    assert not scope_to_user(CallLog.objects.all(), stranger).exists()
    assert not scope_to_user(CallLog.objects.all(), AnonymousUser()).exists()


def test_deactivated_login_sees_nothing(floor):
    owner = floor["owner"].user
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    assert not scope_to_user(CallLog.objects.all(), owner).exists()


def test_api_lists_only_scoped_calls(floor, client):
    client.force_login(floor["vera"].user)
    response = client.get("/api/calls/")
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert {row["manager"] for row in response.json()["results"]} == {floor["vera"].pk}


def test_api_refuses_a_call_outside_scope(floor, client):
    foreign = CallLog.objects.filter(manager=floor["gleb"]).first()
    client.force_login(floor["head_north"].user)
    assert client.get(f"/api/calls/{foreign.pk}/").status_code == 404


def test_admin_call_list_is_scoped_for_a_sales_head(floor, client):
    # The role's group gives the admin permission; the selector decides which rows.
    manager_set_role(manager=floor["head_south"], role=Role.SALES_HEAD)
    client.force_login(floor["head_south"].user)
    response = client.get("/admin/salesops/calllog/")
    assert response.status_code == 200
    shown = {call.manager_id for call in response.context["cl"].queryset}
    assert shown == {floor["vera"].pk, floor["gleb"].pk}
