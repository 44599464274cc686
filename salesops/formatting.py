"""Money and months as the reader's language writes them (SPEC §3: currency is the organisation's).

Babel holds the locale rules (grouping, decimal mark, month names in the nominative); the one thing
it lacks is a symbol for a foreign currency in English ("RUB1,234.00"), so the symbol is taken from
the currency's own locale: ``₽1,234,567.89`` and ``1 234 567,89 ₽`` alike.
"""

import datetime
import functools
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import NumberPattern, format_currency, get_currency_symbol, parse_pattern
from django.conf import settings
from django.utils import translation

# The locale whose symbol a currency is best known by.
HOME_LOCALE = {"RUB": "ru", "USD": "en_US", "EUR": "de", "KZT": "kk", "BYN": "be", "UAH": "uk"}


def _locale(language: str | None) -> Locale:
    return _parsed(language or translation.get_language() or settings.LANGUAGE_CODE)


# Parsed once per process: a page of figures formats hundreds of amounts.
@functools.lru_cache(maxsize=32)
def _parsed(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(settings.LANGUAGE_CODE)


@functools.lru_cache(maxsize=64)
def _money_pattern(locale: Locale, currency: str) -> NumberPattern:
    symbol = f"'{currency_symbol(currency)}'"
    return parse_pattern(locale.currency_formats["standard"].pattern.replace("¤", symbol))


def currency_symbol(currency: str) -> str:
    return get_currency_symbol(currency, locale=HOME_LOCALE.get(currency, "en"))


def format_money(
    amount: Decimal, currency: str | None = None, language: str | None = None
) -> str:
    """``amount`` in ``currency`` as the reader's language writes money.

    >>> format_money(Decimal("1234567.89"), "RUB", "ru")
    '1\\xa0234\\xa0567,89\\xa0₽'
    >>> format_money(Decimal("1234567.89"), "RUB", "en")
    '₽1,234,567.89'
    >>> format_money(Decimal("-5.5"), "RUB", "en")
    '-₽5.50'
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, got {type(amount).__name__}")
    currency = currency or settings.SALESOPS_CURRENCY
    return _formatted(amount, currency, _locale(language))


# Pages show the same amounts again and again (a team month is hundreds of them): each is
# formatted once per process. Equal decimals (1.0, 1.00) format alike: always to kopecks.
@functools.lru_cache(maxsize=16384)
def _formatted(amount: Decimal, currency: str, locale: Locale) -> str:
    return format_currency(amount, currency, format=_money_pattern(locale, currency),
                           locale=locale, currency_digits=True)


def format_month(month: datetime.date, language: str | None = None) -> str:
    """A pay period by its name, never as a date.

    >>> format_month(datetime.date(2026, 11, 1), "ru")
    'ноябрь 2026'
    >>> format_month(datetime.date(2026, 11, 1), "en")
    'November 2026'
    """
    return format_date(month, "LLLL y", locale=_locale(language))


def format_day(day: datetime.date, language: str | None = None) -> str:
    """A day as the reader's language writes it in a sentence.

    >>> format_day(datetime.date(2026, 11, 16), "ru")
    '16 нояб. 2026\u202fг.'
    >>> format_day(datetime.date(2026, 11, 16), "en")
    'Nov 16, 2026'
    """
    return format_date(day, "medium", locale=_locale(language))
