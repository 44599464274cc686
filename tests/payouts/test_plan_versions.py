"""SPEC §4: plans are versioned with effective dates; a change never reaches back."""

import datetime
from decimal import Decimal

import pytest

from payouts.models import ComponentKind, PlanAssignment, PlanComponent
from payouts.services import plan_version_revise
from tests.factories import ManagerFactory, TeamFactory
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import compute, moscow, total

pytestmark = pytest.mark.django_db
MARCH, JUNE = datetime.date(2026, 3, 1), datetime.date(2026, 6, 1)


def test_a_plan_change_mid_year_does_not_change_an_earlier_month():
    team = TeamFactory()
    anna = ManagerFactory(team=team)
    version = plan_for(anna, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
    calls(anna, 10, started_at=moscow(2026, 3, 10, 10, 0), talk_s=30, duration_s=40)
    calls(anna, 10, started_at=moscow(2026, 6, 10, 10, 0), talk_s=30, duration_s=40)
    revised = plan_version_revise(version=version, effective_from=JUNE)
    PlanComponent.objects.filter(version=revised).update(rate=Decimal("25"))

    assert total(compute(MARCH, team), anna) == Decimal("100.00")
    assert total(compute(JUNE, team), anna) == Decimal("250.00")
    # Recomputing March after the change still uses March's version.
    assert total(compute(MARCH, team), anna) == Decimal("100.00")
    assert revised.number == version.number + 1


def test_a_managers_own_plan_wins_over_the_teams():
    team = TeamFactory()
    anna, boris = ManagerFactory(team=team), ManagerFactory(team=team)
    team_version = plan_for(boris, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("1")})
    PlanAssignment.objects.filter(manager=boris).delete()
    PlanAssignment.objects.create(plan=team_version.plan, team=team,
                                  effective_from=datetime.date(2026, 1, 1))
    plan_for(anna, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("7")})
    for person in (anna, boris):
        calls(person, 10, started_at=moscow(2026, 3, 10, 10, 0), talk_s=30, duration_s=40)
    run = compute(MARCH, team)
    assert (total(run, anna), total(run, boris)) == (Decimal("70.00"), Decimal("10.00"))
