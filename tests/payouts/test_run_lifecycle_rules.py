"""SPEC §7 lifecycle rules: what is approved is what the approver saw, only a month that is over,
only this run's exceptions block, payroll of approved runs only, paid through the command."""

import csv
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from leads.models import LeadSource
from leads.services import payment_create
from payouts.exceptions import commission_exception_approve, commission_exception_request
from payouts.lifecycle import (
    BlockingException,
    PayoutRunBlocked,
    PayoutRunError,
    PayoutRunNotOver,
    PayoutRunStale,
    month_has_ended,
    payout_run_approve,
    payout_run_mark_paid,
)
from payouts.models import ComponentKind, ExceptionKind, PayoutLine, PayoutRun, PayoutRunTransition
from payouts.services import payout_run_recompute_changed
from salesops.formatting import format_month
from salesops.models import AuditEntry, Role
from salesops.periods import current_month
from tests.factories import LeadFactory, PaymentFactory
from tests.payouts.factories import calls, person, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow, snapshot

pytestmark = pytest.mark.django_db
OCTOBER_DAY = NOVEMBER.replace(month=10, day=15)


@pytest.fixture
def anna(team):
    manager = person(Role.MANAGER, team, username="anna")
    plan_for(manager, {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")},
             {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
    calls(manager, 5, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=40)
    return manager


@pytest.fixture
def head(team):
    return person(Role.SALES_HEAD, team, username="head.north")


@pytest.fixture
def owner():
    return person(Role.OWNER, username="owner")


@pytest.fixture
def routed_lead(anna):
    lead = LeadFactory(owner=anna, source=LeadSource.OWNER_ROUTED)
    PaymentFactory(lead=lead, amount=Decimal("500000.00"))
    return lead


def _five_percent(lead, requester):
    return commission_exception_request(
        lead=lead, kind=ExceptionKind.RATE, rate=Decimal("5"), requested_by=requester,
        reason="Owner-routed: the owner agreed 5% for this lead",
    )


def _paid(run, manager) -> Decimal:
    return sum(PayoutLine.objects.filter(run=run, manager=manager, held=False)
               .values_list("amount", flat=True), Decimal("0.00"))


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_decision_made_after_computing_makes_the_run_stale_and_approval_refuses(
    team, anna, head, owner, routed_lead
):
    exception = _five_percent(routed_lead, head.user)
    run = compute(NOVEMBER, team)
    commission_exception_approve(exception=exception, approved_by=owner.user)
    with pytest.raises(PayoutRunStale, match="recompute first") as refused:
        payout_run_approve(run=run, approved_by=owner.user)
    assert [(s.manager_id, s.reason) for s in refused.value.members] == [
        (anna.pk, "inputs changed")
    ]
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED
    assert _paid(run, anna) == Decimal("50.00")  # the conversations only: 50 000 held


def test_a_decision_made_after_computing_is_in_the_approved_run(
    team, anna, head, owner, routed_lead
):
    exception = _five_percent(routed_lead, head.user)
    compute(NOVEMBER, team)
    commission_exception_approve(exception=exception, approved_by=owner.user)
    with pytest.raises(CommandError, match="--recompute"):
        _run("approve_payouts", "2026-11", "--team", "north", "--by", "owner")
    # The owner asked for the recomputation, so someone else approves it (SPEC §1).
    with pytest.raises(CommandError, match="Whoever asked for a computation"):
        _run("approve_payouts", "2026-11", "--team", "north", "--by", "owner", "--recompute")
    assert PayoutRun.objects.get(month=NOVEMBER, team=team).status == PayoutRun.Status.COMPUTED
    output = _run("approve_payouts", "2026-11", "--team", "north", "--by", "head.north")
    assert output == "north 2026-11 approved by head.north\n"
    run = PayoutRun.objects.get(month=NOVEMBER, team=team)
    assert run.status == PayoutRun.Status.APPROVED
    assert _paid(run, anna) == Decimal("25050.00")


def test_a_change_made_by_any_path_after_computing_makes_the_run_stale(team, anna, head):
    run = compute(NOVEMBER, team)
    # Written straight to the table, as an admin edit or a spreadsheet import would: no mark.
    calls(anna, 2, started_at=moscow(2026, 11, 20, 10, 0), talk_s=30, duration_s=40)
    with pytest.raises(PayoutRunStale) as refused:
        payout_run_approve(run=run, approved_by=head.user)
    assert [(s.manager_id, s.reason) for s in refused.value.members] == [
        (anna.pk, "figures changed")
    ]


def test_the_current_month_cannot_be_approved(team, anna, head):
    month = current_month()
    calls(anna, 3, started_at=moscow(month.year, month.month, 1, 12, 0), talk_s=30)
    run = compute(month, team)
    with pytest.raises(PayoutRunNotOver,
                       match=f"{format_month(month)} has not ended in Europe/Moscow"):
        payout_run_approve(run=run, approved_by=head.user)
    with pytest.raises(CommandError, match="has not ended"):
        _run("approve_payouts", f"{month:%Y-%m}", "--team", "north", "--by", "head.north")
    assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.COMPUTED


def test_a_month_ends_at_midnight_in_the_organisations_zone():
    assert not month_has_ended(NOVEMBER, now=moscow(2026, 11, 30, 23, 59, 59))
    assert month_has_ended(NOVEMBER, now=moscow(2026, 12, 1, 0, 0))


def test_an_exception_on_a_lead_of_another_month_does_not_block(team, anna, head, owner):
    october_lead = LeadFactory(owner=anna, source=LeadSource.OWNER_ROUTED)
    PaymentFactory(lead=october_lead, amount=Decimal("300000.00"), received_on=OCTOBER_DAY)
    _five_percent(october_lead, head.user)
    run = compute(NOVEMBER, team)
    assert payout_run_approve(run=run, approved_by=owner.user).status == "approved"


def test_the_refusal_lists_the_blocking_exceptions(team, anna, head, owner, routed_lead):
    exception = _five_percent(routed_lead, head.user)
    run = compute(NOVEMBER, team)
    with pytest.raises(PayoutRunBlocked) as refused:
        payout_run_approve(run=run, approved_by=owner.user)
    assert refused.value.exceptions == [
        BlockingException(id=exception.pk, lead_id=routed_lead.pk, amount=Decimal("50000.00"))
    ]
    assert (f"the exception on lead «{routed_lead}» holds ₽50,000.00"
            in str(refused.value))
    assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.COMPUTED


def test_export_refuses_a_run_that_is_not_approved(team, anna, tmp_path):
    compute(NOVEMBER, team)
    path = tmp_path / "payroll.csv"
    with pytest.raises(CommandError, match=r"once a month is approved; not approved yet: "
                                           rf"{team.name}, November 2026 \(computed\)"):
        _run("export_payouts", "2026-11", "--output", str(path))
    assert not path.exists()


def test_export_refuses_a_month_with_no_run(team, tmp_path):
    with pytest.raises(CommandError, match="no pay computed for November 2026"):
        _run("export_payouts", "2026-11", "--output", str(tmp_path / "payroll.csv"))


def test_a_run_reaches_paid_through_the_command_and_is_immutable_after(
    team, anna, head, owner, tmp_path
):
    admin = person(Role.ADMIN, username="admin")
    run = payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    path = tmp_path / "payroll.csv"
    _run("export_payouts", "2026-11", "--output", str(path))
    assert [row["Total payable"] for row in csv.DictReader(path.open(encoding="utf-8-sig"))] == [
        "50.00"]
    for who in ("anna", "head.north"):
        with pytest.raises(CommandError, match="may not mark pay as paid"):
            _run("mark_payouts_paid", "2026-11", "--team", "north", "--by", who)
    assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.APPROVED
    assert _run("mark_payouts_paid", "2026-11", "--team", "north", "--by", "admin") == (
        "north 2026-11 marked paid by admin\n"
    )
    run.refresh_from_db()
    assert (run.status, run.paid_at is not None) == (PayoutRun.Status.PAID, True)
    assert PayoutRunTransition.objects.filter(run=run).last().by == admin.user
    audit = AuditEntry.objects.get(action="payout_run_paid", object_id=run.pk)
    assert (audit.by, audit.before, audit.after["status"]) == (
        admin.user, {"status": "approved"}, "paid")

    before = snapshot(run)
    calls(anna, 3, started_at=moscow(2026, 11, 6, 10, 0), talk_s=30)
    assert compute(NOVEMBER, team).status == PayoutRun.Status.PAID
    assert payout_run_recompute_changed(run=run) is None
    with pytest.raises(PayoutRunError, match="Only an approved month"):
        payout_run_mark_paid(run=run, paid_by=owner.user)
    with pytest.raises(PayoutRunError, match="Only a computed month"):
        payout_run_approve(run=run, approved_by=owner.user)
    if connection.vendor == "postgresql":  # the triggers of migration 0002
        with pytest.raises(IntegrityError, match="SPEC 7"), transaction.atomic():
            PayoutLine.objects.filter(run=run).update(amount=Decimal("1.00"))
    assert snapshot(run) == before


def test_a_payment_in_the_open_month_refreshes_earned_so_far_once_it_commits(
    team, anna, django_capture_on_commit_callbacks
):
    month = current_month()
    run = compute(month, team)
    assert _paid(run, anna) == Decimal("0.00")
    lead = LeadFactory(owner=anna, source=LeadSource.COLD_CALL)
    with django_capture_on_commit_callbacks(execute=True):
        payment_create(lead=lead, amount=Decimal("1000.00"), received_on=month)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED
    assert _paid(run, anna) == Decimal("100.00")


def test_a_decision_on_a_lead_of_another_month_does_not_make_this_run_stale(
    team, anna, head, owner
):
    october_lead = LeadFactory(owner=anna, source=LeadSource.OWNER_ROUTED)
    PaymentFactory(lead=october_lead, amount=Decimal("300000.00"), received_on=OCTOBER_DAY)
    exception = _five_percent(october_lead, head.user)
    run = compute(NOVEMBER, team)
    commission_exception_approve(exception=exception, approved_by=owner.user)
    assert payout_run_approve(run=run, approved_by=head.user).status == "approved"
