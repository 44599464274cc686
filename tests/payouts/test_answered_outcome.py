"""The ``answered`` outcome (SPEC §2): an answered call whose dialog status nobody gave is
stored as answered; existing plans pay it at their secretary rate; figures stored before it
existed are read with their old numbers."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from payouts.engine.figures import MonthFacts
from salesops.models import Outcome

BEFORE = [("salesops", "0009_daily_stats_threshold"),
          ("payouts", "0010_locked_run_rows_checked_per_statement")]
AFTER = [("salesops", "0010_answered_outcome"), ("payouts", "0011_answered_outcome_rates")]


def test_answered_lies_between_no_answer_and_secretary():
    assert [o.name for o in sorted(Outcome)] == [
        "NO_ANSWER", "ANSWERED", "SECRETARY", "DECISION_MAKER", "PRESENTATION", "CONSENT"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_stored_outcomes_and_gives_plans_an_answered_rate():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    StatusMapping = old.get_model("salesops", "StatusMapping")
    StatusMapping.objects.update_or_create(preset="", value="answered", defaults={"outcome": 1})
    StatusMapping.objects.update_or_create(preset="", value="секретарь",
                                           defaults={"outcome": 1})
    StatusMapping.objects.update_or_create(preset="", value="my consent word",
                                           defaults={"outcome": 4})
    Plan = old.get_model("payouts", "CompensationPlan")
    Version = old.get_model("payouts", "PlanVersion")
    Component = old.get_model("payouts", "PlanComponent")
    Rate = old.get_model("payouts", "ComponentRate")
    version = Version.objects.create(plan=Plan.objects.create(code="dm", name="dm"), number=1,
                                     effective_from=datetime.date(2026, 1, 1))
    component = Component.objects.create(version=version, kind="differentiated_minutes")
    for outcome, rate in ((0, "2"), (1, "4"), (2, "8"), (4, "12")):  # 1 was secretary
        Rate.objects.create(component=component, outcome=outcome, rate=Decimal(rate))

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    mappings = dict(new.get_model("salesops", "StatusMapping").objects.filter(
        preset="", value__in=["answered", "секретарь", "my consent word"]
    ).values_list("value", "outcome"))
    assert mappings == {"answered": Outcome.ANSWERED, "секретарь": Outcome.SECRETARY,
                        "my consent word": Outcome.CONSENT}
    rates = dict(new.get_model("payouts", "ComponentRate").objects.filter(
        component_id=component.pk).values_list("outcome", "rate"))
    assert rates == {Outcome.NO_ANSWER: Decimal("2"), Outcome.ANSWERED: Decimal("4"),
                     Outcome.SECRETARY: Decimal("4"), Outcome.DECISION_MAKER: Decimal("8"),
                     Outcome.CONSENT: Decimal("12")}
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())


def test_figures_stored_before_answered_existed_are_read_with_their_old_outcomes():
    stored = {  # a run member's figures as version 1 wrote them (positional, old numbers)
        "calls": {"threshold_s": 15, "count": 3, "operator_s": 300, "operator_min_up": 6,
                  "conversations": 2, "effective": 1, "max_id": 9,
                  "by_outcome": {"0": [30, 1], "1": [70, 2], "2": [0, 0], "3": [0, 0],
                                 "4": [200, 4]}},
        "shifts": [1, 3600, 5],
        "milestones": {"confirmed": [[7, 70, "2026-11-03T10:00:00+00:00", "", None, None]],
                       "arrived": []},
        "clawbacks": [],
        "payments": [[5, 7, "cold_call", "1000.00", False, ""]],
        "exceptions": [],
        "plan": [100, 5, "50000.00"],
    }
    facts = MonthFacts.from_json(stored)
    assert facts.calls.by_outcome[Outcome.SECRETARY].operator_s == 70
    assert facts.calls.by_outcome[Outcome.ANSWERED].operator_s == 0
    assert facts.calls.by_outcome[Outcome.CONSENT].operator_s == 200
    assert (facts.shifts.count, facts.shifts.seconds) == (1, 3600)
    assert facts.milestones["confirmed"][0].lead == 7
    assert facts.payments[0].amount == Decimal("1000.00")
    assert facts.payments[0].refund_of is None  # a field added since: its default
    assert (facts.plan.conversations, facts.plan.revenue) == (100, Decimal("50000.00"))
    # Written again, it is keyed and names its version and its outcomes.
    again = facts.to_json()
    assert again["version"] == 2
    assert again["calls"]["by_outcome"]["secretary"] == {"operator_s": 70, "operator_min_up": 2}
    assert MonthFacts.from_json(again) == facts
