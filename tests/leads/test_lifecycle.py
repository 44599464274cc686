"""SPEC §2 lead history, §6.2 a milestone pays once, §6.6 fake leads and refunds."""

import datetime
from decimal import Decimal

import pytest

from leads.models import LeadSource, MilestoneKind
from leads.selectors import lead_status
from leads.services import LeadError, lead_create, lead_milestone_set, payment_refund
from payouts.lifecycle import payout_run_approve
from payouts.models import ComponentKind, PaidItem
from payouts.partners import partner_statement_compute
from salesops.models import Role
from tests.factories import ManagerFactory, PartnerFactory, PaymentFactory
from tests.payouts.factories import person, plan_for
from tests.payouts.helpers import DECEMBER, NOVEMBER, amounts, compute, moscow

pytestmark = pytest.mark.django_db
JANUARY = datetime.date(2027, 1, 1)


@pytest.fixture
def anna(team):
    manager = ManagerFactory(team=team)
    plan_for(manager, {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")},
             {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")})
    return manager


@pytest.fixture
def head(team):
    return person(Role.SALES_HEAD, team)


def _confirmed(anna, at):
    lead = lead_create(owner=anna, source=LeadSource.COLD_CALL, phone="89161234567",
                       created_at=at - datetime.timedelta(days=1))
    lead_milestone_set(lead=lead, kind=MilestoneKind.CONFIRMED, at=at, by=anna.user)
    return lead


def test_status_is_derived_from_history_with_who_and_when(anna):
    lead = _confirmed(anna, moscow(2026, 11, 3, 10, 0))
    lead_milestone_set(lead=lead, kind=MilestoneKind.WON, at=moscow(2026, 11, 4, 10, 0))
    assert lead_status(lead=lead) == MilestoneKind.WON
    assert list(lead.milestones.values_list("kind", "set_by")) == [
        ("confirmed", anna.user.pk), ("won", None)]


def test_an_illegal_move_is_refused(anna):
    lead = _confirmed(anna, moscow(2026, 11, 3, 10, 0))
    lead_milestone_set(lead=lead, kind=MilestoneKind.FAKE, at=moscow(2026, 11, 4, 10, 0))
    with pytest.raises(LeadError):
        lead_milestone_set(lead=lead, kind=MilestoneKind.CONFIRMED)


def test_back_and_forth_never_repays_a_milestone(team, anna):
    lead = _confirmed(anna, moscow(2026, 11, 3, 10, 0))
    lead_milestone_set(lead=lead, kind=MilestoneKind.LOST, at=moscow(2026, 11, 10, 10, 0))
    lead_milestone_set(lead=lead, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 12, 1, 10, 0))
    assert amounts(compute(NOVEMBER, team), anna) == {
        ("per_confirmed_lead", ""): Decimal("500.00")}
    assert amounts(compute(DECEMBER, team), anna) == {}
    assert PaidItem.objects.filter(item_id=lead.pk, item_kind="lead").count() == 1


def test_fake_inside_the_clawback_window_after_approval_is_clawed_back_next_open_month(
    team, anna, head
):
    lead = _confirmed(anna, moscow(2026, 11, 20, 10, 0))
    payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    lead_milestone_set(lead=lead, kind=MilestoneKind.FAKE, at=moscow(2026, 12, 15, 10, 0))
    assert amounts(compute(DECEMBER, team), anna) == {
        ("per_confirmed_lead", "clawback"): Decimal("-500.00")}


def test_fake_outside_the_clawback_window_is_not_clawed_back(team, anna, head):
    lead = _confirmed(anna, moscow(2026, 11, 2, 10, 0))
    payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    lead_milestone_set(lead=lead, kind=MilestoneKind.FAKE, at=moscow(2027, 1, 5, 10, 0))
    assert amounts(compute(JANUARY, team), anna) == {}


def test_a_refund_reverses_revenue_percent_and_partner_commission(team, anna):
    partner = PartnerFactory(default_percent=Decimal("10"), hold_days=30)
    lead = lead_create(owner=anna, source=LeadSource.PARTNER_REFERRED, partner=partner,
                       phone="89161112233", created_at=moscow(2026, 10, 1, 10, 0))
    payment = PaymentFactory(lead=lead, amount=Decimal("30000.00"),
                             received_on=datetime.date(2026, 10, 1))
    assert partner_statement_compute(partner=partner, month=datetime.date(2026, 10, 1)).payable \
        == Decimal("3000.00")
    compute(datetime.date(2026, 10, 1), team)
    payment_refund(payment=payment, received_on=datetime.date(2026, 11, 10))
    assert amounts(compute(NOVEMBER, team), anna) == {
        ("revenue_percent", "refund:partner_referred"): Decimal("-3000.00")}
    november = partner_statement_compute(partner=partner, month=NOVEMBER)
    assert list(november.lines.values_list("kind", "amount")) == [
        ("clawback", Decimal("-3000.00"))]
    assert (november.payable, november.carried_out) == (Decimal("0.00"), Decimal("-3000.00"))


def test_a_refund_cannot_exceed_what_was_paid(anna):
    payment = PaymentFactory(lead__owner=anna, amount=Decimal("100.00"))
    payment_refund(payment=payment, received_on=datetime.date(2026, 11, 5),
                   amount=Decimal("60.00"))
    with pytest.raises(LeadError):
        payment_refund(payment=payment, received_on=datetime.date(2026, 11, 6),
                       amount=Decimal("40.01"))
