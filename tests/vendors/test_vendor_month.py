"""A vendor month under each contract kind, to the kopeck (issue 19). The figures are those of
``helpers`` (read its table); each expectation is worked out in the test's docstring."""

from decimal import Decimal

import pytest

from payouts.models import ComponentKind as K
from payouts.vendors.models import VendorStatement
from payouts.vendors.statements import vendor_statement_compute
from salesops.models import Outcome

from .helpers import NOVEMBER, contract, vendor_world

pytestmark = pytest.mark.django_db


def _month(*components, **version):
    vendor, world = vendor_world()
    contract(vendor, *components, **version)
    statement = vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    lines = {(line.kind, line.key): line.amount for line in statement.lines.all()}
    return statement, lines, world


def test_per_minute_exact_pays_every_operator_second():
    """421 s × 3.50 / 60 = 24.558… → 24.56."""
    statement, lines, _w = _month((K.PER_MINUTE, "3.50"))
    assert lines == {("per_minute", ""): Decimal("24.56")}
    assert statement.total == Decimal("24.56")


def test_per_minute_rounded_up_per_call():
    """2 + 3 + 1 + 4 = 10 minutes × 3.50 = 35.00."""
    _s, lines, _w = _month((K.PER_MINUTE, "3.50"), rounding="per_call_up")
    assert lines == {("per_minute", ""): Decimal("35.00")}


def test_per_hour_pays_the_shifts():
    """8 h + 4.5 h = 12.5 h × 250.00 = 3125.00."""
    _s, lines, _w = _month((K.PER_HOUR, "250.00"))
    assert lines == {("per_hour", ""): Decimal("3125.00")}


def test_differentiated_minutes_pay_each_outcome_at_its_rate():
    """consent 61 s × 10 / 60 = 10.17; answered 130 s × 1 / 60 = 2.17; presentation 30 s × 8
    / 60 = 4.00; decision maker 200 s × 5 / 60 = 16.67."""
    _s, lines, _w = _month((K.DIFFERENTIATED_MINUTES, "0", {
        Outcome.CONSENT: "10", Outcome.ANSWERED: "1", Outcome.PRESENTATION: "8",
        Outcome.DECISION_MAKER: "5"}))
    assert lines == {
        ("differentiated_minutes", "consent"): Decimal("10.17"),
        ("differentiated_minutes", "answered"): Decimal("2.17"),
        ("differentiated_minutes", "presentation"): Decimal("4.00"),
        ("differentiated_minutes", "decision_maker"): Decimal("16.67"),
    }


def test_per_conversation_over_the_contract_threshold():
    """Threshold 30 s: c1 (40 s) and c4 (180 s) → 2 × 40.00 = 80.00."""
    _s, lines, _w = _month((K.PER_CONVERSATION, "40.00"), threshold_s=30)
    assert lines == {("per_conversation", ""): Decimal("80.00")}


def test_per_effective_call():
    """Presentation or consent with 15 s of talk: c1 and c3 → 2 × 150.00 = 300.00."""
    _s, lines, _w = _month((K.PER_EFFECTIVE_CALL, "150.00"))
    assert lines == {("per_effective_call", ""): Decimal("300.00")}


def test_per_confirmed_lead_pays_leads_first_confirmed_in_the_month():
    """L1, L2, L3 (L0 was confirmed in October) → 3 × 1000.00 = 3000.00."""
    statement, lines, world = _month((K.PER_CONFIRMED_LEAD, "1000.00"))
    assert lines == {("per_confirmed_lead", ""): Decimal("3000.00")}
    line = statement.lines.get(kind="per_confirmed_lead")
    assert sorted(s.milestone.lead_id for s in line.sources.all()) == sorted(
        world[name].pk for name in ("L1", "L2", "L3"))


def test_per_arrived_client():
    """L3 arrived → 1 × 2500.00."""
    _s, lines, _w = _month((K.PER_ARRIVED_CLIENT, "2500.00"))
    assert lines == {("per_arrived_client", ""): Decimal("2500.00")}


def test_a_mixed_contract_adds_its_components():
    """24.56 + 3000.00 = 3024.56."""
    statement, _lines, _w = _month((K.PER_MINUTE, "3.50"), (K.PER_CONFIRMED_LEAD, "1000.00"))
    assert statement.total == Decimal("3024.56")
    assert statement.status == VendorStatement.Status.DRAFT


def test_operators_are_not_staff_and_cannot_log_in():
    _vendor, world = vendor_world()
    assert not world["olga"].user.has_usable_password()
    assert not world["olga"].user.is_staff


def test_the_monthly_pay_computation_never_pays_a_vendors_operators():
    from payouts.models import PayoutRun
    from payouts.tasks import compute_payout_run

    vendor, _world = vendor_world()
    compute_payout_run.apply(kwargs={"month": "2026-11", "synchronous": True})
    assert not PayoutRun.objects.filter(team=vendor.team).exists()
    assert PayoutRun.objects.exists()  # the staff manager's team was computed
