"""A pilot's report: the funnel it measured, what its work cost under its contract, and the
per-result prices that would have cost the same (issue 19).

The cost is what the pilot's contract pays for the pilot's days, computed by the engine month
by month (``computation``): the same lines a statement would hold. The funnel counts, over the
pilot's days, calls (dial attempts), conversations (by the contract's threshold, less those QA
judged empty), conversations that reached a decision maker and a presentation, and leads of
the pilot's people first confirmed, first arrived and won within those days.

Break-even prices (the rates that would have paid the same for results, then with the margin
entered): ``price = cost × (1 + margin) / results``, rounded once to the kopeck (SPEC §3).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from leads.models import MilestoneKind
from leads.selectors import milestones_in_force
from salesops.lookups import AnyOf
from salesops.models import CallLog, Outcome
from salesops.money import round_money

from .computation import Period, gather_people, lines_for, paid_total, version_in_force, whole
from .models import Pilot, Verdict

ZERO = Decimal("0")
RATIO = Decimal("0.0001")
STEPS = [
    ("dial_attempts", _("Dial attempts")),
    ("conversations", _("Conversations")),
    ("decision_maker", _("Decision maker")),
    ("presentation", _("Presentation")),
    ("confirmed", _("Confirmed")),
    ("arrived", _("Arrived")),
    ("won", _("Won")),
]


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    count: int
    # This step's count over the previous step's (None for the first step or after zero).
    conversion: Decimal | None


@dataclass(frozen=True)
class BreakEven:
    results: int
    at_cost: Decimal | None
    with_margin: Decimal | None


@dataclass
class PilotReport:
    pilot: Pilot
    margin: Decimal
    funnel: list[FunnelStep]
    minutes: Decimal
    hours: Decimal
    cost: Decimal
    cost_by_component: dict[str, Decimal] = field(default_factory=dict)
    cost_per_conversation: Decimal | None = None
    cost_per_confirmed: Decimal | None = None
    cost_per_arrived: Decimal | None = None
    break_even_confirmed: BreakEven | None = None
    break_even_arrived: BreakEven | None = None

    def step(self, key: str) -> int:
        return next(s.count for s in self.funnel if s.key == key)

    def to_json(self) -> dict:
        """The documented JSON (README "Pilots"): money and ratios as strings of Decimals."""
        def text(value):
            return None if value is None else str(value)

        def prices(b: BreakEven):
            return {"results": b.results, "at_cost": text(b.at_cost),
                    "with_margin": text(b.with_margin)}

        p = self.pilot
        return {
            "pilot": p.code, "name": p.name,
            "vendor": p.vendor.code if p.vendor_id else None,
            "team": p.team.code if p.team_id else None,
            "contract": p.plan.code, "first_day": p.starts_on.isoformat(),
            "last_day": p.ends_on.isoformat(), "goal": p.goal, "margin": str(self.margin),
            "funnel": [{"step": s.key, "count": s.count, "conversion": text(s.conversion)}
                       for s in self.funnel],
            "minutes": str(self.minutes), "hours": str(self.hours),
            "cost": str(self.cost),
            "cost_by_component": {k: str(v) for k, v in sorted(self.cost_by_component.items())},
            "cost_per_conversation": text(self.cost_per_conversation),
            "cost_per_confirmed_lead": text(self.cost_per_confirmed),
            "cost_per_arrived_client": text(self.cost_per_arrived),
            "break_even": {"per_confirmed_lead": prices(self.break_even_confirmed),
                           "per_arrived_client": prices(self.break_even_arrived)},
        }


def _per(cost: Decimal, count: int) -> Decimal | None:
    return round_money(cost / count) if count else None


def break_even(cost: Decimal, results: int, margin: Decimal) -> BreakEven:
    """The per-result price that would have cost the same, and with the margin.

    >>> break_even(Decimal("1000.00"), 3, Decimal("0.20"))
    BreakEven(results=3, at_cost=Decimal('333.33'), with_margin=Decimal('400.00'))
    """
    if not results:
        return BreakEven(0, None, None)
    return BreakEven(results, round_money(cost / results),
                     round_money(cost * (1 + margin) / results))


def pilot_report(*, pilot: Pilot, margin: Decimal = ZERO) -> PilotReport:
    period = Period.inclusive(pilot.starts_on, pilot.ends_on)
    team_id = pilot.team_id_measured
    cost, by_component = ZERO, {}
    months = []
    for month in period.months():
        version = version_in_force(pilot.plan_id, month)
        part = Period(max(period.start, month), min(period.end, _next(month)))
        if version is None:
            continue
        threshold = version.conversation_threshold_s
        facts = whole(gather_people(team_id=team_id, period=part, versions=[version],
                                    threshold_s=threshold), threshold_s=threshold)
        lines = lines_for(version, facts)
        cost += paid_total(lines)
        for line in lines:
            if not line.held:
                by_component[line.kind] = by_component.get(line.kind, ZERO) + line.amount
        months.append((part, threshold, facts))
    counts = {key: 0 for key, _label in STEPS}
    operator_s = shift_s = 0
    people = set()
    for part, threshold, facts in months:
        counts["dial_attempts"] += facts.calls.count
        counts["conversations"] += facts.calls.conversations
        counts["confirmed"] += len(facts.milestones.get("confirmed", []))
        counts["arrived"] += len(facts.milestones.get("arrived", []))
        operator_s += facts.calls.operator_s
        shift_s += facts.shifts.seconds
        reached = _reached(team_id=team_id, period=part, threshold_s=threshold)
        counts["decision_maker"] += reached["decision_maker"]
        counts["presentation"] += reached["presentation"]
        people |= reached["people"]
    counts["won"] = _won(people=people, period=period)
    funnel, previous = [], None
    for key, label in STEPS:
        count = counts[key]
        conversion = (Decimal(count) / Decimal(previous)).quantize(RATIO) if previous else None
        funnel.append(FunnelStep(key, str(label), count, conversion))
        previous = count
    return PilotReport(
        pilot=pilot, margin=margin, funnel=funnel,
        minutes=(Decimal(operator_s) / 60).quantize(Decimal("0.01")),
        hours=(Decimal(shift_s) / 3600).quantize(Decimal("0.01")),
        cost=cost, cost_by_component=by_component,
        cost_per_conversation=_per(cost, counts["conversations"]),
        cost_per_confirmed=_per(cost, counts["confirmed"]),
        cost_per_arrived=_per(cost, counts["arrived"]),
        break_even_confirmed=break_even(cost, counts["confirmed"], margin),
        break_even_arrived=break_even(cost, counts["arrived"], margin),
    )


def _next(month: datetime.date) -> datetime.date:
    from salesops.periods import next_month

    return next_month(month)


def _reached(*, team_id: int, period: Period, threshold_s: int) -> dict:
    """Conversations that reached a decision maker / a presentation (QA-judged empty ones do
    not count), and the people of the team in the period."""
    from .computation import team_shares

    people = {m for shares in team_shares(team_id=team_id, period=period).values()
              for m in shares}
    if not people:
        return {"decision_maker": 0, "presentation": 0, "people": people}
    start, end = period.instants()
    talk = Q(talk_s__gte=threshold_s) & ~Q(qa_verdict__verdict=Verdict.EMPTY)
    row = CallLog.objects.filter(AnyOf(F("manager_id"), list(people)), started_at__gte=start,
                                 started_at__lt=end).aggregate(
        decision_maker=Count("id", filter=talk & Q(outcome__gte=Outcome.DECISION_MAKER)),
        presentation=Count("id", filter=talk & Q(outcome__gte=Outcome.PRESENTATION)))
    return {"decision_maker": row["decision_maker"] or 0,
            "presentation": row["presentation"] or 0, "people": people}


def _won(*, people: set[int], period: Period) -> int:
    start, end = period.instants()
    return (milestones_in_force().filter(kind=MilestoneKind.WON, at__gte=start, at__lt=end,
                                         lead__owner_id__in=people)
            .values("lead_id").distinct().count())
