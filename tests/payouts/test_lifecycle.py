"""SPEC §7: draft → computed → approved → paid; locked runs are immutable; maker-checker."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from payouts.lifecycle import (
    PayoutRunError,
    PayoutRunLocked,
    payout_run_approve,
    payout_run_mark_paid,
)
from payouts.models import (
    ComponentKind,
    PaidItem,
    PayoutLine,
    PayoutRun,
    PayoutRunTransition,
)
from payouts.services import payout_run_start
from salesops.models import Role
from tests.factories import ManagerFactory, TeamFactory, UserFactory
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow, total

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(team):
    manager = ManagerFactory(team=team)
    plan_for(manager, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
    calls(manager, 5, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=40)
    return manager


@pytest.fixture
def head(team):
    return ManagerFactory(team=team, role=Role.SALES_HEAD)


def _moves(run):
    return list(
        PayoutRunTransition.objects.filter(run=run).values_list("from_status", "to_status")
    )


def test_a_run_goes_draft_computed_approved_paid_and_records_each_move(team, anna, head):
    run = compute(NOVEMBER, team)
    assert run.status == PayoutRun.Status.COMPUTED
    payout_run_approve(run=run, approved_by=head.user)
    payout_run_mark_paid(run=run, paid_by=ManagerFactory(owner=True).user)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.PAID
    assert _moves(run) == [("", "draft"), ("draft", "computed"), ("computed", "approved"),
                           ("approved", "paid")]
    assert PayoutRunTransition.objects.get(run=run, to_status="approved").by == head.user


def test_recomputing_an_open_month_replaces_its_lines(team, anna):
    first = compute(NOVEMBER, team)
    calls(anna, 3, started_at=moscow(2026, 11, 6, 10, 0), talk_s=30, duration_s=40)
    again = compute(NOVEMBER, team)
    assert again.pk == first.pk
    assert list(PayoutLine.objects.filter(run=again).values_list("amount", flat=True)) == [
        Decimal("80.00")
    ]
    assert _moves(again)[-2:] == [("computed", "draft"), ("draft", "computed")]


def test_only_a_computed_run_can_be_approved(team, anna, head):
    run = payout_run_start(month=NOVEMBER, team=team)
    with pytest.raises(PayoutRunError, match="Only a computed month"):
        payout_run_approve(run=run, approved_by=head.user)


def test_whoever_computed_a_run_cannot_approve_it(team, anna, head):
    run = compute(NOVEMBER, team, requested_by=head.user)
    with pytest.raises(PayoutRunError, match="cannot approve"):
        payout_run_approve(run=run, approved_by=head.user)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED


def test_a_manager_or_another_teams_head_cannot_approve(team, anna):
    run = compute(NOVEMBER, team)
    other_head = ManagerFactory(role=Role.SALES_HEAD)
    for user in (anna.user, other_head.user, UserFactory()):
        with pytest.raises(PayoutRunError, match="may not approve"):
            payout_run_approve(run=run, approved_by=user)


def test_the_owner_approves_any_team(team, anna):
    owner = ManagerFactory(owner=True)
    run = payout_run_approve(run=compute(NOVEMBER, team), approved_by=owner.user)
    assert run.status == PayoutRun.Status.APPROVED


def test_an_approved_month_is_not_recomputed(team, anna, head):
    run = payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    calls(anna, 3, started_at=moscow(2026, 11, 6, 10, 0), talk_s=30, duration_s=40)
    with pytest.raises(PayoutRunLocked):
        payout_run_start(month=NOVEMBER, team=team)
    assert compute(NOVEMBER, team).status == PayoutRun.Status.APPROVED
    assert total(run, anna) == Decimal("50.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers are PostgreSQL's")
def test_the_database_refuses_any_statement_that_touches_a_row_of_an_approved_run(
    team, anna, head
):
    """The triggers check once per statement (migration 0010): one row of a locked run among
    rows of an open run is enough to refuse the whole statement, on either side of an
    update."""
    south = TeamFactory(code="south")
    bob = ManagerFactory(team=south)
    plan_for(bob, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
    calls(bob, 2, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=40)
    locked = payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    open_run = compute(NOVEMBER, south)
    both = PayoutLine.objects.filter(run__in=[locked, open_run])
    open_line = PayoutLine.objects.get(run=open_run)
    before = sorted(both.values_list("pk", "run_id", "amount"))
    assert len(before) == 2

    def line(run, manager):
        return PayoutLine(run=run, month=NOVEMBER, manager=manager, kind="per_minute",
                          quantity=Decimal("1"), amount=Decimal("1.00"))

    def paid(run, manager, item_id):
        return PaidItem(run=run, manager=manager, component_kind="per_confirmed_lead",
                        item_kind="lead", item_id=item_id, month=NOVEMBER)

    for change in (
        lambda: both.update(amount=Decimal("1.00")),
        lambda: PayoutLine.objects.filter(pk__in=[pk for pk, _run, _amount in before]).delete(),
        lambda: PayoutLine.objects.bulk_create([line(open_run, bob), line(locked, anna)]),
        lambda: PayoutLine.objects.filter(pk=open_line.pk).update(run=locked),
        lambda: PaidItem.objects.bulk_create([paid(open_run, bob, 1), paid(locked, anna, 2)]),
    ):
        with pytest.raises(IntegrityError, match="SPEC 7"), transaction.atomic():
            change()
    assert sorted(both.values_list("pk", "run_id", "amount")) == before
    assert not PaidItem.objects.exists()
    # The open run's rows alone still change, many at once.
    PayoutLine.objects.bulk_create([line(open_run, bob)])
    assert PayoutLine.objects.filter(run=open_run).update(amount=Decimal("2.00")) == 2
    PaidItem.objects.bulk_create([paid(open_run, bob, 1), paid(open_run, bob, 2)])
    assert PaidItem.objects.filter(run=open_run).delete()[0] == 2


def test_a_paid_run_cannot_go_back(team, anna, head):
    run = payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    owner = ManagerFactory(owner=True).user
    payout_run_mark_paid(run=run, paid_by=owner)
    with pytest.raises(PayoutRunError, match="Only an approved month"):
        payout_run_mark_paid(run=run, paid_by=owner)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers are PostgreSQL's")
def test_the_database_refuses_to_change_an_approved_run(team, anna, head):
    run = payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    line = PayoutLine.objects.get(run=run)
    for change in (
        lambda: PayoutLine.objects.filter(pk=line.pk).update(amount=Decimal("1.00")),
        lambda: PayoutLine.objects.filter(pk=line.pk).delete(),
        lambda: PayoutLine.objects.create(
            run=run, month=run.month, manager=anna, kind="per_minute", quantity=Decimal("1"),
            amount=Decimal("1.00")),
        lambda: PayoutRun.objects.filter(pk=run.pk).update(status="draft"),
    ):
        with pytest.raises(IntegrityError, match="SPEC 7"), transaction.atomic():
            change()
    assert PayoutLine.objects.get(pk=line.pk).amount == Decimal("50.00")
