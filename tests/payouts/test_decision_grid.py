"""Every component kind × every decision on a lead (SPEC §5 exceptions, §6.3 duplicates):
the decision step decides each counted item once, and every builder — marginal revenue tiers
included — pays what it decided.

One month of figures for every kind: a plain lead and a *touched* lead (the one the decision
is about), each with a confirmed and an arrived milestone and a payment, plus calls and a shift.
Components counted per lead (milestones, revenue, revenue in tiers) change with the decision;
components counted from calls, shifts or attainment carry no lead, so a decision on a lead
leaves them paying exactly what they pay without it.
"""

import datetime
from decimal import Decimal

import pytest

from leads.models import DuplicateState, LeadSource, MilestoneKind
from payouts.exceptions import commission_exception_approve, commission_exception_request
from payouts.models import (
    BaseMode,
    ComponentKind,
    Decision,
    ExceptionKind,
    PayoutLine,
    PayoutLineItem,
    TeamMetric,
)
from payouts.selectors import exception_amount_at_stake
from salesops.models import Outcome, Role
from tests.factories import (
    CallFactory,
    LeadFactory,
    LeadMilestoneFactory,
    ManagerFactory,
    MonthlyPlanFactory,
    PartnerFactory,
    PaymentFactory,
    TeamFactory,
    WorkShiftFactory,
)
from tests.payouts.factories import person, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db

DECISIONS = [
    "payable", "pending_exception", "approved_rate", "fixed", "exclusion", "partner_credit",
    "pending_duplicate", "duplicate_kept_elsewhere",
]
TIERS = [
    {"from_percent": Decimal("0"), "to_percent": Decimal("100"), "rate": Decimal("10")},
    {"from_percent": Decimal("100"), "to_percent": Decimal("150"), "rate": Decimal("15")},
    {"from_percent": Decimal("150"), "to_percent": None, "rate": Decimal("20")},
]
# Case → (component, the exception's component kind, the rate an approved "rate" exception
# sets: a percent for revenue, money per lead for a milestone).
PER_LEAD = {
    "per_confirmed_lead": (
        {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")}, Decimal("300")),
    "per_arrived_client": (
        {"kind": ComponentKind.PER_ARRIVED_CLIENT, "rate": Decimal("800")}, Decimal("300")),
    "revenue_percent": (
        {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")}, Decimal("5")),
    "revenue_percent_tiers": (
        {"kind": ComponentKind.REVENUE_PERCENT, "tiers": TIERS}, Decimal("5")),
}
D = Decimal
# (paid, held) for each per-lead case and decision. The plain lead pays 500 / 800 per milestone
# and has 1 300 000 of revenue; the touched lead 500 000. A fixed exception is 7 000.
# Tiers (SPEC §8 ex. 5 bands on a 1 000 000 target): 1 800 000 → 235 000; the plain lead's
# 1 300 000 alone → 100 000 + 45 000 = 145 000; the touched lead held shows what it adds at
# the margin, 235 000 − 145 000 = 90 000; an overridden lead is paid outside the bands.
EXPECTED = {
    "per_confirmed_lead": {
        "payable": (D("1000.00"), D("0.00")),
        "pending_exception": (D("500.00"), D("500.00")),
        "approved_rate": (D("800.00"), D("0.00")),
        "fixed": (D("7500.00"), D("0.00")),
        "exclusion": (D("500.00"), D("0.00")),
        "partner_credit": (D("1000.00"), D("0.00")),
        "pending_duplicate": (D("500.00"), D("500.00")),
        "duplicate_kept_elsewhere": (D("500.00"), D("0.00")),
    },
    "per_arrived_client": {
        "payable": (D("1600.00"), D("0.00")),
        "pending_exception": (D("800.00"), D("800.00")),
        "approved_rate": (D("1100.00"), D("0.00")),
        "fixed": (D("7800.00"), D("0.00")),
        "exclusion": (D("800.00"), D("0.00")),
        "partner_credit": (D("1600.00"), D("0.00")),
        "pending_duplicate": (D("800.00"), D("800.00")),
        "duplicate_kept_elsewhere": (D("800.00"), D("0.00")),
    },
    "revenue_percent": {
        "payable": (D("180000.00"), D("0.00")),
        "pending_exception": (D("130000.00"), D("50000.00")),
        "approved_rate": (D("155000.00"), D("0.00")),
        "fixed": (D("137000.00"), D("0.00")),
        "exclusion": (D("130000.00"), D("0.00")),
        "partner_credit": (D("180000.00"), D("0.00")),
        "pending_duplicate": (D("130000.00"), D("50000.00")),
        "duplicate_kept_elsewhere": (D("130000.00"), D("0.00")),
    },
    "revenue_percent_tiers": {
        "payable": (D("235000.00"), D("0.00")),
        "pending_exception": (D("145000.00"), D("90000.00")),
        "approved_rate": (D("170000.00"), D("0.00")),
        "fixed": (D("152000.00"), D("0.00")),
        "exclusion": (D("145000.00"), D("0.00")),
        "partner_credit": (D("235000.00"), D("0.00")),
        "pending_duplicate": (D("145000.00"), D("90000.00")),
        "duplicate_kept_elsewhere": (D("145000.00"), D("0.00")),
    },
}
# The decision each case records on the touched lead's line items (none: not counted at all).
RECORDED = {
    "payable": {Decision.PAYABLE}, "pending_exception": {Decision.HELD},
    "approved_rate": {Decision.OVERRIDDEN}, "fixed": {Decision.OVERRIDDEN},
    "exclusion": {Decision.OVERRIDDEN}, "partner_credit": {Decision.PAYABLE},
    "pending_duplicate": {Decision.HELD}, "duplicate_kept_elsewhere": set(),
}
# Components with no per-lead items: what each pays for the month's calls, shift and plan,
# whatever is decided about a lead. Calls (talk, operator s, outcome): (30, 60, consent),
# (10, 40, no answer), (45, 80, presentation); one 8-hour shift; 4 conversations targeted.
NOT_PER_LEAD = {
    # 180 s × 6 / 60
    "per_minute": ({"kind": ComponentKind.PER_MINUTE, "rate": D("6")}, D("18.00")),
    "per_hour": ({"kind": ComponentKind.PER_HOUR, "rate": D("300")}, D("2400.00")),
    # 40 s × 2 + 60 s × 12 + 80 s × 8, per minute: 1.33 + 12.00 + 10.67
    "differentiated_minutes": ({"kind": ComponentKind.DIFFERENTIATED_MINUTES, "rates": [
        {"outcome": Outcome.NO_ANSWER, "rate": D("2")},
        {"outcome": Outcome.PRESENTATION, "rate": D("8")},
        {"outcome": Outcome.CONSENT, "rate": D("12")},
    ]}, D("24.00")),
    "per_conversation": ({"kind": ComponentKind.PER_CONVERSATION, "rate": D("10")}, D("20.00")),
    "per_effective_call": (
        {"kind": ComponentKind.PER_EFFECTIVE_CALL, "rate": D("50")}, D("100.00")),
    # 2 of 4 conversations, linear
    "plan_base": ({"kind": ComponentKind.PLAN_BASE, "amount": D("40000.00"),
                   "base_mode": BaseMode.LINEAR}, D("20000.00")),
    # the sales head's: the team's 2 of 4 conversations, linear
    "team_bonus": ({"kind": ComponentKind.TEAM_BONUS, "amount": D("30000.00"),
                    "base_mode": BaseMode.LINEAR, "team_metric": TeamMetric.CONVERSATIONS},
                   D("15000.00")),
}


@pytest.fixture
def month(team):
    """The month's people and figures; returns them by name."""
    anna = ManagerFactory(team=team)
    head = person(Role.SALES_HEAD, team)
    MonthlyPlanFactory(manager=anna, month=NOVEMBER, target_conversations=4,
                       target_revenue=D("1000000.00"))
    # The lead a duplicate duplicates: another team's, created earlier, nothing this month.
    first = LeadFactory(owner=ManagerFactory(team=TeamFactory()),
                        created_at=moscow(2026, 9, 1, 12, 0))
    leads = {}
    for name, source, day, revenue in (("plain", LeadSource.COLD_CALL, 3, D("1300000.00")),
                                       ("touched", LeadSource.OWNER_ROUTED, 5, D("500000.00"))):
        lead = LeadFactory(owner=anna, source=source, created_at=moscow(2026, 10, 20, 12, 0))
        LeadMilestoneFactory(lead=lead, kind=MilestoneKind.CONFIRMED,
                             at=moscow(2026, 11, day, 12, 0))
        LeadMilestoneFactory(lead=lead, kind=MilestoneKind.ARRIVED,
                             at=moscow(2026, 11, day + 7, 12, 0))
        PaymentFactory(lead=lead, amount=revenue, received_on=datetime.date(2026, 11, day + 1))
        leads[name] = lead
    for talk, duration, outcome in ((30, 60, Outcome.CONSENT), (10, 40, Outcome.NO_ANSWER),
                                    (45, 80, Outcome.PRESENTATION)):
        CallFactory(manager=anna, started_at=moscow(2026, 11, 5, 10, 0), talk_s=talk,
                    duration_s=duration, outcome=outcome)
    WorkShiftFactory(manager=anna, started_at=moscow(2026, 11, 5, 9, 0))
    return {"team": team, "anna": anna, "head": head, "owner": person(Role.OWNER),
            "first": first, **leads}


def decide(decision: str, *, month: dict, component_kind: str, rate: Decimal):
    """Make ``decision`` about the touched lead; returns the exception, if any."""
    lead, head, owner = month["touched"], month["head"], month["owner"]
    if decision in ("pending_duplicate", "duplicate_kept_elsewhere", "partner_credit"):
        lead.duplicate_of = month["first"]
        lead.duplicate_state = {
            "pending_duplicate": DuplicateState.PENDING,
            "duplicate_kept_elsewhere": DuplicateState.KEEP_FIRST,
            # The newcomer keeps the lead, and a partner is credited on it as well.
            "partner_credit": DuplicateState.CREDIT_NEWCOMER,
        }[decision]
        lead.save(update_fields=["duplicate_of", "duplicate_state"])
    request = {
        "pending_exception": {"kind": ExceptionKind.RATE, "rate": rate},
        "approved_rate": {"kind": ExceptionKind.RATE, "rate": rate},
        "fixed": {"kind": ExceptionKind.FIXED, "amount": D("7000.00")},
        "exclusion": {"kind": ExceptionKind.EXCLUDE},
        "partner_credit": {"kind": ExceptionKind.PARTNER_CREDIT, "partner": PartnerFactory()},
    }.get(decision)
    if request is None:
        return None
    exception = commission_exception_request(
        lead=lead, component_kind=component_kind, requested_by=head.user, reason="deal terms",
        **request,
    )
    if decision != "pending_exception":
        exception = commission_exception_approve(exception=exception, approved_by=owner.user)
    return exception


def paid_and_held(run, manager) -> tuple[Decimal, Decimal]:
    lines = PayoutLine.objects.filter(run=run, manager=manager)
    paid = sum(lines.filter(held=False).values_list("amount", flat=True), D("0.00"))
    held = sum(lines.filter(held=True).values_list("amount", flat=True), D("0.00"))
    return paid, held


def touched_decisions(run, lead) -> set[str]:
    items = PayoutLineItem.objects.filter(line__run=run).filter(
        milestone__lead=lead
    ) | PayoutLineItem.objects.filter(line__run=run, payment__lead=lead)
    return set(items.values_list("decision", flat=True))


@pytest.mark.parametrize("decision", DECISIONS)
@pytest.mark.parametrize("case", list(PER_LEAD))
def test_a_per_lead_component_pays_what_the_decision_says(month, case, decision):
    component, rate = PER_LEAD[case]
    plan_for(month["anna"], component)
    exception = decide(decision, month=month, component_kind=component["kind"], rate=rate)
    run = compute(NOVEMBER, month["team"])
    assert paid_and_held(run, month["anna"]) == EXPECTED[case][decision]
    assert touched_decisions(run, month["touched"]) == RECORDED[decision]
    if decision == "pending_exception":
        # The exception's amount at stake is what its items hold, for every kind.
        assert exception_amount_at_stake(exception=exception) == EXPECTED[case][decision][1]


@pytest.mark.parametrize("decision", DECISIONS)
@pytest.mark.parametrize("kind", list(NOT_PER_LEAD))
def test_a_decision_on_a_lead_does_not_reach_a_component_without_leads(month, kind, decision):
    component, expected = NOT_PER_LEAD[kind]
    payee = month["head"] if kind == "team_bonus" else month["anna"]
    plan_for(payee, component)
    decide(decision, month=month, component_kind=component["kind"], rate=D("5"))
    run = compute(NOVEMBER, month["team"])
    assert paid_and_held(run, payee) == (expected, D("0.00"))
    # No line items: a call, a shift or an attainment has no lead for a decision to touch.
    assert not PayoutLineItem.objects.filter(line__run=run).exists()


def test_tiers_no_longer_pay_a_pending_exception_in_full(month):
    """The issue's case: marginal tiers paid a pending exception in full with nothing held,
    ignored an approved 5 % and paid a duplicate resolved "keep first touch"."""
    plan_for(month["anna"], PER_LEAD["revenue_percent_tiers"][0])
    exception = decide("pending_exception", month=month,
                       component_kind=ComponentKind.REVENUE_PERCENT, rate=D("5"))
    run = compute(NOVEMBER, month["team"])
    held = PayoutLine.objects.get(run=run, held=True)
    assert (held.key, held.quantity, held.amount) == (
        f"held:{month['touched'].pk}", D("500000.0000"), D("90000.00")
    )
    assert list(held.items.values_list("payment__lead", "decision", "exception", "amount")) == [
        (month["touched"].pk, Decision.HELD, exception.pk, D("90000.00"))
    ]
    commission_exception_approve(exception=exception, approved_by=month["owner"].user)
    run = compute(NOVEMBER, month["team"])
    assert paid_and_held(run, month["anna"]) == (D("170000.00"), D("0.00"))
    line = PayoutLine.objects.get(run=run, key=f"exception:{exception.pk}")
    assert (line.rate, line.amount) == (D("5.0000"), D("25000.00"))


def test_the_items_of_a_line_add_up_to_the_line(month):
    """Each band of the tiers counts every payable payment in proportion to its revenue."""
    plan_for(month["anna"], PER_LEAD["revenue_percent_tiers"][0])
    run = compute(NOVEMBER, month["team"])
    for line in PayoutLine.objects.filter(run=run):
        assert sum(line.items.values_list("amount", flat=True), D("0.00")) == line.amount
        assert line.items.count() == 2
