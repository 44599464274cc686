"""The events of an ordinary month (SPEC §5, §6.5–§6.7, §7): a lead given to another person, a
commission moved, a late payment, a refund under tiers, payments that pay nobody, an edited
shift, a corrected target — each keeps "approved means final" and "never pay twice"."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import LeadSource
from leads.services import (
    duplicate_resolve,
    lead_change,
    lead_create,
    payment_create,
    payment_refund,
)
from payouts.exceptions import (
    commission_exception_approve,
    commission_exception_request,
)
from payouts.lifecycle import PayoutRunStale, payout_run_approve
from payouts.models import (
    BaseMode,
    ComponentKind,
    ExceptionKind,
    PayoutRun,
    TeamMetric,
)
from payouts.selectors import exceptions_at_stake
from salesops.inputs import MonthLocked
from salesops.inputs.activity import shift_save, target_set
from salesops.models import MonthlyPlan, Role, WorkShift
from tests.factories import MonthlyPlanFactory, TeamFactory, WorkShiftFactory
from tests.payouts.factories import calls, person, plan_for
from tests.payouts.helpers import DECEMBER, NOVEMBER, amounts, compute, moscow

pytestmark = pytest.mark.django_db
OCTOBER = datetime.date(2026, 10, 1)
REVENUE_10 = {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")}


@pytest.fixture
def north():
    return TeamFactory(code="north", name="North")


@pytest.fixture
def south():
    return TeamFactory(code="south", name="South")


@pytest.fixture
def anna(north):
    anna = person(Role.MANAGER, north, username="anna")
    plan_for(anna, REVENUE_10)
    return anna


@pytest.fixture
def boris(south):
    boris = person(Role.MANAGER, south, username="boris")
    plan_for(boris, REVENUE_10)
    return boris


@pytest.fixture
def head(north):
    return person(Role.SALES_HEAD, north, username="head.north")


@pytest.fixture
def owner():
    return person(Role.OWNER, username="owner")


def _lead(owner, phone, **fields):
    return lead_create(owner=owner, source=LeadSource.COLD_CALL, phone=phone,
                       created_at=moscow(2026, 10, 1, 9, 0), **fields)


@time_machine.travel(moscow(2026, 12, 5, 10, 0), tick=False)
def test_a_lead_given_to_another_team_keeps_the_approved_month_and_later_payments_follow(
    anna, boris, north, south, head, owner
):
    lead = _lead(anna, "+79160000101")
    payment_create(lead=lead, amount=Decimal("100000.00"),
                   received_on=datetime.date(2026, 11, 10))
    payout_run_approve(run=compute(NOVEMBER, north), approved_by=head.user)
    lead_change(lead=lead, changes={"owner": boris}, by=owner.user,
                reason="the client moved to the south office")
    payment_create(lead=lead, amount=Decimal("50000.00"),
                   received_on=datetime.date(2026, 12, 10))
    # Anna is not charged back what November paid her; Boris earns what comes after.
    assert amounts(compute(DECEMBER, north), anna) == {}
    assert amounts(compute(DECEMBER, south), boris) == {
        ("revenue_percent", "cold_call"): Decimal("5000.00")}


@time_machine.travel(moscow(2026, 12, 5, 10, 0), tick=False)
def test_moving_an_approved_commission_is_one_decision_minus_for_one_plus_for_the_other(
    anna, boris, north, south, head, owner
):
    lead = _lead(anna, "+79160000102")
    payment_create(lead=lead, amount=Decimal("100000.00"),
                   received_on=datetime.date(2026, 11, 10))
    payout_run_approve(run=compute(NOVEMBER, north), approved_by=head.user)
    exception = commission_exception_request(
        lead=lead, kind=ExceptionKind.TRANSFER, transfer_to=boris, requested_by=head.user,
        reason="Boris closed the deal; Anna only logged it")
    commission_exception_approve(exception=exception, approved_by=owner.user)
    key = f"transfer:{exception.pk}"
    assert amounts(compute(DECEMBER, north), anna) == {
        ("revenue_percent", key): Decimal("-10000.00")}
    assert amounts(compute(DECEMBER, south), boris) == {
        ("revenue_percent", key): Decimal("10000.00")}
    # Computed again, each once.
    assert amounts(compute(DECEMBER, north), anna) == {
        ("revenue_percent", key): Decimal("-10000.00")}
    assert exceptions_at_stake([exception]) == {exception.pk: Decimal("10000.00")}


@time_machine.travel(moscow(2026, 12, 3, 10, 0), tick=False)
def test_a_late_payment_for_an_approved_month_adjusts_the_heads_team_bonus_too(
    anna, north, owner
):
    head = person(Role.SALES_HEAD, north, username="bonus.head")
    plan_for(head, {"kind": ComponentKind.TEAM_BONUS, "rate": Decimal("2"),
                    "team_metric": TeamMetric.REVENUE, "base_mode": BaseMode.LINEAR})
    MonthlyPlanFactory(manager=anna, month=NOVEMBER, target_revenue=Decimal("100000.00"))
    lead = _lead(anna, "+79160000103")
    payment_create(lead=lead, amount=Decimal("100000.00"),
                   received_on=datetime.date(2026, 11, 10))
    november = payout_run_approve(run=compute(NOVEMBER, north), approved_by=owner.user)
    assert amounts(november, head) == {("team_bonus", ""): Decimal("2000.00")}
    # Entered on 3 December, received on 25 November.
    payment_create(lead=lead, amount=Decimal("50000.00"),
                   received_on=datetime.date(2026, 11, 25))
    december = compute(DECEMBER, north)
    assert amounts(december, anna) == {
        ("revenue_percent", "adj:2026-11:cold_call"): Decimal("5000.00")}
    # 2 % of the team's 150 000 is 3 000: 1 000 more than November paid.
    assert amounts(december, head) == {("team_bonus", "adj:2026-11:"): Decimal("1000.00"),
                                       ("team_bonus", ""): Decimal("0.00")}


TIERS = {"kind": ComponentKind.REVENUE_PERCENT, "tiers": [
    {"from_percent": Decimal("0"), "to_percent": Decimal("100"), "rate": Decimal("10")},
    {"from_percent": Decimal("100"), "to_percent": Decimal("150"), "rate": Decimal("15")},
    {"from_percent": Decimal("150"), "rate": Decimal("20")},
]}


@pytest.mark.parametrize(("refunded", "taken_back"), [
    (None, Decimal("-235000.00")),  # the whole payment: all it earned
    (Decimal("900000.00"), Decimal("-117500.00")),  # half of it: half of what it earned
])
def test_a_refund_under_tiers_takes_back_what_its_payment_earned_even_with_no_other_revenue(
    north, refunded, taken_back
):
    vera = person(Role.MANAGER, north, username="vera")
    plan_for(vera, TIERS)
    for month in (OCTOBER, NOVEMBER):
        MonthlyPlanFactory(manager=vera, month=month, target_revenue=Decimal("1000000.00"))
    payment = payment_create(lead=_lead(vera, "+79160000104"), amount=Decimal("1800000.00"),
                             received_on=datetime.date(2026, 10, 15))
    # SPEC §8 example 5: 100 000 + 75 000 + 60 000.
    assert sum(amounts(compute(OCTOBER, north), vera).values()) == Decimal("235000.00")
    payment_refund(payment=payment, received_on=datetime.date(2026, 11, 5), amount=refunded)
    assert amounts(compute(NOVEMBER, north), vera) == {
        ("revenue_percent", "refund:cold_call"): taken_back}


def test_the_team_bonus_counts_only_payments_the_decision_step_lets_pay(north, owner):
    anna = person(Role.MANAGER, north, username="anna")
    vera = person(Role.MANAGER, north, username="vera")
    for manager in (anna, vera):
        plan_for(manager, REVENUE_10)
        MonthlyPlanFactory(manager=manager, month=NOVEMBER, target_revenue=Decimal("100000"))
    head = person(Role.SALES_HEAD, north, username="bonus.head")
    plan_for(head, {"kind": ComponentKind.TEAM_BONUS, "rate": Decimal("2"),
                    "team_metric": TeamMetric.REVENUE, "base_mode": BaseMode.LINEAR})
    paid = datetime.date(2026, 11, 10)
    payment_create(lead=_lead(anna, "+79160000201"), amount=Decimal("100000"), received_on=paid)
    excluded = _lead(anna, "+79160000202")
    payment_create(lead=excluded, amount=Decimal("50000"), received_on=paid)
    exclusion = commission_exception_request(lead=excluded, kind=ExceptionKind.EXCLUDE,
                                             requested_by=head.user, reason="a test deal")
    commission_exception_approve(exception=exclusion, approved_by=owner.user)
    pending = _lead(anna, "+79160000203")
    payment_create(lead=pending, amount=Decimal("30000"), received_on=paid)
    commission_exception_request(lead=pending, kind=ExceptionKind.RATE, rate=Decimal("5"),
                                 requested_by=head.user, reason="owner's deal")
    original = _lead(anna, "+79160000204")
    duplicate = lead_create(owner=vera, source=LeadSource.COLD_CALL, phone="+79160000204",
                            created_at=moscow(2026, 11, 2, 9, 0))
    assert original.pk != duplicate.pk
    payment_create(lead=duplicate, amount=Decimal("20000"), received_on=paid)
    run = compute(NOVEMBER, north)
    # Only Anna's first 100 000 pays: 2 % of it.
    assert run.team_facts["revenue"] == "100000.00"
    assert amounts(run, head) == {("team_bonus", ""): Decimal("2000.00")}
    duplicate_resolve(lead=duplicate, resolution="credit_newcomer", by=owner.user)
    run = compute(NOVEMBER, north)
    assert amounts(run, head) == {("team_bonus", ""): Decimal("2400.00")}


@time_machine.travel(moscow(2026, 12, 3, 10, 0), tick=False)
@pytest.mark.parametrize("through_the_layer", [True, False])
def test_an_edited_shift_is_redone_by_the_heads_recompute_and_approval_then_passes(
    north, head, client, settings, through_the_layer, django_capture_on_commit_callbacks
):
    settings.REVIEW_RECOMPUTE_IN_THREAD = False
    anna = person(Role.MANAGER, north, username="anna")
    plan_for(anna, {"kind": ComponentKind.PER_HOUR, "rate": Decimal("300")})
    shift = WorkShiftFactory(manager=anna, started_at=moscow(2026, 11, 10, 9, 0),
                             ended_at=moscow(2026, 11, 10, 17, 0))
    run = compute(NOVEMBER, north)
    assert amounts(run, anna) == {("per_hour", ""): Decimal("2400.00")}
    if through_the_layer:
        shift.ended_at = moscow(2026, 11, 10, 18, 0)
        shift_save(shift=shift, by=person(Role.ADMIN).user)
    else:  # written around every door: only the figures tell
        WorkShift.objects.filter(pk=shift.pk).update(ended_at=moscow(2026, 11, 10, 18, 0))
    with pytest.raises(PayoutRunStale):
        payout_run_approve(run=run, approved_by=head.user)
    client.force_login(head.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/review/runs/{run.pk}/recompute/")
    run.refresh_from_db()
    assert amounts(run, anna) == {("per_hour", ""): Decimal("2700.00")}
    assert payout_run_approve(run=run, approved_by=person(Role.OWNER).user).status == "approved"


@time_machine.travel(moscow(2026, 12, 3, 10, 0), tick=False)
def test_a_corrected_target_of_an_approved_month_is_paid_as_an_adjustment(north, head, owner):
    anna = person(Role.MANAGER, north, username="anna")
    plan_for(anna, {"kind": ComponentKind.PLAN_BASE, "amount": Decimal("40000.00"),
                    "base_mode": BaseMode.LINEAR, "floor_percent": Decimal("50")})
    target_set(manager=anna, month=NOVEMBER, conversations=1200, confirmed_leads=0,
               revenue=Decimal("0"), by=head.user)
    calls(anna, 1080, started_at=moscow(2026, 11, 10, 10, 0), talk_s=30, duration_s=40)
    november = payout_run_approve(run=compute(NOVEMBER, north), approved_by=owner.user)
    assert amounts(november, anna) == {("plan_base", ""): Decimal("36000.00")}
    with pytest.raises(MonthLocked):  # the head may not lower an approved month's target
        target_set(manager=anna, month=NOVEMBER, conversations=1080, confirmed_leads=0,
                   revenue=Decimal("0"), by=head.user, reason="it was too high")
    assert MonthlyPlan.objects.get(manager=anna, month=NOVEMBER).target_conversations == 1200
    target_set(manager=anna, month=NOVEMBER, conversations=1080, confirmed_leads=0,
               revenue=Decimal("0"), by=owner.user, reason="the plan was set for 4 weeks")
    assert amounts(compute(DECEMBER, north), anna) == {
        ("plan_base", ""): Decimal("0.00"),  # no December target yet
        ("plan_base", "adj:2026-11:"): Decimal("4000.00")}
    assert amounts(PayoutRun.objects.get(pk=november.pk), anna) == {
        ("plan_base", ""): Decimal("36000.00")}


def test_the_amount_at_stake_of_each_kind_of_exception_comes_from_line_items(
    anna, north, head, owner
):
    rate = _lead(anna, "+79160000301")
    payment_create(lead=rate, amount=Decimal("200000"), received_on=datetime.date(2026, 11, 3))
    decided = _lead(anna, "+79160000302")
    payment_create(lead=decided, amount=Decimal("100000"),
                   received_on=datetime.date(2026, 11, 4))
    asked_rate = commission_exception_request(lead=rate, kind=ExceptionKind.RATE,
                                              rate=Decimal("5"), requested_by=head.user,
                                              reason="owner's deal")
    approved = commission_exception_request(lead=decided, kind=ExceptionKind.RATE,
                                            rate=Decimal("4"), requested_by=head.user,
                                            reason="a partner's deal")
    commission_exception_approve(exception=approved, approved_by=owner.user)
    compute(NOVEMBER, north)
    # Asked after the computation: a fixed amount with nothing of it computed yet.
    fixed = commission_exception_request(
        lead=_lead(anna, "+79160000303"), kind=ExceptionKind.FIXED, amount=Decimal("1500.00"),
        requested_by=head.user, reason="a flat fee agreed")
    assert exceptions_at_stake([asked_rate, approved, fixed]) == {
        asked_rate.pk: Decimal("20000.00"),  # held: 10 % of 200 000
        approved.pk: Decimal("6000.00"),  # decided: 10 % − 4 % of 100 000
        fixed.pk: Decimal("1500.00"),
    }


def _month_of_people(north, count, owner):
    people = []
    for n in range(count):
        manager = person(Role.MANAGER, north, username=f"seller{count}-{n}")
        plan_for(manager, REVENUE_10, {"kind": ComponentKind.PER_CONVERSATION,
                                       "rate": Decimal("10")})
        calls(manager, 5, started_at=moscow(2026, 11, 10, 10, 0), talk_s=30, duration_s=40)
        calls(manager, 5, started_at=moscow(2026, 12, 10, 10, 0), talk_s=30, duration_s=40)
        payment_create(lead=_lead(manager, f"+7916{count}{n:06d}"), amount=Decimal("1000"),
                       received_on=datetime.date(2026, 11, 10))
        people.append(manager)
    return people


@pytest.mark.parametrize("size", [2, 5])
def test_a_month_after_an_approved_month_costs_the_queries_of_a_first_month(
    north, owner, size
):
    """SPEC §6.5 adjustments are gathered for the whole computation, not per person: the
    month after an approved month costs what a first month costs, whatever the team's size."""
    _month_of_people(north, size, owner)
    with CaptureQueriesContext(connection) as first:
        november = compute(NOVEMBER, north)
    payout_run_approve(run=november, approved_by=owner.user)
    with CaptureQueriesContext(connection) as after:
        compute(DECEMBER, north)
    # The locked month is looked at (chains, versions) with a handful of queries in all.
    assert len(after) <= len(first) + 12, (len(first), len(after))
    test_a_month_after_an_approved_month_costs_the_queries_of_a_first_month.counts[size] = (
        len(first), len(after))
    if len(test_a_month_after_an_approved_month_costs_the_queries_of_a_first_month.counts) == 2:
        (first2, after2), (first5, after5) = (
            test_a_month_after_an_approved_month_costs_the_queries_of_a_first_month.counts[2],
            test_a_month_after_an_approved_month_costs_the_queries_of_a_first_month.counts[5])
        assert after5 - first5 == after2 - first2


test_a_month_after_an_approved_month_costs_the_queries_of_a_first_month.counts = {}
