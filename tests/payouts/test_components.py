"""SPEC §4 components beyond the worked examples, and SPEC §6 never-pay-twice rules."""

import datetime
from decimal import Decimal

import pytest

from leads.models import LeadSource, MilestoneKind
from payouts.models import BaseMode, ComponentKind, PaidItem, PayoutLine, TeamMetric
from salesops.models import Role
from tests.factories import (
    LeadFactory,
    LeadMilestoneFactory,
    ManagerFactory,
    MonthlyPlanFactory,
    PartnerFactory,
    PaymentFactory,
    WorkShiftFactory,
)
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import DECEMBER, NOVEMBER, amounts, compute, moscow, total

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(team):
    return ManagerFactory(team=team)


def test_per_hour_pays_rate_times_shift_hours(team, anna):
    plan_for(anna, {"kind": ComponentKind.PER_HOUR, "rate": Decimal("250")})
    start = moscow(2026, 11, 2, 9, 0)
    WorkShiftFactory(manager=anna, started_at=start, ended_at=start + datetime.timedelta(hours=8))
    later = moscow(2026, 11, 3, 9, 0)
    WorkShiftFactory(manager=anna, started_at=later,
                     ended_at=later + datetime.timedelta(hours=3, minutes=20))
    line = PayoutLine.objects.get(run=compute(NOVEMBER, team), manager=anna)
    assert (line.quantity, line.amount) == (Decimal("11.3333"), Decimal("2833.33"))


def test_component_cap_is_its_own_negative_line(team, anna):
    plan_for(anna, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10"),
                    "cap": Decimal("500.00")})
    calls(anna, 70, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=40)
    run = compute(NOVEMBER, team)
    assert amounts(run, anna) == {
        ("per_conversation", ""): Decimal("700.00"),
        ("per_conversation", "cap"): Decimal("-200.00"),
    }


def test_monthly_cap_limits_the_month_total(team, anna):
    plan_for(
        anna,
        {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")},
        {"kind": ComponentKind.PER_MINUTE, "rate": Decimal("1")},
        monthly_cap=Decimal("600.00"),
    )
    calls(anna, 50, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=120)
    run = compute(NOVEMBER, team)
    assert amounts(run, anna) == {
        ("per_conversation", ""): Decimal("500.00"),
        ("per_minute", ""): Decimal("100.00"),
    }
    calls(anna, 10, started_at=moscow(2026, 11, 6, 10, 0), talk_s=30, duration_s=120)
    run = compute(NOVEMBER, team)
    assert amounts(run, anna)[("monthly_cap", "")] == Decimal("-120.00")
    assert total(run, anna) == Decimal("600.00")


def test_team_bonus_pays_the_sales_head_on_team_attainment(team, anna):
    boris = ManagerFactory(team=team)
    head = ManagerFactory(team=team, role=Role.SALES_HEAD)
    plan_for(head, {"kind": ComponentKind.TEAM_BONUS, "amount": Decimal("30000.00"),
                    "base_mode": BaseMode.LINEAR, "floor_percent": Decimal("80"),
                    "team_metric": TeamMetric.CONVERSATIONS})
    for person, count in ((anna, 90), (boris, 80)):
        MonthlyPlanFactory(manager=person, month=NOVEMBER, target_conversations=100)
        calls(person, count, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=40)
    run = compute(NOVEMBER, team)
    line = PayoutLine.objects.get(run=run, manager=head)
    assert (line.kind, line.quantity, line.amount) == (
        "team_bonus", Decimal("0.8500"), Decimal("25500.00")
    )


def test_team_bonus_as_percent_of_revenue_needs_the_floor(team, anna):
    head = ManagerFactory(team=team, role=Role.SALES_HEAD)
    plan_for(head, {"kind": ComponentKind.TEAM_BONUS, "rate": Decimal("2"),
                    "base_mode": BaseMode.ALL_OR_NOTHING, "team_metric": TeamMetric.REVENUE})
    MonthlyPlanFactory(manager=anna, month=NOVEMBER, target_revenue=Decimal("100000.00"))
    PaymentFactory(lead__owner=anna, amount=Decimal("99999.99"))
    assert amounts(compute(NOVEMBER, team), head) == {("team_bonus", ""): Decimal("0.00")}
    PaymentFactory(lead__owner=anna, amount=Decimal("50000.01"))
    assert amounts(compute(NOVEMBER, team), head) == {("team_bonus", ""): Decimal("3000.00")}


def test_owner_routed_lead_earns_the_plans_rate_by_default(team, anna):
    plan_for(anna, {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")})
    PaymentFactory(lead__owner=anna, lead__source=LeadSource.OWNER_ROUTED,
                   amount=Decimal("500000.00"))
    assert amounts(compute(NOVEMBER, team), anna) == {
        ("revenue_percent", "owner_routed"): Decimal("50000.00")
    }


def test_revenue_rate_differs_by_lead_source(team, anna):
    plan_for(anna, {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10"),
                    "rates": [{"lead_source": LeadSource.INBOUND, "rate": Decimal("3")}]})
    PaymentFactory(lead__owner=anna, lead__source=LeadSource.COLD_CALL,
                   amount=Decimal("1000.05"))
    PaymentFactory(lead__owner=anna, lead__source=LeadSource.INBOUND, amount=Decimal("1000.00"))
    PaymentFactory(lead__owner=anna, lead__source=LeadSource.PARTNER_REFERRED,
                   lead__partner=PartnerFactory(), amount=Decimal("10.00"))
    assert amounts(compute(NOVEMBER, team), anna) == {
        ("revenue_percent", "cold_call"): Decimal("100.01"),
        ("revenue_percent", "inbound"): Decimal("30.00"),
        ("revenue_percent", "partner_referred"): Decimal("1.00"),
    }


def test_refund_reverses_the_revenue_percent_it_earned(team, anna):
    plan_for(anna, {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")})
    paid = PaymentFactory(lead__owner=anna, amount=Decimal("20000.00"),
                          received_on=datetime.date(2026, 11, 20))
    PaymentFactory(lead=paid.lead, amount=Decimal("-20000.00"), refund_of=paid,
                   received_on=datetime.date(2026, 12, 5))
    assert amounts(compute(NOVEMBER, team), anna) == {
        ("revenue_percent", "cold_call"): Decimal("2000.00")
    }
    assert amounts(compute(DECEMBER, team), anna) == {
        ("revenue_percent", "refund:cold_call"): Decimal("-2000.00")
    }


def test_a_lead_pays_its_milestone_once_even_if_confirmed_again(team, anna):
    plan_for(anna, {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")})
    lead = LeadFactory(owner=anna)
    LeadMilestoneFactory(lead=lead, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 11, 3, 10, 0))
    LeadMilestoneFactory(lead=lead, kind=MilestoneKind.LOST, at=moscow(2026, 11, 20, 10, 0))
    LeadMilestoneFactory(lead=lead, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 12, 2, 10, 0))
    assert total(compute(NOVEMBER, team), anna) == Decimal("500.00")
    assert total(compute(DECEMBER, team), anna) == Decimal("0.00")
    assert PaidItem.objects.filter(item_id=lead.pk, item_kind="lead").count() == 1


def test_a_lead_marked_fake_within_60_days_is_clawed_back_next_month(team, anna):
    plan_for(anna, {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")})
    lead = LeadFactory(owner=anna)
    LeadMilestoneFactory(lead=lead, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 11, 25, 10, 0))
    assert total(compute(NOVEMBER, team), anna) == Decimal("500.00")
    LeadMilestoneFactory(lead=lead, kind=MilestoneKind.FAKE, at=moscow(2026, 12, 10, 10, 0))
    assert amounts(compute(DECEMBER, team), anna) == {
        ("per_confirmed_lead", "clawback"): Decimal("-500.00")
    }
    # Computing again claws back once, not twice (SPEC §6.4).
    assert total(compute(DECEMBER, team), anna) == Decimal("-500.00")


def test_a_lead_marked_fake_after_the_window_is_not_clawed_back(team, anna):
    plan_for(anna, {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")})
    lead = LeadFactory(owner=anna)
    LeadMilestoneFactory(lead=lead, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 11, 1, 10, 0))
    compute(NOVEMBER, team)
    LeadMilestoneFactory(lead=lead, kind=MilestoneKind.FAKE, at=moscow(2027, 1, 2, 10, 0))
    assert amounts(compute(datetime.date(2027, 1, 1), team), anna) == {}


def test_arrived_client_pays_per_lead_first_arrived_in_the_month(team, anna):
    plan_for(anna, {"kind": ComponentKind.PER_ARRIVED_CLIENT, "rate": Decimal("1500")})
    for day in (3, 4):
        LeadMilestoneFactory(lead__owner=anna, kind=MilestoneKind.ARRIVED,
                             at=moscow(2026, 11, day, 10, 0))
    LeadMilestoneFactory(lead__owner=anna, kind=MilestoneKind.CONFIRMED,
                         at=moscow(2026, 11, 5, 10, 0))
    assert amounts(compute(NOVEMBER, team), anna) == {
        ("per_arrived_client", ""): Decimal("3000.00")
    }
