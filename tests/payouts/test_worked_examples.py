"""SPEC §8 worked examples 1–5, 8 and 9, to the kopeck."""

import datetime
from decimal import Decimal

import pytest

from leads.models import MilestoneKind
from payouts.lifecycle import payout_run_approve
from payouts.models import BaseMode, ComponentKind, MinuteRounding, PayoutLine
from salesops.inputs import mark_days
from salesops.models import Outcome
from tests.factories import (
    CallFactory,
    LeadMilestoneFactory,
    ManagerFactory,
    MonthlyPlanFactory,
    PaymentFactory,
)
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import DECEMBER, NOVEMBER, amounts, compute, moscow, total

pytestmark = pytest.mark.django_db
IN_NOVEMBER = moscow(2026, 11, 10, 12, 0)

MIXED_SCHEME = (
    {"kind": ComponentKind.PLAN_BASE, "amount": Decimal("40000.00"),
     "base_mode": BaseMode.LINEAR, "floor_percent": Decimal("50")},
    {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")},
)


@pytest.fixture
def anna(team):
    return ManagerFactory(team=team)


def _mixed_scheme_month(anna, conversations: int):
    plan_for(anna, *MIXED_SCHEME, conversation_threshold_s=15)
    MonthlyPlanFactory(manager=anna, month=NOVEMBER, target_conversations=1200)
    calls(anna, conversations, started_at=IN_NOVEMBER, duration_s=40, talk_s=15)
    calls(anna, 50, started_at=IN_NOVEMBER, duration_s=20, talk_s=14)  # not conversations
    for day in range(1, 15):
        LeadMilestoneFactory(lead__owner=anna, kind=MilestoneKind.CONFIRMED,
                             at=moscow(2026, 11, day, 15, 0))


def test_example_1_mixed_scheme_pays_43000(team, anna):
    _mixed_scheme_month(anna, 1080)
    run = compute(NOVEMBER, team)
    assert amounts(run, anna) == {
        ("plan_base", ""): Decimal("36000.00"),
        ("per_confirmed_lead", ""): Decimal("7000.00"),
    }
    assert total(run, anna) == Decimal("43000.00")


def test_example_1_below_the_floor_base_pays_0(team, anna):
    _mixed_scheme_month(anna, 540)
    run = compute(NOVEMBER, team)
    assert amounts(run, anna)[("plan_base", "")] == Decimal("0.00")
    assert total(run, anna) == Decimal("7000.00")


OPERATOR_SECONDS = (30, 14, 15, 95, 600)


@pytest.mark.parametrize(
    ("rounding", "expected_minutes", "expected"),
    [
        (MinuteRounding.EXACT, Decimal("12.5667"), Decimal("75.40")),
        (MinuteRounding.PER_CALL_UP, Decimal("15.0000"), Decimal("90.00")),
    ],
)
def test_example_2_per_minute_exact_pays_75_40_and_per_call_rounding_up_pays_90(
    team, anna, rounding, expected_minutes, expected
):
    plan_for(anna, {"kind": ComponentKind.PER_MINUTE, "rate": Decimal("6")},
             minute_rounding=rounding)
    # Operator seconds are duration + wrap-up (SPEC §2): 95 s is split across both.
    for seconds in OPERATOR_SECONDS:
        wrapup = 20 if seconds == 95 else 0
        CallFactory(manager=anna, started_at=IN_NOVEMBER, duration_s=seconds - wrapup,
                    talk_s=0, wrapup_s=wrapup)
    run = compute(NOVEMBER, team)
    line = PayoutLine.objects.get(run=run, manager=anna)
    assert (line.quantity, line.rate, line.amount) == (expected_minutes, Decimal("6"), expected)


def test_example_3_differentiated_minutes_pay_105(team, anna):
    plan_for(anna, {
        "kind": ComponentKind.DIFFERENTIATED_MINUTES,
        "rates": [
            {"outcome": Outcome.NO_ANSWER, "rate": Decimal("2")},
            {"outcome": Outcome.SECRETARY, "rate": Decimal("4")},
            {"outcome": Outcome.DECISION_MAKER, "rate": Decimal("8")},
            {"outcome": Outcome.CONSENT, "rate": Decimal("12")},
        ],
    })
    for outcome, duration, wrapup in (
        (Outcome.NO_ANSWER, 30, 0), (Outcome.SECRETARY, 70, 0),
        (Outcome.DECISION_MAKER, 190, 0), (Outcome.CONSENT, 310, 60),
    ):
        CallFactory(manager=anna, started_at=IN_NOVEMBER, outcome=outcome, duration_s=duration,
                    talk_s=0, wrapup_s=wrapup)
    run = compute(NOVEMBER, team)
    assert amounts(run, anna) == {
        ("differentiated_minutes", "no_answer"): Decimal("1.00"),
        ("differentiated_minutes", "secretary"): Decimal("4.67"),
        ("differentiated_minutes", "decision_maker"): Decimal("25.33"),
        ("differentiated_minutes", "consent"): Decimal("74.00"),
    }
    assert total(run, anna) == Decimal("105.00")


def test_example_4_threshold_20_gives_3_conversations_and_2_effective_calls(team, anna):
    plan_for(
        anna,
        {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")},
        {"kind": ComponentKind.PER_EFFECTIVE_CALL, "rate": Decimal("100")},
        conversation_threshold_s=20,
    )
    for talk, outcome in (
        (19, Outcome.CONSENT), (20, Outcome.SECRETARY), (45, Outcome.PRESENTATION),
        (300, Outcome.CONSENT), (0, Outcome.NO_ANSWER),
    ):
        CallFactory(manager=anna, started_at=IN_NOVEMBER, talk_s=talk, duration_s=talk + 10,
                    outcome=outcome)
    run = compute(NOVEMBER, team)
    lines = {line.kind: line for line in PayoutLine.objects.filter(run=run, manager=anna)}
    assert lines["per_conversation"].quantity == Decimal("3")
    assert lines["per_conversation"].amount == Decimal("30.00")
    assert lines["per_effective_call"].quantity == Decimal("2")
    assert lines["per_effective_call"].amount == Decimal("200.00")


def test_example_5_marginal_revenue_tiers_pay_235000(team, anna):
    plan_for(anna, {
        "kind": ComponentKind.REVENUE_PERCENT,
        "tiers": [
            {"from_percent": Decimal("0"), "to_percent": Decimal("100"), "rate": Decimal("10")},
            {"from_percent": Decimal("100"), "to_percent": Decimal("150"), "rate": Decimal("15")},
            {"from_percent": Decimal("150"), "to_percent": None, "rate": Decimal("20")},
        ],
    })
    MonthlyPlanFactory(manager=anna, month=NOVEMBER, target_revenue=Decimal("1000000.00"))
    PaymentFactory(lead__owner=anna, amount=Decimal("1000000.00"),
                   received_on=datetime.date(2026, 11, 3))
    PaymentFactory(lead__owner=anna, amount=Decimal("800000.00"),
                   received_on=datetime.date(2026, 11, 20))
    run = compute(NOVEMBER, team)
    assert amounts(run, anna) == {
        ("revenue_percent", "tier:0.00"): Decimal("100000.00"),
        ("revenue_percent", "tier:100.00"): Decimal("75000.00"),
        ("revenue_percent", "tier:150.00"): Decimal("60000.00"),
    }
    assert total(run, anna) == Decimal("235000.00")


def test_example_8_late_conversations_after_approval_adjust_next_month_by_2000(team, anna):
    head = ManagerFactory(team=team, sales_head=True)
    _mixed_scheme_month(anna, 1080)
    november = payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    # A late import: its calls, and the person-month it feeds marked changed, as an import
    # records its batch (salesops.inputs).
    calls(anna, 60, started_at=moscow(2026, 11, 28, 12, 0), duration_s=40, talk_s=30)
    mark_days(days=[(anna.pk, datetime.date(2026, 11, 28))])

    december = compute(DECEMBER, team)

    assert total(november, anna) == Decimal("43000.00")
    adjustment = PayoutLine.objects.get(run=december, manager=anna, adjusts_month=NOVEMBER)
    assert (adjustment.kind, adjustment.key, adjustment.amount) == (
        "plan_base", "adj:2026-11:", Decimal("2000.00")
    )
    assert adjustment.explanation["adjusts_run"] == november.pk
    assert adjustment.explanation["was"]["amount"] == "36000.00"
    assert adjustment.explanation["now"]["amount"] == "38000.00"


def test_example_9_call_at_2130_utc_on_31_october_is_paid_in_november(team, anna):
    plan_for(anna, {"kind": ComponentKind.PER_MINUTE, "rate": Decimal("6")})
    CallFactory(manager=anna, duration_s=600, talk_s=0,
                started_at=datetime.datetime(2026, 10, 31, 21, 30, tzinfo=datetime.UTC))
    october = compute(datetime.date(2026, 10, 1), team)
    november = compute(NOVEMBER, team)
    assert amounts(october, anna) == {}
    assert amounts(november, anna) == {("per_minute", ""): Decimal("60.00")}
