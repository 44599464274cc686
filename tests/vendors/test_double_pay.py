"""The double-pay guard fires where two components pay one result, with the amount paid twice
on the period's data, and not otherwise (issue 19). Figures of ``helpers``."""

from decimal import Decimal

import pytest

from payouts.models import ComponentKind as K
from payouts.vendors.compare import compare_plans
from payouts.vendors.doublepay import double_pay
from payouts.vendors.statements import vendor_month_lines
from tests.factories import MonthlyPlanFactory
from tests.payouts.factories import PlanComponentFactory

from .helpers import NOVEMBER, contract, vendor_world

pytestmark = pytest.mark.django_db


def _overlaps(*components):
    vendor, _world = vendor_world()
    version = contract(vendor, *components)
    _v, facts, _lines = vendor_month_lines(vendor=vendor, month=NOVEMBER)
    return [(o.first, o.second, o.amount) for o in double_pay(version, facts)]


def test_per_effective_call_and_per_confirmed_lead():
    """2 effective calls, 3 confirmed leads: 2 leads paid twice at the smaller rate 150.00."""
    assert _overlaps((K.PER_EFFECTIVE_CALL, "150.00"), (K.PER_CONFIRMED_LEAD, "1000.00")) == [
        ("per_effective_call", "per_confirmed_lead", Decimal("300.00"))]


def test_per_minute_and_per_hour_over_the_same_time():
    """421 s of calls inside 12.5 h of shifts: by the minute 24.56, by the hour 421 × 250 /
    3600 = 29.24; the smaller, 24.56, is paid twice."""
    assert _overlaps((K.PER_MINUTE, "3.50"), (K.PER_HOUR, "250.00")) == [
        ("per_minute", "per_hour", Decimal("24.56"))]


def test_per_conversation_and_plan_base_on_the_same_conversations():
    """Olga's target is 1 conversation: 1 of the 3 conversations counts towards the base
    (5000.00 paid) and is paid 40.00 again."""
    vendor, world = vendor_world()
    MonthlyPlanFactory(manager=world["olga"], month=NOVEMBER, target_conversations=1)
    version = contract(vendor, (K.PER_CONVERSATION, "40.00"))
    PlanComponentFactory(version=version, kind=K.PLAN_BASE, amount=Decimal("5000.00"))
    _v, facts, _lines = vendor_month_lines(vendor=vendor, month=NOVEMBER)
    assert [(o.first, o.second, o.amount) for o in double_pay(version, facts)] == [
        ("per_conversation", "plan_base", Decimal("40.00"))]


def test_minutes_and_confirmed_leads_pay_different_results_and_raise_no_warning():
    assert _overlaps((K.PER_MINUTE, "3.50"), (K.PER_CONFIRMED_LEAD, "1000.00")) == []


def test_effective_calls_and_arrived_clients_raise_no_warning():
    assert _overlaps((K.PER_EFFECTIVE_CALL, "150.00"), (K.PER_ARRIVED_CLIENT, "900.00")) == []


def test_an_overlapping_pair_with_nothing_paid_twice_in_the_period_is_quiet():
    """Per effective call + per confirmed lead with no confirmed lead in the month: nothing."""
    vendor, _world = vendor_world()
    version = contract(vendor, (K.PER_EFFECTIVE_CALL, "150.00"), (K.PER_CONFIRMED_LEAD, "1000"))
    _v, facts, _lines = vendor_month_lines(vendor=vendor, month=NOVEMBER)
    facts.milestones["confirmed"] = []
    assert double_pay(version, facts) == []


def test_the_what_if_report_names_the_double_pay():
    vendor, _world = vendor_world()
    contract(None, (K.PER_EFFECTIVE_CALL, "150.00"), (K.PER_CONFIRMED_LEAD, "1000.00"),
             code="mixed")
    comparison = compare_plans(month=NOVEMBER, plan_codes=["mixed"], vendor="dozvon")
    assert comparison.to_json()["plans"][0]["double_paid"] == [{
        "components": ["per_effective_call", "per_confirmed_lead"], "amount": "300.00",
        "why": "2 confirmed leads on effective calls"}]
