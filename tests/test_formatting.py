"""Money and months read as the reader's language writes them (issue: locale of every page)."""

import datetime
import doctest
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from salesops import formatting


def test_formatting_doctests():
    result = doctest.testmod(formatting)
    assert result.attempted > 0 and result.failed == 0


def test_russian_money_groups_thousands_with_spaces_and_puts_the_rouble_after():
    assert formatting.format_money(Decimal("1234567.89"), "RUB", "ru") == "1\xa0234\xa0567,89\xa0₽"


def test_english_money_puts_the_rouble_sign_before():
    assert formatting.format_money(Decimal("1234567.89"), "RUB", "en") == "₽1,234,567.89"


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        formatting.format_money(1.5, "RUB", "en")


def test_a_month_is_named_in_the_nominative_not_shown_as_a_date():
    november = datetime.date(2026, 11, 1)
    assert formatting.format_month(november, "ru") == "ноябрь 2026"
    assert formatting.format_month(november, "en") == "November 2026"


def test_template_filters_follow_the_active_language(settings):
    settings.SALESOPS_CURRENCY = "RUB"
    template = Template("{% load salesops_format %}{{ amount|money }} · {{ month|month_name }}")
    context = Context({"amount": Decimal("1500"), "month": datetime.date(2026, 3, 1)})
    with translation.override("ru"):
        assert template.render(context) == "1\xa0500,00\xa0₽ · март 2026"
    with translation.override("en"):
        assert template.render(context) == "₽1,500.00 · March 2026"
