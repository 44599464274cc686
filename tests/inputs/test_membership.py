"""SPEC §1: team membership is dated. A transfer takes effect on a day; the month is split into
each team's share; a transfer never reaches into a locked month."""

import datetime

import pytest
import time_machine

from salesops.inputs import MonthLocked, period_lock
from salesops.inputs.membership import (
    Share,
    membership_transfer,
    memberships_apply_due,
    shares_in_month,
    teams_on_days,
)
from salesops.models import AuditEntry, PayoutInputChange, Role, TeamMembership
from tests.factories import TeamFactory
from tests.payouts.factories import person
from tests.payouts.helpers import DECEMBER, NOVEMBER, moscow

pytestmark = pytest.mark.django_db
OCTOBER = datetime.date(2026, 10, 1)


@pytest.fixture
def north():
    return TeamFactory(code="north", name="North")


@pytest.fixture
def south():
    return TeamFactory(code="south", name="South")


@pytest.fixture
def anna(north):
    return person(Role.MANAGER, north, username="anna")


@time_machine.travel(moscow(2026, 11, 20, 10, 0), tick=False)
def test_a_transfer_splits_the_month_into_each_teams_share(anna, north, south):
    admin = person(Role.ADMIN)
    membership_transfer(manager=anna, team=south, since=datetime.date(2026, 11, 16),
                        by=admin.user, reason="moved to the south team")
    assert shares_in_month(month=NOVEMBER, manager_ids=[anna.pk]) == [
        Share(anna.pk, north.pk, datetime.date(2026, 11, 1), datetime.date(2026, 11, 16)),
        Share(anna.pk, south.pk, datetime.date(2026, 11, 16), datetime.date(2026, 12, 1)),
    ]
    assert shares_in_month(month=OCTOBER, manager_ids=[anna.pk]) == [
        Share(anna.pk, north.pk, datetime.date(2026, 10, 1), datetime.date(2026, 11, 1))]
    assert teams_on_days({(anna.pk, datetime.date(2026, 11, 15)),
                          (anna.pk, datetime.date(2026, 11, 16))}) == {
        (anna.pk, datetime.date(2026, 11, 15)): north.pk,
        (anna.pk, datetime.date(2026, 11, 16)): south.pk}
    anna.refresh_from_db()
    assert anna.team == south


@time_machine.travel(moscow(2026, 11, 20, 10, 0), tick=False)
def test_a_transfer_is_audited_and_marks_the_months_it_moves(anna, north, south):
    admin = person(Role.ADMIN)
    membership_transfer(manager=anna, team=south, since=datetime.date(2026, 10, 20),
                        by=admin.user, reason="moved in October")
    assert set(PayoutInputChange.objects.values_list("manager_id", "month")) == {
        (anna.pk, OCTOBER), (anna.pk, NOVEMBER)}
    entry = AuditEntry.objects.get(action="membership_changed")
    assert (entry.object_id, entry.by, entry.before, entry.after, entry.comment) == (
        anna.pk, admin.user, {"team": north.pk}, {"team": south.pk, "since": "2026-10-20"},
        "moved in October")


@time_machine.travel(moscow(2026, 12, 3, 10, 0), tick=False)
def test_a_transfer_into_a_locked_month_is_refused_and_nothing_changes(anna, north, south):
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    with pytest.raises(MonthLocked, match="locked"):
        membership_transfer(manager=anna, team=south, since=datetime.date(2026, 11, 20))
    anna.refresh_from_db()
    assert anna.team == north
    assert list(TeamMembership.objects.filter(manager=anna).values_list("team", "since")) == [
        (north.pk, datetime.date(2026, 1, 1))]
    assert not PayoutInputChange.objects.exists()
    assert not AuditEntry.objects.filter(action="membership_changed").exists()
    # From the first day of the next open month it is a plain move.
    membership_transfer(manager=anna, team=south, since=DECEMBER)
    anna.refresh_from_db()
    assert anna.team == south


def test_a_transfer_into_a_month_locked_for_the_new_team_is_refused(anna, north, south):
    period_lock(team_id=south.pk, month=NOVEMBER, status="paid")
    with pytest.raises(MonthLocked):
        membership_transfer(manager=anna, team=south, since=datetime.date(2026, 11, 20))
    assert shares_in_month(month=NOVEMBER, manager_ids=[anna.pk])[0].team_id == north.pk


@time_machine.travel(moscow(2026, 11, 20, 10, 0), tick=False)
def test_a_move_recorded_ahead_of_its_day_takes_effect_on_that_day(anna, north, south):
    membership_transfer(manager=anna, team=south, since=DECEMBER)
    anna.refresh_from_db()
    assert anna.team == north
    assert memberships_apply_due(today=datetime.date(2026, 11, 30)) == 0
    assert memberships_apply_due(today=DECEMBER) == 1
    anna.refresh_from_db()
    assert anna.team == south


def test_a_role_change_with_another_team_moves_the_person_from_today(anna, north, south):
    from salesops.services import manager_set_role

    owner = person(Role.OWNER)
    manager_set_role(manager=anna, role=Role.SALES_HEAD, team=south, by=owner.user)
    today = datetime.datetime.now(moscow(2026, 1, 1, 0, 0).tzinfo).date()
    assert list(TeamMembership.objects.filter(manager=anna).order_by("since")
                .values_list("team", "since")) == [(north.pk, datetime.date(2026, 1, 1)),
                                                   (south.pk, today)]
    anna.refresh_from_db()
    assert (anna.role, anna.team) == (Role.SALES_HEAD, south)
