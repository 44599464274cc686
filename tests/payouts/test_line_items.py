"""SPEC §4 explainability: each payout line's source rows are line items (a milestone, a payment),
with its share of the line and the decision that touched it; reads go through them."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from leads.models import MilestoneKind
from leads.services import lead_milestone_set
from payouts.engine.facts import comparable_figures, gather_facts
from payouts.engine.shares import ShareSpec, whole_month
from payouts.exceptions import commission_exception_request
from payouts.holds import held_by_exception
from payouts.lifecycle import payout_run_approve
from payouts.models import (
    ComponentKind,
    Decision,
    ExceptionKind,
    LineItemSource,
    PayoutLine,
    PayoutLineItem,
)
from payouts.selectors import payout_line_items, payout_line_source_rows
from salesops.models import Role
from tests.factories import (
    CallFactory,
    LeadFactory,
    LeadMilestoneFactory,
    ManagerFactory,
    PaymentFactory,
    TeamFactory,
)
from tests.payouts.factories import person, plan_for
from tests.payouts.helpers import DECEMBER, NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(team):
    manager = ManagerFactory(team=team)
    plan_for(manager, {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")},
             {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")})
    return manager


def confirmed(anna, day):
    """A lead confirmed on ``day`` of November, recorded as a manager records it (the
    service marks the month changed: late data after approval is adjusted, SPEC §6.5)."""
    return lead_milestone_set(lead=LeadFactory(owner=anna), kind=MilestoneKind.CONFIRMED,
                              at=moscow(2026, 11, day, 12, 0))


def test_a_lead_line_lists_the_milestones_it_paid(team, anna):
    milestones = [confirmed(anna, 3), confirmed(anna, 4)]
    line = PayoutLine.objects.get(run=compute(NOVEMBER, team), kind="per_confirmed_lead")
    assert list(payout_line_items(line=line).values_list(
        "source", "milestone", "quantity", "amount", "decision", "exception"
    )) == [
        (LineItemSource.MILESTONE, m.pk, Decimal("1.0000"), Decimal("500.00"), Decision.PAYABLE,
         None)
        for m in milestones
    ]
    assert set(payout_line_source_rows(line=line)) == {m.lead for m in milestones}


def test_a_revenue_line_finds_its_payments_and_their_shares(team, anna):
    lead = LeadFactory(owner=anna)
    payments = [PaymentFactory(lead=lead, amount=amount)
                for amount in (Decimal("100.05"), Decimal("200.05"))]
    line = PayoutLine.objects.get(run=compute(NOVEMBER, team), kind="revenue_percent")
    # 30.01 in all (300.10 × 10 %), each payment's share rounded once, the last one evening out.
    assert line.amount == Decimal("30.01")
    assert list(line.items.values_list("payment", "quantity", "amount")) == [
        (payments[0].pk, Decimal("100.0500"), Decimal("10.01")),
        (payments[1].pk, Decimal("200.0500"), Decimal("20.00")),
    ]
    assert set(payout_line_source_rows(line=line)) == set(payments)


def test_a_same_month_fake_lead_is_clawed_back_naming_the_fake_mark(team, anna):
    milestone = confirmed(anna, 3)
    fake = LeadMilestoneFactory(lead=milestone.lead, kind=MilestoneKind.FAKE,
                                at=moscow(2026, 11, 20, 12, 0))
    line = PayoutLine.objects.get(run=compute(NOVEMBER, team), key="clawback")
    assert list(line.items.values_list("milestone", "quantity", "amount")) == [
        (fake.pk, Decimal("-1.0000"), Decimal("-500.00"))
    ]


def test_a_line_item_names_exactly_one_source_row(team, anna):
    milestone = confirmed(anna, 3)
    payment = PaymentFactory(lead=milestone.lead)
    line = PayoutLine.objects.get(run=compute(NOVEMBER, team), kind="per_confirmed_lead")
    before = line.items.count()
    for fields in ({"source": LineItemSource.MILESTONE, "milestone": milestone,
                    "payment": payment},
                   {"source": LineItemSource.PAYMENT, "milestone": milestone},
                   {"source": LineItemSource.MILESTONE, "milestone": milestone,
                    "decision": Decision.OVERRIDDEN}):
        fields.setdefault("decision", Decision.PAYABLE)
        with pytest.raises(IntegrityError), transaction.atomic():
            PayoutLineItem.objects.create(line=line, quantity=Decimal("1"),
                                          amount=Decimal("1.00"), **fields)
    assert line.items.count() == before


def test_an_adjustment_lists_the_rows_it_newly_counts(team, anna):
    head = ManagerFactory(team=team, sales_head=True)
    first = confirmed(anna, 3)
    payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    late = confirmed(anna, 25)  # entered after November was approved (SPEC §6.5)
    adjustment = PayoutLine.objects.get(run=compute(DECEMBER, team), adjusts_month=NOVEMBER)
    assert (adjustment.key, adjustment.amount) == ("adj:2026-11:", Decimal("500.00"))
    assert list(adjustment.items.values_list("milestone", flat=True)) == [late.pk]
    assert first.pk not in set(PayoutLineItem.objects.filter(
        line__run__month=DECEMBER).values_list("milestone", flat=True))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers are PostgreSQL's")
def test_the_database_refuses_to_change_the_items_of_an_approved_run(team, anna):
    head = ManagerFactory(team=team, sales_head=True)
    confirmed(anna, 3)
    run = payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    item = PayoutLineItem.objects.get(line__run=run)
    for change in (
        lambda: PayoutLineItem.objects.filter(pk=item.pk).update(amount=Decimal("1.00")),
        lambda: PayoutLineItem.objects.filter(pk=item.pk).delete(),
    ):
        with pytest.raises(IntegrityError, match="SPEC 7"), transaction.atomic():
            change()
    assert PayoutLineItem.objects.get(pk=item.pk).amount == Decimal("500.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers are PostgreSQL's")
def test_the_database_refuses_a_statement_on_items_of_an_approved_run_among_open_ones(
    team, anna
):
    head = ManagerFactory(team=team, sales_head=True)
    confirmed(anna, 3)
    south = TeamFactory(code="south")
    bob = ManagerFactory(team=south)
    plan_for(bob, {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")})
    confirmed(bob, 4)
    locked = payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    open_run = compute(NOVEMBER, south)
    both = PayoutLineItem.objects.filter(line__run__in=[locked, open_run])
    open_item = PayoutLineItem.objects.get(line__run=open_run)
    locked_line = PayoutLine.objects.get(run=locked)
    before = sorted(both.values_list("pk", "line_id", "amount"))
    assert len(before) == 2

    def item(line, milestone):
        return PayoutLineItem(line=line, source=LineItemSource.MILESTONE, milestone=milestone,
                              quantity=Decimal("1"), amount=Decimal("1.00"),
                              decision=Decision.PAYABLE)

    for change in (
        lambda: both.update(amount=Decimal("1.00")),
        lambda: PayoutLineItem.objects.filter(pk__in=[pk for pk, *_ in before]).delete(),
        lambda: PayoutLineItem.objects.bulk_create([
            item(open_item.line, open_item.milestone), item(locked_line, open_item.milestone),
        ]),
        lambda: PayoutLineItem.objects.filter(pk=open_item.pk).update(line=locked_line),
    ):
        with pytest.raises(IntegrityError, match="SPEC 7"), transaction.atomic():
            change()
    assert sorted(both.values_list("pk", "line_id", "amount")) == before
    assert PayoutLineItem.objects.filter(line__run=open_run).update(amount=Decimal("2.00")) == 1


def test_a_run_knows_what_each_pending_exception_holds_in_it(team, anna):
    lead = LeadFactory(owner=anna)
    PaymentFactory(lead=lead, amount=Decimal("500000.00"))
    exception = commission_exception_request(
        lead=lead, kind=ExceptionKind.RATE, rate=Decimal("5"),
        requested_by=person(Role.SALES_HEAD, team).user, reason="deal terms",
    )
    other = LeadFactory(owner=anna)  # pending too, but nothing of it is paid in November
    commission_exception_request(
        lead=other, kind=ExceptionKind.EXCLUDE, requested_by=exception.requested_by,
        reason="deal terms",
    )
    assert held_by_exception(run=compute(NOVEMBER, team)) == {
        exception.pk: Decimal("50000.00")
    }


def test_figures_compare_alike_whatever_optional_aggregates_were_gathered(team, anna):
    CallFactory(manager=anna, started_at=moscow(2026, 11, 5, 10, 0), duration_s=61)
    share = ShareSpec(team.pk, anna.pk, whole_month(NOVEMBER), 15)
    everything = gather_facts(month=NOVEMBER, shares=[share])[share.key]
    plain = gather_facts(month=NOVEMBER, shares=[share], needs=frozenset())[share.key]
    assert everything != plain
    assert (comparable_figures(everything, frozenset())
            == comparable_figures(plain.to_json(), frozenset()))
    assert comparable_figures(everything, frozenset({"minutes_up", "by_outcome"})) \
        == everything.to_json()
