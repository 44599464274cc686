"""Rules a plan's tables must follow before they are saved (admin inlines, SPEC §4)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ComponentKind


def revenue_tiers_validate(bands: list[tuple[Decimal, Decimal | None]]) -> None:
    """Marginal tiers must not overlap: sorted by start, each band ends where the next begins
    or before it, and only the last may be open-ended.

    >>> revenue_tiers_validate([(Decimal("0"), Decimal("100")), (Decimal("100"), None)])
    >>> revenue_tiers_validate([(Decimal("0"), Decimal("120")), (Decimal("100"), None)])
    Traceback (most recent call last):
    ...
    django.core.exceptions.ValidationError: ['Tier 0–120% overlaps the tier from 100%.']
    """
    ordered = sorted(bands, key=lambda band: band[0])
    for (low, high), (next_low, _next_high) in zip(ordered, ordered[1:], strict=False):
        if high is None or high > next_low:
            raise ValidationError(
                _("Tier %(low)s–%(high)s%% overlaps the tier from %(next)s%%.")
                % {"low": low, "high": high if high is not None else "∞", "next": next_low}
            )


def component_rates_validate(*, kind: str, outcomes: list, sources: list) -> None:
    """Outcome rates belong to differentiated minutes, source rates to revenue percent."""
    if outcomes and kind != ComponentKind.DIFFERENTIATED_MINUTES:
        raise ValidationError(_("Rates per outcome are for differentiated minutes only."))
    if sources and kind != ComponentKind.REVENUE_PERCENT:
        raise ValidationError(_("Rates per lead source are for revenue percent only."))
    if len(set(outcomes)) != len(outcomes) or len(set(sources)) != len(sources):
        raise ValidationError(_("Each outcome or source has one rate."))
