"""SPEC §3: the period is the organisation's calendar month; money rounds half up, once."""

import datetime
import doctest
from decimal import Decimal

import pytest

from salesops import money
from salesops.money import round_money
from salesops.periods import month_bounds, month_of


def test_example_9_call_at_2130_utc_on_31_october_belongs_to_november_in_moscow():
    started_at = datetime.datetime(2026, 10, 31, 21, 30, tzinfo=datetime.UTC)
    assert month_of(started_at) == datetime.date(2026, 11, 1)


def test_month_bounds_are_midnights_in_the_organisation_zone():
    start, end = month_bounds(datetime.date(2026, 11, 1))
    assert start == datetime.datetime(2026, 10, 31, 21, 0, tzinfo=datetime.UTC)
    assert end == datetime.datetime(2026, 11, 30, 21, 0, tzinfo=datetime.UTC)


def test_december_ends_at_new_year():
    _, end = month_bounds(datetime.date(2026, 12, 1))
    assert end.date() == datetime.date(2027, 1, 1)


def test_money_rounds_half_up_to_kopecks():
    assert round_money(Decimal("4.665")) == Decimal("4.67")
    assert round_money(Decimal("75.39999")) == Decimal("75.40")


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        round_money(75.4)


def test_money_doctests():
    assert doctest.testmod(money).failed == 0
