"""A prepaid balance for work paid by time: top-ups, write-offs as the work comes in, the
forecast end date, a mail below the threshold, never negative without saying so (issue 19)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from payouts.models import ComponentKind as K
from payouts.vendors.balance import (
    BalanceError,
    balance_state,
    vendor_balance,
    vendor_balance_top_up,
)
from payouts.vendors.models import BalanceEntry
from payouts.vendors.statements import vendor_statement_compute
from salesops.inputs import activity
from salesops.models import Outcome
from tests.factories import CallFactory, UserFactory
from tests.payouts.helpers import DECEMBER, moscow

from .helpers import NOVEMBER, contract, vendor_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def prepaid():
    vendor, world = vendor_world(prepaid=True, low_balance_threshold=Decimal("100.00"),
                                 notify_email="kc@dozvon.example")
    contract(vendor, (K.PER_MINUTE, "3.50"), (K.PER_CONFIRMED_LEAD, "1000.00"))
    return vendor, world


def test_a_top_up_adds_and_the_months_time_work_is_written_off(prepaid):
    """Top-up 500.00; November's minutes cost 24.56 (the confirmed leads are not time):
    balance 475.44."""
    vendor, _world = prepaid
    vendor_balance_top_up(vendor=vendor, amount=Decimal("500.00"), by=UserFactory())
    vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    assert vendor_balance(vendor) == Decimal("475.44")
    assert list(vendor.balance.filter(kind=BalanceEntry.Kind.WRITE_OFF)
                .values_list("month", "amount")) == [(NOVEMBER, Decimal("-24.56"))]


def test_computing_again_writes_off_only_the_difference(prepaid):
    """A late November call of 120 s adds 7.00: written off once, not 24.56 again."""
    vendor, world = prepaid
    vendor_balance_top_up(vendor=vendor, amount=Decimal("500.00"), by=UserFactory())
    vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    CallFactory(manager=world["olga"], started_at=moscow(2026, 11, 28, 10, 0), duration_s=120,
                talk_s=5, outcome=Outcome.ANSWERED)
    vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    assert sorted(vendor.balance.filter(kind=BalanceEntry.Kind.WRITE_OFF)
                  .values_list("amount", flat=True)) == [Decimal("-24.56"), Decimal("-7.00")]
    assert vendor_balance(vendor) == Decimal("468.44")


def test_work_imported_into_the_open_month_is_written_off_as_it_comes(
        prepaid, django_capture_on_commit_callbacks):
    """A December call of 600 s written through the layer: 600 × 3.50 / 60 = 35.00 off."""
    vendor, world = prepaid
    vendor_balance_top_up(vendor=vendor, amount=Decimal("500.00"), by=UserFactory())
    call = CallFactory.build(manager=world["olga"], started_at=moscow(2026, 12, 2, 10, 0),
                             duration_s=600, talk_s=500, outcome=Outcome.CONSENT)
    with django_capture_on_commit_callbacks(execute=True):
        activity.call_save(call=call)
    assert list(vendor.balance.filter(kind=BalanceEntry.Kind.WRITE_OFF)
                .values_list("month", "amount")) == [(DECEMBER, Decimal("-35.00"))]


def test_below_the_threshold_one_mail_until_the_next_top_up(
        prepaid, django_capture_on_commit_callbacks):
    """Top-up 110.00, minus 24.56 = 85.44 < 100.00: one mail; computing again sends none."""
    vendor, _world = prepaid
    vendor_balance_top_up(vendor=vendor, amount=Decimal("110.00"), by=UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        vendor_statement_compute(vendor=vendor, month=NOVEMBER)
        vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    assert [m.to for m in mail.outbox] == [["kc@dozvon.example"]]
    assert "85" in mail.outbox[0].body


def test_a_negative_balance_is_kept_and_said(prepaid, django_capture_on_commit_callbacks):
    """No top-up: the work is still written off (−24.56), and the state says negative."""
    vendor, _world = prepaid
    with django_capture_on_commit_callbacks(execute=True):
        vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    state = balance_state(vendor)
    assert (state.balance, state.negative, state.below_threshold) == (
        Decimal("-24.56"), True, True)
    assert "negative" in mail.outbox[0].subject


def test_the_forecast_end_date_follows_the_pace_of_the_work(
        prepaid, django_capture_on_commit_callbacks):
    """On 7 December, December's write-offs are 35.00 over 7 days = 5.00 a day; 465.00 left
    lasts 93 days: 9 March 2027."""
    vendor, world = prepaid
    vendor_balance_top_up(vendor=vendor, amount=Decimal("500.00"), by=UserFactory())
    call = CallFactory.build(manager=world["olga"], started_at=moscow(2026, 12, 2, 10, 0),
                             duration_s=600, talk_s=500, outcome=Outcome.CONSENT)
    with django_capture_on_commit_callbacks(execute=True):
        activity.call_save(call=call)
    state = balance_state(vendor)
    assert (state.balance, state.daily_spend, state.runs_out_on) == (
        Decimal("465.00"), Decimal("5.00"), datetime.date(2027, 3, 10))


def test_a_top_up_is_positive():
    vendor, _world = vendor_world(prepaid=True)
    with pytest.raises(BalanceError):
        vendor_balance_top_up(vendor=vendor, amount=Decimal("0"), by=None)


def test_a_late_call_of_a_month_still_in_draft_is_written_off_with_the_next_import(
        prepaid, django_capture_on_commit_callbacks):
    """November is a draft (24.56 off); an import brings a late November call of 120 s (7.00)
    and a December call of 600 s (35.00): both written off, 433.44 left of 500.00."""
    vendor, world = prepaid
    vendor_balance_top_up(vendor=vendor, amount=Decimal("500.00"), by=UserFactory())
    vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        for when, seconds in ((moscow(2026, 11, 28, 10, 0), 120),
                              (moscow(2026, 12, 2, 10, 0), 600)):
            activity.call_save(call=CallFactory.build(
                manager=world["olga"], started_at=when, duration_s=seconds, talk_s=5,
                outcome=Outcome.ANSWERED))
    assert vendor_balance(vendor) == Decimal("433.44")


def test_a_burst_of_calls_in_the_open_month_queues_one_balance_sync(settings,
                                                                    queued_with_a_broker):
    from payouts.vendors import tasks

    settings.VENDOR_BALANCES_SYNC_DELAY_S = 30
    queued = queued_with_a_broker(tasks.vendor_balances_sync)
    for _call in range(3):
        tasks.vendor_balances_sync_soon()
    assert queued == [{"countdown": 30}]
