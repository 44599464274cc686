"""Read models of a manager's month: what the page, the API and the statements show.

They read stored figures only: the month's payout lines (with their items for lead and payment
lines), the run member's gathered figures (``PayoutRunManager.facts``, the engine's own
snapshot), the monthly targets and ``DailyManagerStats`` (kept by imports). No query here reads
the month's calls; a page costs a handful of indexed queries whatever the month's size.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from leads.models import LeadSource, MilestoneKind
from salesops.formatting import format_money
from salesops.models import DailyManagerStats, Manager, MonthlyPlan, Outcome
from salesops.money import round_money
from salesops.periods import current_month, next_month, organisation_zone

from ..engine.components import build_lines
from ..engine.facts import counted
from ..engine.figures import MonthFacts, OutcomeFigures
from ..models import (
    ComponentKind,
    LineItemSource,
    LineKind,
    PayoutInquiry,
    PayoutLine,
    PayoutLineItem,
    PayoutRun,
    PayoutRunManager,
)
from ..selectors import payout_export_rows
from .rules import component_rule

ZERO = Decimal("0.00")
PROVISIONAL, APPROVED, PAID = "provisional", "approved", "paid"
# The least final first: a month is as final as its least final run.
_STANDING_ORDER = [PROVISIONAL, APPROVED, PAID]
STANDING = {
    PayoutRun.Status.DRAFT: PROVISIONAL, PayoutRun.Status.COMPUTED: PROVISIONAL,
    PayoutRun.Status.APPROVED: APPROVED, PayoutRun.Status.PAID: PAID,
    PayoutRun.Status.FAILED: PROVISIONAL,
}
MINUTE_KINDS = {ComponentKind.PER_MINUTE, ComponentKind.DIFFERENTIATED_MINUTES}
CONVERSATION_KINDS = {ComponentKind.PER_CONVERSATION, ComponentKind.PER_EFFECTIVE_CALL}
CONFIRMED = MilestoneKind.CONFIRMED.value  # how the figures key milestones


@dataclass(frozen=True)
class InquiryFigure:
    id: int
    status: str
    status_label: str
    comment: str
    decision_comment: str


@dataclass(frozen=True)
class LineFigure:
    """One payout line as the manager reads it."""

    id: int
    kind: str
    kind_label: str
    detail: str
    rule: str
    quantity: Decimal
    rate: Decimal | None
    amount: Decimal
    held: bool
    percent: bool
    adjusts_month: datetime.date | None
    note: str = ""
    inquiry: InquiryFigure | None = None

    @property
    def arithmetic(self) -> str:
        """The line's amount as the sum that gives it, rounded once to the kopeck (SPEC §3)."""
        quantity = number(self.quantity)
        if self.rate is None:
            return format_money(self.amount)
        if self.percent:
            exact = self.quantity * self.rate / 100
            sum_text = f"{format_money(round_money(self.quantity))} × {number(self.rate)} %"
        else:
            exact = self.quantity * self.rate
            sum_text = f"{quantity} × {format_money(round_money(self.rate))}"
        if round_money(exact) == self.amount:
            return f"{sum_text} = {format_money(self.amount)}"
        # Minutes are shown to 4 places but paid on exact seconds: say so, not hide it.
        return _("%(sum)s ≈ %(amount)s (exact seconds, rounded once to the kopeck)") % {
            "sum": sum_text, "amount": format_money(self.amount)}


@dataclass(frozen=True)
class PlanFigure:
    name: str
    target: Decimal
    actual: Decimal
    money: bool
    percent: Decimal | None
    pace_needed: Decimal | None
    forecast: Decimal | None


@dataclass(frozen=True)
class DayFigure:
    day: datetime.date
    conversations: int
    earned: Decimal


@dataclass(frozen=True)
class StatementFigure:
    month: datetime.date
    standing: str
    total: Decimal
    held: Decimal


@dataclass
class EarningsMonth:
    manager: Manager
    month: datetime.date
    standing: str
    run_id: int | None
    computed_at: datetime.datetime | None
    total: Decimal
    held: Decimal
    components: list[LineFigure] = field(default_factory=list)
    held_lines: list[LineFigure] = field(default_factory=list)
    adjustments: list[LineFigure] = field(default_factory=list)
    plan: list[PlanFigure] = field(default_factory=list)
    working_days: int = 0
    working_days_left: int = 0
    forecast_pay: Decimal | None = None
    days: list[DayFigure] = field(default_factory=list)

    @property
    def provisional(self) -> bool:
        return self.standing == PROVISIONAL


def number(value: Decimal) -> str:
    """A quantity or rate in the reader's language, without trailing zeros."""
    from babel.numbers import format_decimal
    from django.utils import translation

    return format_decimal(value.normalize() if value == value.to_integral() else value,
                          format="#,##0.####", locale=translation.get_language() or "en")


# --- lines -----------------------------------------------------------------------------------

def _detail(kind: str, key: str) -> str:
    if not key:
        return ""
    if key == "cap":
        return _("cap")
    if key == "clawback":
        return _("clawback of fake leads")
    if key == "held" or key.startswith("held:"):
        return _("held")
    head, _sep, rest = key.partition(":")
    if head == "exception":
        return _("approved exception #%(id)s") % {"id": rest}
    if head == "tier":
        return _("band from %(from)s %% of plan") % {"from": number(Decimal(rest))}
    if head == "refund":
        return _("refunds, %(source)s") % {"source": _source_label(rest)}
    if key in LeadSource.values:
        return _source_label(key)
    outcome = {o.name.lower(): o.label for o in Outcome}.get(key)
    return str(outcome) if outcome else key


def _source_label(value: str) -> str:
    try:
        return str(LeadSource(value).label)
    except ValueError:
        return value


def _held_notes(lines: list[PayoutLine]) -> dict[int, str]:
    """Why each held line is held: the pending exception its items name, or a duplicate."""
    notes: dict[int, set[str]] = defaultdict(set)
    items = PayoutLineItem.objects.filter(line__in=[line.pk for line in lines]) \
        .values_list("line_id", "exception_id")
    for line_id, exception_id in items:
        notes[line_id].add(
            _("pending exception #%(id)s") % {"id": exception_id} if exception_id
            else _("duplicate lead under review"))
    return {pk: ", ".join(sorted(reasons)) for pk, reasons in notes.items()}


def line_inquiries(manager: Manager,
                   run_id: int | None) -> dict[tuple[str, str], InquiryFigure]:
    if run_id is None:
        return {}
    found = {}
    # Newest first: the first seen per line is the one shown.
    for inquiry in PayoutInquiry.objects.filter(run_id=run_id, manager=manager) \
            .order_by("-raised_at", "-pk"):
        found.setdefault((inquiry.line_kind, inquiry.line_key), InquiryFigure(
            inquiry.pk, inquiry.status, str(inquiry.get_status_display()), inquiry.comment,
            inquiry.decision_comment))
    return found


def _components_of(lines: list[PayoutLine]) -> dict[tuple[int, str], object]:
    versions = {line.plan_version_id for line in lines if line.plan_version_id}
    from ..models import PlanComponent

    return {
        (c.version_id, c.kind): c
        for c in PlanComponent.objects.filter(version_id__in=versions)
        .prefetch_related("tiers", "rates")
    }


def line_figures(lines: list[PayoutLine], *, inquiries=None) -> list[LineFigure]:
    components = _components_of(lines)
    held = _held_notes([line for line in lines if line.held])
    inquiries = inquiries or {}
    figures = []
    for line in lines:
        component = components.get((line.plan_version_id, line.kind))
        percent = line.kind == ComponentKind.REVENUE_PERCENT or (
            line.kind == ComponentKind.TEAM_BONUS and component is not None
            and component.amount is None)
        note = held.get(line.pk, "")
        if line.adjusts_month:
            note = _("correction of %(month)s") % {"month": _month(line.adjusts_month)}
        figures.append(LineFigure(
            id=line.pk, kind=line.kind, kind_label=str(LineKind(line.kind).label),
            detail=_detail(line.kind, line.key.rsplit(":", 1)[-1] if line.adjusts_month
                           else line.key),
            rule=component_rule(component, source=line.key if line.key in LeadSource.values
                                else "") if component is not None else "",
            quantity=line.quantity, rate=line.rate, amount=line.amount, held=line.held,
            percent=percent, adjusts_month=line.adjusts_month, note=note,
            inquiry=inquiries.get((line.kind, line.key)),
        ))
    return figures


def _month(month: datetime.date) -> str:
    from salesops.formatting import format_month

    return format_month(month)


# --- the month -------------------------------------------------------------------------------

def working_days(month: datetime.date) -> list[datetime.date]:
    days, day = [], month
    while day < next_month(month):
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def organisation_today() -> datetime.date:
    """Today in the organisation's zone (working days left, the forecast)."""
    return datetime.datetime.now(organisation_zone()).date()


def earnings_month(*, manager: Manager, month: datetime.date,
                   today: datetime.date | None = None) -> EarningsMonth:
    """``manager``'s ``month``: lines, plan progress, forecast and days, from stored figures."""
    today = today or organisation_today()
    lines = list(PayoutLine.objects.filter(manager=manager, month=month)
                 .select_related("run").order_by("kind", "key"))
    # A person who changed team in the month is paid by each team's run for their days in it
    # (SPEC §1): the month is all of them; questions go to the run of their team now.
    runs = {line.run_id: line.run for line in lines}
    run = (next((r for r in runs.values() if r.team_id == manager.team_id), None)
           or next(iter(runs.values()), None)
           or PayoutRun.objects.filter(month=month, team_id=manager.team_id).first())
    figures = line_figures(lines, inquiries=line_inquiries(manager, run.pk if run else None))
    standing = (min((STANDING[r.status] for r in runs.values()), key=_STANDING_ORDER.index)
                if runs else PROVISIONAL)
    result = EarningsMonth(
        manager=manager, month=month, standing=standing,
        run_id=run.pk if run else None, computed_at=run.computed_at if run else None,
        total=sum((f.amount for f in figures if not f.held), ZERO),
        held=sum((f.amount for f in figures if f.held), ZERO),
        components=[f for f in figures if not f.held and not f.adjusts_month],
        held_lines=[f for f in figures if f.held],
        adjustments=[f for f in figures if f.adjusts_month and not f.held],
    )
    members = list(PayoutRunManager.objects.filter(
        run__in=list(runs) or ([run.pk] if run else []), manager=manager)
        .select_related("plan_version", "run"))
    stats = list(DailyManagerStats.objects.filter(
        manager=manager, day__gte=month, day__lt=next_month(month)).order_by("day"))
    days = working_days(month)
    elapsed = len([d for d in days if d <= today])
    result.working_days, result.working_days_left = len(days), len(days) - elapsed
    shares = [(member, MonthFacts.coerce(member.facts)) for member in members if member.facts]
    result.plan = _plan_progress(manager, month, shares, elapsed, len(days))
    if shares and 0 < elapsed < len(days):
        result.forecast_pay = sum((forecast_pay(
            version=member.plan_version, facts=facts, team_facts=member.run.team_facts,
            factor=Decimal(len(days)) / Decimal(elapsed))
            for member, facts in shares if member.plan_version is not None), ZERO)
    result.days = _days(month, stats, lines)
    return result


def _plan_progress(manager, month, shares, elapsed: int, total_days: int) -> list[PlanFigure]:
    """Plan progress as pay counts it (SPEC §7): from what the run stored for each of the
    person's shares of the month; targets as set for the month."""
    targets = MonthlyPlan.objects.filter(manager=manager, month=month).first()
    counts = [counted(facts) for _member, facts in shares]
    conversations = Decimal(sum(c.conversations for c in counts))
    confirmed = Decimal(sum(c.confirmed for c in counts))
    revenue = sum((c.revenue for c in counts), ZERO)
    rows = [
        (_("Conversations"), targets.target_conversations if targets else 0, conversations,
         False),
        (_("Confirmed leads"), targets.target_confirmed_leads if targets else 0, confirmed,
         False),
        (_("Revenue"), targets.target_revenue if targets else ZERO, revenue, True),
    ]
    left = total_days - elapsed
    figures = []
    for name, target, actual, money in rows:
        target = Decimal(target)
        percent = (actual * 100 / target).quantize(Decimal("1")) if target else None
        pace = None
        if target and left > 0:
            pace = max(target - actual, Decimal(0)) / left
            pace = round_money(pace) if money else pace.quantize(Decimal("0.1"))
        forecast = None
        if 0 < elapsed < total_days:
            forecast = actual * total_days / elapsed
            forecast = round_money(forecast) if money else forecast.quantize(Decimal("1"))
        figures.append(PlanFigure(name, target, actual, money, percent, pace, forecast))
    return figures


def project_facts(facts: MonthFacts, factor: Decimal) -> MonthFacts:
    """The month's figures at the current pace: every count and sum times ``factor``.

    Milestones are items, so the projection adds copies of the month's own (with ids no real
    row has: nothing decides them, they are payable); payments keep their count and grow in
    amount. Clawbacks are past events and stay as they are.
    """
    def scale(value: int) -> int:
        return int((Decimal(value) * factor).to_integral_value())

    calls = replace(
        facts.calls, count=scale(facts.calls.count), operator_s=scale(facts.calls.operator_s),
        operator_min_up=scale(facts.calls.operator_min_up),
        conversations=scale(facts.calls.conversations), effective=scale(facts.calls.effective),
        by_outcome={k: OutcomeFigures(scale(v.operator_s), scale(v.operator_min_up))
                    for k, v in facts.calls.by_outcome.items()},
    )
    shifts = replace(facts.shifts, count=scale(facts.shifts.count),
                     seconds=scale(facts.shifts.seconds))
    milestones = {}
    for kind, items in facts.milestones.items():
        extra = scale(len(items)) - len(items)
        copies = [replace(items[i % len(items)], lead=-(i + 1), milestone=-(i + 1),
                          duplicate="", fake_at=None, fake_milestone=None)
                  for i in range(extra)] if items else []
        milestones[kind] = [*items, *copies]
    payments = [replace(p, amount=round_money(p.amount * factor)) for p in facts.payments]
    return replace(facts, calls=calls, shifts=shifts, milestones=milestones, payments=payments)


def forecast_pay(*, version, facts: MonthFacts, team_facts, factor: Decimal) -> Decimal:
    """What the month would pay at the current pace: the engine's own builders (floors, tiers,
    caps) run on the projected figures; held amounts are not counted."""
    lines = build_lines(version=version, facts=project_facts(facts, factor),
                        team_facts=team_facts or None)
    return sum((line.amount for line in lines if not line.held), ZERO)


def _days(month, stats, lines: list[PayoutLine]) -> list[DayFigure]:
    """Conversations per day (daily statistics) and the pay earned on each day: call lines
    spread by the day's share of minutes or conversations, lead and payment lines by the dates
    of their items. Month-level lines (plan base, team bonus, shifts, caps) are not per day."""
    earned: dict[datetime.date, Decimal] = defaultdict(lambda: ZERO)
    paid = [line for line in lines if not line.held and not line.adjusts_month]
    minutes = sum(s.operator_s for s in stats)
    conversations = sum(s.conversations for s in stats)
    for line in paid:
        if line.kind in MINUTE_KINDS and minutes:
            for s in stats:
                earned[s.day] += line.amount * s.operator_s / minutes
        elif line.kind in CONVERSATION_KINDS and conversations:
            for s in stats:
                earned[s.day] += line.amount * s.conversations / conversations
    zone = organisation_zone()
    itemised = PayoutLineItem.objects.filter(
        line__in=[line.pk for line in paid], source__in=[LineItemSource.MILESTONE,
                                                         LineItemSource.PAYMENT]
    ).values_list("amount", "milestone__at", "payment__received_on")
    for amount, at, received_on in itemised:
        day = at.astimezone(zone).date() if at else received_on
        if day and month <= day < next_month(month):
            earned[day] += amount
    by_day = {s.day: s.conversations for s in stats}
    return [DayFigure(day, by_day.get(day, 0), round_money(earned[day]))
            for day in _calendar(month) if day in by_day or day in earned]


def _calendar(month):
    day = month
    while day < next_month(month):
        yield day
        day += datetime.timedelta(days=1)


def statements(*, manager: Manager) -> list[StatementFigure]:
    """Every month the manager has lines in, newest first, with its standing (a month paid by
    two teams' runs is as final as the less final of them)."""
    rows = (PayoutLine.objects.filter(manager=manager).values("month", "run__status")
            .annotate(total=Sum("amount", filter=Q(held=False)),
                      held=Sum("amount", filter=Q(held=True)))
            .order_by("-month"))
    months: dict = {}
    for row in rows:
        standing, total, held = months.get(row["month"], (PAID, ZERO, ZERO))
        months[row["month"]] = (
            min(standing, STANDING[row["run__status"]], key=_STANDING_ORDER.index),
            total + (row["total"] or ZERO), held + (row["held"] or ZERO))
    return [StatementFigure(month, standing, round_money(total), round_money(held))
            for month, (standing, total, held) in months.items()]


def statement_row(*, manager: Manager, month: datetime.date) -> dict | None:
    """The manager's row of the payroll export for ``month`` (every team's run of it): the
    same function, so the statement and payroll always agree."""
    rows = payout_export_rows(month=month, manager=manager)
    return rows[0] if rows else None


def default_month() -> datetime.date:
    return current_month()
