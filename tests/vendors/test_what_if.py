"""What-if on history: other plans applied to a past month through the same engine, side by
side, and nothing written (issue 19)."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from payouts.models import CompensationPlan, PaidItem, PayoutLine, PayoutRun
from payouts.models import ComponentKind as K
from payouts.vendors.compare import compare_plans
from payouts.vendors.models import BalanceEntry, VendorStatement
from payouts.vendors.statements import vendor_statement_compute
from salesops.inputs.models import PayoutInputChange
from salesops.models import AuditEntry, Outcome
from tests.factories import CallFactory, ManagerFactory, TeamFactory
from tests.payouts.factories import plan_for
from tests.payouts.helpers import compute, moscow, snapshot

from .helpers import NOVEMBER, contract, vendor_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor():
    """A staff team: Anna 2 calls of 60 s with 45 s of talk, Boris 1 call of 120 s with 100 s;
    paid in November by 10.00 per conversation."""
    team = TeamFactory(code="north")
    anna = ManagerFactory(team=team, user__username="anna", user__first_name="Anna",
                          user__last_name="A")
    boris = ManagerFactory(team=team, user__username="boris", user__first_name="Boris",
                           user__last_name="B")
    for hour in (10, 11):
        CallFactory(manager=anna, started_at=moscow(2026, 11, 3, hour, 0), duration_s=60,
                    talk_s=45, outcome=Outcome.ANSWERED)
    CallFactory(manager=boris, started_at=moscow(2026, 11, 4, 10, 0), duration_s=120,
                talk_s=100, outcome=Outcome.ANSWERED)
    conversation = plan_for(anna, {"kind": K.PER_CONVERSATION, "rate": Decimal("10.00")})
    conversation.plan.code = "per-conversation"
    conversation.plan.save()
    conversation.plan.assignments.update(manager=None, team=team)
    minute = contract(None, (K.PER_MINUTE, "1.00"), code="per-minute")
    return team, conversation, minute


def test_two_plans_side_by_side_for_a_team(floor):
    """Per conversation: Anna 2 × 10.00, Boris 10.00 = 30.00. Per minute: Anna 120 s, Boris
    120 s × 1.00 / 60 = 2.00 each = 4.00. Against the first: Anna −18.00, Boris −8.00."""
    comparison = compare_plans(month=NOVEMBER, plan_codes=["per-conversation", "per-minute"],
                               team="north")
    assert [(p.code, p.total) for p in comparison.plans] == [
        ("per-conversation", Decimal("30.00")), ("per-minute", Decimal("4.00"))]
    assert [(row["payee"], row["against_first"]) for row in comparison.differences()] == [
        ("Anna A", [Decimal("-18.00")]), ("Boris B", [Decimal("-8.00")])]


def test_a_vendor_compared_as_one_payee_with_cost_per_result():
    """Per minute 24.56 against 3 × 1000.00 = 3000.00; per confirmed lead 24.56 / 3 = 8.19
    and 1000.00; per arrived client (1) 24.56 and 3000.00."""
    vendor, _world = vendor_world()
    contract(None, (K.PER_MINUTE, "3.50"), code="minutes")
    contract(None, (K.PER_CONFIRMED_LEAD, "1000.00"), code="leads")
    comparison = compare_plans(month=NOVEMBER, plan_codes=["minutes", "leads"], vendor="dozvon")
    assert [(p.total, p.per_confirmed, p.per_arrived) for p in comparison.plans] == [
        (Decimal("24.56"), Decimal("8.19"), Decimal("24.56")),
        (Decimal("3000.00"), Decimal("1000.00"), Decimal("3000.00"))]


def test_a_what_if_never_creates_or_changes_a_run_or_statement(floor):
    team, _conversation, _minute = floor
    vendor, _world = vendor_world()
    contract(vendor, (K.PER_MINUTE, "3.50"), code="minutes")
    run = compute(NOVEMBER, team)
    statement = vendor_statement_compute(vendor=vendor, month=NOVEMBER)

    def state():
        return (snapshot(run), PayoutRun.objects.count(), PayoutLine.objects.count(),
                PaidItem.objects.count(), list(VendorStatement.objects.values()),
                list(statement.lines.values()), BalanceEntry.objects.count(),
                AuditEntry.objects.count(), list(PayoutInputChange.objects.values()))

    before = state()
    compare_plans(month=NOVEMBER, plan_codes=["per-conversation", "minutes"], team="north")
    compare_plans(month=NOVEMBER, plan_codes=["per-minute", "minutes"], vendor="dozvon")
    compare_plans(month=NOVEMBER, plan_codes=["per-minute"])
    assert state() == before


def test_the_command_writes_the_documented_json(floor, tmp_path):
    out = tmp_path / "what-if.json"
    call_command("compare_plans", "2026-11", "--plan", "per-conversation", "--plan",
                 "per-minute", "--team", "north", "--format", "json", "--output", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [(p["plan"], p["total"]) for p in data["plans"]] == [
        ("per-conversation", "30.00"), ("per-minute", "4.00")]
    assert data["payees"][0] == {"payee": "Anna A", "amounts": ["20.00", "2.00"],
                                 "against_first": ["-18.00"]}
    xlsx = tmp_path / "what-if.xlsx"
    call_command("compare_plans", "2026-11", "--plan", "per-conversation", "--plan",
                 "per-minute", "--format", "xlsx", "--output", str(xlsx))
    assert xlsx.read_bytes()[:2] == b"PK"


def test_leads_the_months_own_run_paid_count_in_the_what_if(floor):
    """Anna's two leads confirmed in November, paid by North's computed run: a per-lead plan
    (500.00) pays them 1000.00 in the what-if, 500.00 per confirmed lead."""
    from leads.models import MilestoneKind
    from tests.factories import LeadFactory, LeadMilestoneFactory

    team, _conversation, _minute = floor
    anna = team.members.get(user__username="anna")
    for day in (5, 6):
        LeadMilestoneFactory(lead=LeadFactory(owner=anna, created_at=moscow(2026, 10, 1, 9, 0)),
                             kind=MilestoneKind.CONFIRMED, at=moscow(2026, 11, day, 12, 0))
    contract(None, (K.PER_CONFIRMED_LEAD, "500.00"), code="per-lead")
    team.plan_assignments.update(plan=CompensationPlan.objects.get(code="per-lead"))
    compute(NOVEMBER, team)
    assert PaidItem.objects.filter(item_kind="lead").count() == 2
    comparison = compare_plans(month=NOVEMBER, plan_codes=["per-lead"], team="north")
    plan = comparison.plans[0]
    assert (plan.total, plan.confirmed, plan.per_confirmed) == (
        Decimal("1000.00"), 2, Decimal("500.00"))
