"""The sales floor's month is split as pay splits it (SPEC §1 dated membership): a row per
person and team for the days spent in it, each team's head seeing the days of their team."""

import datetime

import pytest
import time_machine

from salesops.imports.stats import daily_stats_refresh
from salesops.inputs.membership import membership_transfer
from salesops.models import Role
from tests.factories import TeamFactory
from tests.payouts.factories import calls, person
from tests.payouts.helpers import moscow

pytestmark = pytest.mark.django_db
NOV_10, NOV_20 = datetime.date(2026, 11, 10), datetime.date(2026, 11, 20)


@pytest.fixture
def moved():
    """Anna, in the north team until 15 November and in the south team from the 16th: three
    calls of hers on the 10th, two on the 20th."""
    north, south = TeamFactory(code="north", name="North"), TeamFactory(code="south",
                                                                         name="South")
    anna = person(Role.MANAGER, north, username="anna")
    calls(anna, 3, started_at=moscow(2026, 11, 10, 10, 0), talk_s=30, duration_s=40)
    calls(anna, 2, started_at=moscow(2026, 11, 20, 10, 0), talk_s=30, duration_s=40)
    daily_stats_refresh(pairs={(anna.pk, NOV_10), (anna.pk, NOV_20)})
    with time_machine.travel(moscow(2026, 12, 2, 10, 0), tick=False):
        membership_transfer(manager=anna, team=south, since=datetime.date(2026, 11, 16),
                            by=person(Role.ADMIN).user, reason="moved to the south team")
    return {"anna": anna, "north": north, "south": south,
            "north head": person(Role.SALES_HEAD, north),
            "south head": person(Role.SALES_HEAD, south),
            "owner": person(Role.OWNER)}


def _floor(client, user):
    client.force_login(user)
    response = client.get("/?floor=1&month=2026-11", HTTP_ACCEPT_LANGUAGE="en")
    rows = [(row.manager.user.username, row.team.code, row.start, row.end, row.calls,
             row.conversations) for row in response.context["page"]]
    return rows, response.content.decode()


def test_each_head_sees_the_days_a_moved_person_spent_in_their_team(client, moved):
    north, text = _floor(client, moved["north head"].user)
    assert north == [("anna", "north", datetime.date(2026, 11, 1), datetime.date(2026, 11, 16),
                      3, 3)]
    assert "1 November – 15 November" in text
    south, _text = _floor(client, moved["south head"].user)
    assert south == [("anna", "south", datetime.date(2026, 11, 16), datetime.date(2026, 12, 1),
                      2, 2)]


def test_the_owner_sees_both_shares_and_they_add_up_to_the_month(client, moved):
    rows, _text = _floor(client, moved["owner"].user)
    assert rows == [
        ("anna", "north", datetime.date(2026, 11, 1), datetime.date(2026, 11, 16), 3, 3),
        ("anna", "south", datetime.date(2026, 11, 16), datetime.date(2026, 12, 1), 2, 2),
    ]


def test_a_person_sees_their_own_shares_only(client, moved):
    rows, _text = _floor(client, moved["anna"].user)
    assert [(team, calls) for _name, team, _start, _end, calls, _conv in rows] == [
        ("north", 3), ("south", 2)]


def test_a_month_spent_in_one_team_is_one_row_without_dates(client, moved):
    client.force_login(moved["south head"].user)
    response = client.get("/?floor=1&month=2026-12", HTTP_ACCEPT_LANGUAGE="en")
    (row,) = response.context["page"]
    assert (row.manager, row.whole_month, row.calls) == (moved["anna"], True, 0)
    assert "1 December –" not in response.content.decode()
