"""Each payout line in words a manager accepts: what was counted, at what rate (with its unit),
and the sum that gives the amount — or, where a rule decides instead of a product, the rule and
where the person stands against it (the base pay's floor, a cap, an exception's fixed amount).

The words read only the line: its quantity, rate and amount, and the figures its computation
kept beside it (``PayoutLine.explanation``). The amounts are always the engine's.
"""

import datetime
from decimal import Decimal

from babel.numbers import format_decimal
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salesops.formatting import format_money, format_month
from salesops.money import round_money

from ..models import BaseMode, ComponentKind, ExceptionKind, LineKind, TeamMetric

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def number(value: Decimal | int, pattern: str = "#,##0.####") -> str:
    """A count or quantity in the reader's language: grouped, without trailing zeros."""
    return format_decimal(Decimal(value), format=pattern,
                          locale=translation.get_language() or "en")


def percent(value: Decimal | int) -> str:
    return number(value, "#,##0.##")


def money(value: Decimal | int | None) -> str:
    return format_money(round_money(Decimal(value or 0)))


def rate_with_unit(kind: str, rate: Decimal | None, *, is_percent: bool) -> str:
    """A line's rate as it is paid: "5 %", "₽6.00 per minute", "₽500.00 per confirmed lead"."""
    if rate is None:
        return "—"
    if is_percent:
        return _("%(rate)s %%") % {"rate": percent(rate)}
    amount = money(rate)
    units = {
        ComponentKind.PER_MINUTE: _("%(money)s per minute"),
        ComponentKind.DIFFERENTIATED_MINUTES: _("%(money)s per minute"),
        ComponentKind.PER_HOUR: _("%(money)s per hour"),
        ComponentKind.PER_CONVERSATION: _("%(money)s per conversation"),
        ComponentKind.PER_EFFECTIVE_CALL: _("%(money)s per effective call"),
        ComponentKind.PER_CONFIRMED_LEAD: _("%(money)s per confirmed lead"),
        ComponentKind.PER_ARRIVED_CLIENT: _("%(money)s per arrived client"),
    }
    return units[kind] % {"money": amount} if kind in units else amount


def line_words(**line) -> str:
    """The line in words: how its amount comes about. A number and its "%" never part at the
    end of a line."""
    return _line_words(**line).replace(" %", "\u00a0%")


def _line_words(*, kind: str, key: str, quantity: Decimal, rate: Decimal | None,
                amount: Decimal, is_percent: bool, explanation: dict) -> str:
    explanation = explanation or {}
    if "adjusts_month" in explanation and "now" in explanation:
        return _correction(explanation, amount)
    if kind == LineKind.MONTHLY_CAP:
        return _("The month's pay is capped at %(cap)s: %(over)s above the cap is not paid.") % {
            "cap": money(explanation.get("cap")), "over": money(-amount)}
    if key == "cap":
        return _("This component pays at most %(cap)s a month: %(over)s above the cap is not "
                 "paid.") % {"cap": money(explanation.get("cap")), "over": money(-amount)}
    if key.startswith("exception:"):
        return _exception(kind, quantity, rate, amount, explanation)
    if key == "clawback":
        count = int(abs(quantity))
        return ngettext(
            "%(count)s lead marked fake within %(days)s days of being paid: %(amount)s taken "
            "back.",
            "%(count)s leads marked fake within %(days)s days of being paid: %(amount)s taken "
            "back.", count) % {"count": number(count), "days": explanation.get("window_days", "—"),
                               "amount": money(-amount)}
    if kind == ComponentKind.PLAN_BASE:
        return _base(quantity, rate, amount, explanation)
    if kind == ComponentKind.TEAM_BONUS:
        return _team_bonus(quantity, rate, amount, is_percent, explanation)
    if kind == ComponentKind.REVENUE_PERCENT:
        return _revenue(key, quantity, rate, amount, explanation)
    return _product(kind, quantity, rate, amount)


def _equals(exact: Decimal, amount: Decimal) -> str:
    """" = amount", or "≈ amount" with why, when the product shown is not the exact one."""
    if round_money(exact) == amount:
        return " = " + money(amount)
    return " ≈ " + money(amount) + " " + _("(paid on the exact seconds, rounded once to the "
                                            "kopeck)")


def _product(kind: str, quantity: Decimal, rate: Decimal | None, amount: Decimal) -> str:
    if rate is None:
        return money(amount)
    count = int(quantity) if quantity == quantity.to_integral_value() else None
    unit_rate = money(rate)
    if kind in (ComponentKind.PER_MINUTE, ComponentKind.DIFFERENTIATED_MINUTES):
        text = _("%(minutes)s min × %(rate)s per minute") % {
            "minutes": number(quantity), "rate": unit_rate}
    elif kind == ComponentKind.PER_HOUR:
        text = _("%(hours)s h of shifts × %(rate)s per hour") % {
            "hours": number(quantity), "rate": unit_rate}
    elif kind == ComponentKind.PER_CONVERSATION and count is not None:
        text = ngettext("%(count)s conversation × %(rate)s", "%(count)s conversations × %(rate)s",
                        count) % {"count": number(count), "rate": unit_rate}
    elif kind == ComponentKind.PER_EFFECTIVE_CALL and count is not None:
        text = ngettext("%(count)s effective call × %(rate)s", "%(count)s effective calls × "
                        "%(rate)s", count) % {"count": number(count), "rate": unit_rate}
    elif kind == ComponentKind.PER_CONFIRMED_LEAD and count is not None:
        text = ngettext("%(count)s confirmed lead × %(rate)s", "%(count)s confirmed leads × "
                        "%(rate)s", count) % {"count": number(count), "rate": unit_rate}
    elif kind == ComponentKind.PER_ARRIVED_CLIENT and count is not None:
        text = ngettext("%(count)s arrived client × %(rate)s", "%(count)s arrived clients × "
                        "%(rate)s", count) % {"count": number(count), "rate": unit_rate}
    else:
        text = f"{number(quantity)} × {unit_rate}"
    return text + _equals(quantity * rate, amount)


def _revenue(key: str, quantity: Decimal, rate: Decimal | None, amount: Decimal,
             explanation: dict) -> str:
    if key.startswith("tier:"):
        low, high = (explanation.get("band_percent") or [key.partition(":")[2], None])[:2]
        bounds = {"from": percent(Decimal(str(low))),
                  "to": percent(Decimal(str(high))) if high is not None else ""}
        band = (_("the revenue from %(from)s %% to %(to)s %% of the plan") % bounds
                if high is not None else
                _("the revenue above %(from)s %% of the plan") % bounds)
        return _("%(rate)s %% of %(revenue)s, %(band)s") % {
            "rate": percent(rate or ZERO), "revenue": money(quantity), "band": band,
        } + _equals(quantity * (rate or ZERO) / HUNDRED, amount)
    if key.startswith("held:"):
        lead = key.partition(":")[2]
        if rate is None:
            return _("%(revenue)s in payments on lead %(lead)s would add %(amount)s at the "
                     "margin of the plan's bands.") % {"revenue": money(quantity), "lead": lead,
                                                       "amount": money(amount)}
        return _("%(rate)s %% of %(revenue)s in payments on lead %(lead)s") % {
            "rate": percent(rate), "revenue": money(quantity), "lead": lead,
        } + _equals(quantity * rate / HUNDRED, amount)
    if rate is None:
        return money(amount)
    if key.startswith("refund:"):
        text = _("%(rate)s %% of %(revenue)s refunded") % {
            "rate": percent(rate), "revenue": money(quantity)}
    else:
        text = _("%(rate)s %% of %(revenue)s in payments") % {
            "rate": percent(rate), "revenue": money(quantity)}
    return text + _equals(quantity * rate / HUNDRED, amount)


def _exception(kind: str, quantity: Decimal, rate: Decimal | None, amount: Decimal,
               explanation: dict) -> str:
    exception_kind = explanation.get("exception_kind")
    if exception_kind == ExceptionKind.FIXED:
        if not amount:
            return _("A fixed amount by an approved exception, already paid in an earlier "
                     "month: nothing more is paid.")
        return _("A fixed amount by an approved exception: %(amount)s.") % {
            "amount": money(amount)}
    if exception_kind == ExceptionKind.EXCLUDE:
        return _("Excluded from pay by an approved exception: nothing is paid.")
    if kind == ComponentKind.REVENUE_PERCENT:
        return _("%(rate)s %% of %(revenue)s in payments, the rate of an approved exception") % {
            "rate": percent(rate or ZERO), "revenue": money(quantity),
        } + _equals(quantity * (rate or ZERO) / HUNDRED, amount)
    return _("%(rate)s for this lead, the rate of an approved exception") % {
        "rate": money(rate)} + _equals(quantity * (rate or ZERO), amount)


def _standing(what: str, actual_text: str, target_text: str, share: Decimal) -> str:
    """Where the person (or team) stands against a plan: the sentence's first half."""
    return _("%(what)s: %(actual)s of %(target)s planned, %(share)s %% of the plan") % {
        "what": what, "actual": actual_text, "target": target_text,
        "share": percent(share.quantize(Decimal("0.1")))}


def _count(value) -> str:
    return number(Decimal(str(value)))


def _base(quantity: Decimal, rate: Decimal | None, amount: Decimal, explanation: dict) -> str:
    base = rate or ZERO
    actual = Decimal(str(explanation.get("conversations", 0)))
    target = Decimal(str(explanation.get("target", 0)))
    if not target:
        return _("No conversation plan this month: the base of %(base)s pays nothing.") % {
            "base": money(base)}
    share = actual * HUNDRED / target
    floor = explanation.get("floor_percent")
    mode = explanation.get("mode", BaseMode.LINEAR)
    return (_standing(_("Conversations"), _count(actual), _count(target), share) + ". "
            + _scaled(share, floor, mode, base, amount, _count(actual), _count(target),
                      full=_("the base")))


def _scaled(share: Decimal, floor, mode: str, base: Decimal, amount: Decimal,
            actual_text: str, target_text: str, *, full: str) -> str:
    """A fixed amount paid for a plan: in full, in proportion, or nothing — and why."""
    values = {"base": money(base), "amount": money(amount), "what": full}
    if mode == BaseMode.ALL_OR_NOTHING:
        if amount:
            return _("The plan is met: %(what)s of %(base)s is paid in full.") % values
        return _("The plan is not met, and %(what)s (%(base)s) is paid only for the whole plan: "
                 "nothing is paid.") % values
    if floor is not None and share < Decimal(str(floor)):
        return _("That is under the floor of %(floor)s %% of the plan, so %(what)s "
                 "(%(base)s at 100 %%) pays nothing.") % {
            **values, "floor": percent(Decimal(str(floor)))}
    if share >= HUNDRED:
        return _("The plan is met: %(what)s of %(base)s is paid in full.") % values
    floor_part = (_(" (above the floor of %(floor)s %%)") % {"floor": percent(Decimal(str(floor)))}
                  if floor is not None else "")
    return _("Paid in proportion%(floor)s: %(actual)s ÷ %(target)s × %(base)s = %(amount)s.") % {
        **values, "floor": floor_part, "actual": actual_text, "target": target_text}


def _team_bonus(quantity: Decimal, rate: Decimal | None, amount: Decimal, is_percent: bool,
                explanation: dict) -> str:
    metric = explanation.get("metric")
    what = _("Team revenue") if metric == TeamMetric.REVENUE else _("Team conversations")
    actual = explanation.get("team_actual", 0)
    target = explanation.get("team_target", 0)
    floor = explanation.get("floor_percent")
    mode = explanation.get("mode", BaseMode.LINEAR)
    actual, target = Decimal(str(actual)), Decimal(str(target))
    if not target:
        return _("No team plan this month: the bonus pays nothing.")
    show = money if metric == TeamMetric.REVENUE else _count
    share = actual * HUNDRED / target
    stands = _standing(what, show(actual), show(target), share)
    if is_percent:
        if not quantity:
            return stands + ". " + _("The floor of %(floor)s %% is not reached: the bonus pays "
                                     "nothing.") % {"floor": percent(Decimal(str(floor or 0)))}
        return stands + ". " + _("%(rate)s %% of the team's revenue %(revenue)s") % {
            "rate": percent(rate or ZERO), "revenue": money(quantity),
        } + _equals(quantity * (rate or ZERO) / HUNDRED, amount) + "."
    return stands + ". " + _scaled(share, floor, mode, rate or ZERO, amount,
                                   show(actual), show(target), full=_("the bonus"))


def _correction(explanation: dict, amount: Decimal) -> str:
    was = (explanation.get("was") or {}).get("amount", 0)
    now = (explanation.get("now") or {}).get("amount", 0)
    month = explanation.get("adjusts_month")
    if isinstance(month, str):
        month = datetime.date.fromisoformat(month[:10])
    return _("%(month)s paid %(was)s for this; it comes to %(now)s now: the difference, "
             "%(amount)s, is paid this month.") % {
        "month": format_month(month) if month else "—", "was": money(Decimal(str(was))),
        "now": money(Decimal(str(now))), "amount": money(amount)}
