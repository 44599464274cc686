"""Each component's rule in plain words, from the plan version's own rows (SPEC §4).

These sentences only describe the plan a manager is paid by; the amounts always come from the
engine's lines.
"""

from decimal import Decimal

from babel.numbers import format_decimal
from django.utils import translation
from django.utils.translation import gettext as _

from salesops.formatting import format_money

from ..models import BaseMode, ComponentKind, PlanComponent, TeamMetric


def _percent(value: Decimal) -> str:
    return format_decimal(value, locale=translation.get_language() or "en")


def component_rule(component: PlanComponent, *, source: str = "") -> str:
    """The component's rule in plain words; for a line of one lead source (its key), at the
    rate the plan sets for that source, as the engine pays it."""
    kind, rate = component.kind, _rate_for(component, source)
    money = format_money(Decimal(rate).quantize(Decimal("0.01")))
    if kind == ComponentKind.PER_MINUTE:
        return _("%(money)s per operator minute") % {"money": money}
    if kind == ComponentKind.PER_HOUR:
        return _("%(money)s per shift hour") % {"money": money}
    if kind == ComponentKind.DIFFERENTIATED_MINUTES:
        return _("a rate per operator minute for each call outcome")
    if kind == ComponentKind.PER_CONVERSATION:
        return _("%(money)s per conversation") % {"money": money}
    if kind == ComponentKind.PER_EFFECTIVE_CALL:
        return _("%(money)s per effective call (presentation or consent)") % {"money": money}
    if kind == ComponentKind.PER_CONFIRMED_LEAD:
        return _("%(money)s per confirmed lead") % {"money": money}
    if kind == ComponentKind.PER_ARRIVED_CLIENT:
        return _("%(money)s per arrived client") % {"money": money}
    if kind == ComponentKind.REVENUE_PERCENT:
        return _revenue_rule(component, rate)
    if kind == ComponentKind.PLAN_BASE:
        return _base_rule(component)
    if kind == ComponentKind.TEAM_BONUS:
        metric = (_("team revenue") if component.team_metric == TeamMetric.REVENUE
                  else _("team conversations"))
        return _("a bonus on the %(metric)s plan") % {"metric": metric}
    return ""


def _rate_for(component: PlanComponent, source: str) -> Decimal:
    for rate in component.rates.all():  # prefetched with the component
        if source and rate.lead_source == source:
            return rate.rate
    return component.rate


def _revenue_rule(component: PlanComponent, rate: Decimal) -> str:
    tiers = list(component.tiers.all())
    if not tiers:
        return _("%(rate)s %% of payments on your leads") % {"rate": _percent(rate)}
    parts = []
    for tier in tiers:
        if tier.from_percent == 0:
            parts.append(_("%(rate)s %% of payments on your leads") % {
                "rate": _percent(tier.rate)})
        else:
            parts.append(_("%(rate)s %% above %(from)s %% of plan") % {
                "rate": _percent(tier.rate), "from": _percent(tier.from_percent)})
    return ", ".join(parts)


def _base_rule(component: PlanComponent) -> str:
    amount = format_money(component.amount or Decimal("0.00"))
    if component.base_mode == BaseMode.ALL_OR_NOTHING:
        return _("%(money)s for meeting the conversation plan") % {"money": amount}
    if component.floor_percent:
        return _("%(money)s at 100 %% of the conversation plan, in proportion from "
                 "%(floor)s %%") % {"money": amount, "floor": _percent(component.floor_percent)}
    return _("%(money)s at 100 %% of the conversation plan, in proportion") % {"money": amount}
