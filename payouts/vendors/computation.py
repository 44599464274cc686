"""A team's activity as a whole, through the pay engine (issue 19).

A vendor is paid for its operators' work together, not person by person: the engine gathers
each operator's share of the period (``engine.facts.gather_facts``, one aggregate query per
kind of source), the figures are added up into one ``MonthFacts``, and the contract's plan
version turns them into lines (``engine.components.build_lines``) exactly as it would for one
person — so a vendor month, a pilot and a what-if all pay by the same rules, rounded once per
line (SPEC §3).

QA verdicts feed the decision step here: a call judged an empty conversation counts as no
conversation (nor an effective call), so it is never paid as a contact; its minutes were worked
and stay paid. A lead judged fake carries a ``fake`` milestone (SPEC §6.6), which the engine
claws back.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Count, F, Q

from leads.models import MilestoneKind
from leads.selectors import milestones_in_force
from payouts.engine.components import LineDraft, build_lines
from payouts.engine.facts import EFFECTIVE_OUTCOMES, call_figures_needed, gather_facts
from payouts.engine.figures import CallFigures, MonthFacts, PlanTargets, ShiftFigures
from payouts.engine.shares import Days, ShareSpec, team_days
from payouts.models import PayoutRun, PlanVersion
from salesops.lookups import AnyOf
from salesops.models import CallLog
from salesops.periods import month_start, next_month, organisation_zone

from .models import QaVerdict, Verdict

ZERO = Decimal("0")


@dataclass(frozen=True)
class Period:
    """Days [start, end) of the organisation's calendar."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def month(cls, month: datetime.date) -> "Period":
        return cls(month, next_month(month))

    @classmethod
    def inclusive(cls, first: datetime.date, last: datetime.date) -> "Period":
        return cls(first, last + datetime.timedelta(days=1))

    def months(self) -> list[datetime.date]:
        found, month = [], month_start(self.start)
        while month < self.end:
            found.append(month)
            month = next_month(month)
        return found

    def instants(self) -> tuple[datetime.datetime, datetime.datetime]:
        zone = organisation_zone()
        return (datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone),
                datetime.datetime.combine(self.end, datetime.time.min, tzinfo=zone))


def _clip(days: Days, period: Period) -> Days:
    clipped = []
    for start, end in days:
        start, end = max(start, period.start), min(end, period.end)
        if start < end:
            clipped.append((start, end))
    return tuple(clipped)


def team_shares(*, team_id: int, period: Period) -> dict[datetime.date, dict[int, Days]]:
    """Month → person → the person's days in the team within ``period``."""
    found = {}
    for month in period.months():
        days = {manager: _clip(d, period)
                for (_team, manager), d in team_days(month=month, team_ids=[team_id]).items()}
        found[month] = {manager: d for manager, d in days.items() if d}
    return found


def gather_people(*, team_id: int, period: Period, versions: Iterable[PlanVersion],
                  threshold_s: int) -> dict[int, MonthFacts]:
    """Each person's figures of the team within the period (months added up), gathered once
    for every plan in ``versions`` (the call aggregates any of them reads)."""
    needs = call_figures_needed(list(versions))
    people: dict[int, list[MonthFacts]] = {}
    for month, shares in team_shares(team_id=team_id, period=period).items():
        own = month_runs(team_ids=[team_id], month=month)
        specs = [ShareSpec(team_id, manager, days, threshold_s, own)
                 for manager, days in shares.items()]
        for (_team, manager), facts in gather_facts(month=month, shares=specs,
                                                    needs=needs).items():
            people.setdefault(manager, []).append(facts)
    merged = {manager: facts_sum(parts, threshold_s=threshold_s)
              for manager, parts in people.items()}
    _qa_empty_calls_out(merged, period=period, threshold_s=threshold_s, people=list(merged))
    _qa_fake_leads_in(merged)
    return merged


def month_runs(*, team_ids, month: datetime.date) -> frozenset[int]:
    """The payout runs of these teams' month: what they paid still counts when the month is
    read again as a whole (a pilot of a staff team, a what-if), as it does for the runs
    themselves (SPEC §6.2: only what *another* run paid is left out)."""
    return frozenset(PayoutRun.objects.filter(team_id__in=list(team_ids), month=month)
                     .values_list("pk", flat=True))


def facts_sum(parts: list[MonthFacts], *, threshold_s: int) -> MonthFacts:
    """Figures added up: calls, shifts and targets summed, items put together."""
    calls = CallFigures(threshold_s=threshold_s)
    shifts = {"count": 0, "seconds": 0, "max_id": 0}
    total = MonthFacts(calls=calls)
    targets = [0, 0, ZERO]
    for facts in parts:
        c = facts.calls
        calls.count += c.count
        calls.operator_s += c.operator_s
        calls.operator_min_up += c.operator_min_up
        calls.conversations += c.conversations
        calls.effective += c.effective
        calls.max_id = max(calls.max_id, c.max_id)
        for outcome, figures in c.by_outcome.items():
            mine = calls.by_outcome[outcome]
            mine.operator_s += figures.operator_s
            mine.operator_min_up += figures.operator_min_up
        shifts["count"] += facts.shifts.count
        shifts["seconds"] += facts.shifts.seconds
        shifts["max_id"] = max(shifts["max_id"], facts.shifts.max_id)
        for kind, items in facts.milestones.items():
            total.milestones.setdefault(kind, []).extend(items)
        total.clawbacks.extend(facts.clawbacks)
        total.payments.extend(facts.payments)
        total.exceptions.update(facts.exceptions)
        total.transfers.extend(facts.transfers)
        targets[0] += facts.plan.conversations
        targets[1] += facts.plan.confirmed_leads
        targets[2] += facts.plan.revenue
    total.shifts = ShiftFigures(**shifts)
    total.plan = PlanTargets(*targets)
    return total


def _qa_empty_calls_out(facts: dict[int, MonthFacts], *, period: Period, threshold_s: int,
                        people: list[int]) -> None:
    """Calls judged empty conversations are no conversations and no effective calls."""
    if not people:
        return
    start, end = period.instants()
    conversation = Q(talk_s__gte=threshold_s)
    rows = (CallLog.objects.filter(AnyOf(F("manager_id"), people), started_at__gte=start,
                                   started_at__lt=end, qa_verdict__verdict=Verdict.EMPTY)
            .order_by().values("manager_id")
            .annotate(conversations=Count("id", filter=conversation),
                      effective=Count("id", filter=conversation
                                      & Q(outcome__in=EFFECTIVE_OUTCOMES))))
    for row in rows:
        calls = facts[row["manager_id"]].calls
        calls.conversations -= row["conversations"]
        calls.effective -= row["effective"]


def _qa_fake_leads_in(facts: dict[int, MonthFacts]) -> None:
    """A lead QA judged fake is fake in the month it is paid in: listened to before paying,
    it is clawed back on the same statement (SPEC §6.6), whenever the mark was made."""
    leads = {m.lead for f in facts.values() for items in f.milestones.values() for m in items}
    if not leads:
        return
    judged = set(QaVerdict.objects.filter(lead_id__in=leads, verdict=Verdict.FAKE)
                 .values_list("lead_id", flat=True))
    if not judged:
        return
    marks = dict(milestones_in_force().filter(lead_id__in=judged, kind=MilestoneKind.FAKE)
                 .order_by("-at").values_list("lead_id", "pk"))
    for f in facts.values():
        for kind, items in f.milestones.items():
            f.milestones[kind] = [
                replace(m, fake_at=m.at, fake_milestone=marks[m.lead])
                if m.lead in marks and (m.fake_at is None or m.fake_at > m.at) else m
                for m in items]


def whole(facts: dict[int, MonthFacts], *, threshold_s: int) -> MonthFacts:
    return facts_sum(list(facts.values()), threshold_s=threshold_s)


def version_in_force(plan_id: int, month: datetime.date) -> PlanVersion | None:
    """The plan's version in force on the first of ``month`` (SPEC §4 versions)."""
    return (PlanVersion.objects.filter(plan_id=plan_id, effective_from__lte=month)
            .order_by("-effective_from")
            .prefetch_related("components__rates", "components__tiers").first())


def lines_for(version: PlanVersion, facts: MonthFacts) -> list[LineDraft]:
    """The engine's lines for a whole team's figures (no team bonus: a payee, not a head)."""
    return build_lines(version=version, facts=facts, team_facts=None)


def paid_total(lines: list[LineDraft]) -> Decimal:
    return sum((line.amount for line in lines if not line.held), ZERO)
