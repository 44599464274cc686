"""One team's November, computed by the engine: Anna (a manager) with calls, a confirmed lead,
a payment and a plan; Boris (another manager of the team) with calls; their sales head."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from leads.models import MilestoneKind
from payouts.models import BaseMode, ComponentKind, PayoutRun
from salesops.imports.stats import daily_stats_refresh
from salesops.models import ROLE_GROUPS, Outcome, Role
from salesops.periods import organisation_zone
from tests.factories import (
    CallFactory,
    LeadFactory,
    LeadMilestoneFactory,
    MonthlyPlanFactory,
    PaymentFactory,
    TeamFactory,
)
from tests.payouts.factories import person, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow

PASSWORD = "secret-pass-123"
PLAN = (
    {"kind": ComponentKind.PER_MINUTE, "rate": Decimal("6.00")},
    {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10.00")},
    {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500.00")},
    {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")},
    {"kind": ComponentKind.PLAN_BASE, "amount": Decimal("20000.00"),
     "base_mode": BaseMode.LINEAR, "floor_percent": Decimal("50")},
)


@dataclass
class Month:
    team: object
    head: object
    anna: object
    boris: object
    run: PayoutRun
    calls: list


def build_month(*, anna_calls: int = 12) -> Month:
    # A transactional test (the browser's) starts from an empty database: the role groups a
    # migration makes are gone, and manager_create puts each person in one.
    for name in ROLE_GROUPS.values():
        Group.objects.get_or_create(name=name)
    team = TeamFactory(code="north", name="North")
    head = person(Role.SALES_HEAD, team, username="head")
    anna = person(Role.MANAGER, team, username="anna")
    anna.user.first_name, anna.user.last_name = "Anna", "Petrova"
    anna.user.save()
    boris = person(Role.MANAGER, team, username="boris")
    for manager in (anna, boris):
        plan_for(manager, *PLAN)
        MonthlyPlanFactory(manager=manager, month=NOVEMBER, target_conversations=20,
                           target_confirmed_leads=2, target_revenue=Decimal("100000.00"))
    calls = [
        CallFactory(manager=anna, started_at=moscow(2026, 11, 2 + n % 10, 10, n), duration_s=120,
                    talk_s=90, wrapup_s=30, outcome=Outcome.PRESENTATION,
                    recording_url=f"https://pbx.example/rec/{n}.mp3")
        for n in range(anna_calls)
    ]
    CallFactory(manager=boris, started_at=moscow(2026, 11, 3, 11, 0), talk_s=60)
    lead = LeadFactory(owner=anna, phone="+79160000001")
    LeadMilestoneFactory(lead=lead, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 11, 5, 12, 0))
    PaymentFactory(lead=lead, amount=Decimal("30000.00"), received_on=datetime.date(2026, 11, 9))
    # What an import does after loading calls: the dashboard's daily figures.
    zone = organisation_zone()
    daily_stats_refresh(pairs={(anna.pk, c.started_at.astimezone(zone).date()) for c in calls}
                        | {(boris.pk, datetime.date(2026, 11, 3))})
    run = compute(NOVEMBER, team)
    return Month(team, head, anna, boris, run, calls)


@pytest.fixture
def month(db):
    return build_month()
