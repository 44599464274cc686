"""SPEC §5 commission exceptions, §7 approval, §8 example 6 (owner-routed), to the kopeck."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from leads.models import LeadSource
from payouts.exceptions import (
    CommissionExceptionError,
    commission_exception_approve,
    commission_exception_reject,
    commission_exception_request,
)
from payouts.lifecycle import PayoutRunError, payout_run_approve
from payouts.models import (
    CommissionException,
    ComponentKind,
    ExceptionKind,
    ExceptionStatus,
    PaidItem,
    PayoutLine,
    PayoutRun,
)
from salesops.models import AuditEntry, Role
from tests.factories import LeadFactory, ManagerFactory, PaymentFactory, TeamFactory
from tests.payouts.factories import CommissionExceptionFactory, person, plan_for
from tests.payouts.helpers import DECEMBER, NOVEMBER, compute

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(team):
    manager = ManagerFactory(team=team)
    plan_for(manager, {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")})
    return manager


@pytest.fixture
def head(team):
    return person(Role.SALES_HEAD, team)


@pytest.fixture
def owner():
    return person(Role.OWNER)


@pytest.fixture
def routed_lead(anna):
    lead = LeadFactory(owner=anna, source=LeadSource.OWNER_ROUTED)
    PaymentFactory(lead=lead, amount=Decimal("500000.00"))
    return lead


def paid(run, manager):
    return sum(
        PayoutLine.objects.filter(run=run, manager=manager, held=False)
        .values_list("amount", flat=True), Decimal("0.00"),
    )


def held(run, manager):
    return sum(
        PayoutLine.objects.filter(run=run, manager=manager, held=True)
        .values_list("amount", flat=True), Decimal("0.00"),
    )


def _five_percent(lead, requester):
    return commission_exception_request(
        lead=lead, kind=ExceptionKind.RATE, rate=Decimal("5"), requested_by=requester,
        reason="Owner-routed: the owner agreed 5% for this lead",
    )


def test_example_6_owner_routed_lead_pays_50000(team, anna, routed_lead):
    run = compute(NOVEMBER, team)
    assert paid(run, anna) == Decimal("50000.00")
    assert held(run, anna) == Decimal("0.00")


def test_example_6_with_an_approved_5_percent_exception_pays_25000(
    team, anna, head, owner, routed_lead
):
    exception = _five_percent(routed_lead, head.user)
    commission_exception_approve(exception=exception, approved_by=owner.user, comment="ok")
    run = compute(NOVEMBER, team)
    line = PayoutLine.objects.get(run=run, manager=anna)
    assert (line.key, line.rate, line.amount, line.held) == (
        f"exception:{exception.pk}", Decimal("5.0000"), Decimal("25000.00"), False
    )
    assert paid(run, anna) == Decimal("25000.00")


def test_example_6_while_the_exception_is_pending_0_paid_50000_held(
    team, anna, head, routed_lead
):
    _five_percent(routed_lead, head.user)
    run = compute(NOVEMBER, team)
    assert paid(run, anna) == Decimal("0.00")
    assert held(run, anna) == Decimal("50000.00")
    # Held money is not in the ledger: it is paid once the decision is made.
    assert not PaidItem.objects.filter(run=run).exists()


def test_a_run_cannot_be_approved_while_an_exception_in_it_is_pending(
    team, anna, head, owner, routed_lead
):
    exception = _five_percent(routed_lead, head.user)
    run = compute(NOVEMBER, team)
    with pytest.raises(PayoutRunError, match="Pending exceptions hold money"):
        payout_run_approve(run=run, approved_by=owner.user)
    assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.COMPUTED
    commission_exception_approve(exception=exception, approved_by=owner.user)
    # Decided after the computation: the run still shows it held, so compute again first.
    with pytest.raises(PayoutRunError):
        payout_run_approve(run=run, approved_by=owner.user)
    run = compute(NOVEMBER, team)
    assert payout_run_approve(run=run, approved_by=owner.user).status == "approved"
    assert paid(run, anna) == Decimal("25000.00")


def test_requester_cannot_approve_own_exception(head, routed_lead):
    exception = _five_percent(routed_lead, head.user)
    with pytest.raises(CommissionExceptionError, match="does not decide it"):
        commission_exception_approve(exception=exception, approved_by=head.user)
    with pytest.raises(CommissionExceptionError, match="does not decide it"):
        commission_exception_reject(exception=exception, rejected_by=head.user, comment="no")
    assert CommissionException.objects.get(pk=exception.pk).status == ExceptionStatus.PENDING


def test_the_database_refuses_a_checker_who_is_the_maker(routed_lead):
    exception = CommissionExceptionFactory(lead=routed_lead)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommissionException.objects.filter(pk=exception.pk).update(
            status=ExceptionStatus.APPROVED, decided_by=exception.requested_by,
            decided_at=exception.requested_at,
        )


def test_a_manager_or_another_teams_head_cannot_approve(team, anna, owner, routed_lead):
    exception = _five_percent(routed_lead, owner.user)
    for outsider in (person(Role.MANAGER, team), person(Role.SALES_HEAD, TeamFactory())):
        with pytest.raises(CommissionExceptionError, match="no right"):
            commission_exception_approve(exception=exception, approved_by=outsider.user)
    head = person(Role.SALES_HEAD, team)
    assert commission_exception_approve(exception=exception, approved_by=head.user).status == (
        ExceptionStatus.APPROVED
    )


def test_an_exception_needs_a_reason_and_a_rejection_needs_a_comment(head, owner, routed_lead):
    with pytest.raises(CommissionExceptionError, match="reason"):
        commission_exception_request(lead=routed_lead, kind=ExceptionKind.EXCLUDE, reason="  ",
                                     requested_by=head.user)
    exception = _five_percent(routed_lead, head.user)
    with pytest.raises(CommissionExceptionError, match="A rejection needs a reason"):
        commission_exception_reject(exception=exception, rejected_by=owner.user, comment="")


def test_a_rejected_exception_leaves_the_plans_rate(team, anna, head, owner, routed_lead):
    exception = _five_percent(routed_lead, head.user)
    commission_exception_reject(exception=exception, rejected_by=owner.user,
                                comment="the plan's rate stands")
    run = compute(NOVEMBER, team)
    assert paid(run, anna) == Decimal("50000.00")


def test_every_decision_is_audited_with_before_and_after(head, owner, routed_lead):
    exception = _five_percent(routed_lead, head.user)
    commission_exception_approve(exception=exception, approved_by=owner.user, comment="fine")
    entries = list(AuditEntry.objects.filter(object_id=exception.pk).order_by("pk"))
    assert [(e.action, e.by_id) for e in entries] == [
        ("exception_requested", head.user.pk), ("exception_approved", owner.user.pk)
    ]
    assert entries[1].before["status"] == "pending"
    assert entries[1].after["status"] == "approved"
    assert entries[1].comment == "fine"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers are PostgreSQL's")
def test_the_database_refuses_to_edit_the_audit_trail(head, routed_lead):
    _five_percent(routed_lead, head.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.update(comment="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.all().delete()


def test_exclusion_pays_nothing_and_a_fixed_amount_is_paid_once(team, anna, head, owner):
    excluded = LeadFactory(owner=anna)
    PaymentFactory(lead=excluded, amount=Decimal("1000.00"))
    fixed = LeadFactory(owner=anna)
    PaymentFactory(lead=fixed, amount=Decimal("1000.00"))
    PaymentFactory(lead=fixed, amount=Decimal("1000.00"), received_on=DECEMBER)
    for lead, kind, amount in ((excluded, ExceptionKind.EXCLUDE, None),
                               (fixed, ExceptionKind.FIXED, Decimal("3000.00"))):
        exception = commission_exception_request(
            lead=lead, kind=kind, amount=amount, requested_by=head.user, reason="deal terms"
        )
        commission_exception_approve(exception=exception, approved_by=owner.user)
    assert paid(compute(NOVEMBER, team), anna) == Decimal("3000.00")
    assert paid(compute(DECEMBER, team), anna) == Decimal("0.00")
