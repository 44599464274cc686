"""SPEC §1, §6.5, §7: a person who moves team is paid by each team's run for the days spent in
it — never twice, never lost, whatever state the old team's month is in — and a run that fails
for a reason a retry cannot fix ends failed, with its reason, and is not re-driven."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from payouts.lifecycle import payout_run_approve
from payouts.models import BaseMode, ComponentKind, PayoutLine, PayoutRun
from payouts.tasks import payout_runs_watchdog, recompute_payout_run_changes
from salesops.inputs.activity import call_save
from salesops.inputs.membership import membership_transfer
from salesops.models import Role
from tests.factories import CallFactory, MonthlyPlanFactory, TeamFactory
from tests.payouts.factories import calls, person, plan_for
from tests.payouts.helpers import DECEMBER, NOVEMBER, amounts, compute, moscow

pytestmark = pytest.mark.django_db

PER_CONVERSATION = {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")}
# 21 000 at 100 % of the conversation plan, in proportion (SPEC §4 plan_base, linear).
BASE = {"kind": ComponentKind.PLAN_BASE, "amount": Decimal("21000.00"),
        "base_mode": BaseMode.LINEAR}


@pytest.fixture
def north():
    return TeamFactory(code="north", name="North")


@pytest.fixture
def south():
    return TeamFactory(code="south", name="South")


@pytest.fixture
def anna(north):
    anna = person(Role.MANAGER, north, username="anna")
    plan_for(anna, PER_CONVERSATION, BASE)
    MonthlyPlanFactory(manager=anna, month=NOVEMBER, target_conversations=210)
    return anna


@pytest.fixture
def admin():
    return person(Role.ADMIN)


@time_machine.travel(moscow(2026, 12, 2, 10, 0), tick=False)
def test_a_person_moved_mid_month_is_paid_by_each_team_for_their_days_in_it(
    anna, north, south, admin
):
    # November 2026 has 21 working days: 10 before the 16th, 11 from it.
    calls(anna, 80, started_at=moscow(2026, 11, 10, 10, 0), talk_s=30, duration_s=40)
    calls(anna, 110, started_at=moscow(2026, 11, 20, 10, 0), talk_s=30, duration_s=40)
    membership_transfer(manager=anna, team=south, since=datetime.date(2026, 11, 16),
                        by=admin.user, reason="moved to the south team")
    north_run, south_run = compute(NOVEMBER, north), compute(NOVEMBER, south)
    # North: 80 conversations against 10/21 of 210 = 100 → 80 % of 10/21 of 21 000.
    assert amounts(north_run, anna) == {("per_conversation", ""): Decimal("800.00"),
                                        ("plan_base", ""): Decimal("8000.00")}
    # South: 110 against 110 → 100 % of 11/21 of 21 000.
    assert amounts(south_run, anna) == {("per_conversation", ""): Decimal("1100.00"),
                                        ("plan_base", ""): Decimal("11000.00")}
    assert {north_run.status, south_run.status} == {PayoutRun.Status.COMPUTED}
    # Computed again, in any order: the same lines, nothing twice.
    compute(NOVEMBER, south)
    compute(NOVEMBER, north)
    assert PayoutLine.objects.filter(manager=anna, month=NOVEMBER).count() == 4


@time_machine.travel(moscow(2026, 12, 2, 10, 0), tick=False)
def test_late_data_of_the_old_teams_approved_month_is_adjusted_once_by_the_new_team(
    anna, north, south, admin
):
    head = person(Role.SALES_HEAD, north)
    calls(anna, 210, started_at=moscow(2026, 11, 10, 10, 0), talk_s=30, duration_s=40)
    november = payout_run_approve(run=compute(NOVEMBER, north), approved_by=head.user)
    membership_transfer(manager=anna, team=south, since=DECEMBER, by=admin.user)
    for minute in range(5):  # five late conversations of November, entered in the admin
        call_save(call=CallFactory.build(manager=anna, started_at=moscow(2026, 11, 28, 10,
                                                                         minute),
                                         talk_s=30, duration_s=40), by=admin.user)
    assert amounts(compute(DECEMBER, north), anna) == {}
    december = compute(DECEMBER, south)
    assert amounts(december, anna) == {
        ("per_conversation", f"adj:2026-11:t{north.pk}:"): Decimal("50.00"),
        ("plan_base", ""): Decimal("0.00")}  # no December target yet
    line = PayoutLine.objects.get(run=december, manager=anna, adjusts_month=NOVEMBER)
    assert (line.adjusts_month, line.adjusts_run_id) == (NOVEMBER, november.pk)
    # The plan base was already at 100 %: nothing more. Computed again: still once.
    compute(DECEMBER, south)
    assert amounts(PayoutRun.objects.get(pk=december.pk), anna) == {
        ("per_conversation", f"adj:2026-11:t{north.pk}:"): Decimal("50.00"),
        ("plan_base", ""): Decimal("0.00")}


def test_a_run_that_fails_for_a_reason_a_retry_cannot_fix_ends_failed_and_is_left_alone(
    anna, north, admin, monkeypatch
):
    from payouts import services

    calls(anna, 10, started_at=moscow(2026, 11, 10, 10, 0), talk_s=30, duration_s=40)

    def broken(**kwargs):
        raise ValueError("a rate that cannot be read")

    monkeypatch.setattr(services, "build_lines", broken)
    run = compute(NOVEMBER, north)
    assert (run.status, run.failure) == (
        PayoutRun.Status.FAILED, "ValueError: a rate that cannot be read")
    # The watchdog re-drives stalled draft runs, never a failed one.
    assert payout_runs_watchdog.apply(kwargs={"stalled_after_s": 0}).get() == []
    monkeypatch.undo()
    # Nothing changed: asking again leaves it failed.
    recompute_payout_run_changes.apply(args=[run.pk], kwargs={"synchronous": True})
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.FAILED
    # Its inputs change (the cause fixed, a call entered): it is computed again.
    call_save(call=CallFactory.build(manager=anna, started_at=moscow(2026, 11, 11, 10, 0),
                                     talk_s=30, duration_s=40), by=admin.user)
    recompute_payout_run_changes.apply(args=[run.pk], kwargs={"synchronous": True})
    run.refresh_from_db()
    assert (run.status, run.failure) == (PayoutRun.Status.COMPUTED, "")
    assert amounts(run, anna)[("per_conversation", "")] == Decimal("110.00")
