"""The double-pay guard (issue 19; SPEC §6 "never pay twice"): one result paid by two
components of the same plan or contract, and how much of the period's pay that is.

Pairs that pay the same thing twice:

- **per effective call + per confirmed lead**: a lead is confirmed on an effective call; the
  calls carry no lead, so the overlap is the smaller count of the two, paid at the smaller rate;
- **per minute + per hour** (and **differentiated minutes + per hour**): the operator minutes
  lie inside the shift hours; the overlap is the smaller of the two times, paid at the smaller of
  the two prices for that time;
- **per minute + differentiated minutes**: the same minutes, at the smaller of the two prices
  for the minutes of the outcomes that have a rate;
- **per conversation + plan base**: the plan base pays for the conversation plan; the
  conversations counted towards it (up to the target) are paid twice, at most the base paid.

``double_pay`` says it for figures (a what-if, an editor's last month); ``overlapping_pairs``
says which pairs a version holds at all, for an editor with no figures at hand.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from payouts.engine.components import build_lines
from payouts.engine.figures import MonthFacts
from payouts.models import ComponentKind as K
from payouts.models import PlanVersion
from salesops.money import round_money

ZERO = Decimal("0")
PAIRS = [
    (K.PER_EFFECTIVE_CALL, K.PER_CONFIRMED_LEAD),
    (K.PER_MINUTE, K.PER_HOUR),
    (K.DIFFERENTIATED_MINUTES, K.PER_HOUR),
    (K.PER_MINUTE, K.DIFFERENTIATED_MINUTES),
    (K.PER_CONVERSATION, K.PLAN_BASE),
]
LABELS = dict(K.choices)


@dataclass(frozen=True)
class Overlap:
    first: str
    second: str
    amount: Decimal
    why: str = ""

    def message(self) -> str:
        return _("%(first)s and %(second)s pay the same result twice: %(amount)s on the "
                 "period's data.") % {"first": LABELS[self.first], "second": LABELS[self.second],
                                      "amount": self.amount}

    def to_json(self) -> dict:
        return {"components": [self.first, self.second], "amount": str(self.amount),
                "why": self.why}


def overlapping_pairs(version: PlanVersion) -> list[tuple[str, str]]:
    kinds = {c.kind for c in version.components.all()}
    return [(a, b) for a, b in PAIRS if a in kinds and b in kinds]


def double_pay(version: PlanVersion, facts: MonthFacts) -> list[Overlap]:
    """Each overlapping pair of the version with the amount it pays twice on ``facts``
    (pairs whose overlap is zero on these figures are left out)."""
    components = {c.kind: c for c in version.components.all()}
    pairs = overlapping_pairs(version)
    if not pairs:
        return []
    lines = [line for line in build_lines(version=version, facts=facts, team_facts=None)
             if not line.held]
    paid = {}
    for line in lines:
        paid[line.kind] = paid.get(line.kind, ZERO) + line.amount
    calls, shifts = facts.calls, facts.shifts
    found = []
    for first, second in pairs:
        amount, why = ZERO, ""
        if (first, second) == (K.PER_EFFECTIVE_CALL, K.PER_CONFIRMED_LEAD):
            confirmed = len(facts.milestones.get("confirmed", []))
            count = min(calls.effective, confirmed)
            amount = count * min(components[first].rate, components[second].rate)
            why = f"{count} confirmed leads on effective calls"
        elif second == K.PER_HOUR:
            seconds = min(calls.operator_s, shifts.seconds)
            minutes_paid = paid.get(first, ZERO)
            per_second_minutes = (minutes_paid / calls.operator_s) if calls.operator_s else ZERO
            amount = min(seconds * per_second_minutes,
                         seconds * components[second].rate / 3600)
            why = f"{seconds} s of calls inside the shifts"
        elif (first, second) == (K.PER_MINUTE, K.DIFFERENTIATED_MINUTES):
            rated = {r.outcome for r in components[second].rates.all()}
            seconds = sum(v.operator_s for k, v in calls.by_outcome.items() if k in rated)
            amount = min(seconds * components[first].rate / 60, paid.get(second, ZERO))
            why = f"{seconds} s paid by both"
        elif (first, second) == (K.PER_CONVERSATION, K.PLAN_BASE):
            target = int(facts.plan.conversations * facts.fraction)
            count = min(calls.conversations, target)
            amount = min(count * components[first].rate, paid.get(second, ZERO))
            why = f"{count} conversations counted towards the plan"
        amount = round_money(Decimal(amount))
        if amount > 0:
            found.append(Overlap(first, second, amount, why))
    return found


def editor_warnings(*, plan=None, vendor=None) -> list[str]:
    """What a plan's or a vendor contract's editor warns about: each pair of components that
    pays one result twice, with the amount on last month's data of whom it pays (the vendors
    it is the contract of, the teams it is assigned to), else by name only."""
    from payouts.models import PlanAssignment
    from salesops.periods import current_month

    from .compare import CompareError, compare_plans
    from .computation import version_in_force
    from .models import VendorContract
    from .statements import contract_in_force

    month = current_month()
    last = (month - datetime.timedelta(days=1)).replace(day=1)
    if vendor is not None:
        contract = contract_in_force(vendor, month) or contract_in_force(vendor, last)
        if contract is None:
            return []
        plan = contract.plan
    version = version_in_force(plan.pk, month)
    if version is None or not overlapping_pairs(version):
        return []
    found: dict[tuple[str, str], Decimal] = {}
    scopes = ([{"vendor": vendor.code}] if vendor is not None else
              [{"vendor": c.vendor.code} for c in VendorContract.objects.filter(plan=plan)
               .select_related("vendor")]
              + [{"team": a.team.code} for a in PlanAssignment.objects.filter(
                  plan=plan, team__isnull=False).select_related("team")])
    for scope in scopes:
        try:
            comparison = compare_plans(month=last, plan_codes=[plan.code], **scope)
        except CompareError:
            continue
        for overlap in comparison.plans[0].double_paid:
            key = (overlap.first, overlap.second)
            found[key] = found.get(key, ZERO) + overlap.amount
    texts = []
    for first, second in overlapping_pairs(version):
        if (first, second) in found:
            texts.append(Overlap(first, second, found[(first, second)]).message())
        else:
            texts.append(_("%(first)s and %(second)s may pay the same result twice.") % {
                "first": LABELS[first], "second": LABELS[second]})
    return texts
