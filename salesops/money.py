"""Money is Decimal, rounded once per payout line (SPEC §3)."""

from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")


def round_money(amount: Decimal) -> Decimal:
    """Round to kopecks, halves away from zero.

    >>> round_money(Decimal("75.39999"))
    Decimal('75.40')
    >>> round_money(Decimal("0.005"))
    Decimal('0.01')
    >>> round_money(Decimal("-0.005"))
    Decimal('-0.01')
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, got {type(amount).__name__}")
    return amount.quantize(KOPECK, rounding=ROUND_HALF_UP)
