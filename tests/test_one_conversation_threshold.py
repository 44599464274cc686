"""SPEC §2, §7: a conversation shown anywhere is a conversation pay counts — the threshold of
the manager's plan for that month, the default only for a manager with no plan."""

import datetime
from decimal import Decimal

import pytest

from payouts.engine.plans import plan_versions_for
from payouts.models import ComponentKind, LineKind, PayoutLine
from payouts.thresholds import conversation_thresholds
from salesops.imports.stats import daily_stats_refresh
from salesops.models import CONVERSATION_THRESHOLD_S, DailyManagerStats
from tests.factories import CallFactory, ManagerFactory
from tests.payouts.factories import PlanAssignmentFactory, PlanVersionFactory, plan_for
from tests.payouts.helpers import DECEMBER, NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db
TALKS = (14, 15, 20, 24, 25, 40)  # seconds of talk of one day's calls


def _day_of_calls(manager, day=5):
    for talk in TALKS:
        CallFactory(manager=manager, started_at=moscow(2026, 11, day, 10, 0),
                    duration_s=60, talk_s=talk)
    # What the import of these calls keeps for the pages: the day's figures.
    daily_stats_refresh(pairs={(manager.pk, datetime.date(2026, 11, day))})


@pytest.fixture
def paid_at_25s(team):
    """A manager on a 25-second plan, paid 10 per conversation."""
    manager = ManagerFactory(team=team)
    plan_for(manager, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")},
             conversation_threshold_s=25)
    _day_of_calls(manager)
    return manager


def test_a_manager_on_a_25s_plan_sees_on_the_home_page_the_conversations_he_is_paid_for(
    client, team, paid_at_25s
):
    paid = PayoutLine.objects.get(
        run=compute(NOVEMBER, team), manager=paid_at_25s, kind=LineKind.PER_CONVERSATION
    ).quantity
    client.force_login(paid_at_25s.user)
    rows = list(client.get("/?floor=1&month=2026-11").context["page"])
    assert [(row.manager, row.conversations) for row in rows] == [(paid_at_25s, 2)]
    assert paid == Decimal("2")


def test_a_manager_without_a_plan_counts_conversations_from_the_default_threshold(
    client, team, paid_at_25s
):
    planless = ManagerFactory(team=team)
    _day_of_calls(planless)
    client.force_login(ManagerFactory(team=team, sales_head=True).user)
    rows = client.get("/?floor=1&month=2026-11").context["page"]
    assert {row.manager: row.conversations for row in rows} == {paid_at_25s: 2, planless: 5}
    assert CONVERSATION_THRESHOLD_S == 15


def test_daily_statistics_count_conversations_by_the_plan_threshold(team, paid_at_25s):
    planless = ManagerFactory(team=team)
    _day_of_calls(planless)
    day = datetime.date(2026, 11, 5)
    daily_stats_refresh(pairs={(paid_at_25s.pk, day), (planless.pk, day)})
    assert dict(DailyManagerStats.objects.values_list("manager", "conversations")) == {
        paid_at_25s.pk: 2, planless.pk: 5,
    }


def test_the_threshold_follows_the_plan_version_of_each_month_as_pay_finds_it(team):
    own = ManagerFactory(team=team)
    by_team = ManagerFactory(team=team)
    planless = ManagerFactory()
    version = plan_for(own, conversation_threshold_s=25)
    PlanVersionFactory(plan=version.plan, effective_from=DECEMBER, conversation_threshold_s=30)
    team_version = PlanVersionFactory(conversation_threshold_s=20)
    PlanAssignmentFactory(plan=team_version.plan, team=team)
    # A later team assignment does not beat the manager's own one.
    PlanAssignmentFactory(plan=PlanVersionFactory(conversation_threshold_s=45).plan, team=team,
                          effective_from=NOVEMBER)
    people = [own, by_team, planless]
    thresholds = conversation_thresholds(manager_ids=[m.pk for m in people],
                                         months=[NOVEMBER, DECEMBER])
    assert thresholds == {
        (own.pk, NOVEMBER): 25, (own.pk, DECEMBER): 30,
        (by_team.pk, NOVEMBER): 45, (by_team.pk, DECEMBER): 45,
        (planless.pk, NOVEMBER): 15, (planless.pk, DECEMBER): 15,
    }
    for month in (NOVEMBER, DECEMBER):
        versions = plan_versions_for(managers=people, month=month)
        assert {
            m.pk: versions[m.pk].conversation_threshold_s if versions[m.pk]
            else CONVERSATION_THRESHOLD_S
            for m in people
        } == {m.pk: thresholds[(m.pk, month)] for m in people}


def test_thresholds_are_one_query_per_month_whatever_the_number_of_managers(
    team, django_assert_num_queries
):
    people = [ManagerFactory(team=team) for _ in range(6)]
    for manager in people[:3]:
        plan_for(manager, conversation_threshold_s=25)
    with django_assert_num_queries(2):
        thresholds = conversation_thresholds(manager_ids=[m.pk for m in people],
                                             months=[NOVEMBER, DECEMBER])
    assert sorted(thresholds.values()) == [15] * 6 + [25] * 6


def test_the_floor_counts_by_the_plan_in_force_even_before_the_next_computation(
    client, team, paid_at_25s
):
    version = plan_versions_for(managers=[paid_at_25s], month=NOVEMBER)[paid_at_25s.pk]
    version.conversation_threshold_s = 15  # the day was counted at 25 s by its import
    version.save()
    client.force_login(paid_at_25s.user)
    rows = list(client.get("/?floor=1&month=2026-11").context["page"])
    assert [(row.manager, row.calls, row.conversations) for row in rows] == [
        (paid_at_25s, 6, 5)]


def test_a_plan_threshold_changed_after_the_import_is_counted_by_the_next_computation(
    client, team, paid_at_25s
):
    day = datetime.date(2026, 11, 5)
    daily_stats_refresh(pairs={(paid_at_25s.pk, day)})
    assert DailyManagerStats.objects.get(manager=paid_at_25s).conversations == 2
    version = plan_versions_for(managers=[paid_at_25s], month=NOVEMBER)[paid_at_25s.pk]
    version.conversation_threshold_s = 15  # before the month is approved
    version.save()
    paid = PayoutLine.objects.get(
        run=compute(NOVEMBER, team), manager=paid_at_25s, kind=LineKind.PER_CONVERSATION
    ).quantity
    shown = DailyManagerStats.objects.get(manager=paid_at_25s)
    assert (shown.conversations, shown.threshold_s, paid) == (5, 15, Decimal("5"))
