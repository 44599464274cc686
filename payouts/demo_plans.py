"""Compensation plans for the demo organisation: the seed schemes of SPEC §4 made concrete."""

import datetime
from decimal import Decimal

from leads.models import LeadSource
from salesops.models import Manager, Outcome, Team

from .models import (
    BaseMode,
    CompensationPlan,
    ComponentKind,
    ComponentRate,
    PlanAssignment,
    PlanComponent,
    PlanVersion,
    TeamMetric,
)


def _plan(*, code: str, name: str, effective_from: datetime.date, **version) -> PlanVersion:
    plan = CompensationPlan.objects.create(code=code, name=name)
    return PlanVersion.objects.create(plan=plan, number=1, effective_from=effective_from, **version)


def demo_plans_create(
    *, floor_teams: list[Team], minutes_teams: list[Team], heads: list[Manager],
    effective_from: datetime.date,
) -> None:
    """Three plans: the mixed scheme (base for the conversation plan + per lead + % of revenue),
    differentiated minutes with pay per result, and the sales heads' team bonus."""
    mixed = _plan(
        code="demo-mixed", name="Оклад за план разговоров + заявки + % выручки",
        effective_from=effective_from, conversation_threshold_s=15,
    )
    PlanComponent.objects.create(
        version=mixed, kind=ComponentKind.PLAN_BASE, amount=Decimal("40000.00"),
        base_mode=BaseMode.LINEAR, floor_percent=Decimal("50"),
    )
    PlanComponent.objects.create(
        version=mixed, kind=ComponentKind.PER_CONFIRMED_LEAD, rate=Decimal("500"),
    )
    revenue = PlanComponent.objects.create(
        version=mixed, kind=ComponentKind.REVENUE_PERCENT, rate=Decimal("5"),
    )
    # The partner takes a share of partner-referred revenue, so the manager's is smaller.
    ComponentRate.objects.create(
        component=revenue, lead_source=LeadSource.PARTNER_REFERRED, rate=Decimal("3"),
    )

    minutes = _plan(
        code="demo-minutes", name="Дифференцированные минуты + результат",
        effective_from=effective_from, monthly_cap=Decimal("120000.00"),
    )
    by_outcome = PlanComponent.objects.create(
        version=minutes, kind=ComponentKind.DIFFERENTIATED_MINUTES,
    )
    for outcome, rate in (
        (Outcome.NO_ANSWER, "1"), (Outcome.SECRETARY, "2"), (Outcome.DECISION_MAKER, "4"),
        (Outcome.PRESENTATION, "6"), (Outcome.CONSENT, "8"),
    ):
        ComponentRate.objects.create(component=by_outcome, outcome=outcome, rate=Decimal(rate))
    PlanComponent.objects.create(
        version=minutes, kind=ComponentKind.PER_EFFECTIVE_CALL, rate=Decimal("50"),
    )
    PlanComponent.objects.create(
        version=minutes, kind=ComponentKind.PER_ARRIVED_CLIENT, rate=Decimal("1500"),
    )

    head = _plan(code="demo-head", name="Бонус РОПа за план отдела", effective_from=effective_from)
    PlanComponent.objects.create(
        version=head, kind=ComponentKind.TEAM_BONUS, amount=Decimal("30000.00"),
        base_mode=BaseMode.LINEAR, floor_percent=Decimal("70"),
        team_metric=TeamMetric.CONVERSATIONS,
    )

    PlanAssignment.objects.bulk_create(
        [PlanAssignment(plan=mixed.plan, team=team, effective_from=effective_from)
         for team in floor_teams]
        + [PlanAssignment(plan=minutes.plan, team=team, effective_from=effective_from)
           for team in minutes_teams]
        + [PlanAssignment(plan=head.plan, manager=manager, effective_from=effective_from)
           for manager in heads]
    )
