"""Turn one person's month of figures into payout lines (SPEC §4), in Decimal, rounded once.

Pure functions: no queries. ``build_lines`` first decides every counted item once
(``decisions.decide_month``: payable, held, overridden, not ours), then each builder turns the
figures and the decided items into lines. A builder never looks at exceptions or duplicate
flags itself: it pays payable items by the plan, shows held ones held, pays overridden ones as
their exception says, and leaves out items that are not ours.

Each line is ``quantity × rate`` (rounded once to the kopeck with ``round_money``, SPEC §3), an
explanation, the source items it pays for the ledger (``ItemDraft`` → ``PaidItem``) and the
source rows it counted (``SourceDraft`` → ``PayoutLineItem``).
"""

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal

from leads.models import LeadSource
from salesops.models import Outcome
from salesops.money import round_money

from ..models import (
    BaseMode,
    ComponentKind,
    Decision,
    LineItemSource,
    LineKind,
    MinuteRounding,
    PaidItemKind,
    PlanComponent,
    PlanVersion,
    TeamMetric,
)
from .decisions import Decided, decide_month, overridden_amount
from .figures import MILESTONE_COMPONENTS, MonthFacts, TeamFigures

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
QUANTITY = Decimal("0.0001")


@dataclass(frozen=True)
class ItemDraft:
    component_kind: str
    item_kind: str
    item_id: int
    at: datetime.datetime | None = None
    rate: Decimal | None = None


@dataclass(frozen=True)
class SourceDraft:
    """A source row a line counted, with its exact share of the line (see ``_line``)."""

    source: str
    source_id: int
    quantity: Decimal
    amount: Decimal
    decision: str = Decision.PAYABLE
    exception_id: int | None = None
    # For an item an approved exception decided: what the plan would have paid it, so that
    # the effect of the decision stays explained (and its amount at stake known).
    planned: Decimal | None = None


@dataclass
class LineDraft:
    kind: str
    key: str
    quantity: Decimal
    rate: Decimal | None
    amount: Decimal
    explanation: dict = field(default_factory=dict)
    items: list[ItemDraft] = field(default_factory=list)
    adjusts_month: datetime.date | None = None
    adjusts_run: int | None = None
    # Shown, not paid: a pending decision holds it (SPEC §5); its items are not ledgered.
    held: bool = False
    sources: list[SourceDraft] = field(default_factory=list)


def _line(kind, key, quantity, rate, exact_amount, explanation, items=(), held=False,
          sources=()):
    amount = round_money(exact_amount)
    return LineDraft(
        kind=kind, key=key, quantity=quantity.quantize(QUANTITY), rate=rate,
        amount=amount, explanation=explanation, items=list(items),
        held=held, sources=_shares(amount, sources),
    )


def _shares(amount: Decimal, sources) -> list[SourceDraft]:
    """Each source's exact share rounded to the kopeck, the last one taking what rounding
    left over, so that a line's items add up to the line exactly (SPEC §3: the line is rounded
    once; the shares only explain it)."""
    sources = list(sources)
    rounded = [round_money(s.amount) for s in sources]
    if sources:
        rounded[-1] += amount - sum(rounded, ZERO)
    return [
        SourceDraft(s.source, s.source_id, s.quantity.quantize(QUANTITY), share, s.decision,
                    s.exception_id, None if s.planned is None else round_money(s.planned))
        for s, share in zip(sources, rounded, strict=True)
    ]


def calls_source(facts: MonthFacts, **narrowing) -> dict:
    """How to find a call-based line's exact source rows again (see selectors)."""
    return {"model": "calllog", "max_id": facts.calls.max_id, **narrowing}


def build_lines(
    *, version: PlanVersion, facts: MonthFacts | dict, team_facts: TeamFigures | dict | None
) -> list[LineDraft]:
    """Every line the version pays for these figures (typed, or as a run member stores them),
    with caps applied (SPEC §4)."""
    facts = MonthFacts.coerce(facts)
    decided = decide_month(facts)
    team = TeamFigures.from_stored(team_facts) if isinstance(team_facts, dict) else team_facts
    lines = []
    for component in version.components.all():
        builder = BUILDERS[component.kind]
        produced = builder(component=component, version=version, facts=facts, decided=decided,
                           team=team)
        lines.extend(produced)
        lines.extend(_component_cap(component, produced, facts.fraction))
    lines.extend(_transfer_lines(facts))
    if version.monthly_cap is not None:
        cap = round_money(version.monthly_cap * facts.fraction)
        total = sum((line.amount for line in lines if not line.held), ZERO)
        if total > cap:
            lines.append(_line(
                LineKind.MONTHLY_CAP, "", ONE, None, cap - total,
                {"rule": "monthly_cap", "cap": cap, "before_cap": total,
                 **_share_note(facts)},
            ))
    return lines


def _share_note(facts: MonthFacts) -> dict:
    """Explanations of a share of the month name the share (SPEC §1 dated membership)."""
    return {} if facts.fraction == ONE else {"share_of_month": facts.fraction.quantize(QUANTITY)}


def _component_cap(component: PlanComponent, produced: list[LineDraft],
                   fraction: Decimal) -> list[LineDraft]:
    if component.cap is None:
        return []
    cap = round_money(component.cap * fraction)
    total = sum((line.amount for line in produced if not line.held), ZERO)
    if total <= cap:
        return []
    return [_line(
        component.kind, "cap", ONE, None, cap - total,
        {"rule": "component_cap", "cap": cap, "before_cap": total},
    )]


def _transfer_lines(facts: MonthFacts) -> list[LineDraft]:
    """A commission an approved month paid, moved by an approved exception (SPEC §6.7): taken
    from the person it was paid to, given to the other, each once (the ledger keeps it)."""
    lines = []
    for transfer in facts.transfers:
        kind = (PaidItemKind.TRANSFER_OUT if transfer.direction == "out"
                else PaidItemKind.TRANSFER_IN)
        lines.append(_line(
            transfer.component, f"transfer:{transfer.exception}", ONE, None, transfer.amount,
            {"rule": "transfer", "exception": transfer.exception, "lead": transfer.lead,
             "direction": transfer.direction},
            [ItemDraft(transfer.component, kind, transfer.exception)],
        ))
    return lines


def _minutes(version: PlanVersion, seconds: int, minutes_up: int, rate: Decimal):
    """(minutes shown, exact amount): minutes are exact by default, each call rounded up if the
    plan says so (SPEC §3). The amount is ``seconds × rate / 60``, divided last, so that a true
    half kopeck is never nudged below the half by a repeating 1/60."""
    if version.minute_rounding == MinuteRounding.PER_CALL_UP:
        return Decimal(minutes_up), Decimal(minutes_up) * rate
    return Decimal(seconds) / 60, Decimal(seconds) * rate / 60


def per_minute(*, component, version, facts, decided, team) -> list[LineDraft]:
    calls = facts.calls
    if not calls.count:
        return []
    shown, amount = _minutes(version, calls.operator_s, calls.operator_min_up, component.rate)
    return [_line(
        component.kind, "", shown, component.rate, amount,
        {"calls": calls.count, "operator_s": calls.operator_s,
         "rounding": version.minute_rounding, "source": calls_source(facts)},
    )]


def per_hour(*, component, version, facts, decided, team) -> list[LineDraft]:
    shifts = facts.shifts
    if not shifts.count:
        return []
    hours = Decimal(shifts.seconds) / 3600
    return [_line(
        component.kind, "", hours, component.rate,
        Decimal(shifts.seconds) * component.rate / 3600,
        {"shifts": shifts.count, "seconds": shifts.seconds,
         "source": {"model": "workshift", "max_id": shifts.max_id}},
    )]


def differentiated_minutes(*, component, version, facts, decided, team) -> list[LineDraft]:
    """One line per outcome that has a rate (SPEC §4, example 3)."""
    lines = []
    rates = {r.outcome: r.rate for r in component.rates.all() if r.outcome is not None}
    for outcome in Outcome:
        if outcome.value not in rates:
            continue
        figures = facts.calls.by_outcome[int(outcome)]
        if not figures.operator_s:
            continue
        rate = rates[outcome.value]
        shown, amount = _minutes(version, figures.operator_s, figures.operator_min_up, rate)
        lines.append(_line(
            component.kind, outcome.name.lower(), shown, rate, amount,
            {"outcome": outcome.name.lower(), "operator_s": figures.operator_s,
             "rounding": version.minute_rounding,
             "source": calls_source(facts, outcome=outcome.value)},
        ))
    return lines


def per_conversation(*, component, version, facts, decided, team) -> list[LineDraft]:
    calls = facts.calls
    if not calls.conversations:
        return []
    count = Decimal(calls.conversations)
    return [_line(
        component.kind, "", count, component.rate, count * component.rate,
        {"threshold_s": calls.threshold_s,
         "source": calls_source(facts, talk_s_gte=calls.threshold_s)},
    )]


def per_effective_call(*, component, version, facts, decided, team) -> list[LineDraft]:
    calls = facts.calls
    if not calls.effective:
        return []
    count = Decimal(calls.effective)
    return [_line(
        component.kind, "", count, component.rate, count * component.rate,
        {"threshold_s": calls.threshold_s, "outcomes": ["presentation", "consent"],
         "source": calls_source(facts, talk_s_gte=calls.threshold_s, effective=True)},
    )]


def _milestone_source(d: Decided, amount: Decimal) -> SourceDraft:
    return SourceDraft(LineItemSource.MILESTONE, d.item.milestone, ONE, amount, d.decision,
                       d.exception.id if d.exception else None)


def _milestone_lines(milestone_kind: str):
    """Leads first reaching the milestone in the month, paid once in their life (SPEC §6.2),
    and clawed back when marked fake within the plan's window (SPEC §6.6)."""

    def build(*, component, version, facts, decided, team) -> list[LineDraft]:
        items = decided.milestones[component.kind]
        rate = component.rate
        lines = []
        # What each lead paid this month: a same-month fake mark claws exactly that back.
        earned = []
        payable = [d for d in items if d.decision == Decision.PAYABLE]
        if payable:
            count = Decimal(len(payable))
            lines.append(_line(
                component.kind, "", count, rate, count * rate, {"milestone": milestone_kind},
                [ItemDraft(component.kind, PaidItemKind.LEAD, d.item.lead, d.item.at, rate)
                 for d in payable],
                sources=[_milestone_source(d, rate) for d in payable],
            ))
            earned += [(d.item, rate) for d in payable]
        held = [d for d in items if d.decision == Decision.HELD]
        if held:
            count = Decimal(len(held))
            lines.append(_line(
                component.kind, "held", count, rate, count * rate,
                {"rule": "held",
                 "milestone": milestone_kind},
                held=True, sources=[_milestone_source(d, rate) for d in held],
            ))
        for d in (d for d in items if d.decision == Decision.OVERRIDDEN):
            shown, amount = overridden_amount(d.exception, base=ONE, percent=False)
            line = _line(
                component.kind, f"exception:{d.exception.id}", ONE, shown, amount,
                {"rule": "exception",
                 "exception_kind": d.exception.kind, "milestone": milestone_kind},
                [ItemDraft(component.kind, PaidItemKind.LEAD, d.item.lead, d.item.at,
                           round_money(amount)), *_fixed_item(component, d)],
                sources=[replace(_milestone_source(d, amount), planned=rate)],
            )
            lines.append(line)
            if line.amount:
                earned.append((d.item, line.amount))
        lines.extend(_clawback_lines(component, version, facts, earned))
        return lines

    return build


def _clawback_lines(component, version, facts, earned) -> list[LineDraft]:
    window = datetime.timedelta(days=version.clawback_days)
    # (lead, fake milestone, rate): this month's leads marked fake by the month's end, and
    # leads paid by an earlier run marked fake in this month.
    clawbacks = [
        (m.lead, m.fake_milestone, rate) for m, rate in earned
        if m.fake_at and _within(m.at, m.fake_at, window)
    ] + [
        (c.lead, c.fake_milestone, c.rate) for c in facts.clawbacks
        if c.component == component.kind and _within(c.paid_at, c.fake_at, window)
    ]
    if not clawbacks:
        return []
    total = sum((rate for _, _, rate in clawbacks), ZERO)
    rates = {rate for _, _, rate in clawbacks}
    return [_line(
        component.kind, "clawback", Decimal(-len(clawbacks)),
        rates.pop() if len(rates) == 1 else None, -total,
        {"rule": "clawback",
         "window_days": version.clawback_days},
        [ItemDraft(component.kind, PaidItemKind.LEAD_CLAWBACK, lead) for lead, _, _ in clawbacks],
        sources=[SourceDraft(LineItemSource.MILESTONE, fake, -ONE, -rate)
                 for _, fake, rate in clawbacks],
    )]


def _fixed_item(component, decided: Decided) -> list[ItemDraft]:
    # A fixed amount is paid once in the lead's life (SPEC §6.2): the exception is ledgered.
    exception = decided.exception
    if exception.kind == "fixed" and not exception.fixed_paid:
        return [ItemDraft(component.kind, PaidItemKind.EXCEPTION, exception.id)]
    return []


def _within(paid_at: datetime.datetime, fake_at: datetime.datetime,
            window: datetime.timedelta) -> bool:
    return paid_at <= fake_at <= paid_at + window


def _payment_source(d: Decided, amount: Decimal, quantity: Decimal | None = None) -> SourceDraft:
    return SourceDraft(LineItemSource.PAYMENT, d.item.id,
                       d.item.amount if quantity is None else quantity, amount, d.decision,
                       d.exception.id if d.exception else None)


def _by_lead(decided: list[Decided]) -> dict[int, list[Decided]]:
    leads = {}
    for d in decided:
        leads.setdefault(d.item.lead, []).append(d)
    return dict(sorted(leads.items()))


def revenue_percent(*, component, version, facts, decided, team) -> list[LineDraft]:
    """Percent of the month's payments on own leads (SPEC §4): by lead source, or in marginal
    tiers; held and overridden payments get their own lines per lead, whichever way."""
    if not decided.payments:
        return []
    tiers = list(component.tiers.all())
    rates = {r.lead_source: r.rate for r in component.rates.all() if r.lead_source}
    payable = decided.payments_by(Decision.PAYABLE)
    # A refund of a payment another month paid for takes back what that payment earned there,
    # outside this month's bands (SPEC §6.6: under tiers too, even with no other revenue).
    reversals = [d for d in payable if d.item.refund and d.item.earned is not None]
    payable = [d for d in payable if d not in reversals]
    reversal_lines = _reversals(component, reversals) if tiers else []
    if tiers:
        target = facts.plan.revenue * facts.fraction
        lines = _revenue_tiers(component, tiers, target, payable)
        payable_revenue = sum((d.item.amount for d in payable), ZERO)
        base = _tiered(tiers, target, payable_revenue)

        def held_amount(rows):
            # What the lead would add on top of the payable revenue, at the margin.
            extra = sum((d.item.amount for d in rows), ZERO)
            return None, _tiered(tiers, target, payable_revenue + extra) - base
    else:
        lines = _revenue_by_source(component, rates, payable, reversals)

        def held_amount(rows):
            rate = rates.get(rows[0].item.source, component.rate)
            return rate, sum((d.item.amount for d in rows), ZERO) * rate / HUNDRED
    for lead_id, rows in _by_lead(decided.payments_by(Decision.HELD)).items():
        revenue = sum((d.item.amount for d in rows), ZERO)
        rate, amount = held_amount(rows)
        lines.append(_line(
            component.kind, f"held:{lead_id}", revenue, rate, amount,
            {"rule": "held", "lead": lead_id,
             "held_by": rows[0].reason},
            held=True, sources=_proportional(rows, amount),
        ))
    for lead_id, rows in _by_lead(decided.payments_by(Decision.OVERRIDDEN)).items():
        exception = rows[0].exception
        revenue = sum((d.item.amount for d in rows), ZERO)
        rate, amount = overridden_amount(exception, base=revenue, percent=True)
        _plan_rate, planned = held_amount(rows)
        lines.append(_line(
            component.kind, f"exception:{exception.id}", revenue, rate, amount,
            {"rule": "exception", "exception_kind": exception.kind,
             "lead": lead_id},
            [*(ItemDraft(component.kind, PaidItemKind.PAYMENT, d.item.id, None, rate)
               for d in rows), *_fixed_item(component, rows[0])],
            sources=[replace(source, planned=plan) for source, plan in zip(
                _proportional(rows, amount), _split(rows, planned), strict=True)],
        ))
    return lines + reversal_lines


def _split(rows: list[Decided], amount: Decimal) -> list[Decimal]:
    """``amount`` split over payments in proportion to their revenue (see ``_proportional``)."""
    return [source.amount for source in _proportional(rows, amount)]


def _reversals(component, reversals: list[Decided]) -> list[LineDraft]:
    """Under tiers, refunds of payments another month paid for, outside this month's bands."""
    lines = []
    for source in LeadSource:
        rows = [d for d in reversals if d.item.source == source.value]
        if not rows:
            continue
        shares = [_taken_back(d) for d in rows]
        lines.append(_line(
            component.kind, f"refund:{source.value}", sum((d.item.amount for d in rows), ZERO),
            None, sum(shares, ZERO),
            {"rule": "refund_reversal", "source": source.value,
             "refunds": [d.item.id for d in rows], "of": [d.item.refund_of for d in rows]},
            [ItemDraft(component.kind, PaidItemKind.PAYMENT, d.item.id) for d in rows],
            sources=[_payment_source(d, share) for d, share in zip(rows, shares, strict=True)],
        ))
    return lines


def _proportional(rows: list[Decided], amount: Decimal) -> list[SourceDraft]:
    """Each payment's share of ``amount`` in proportion to its revenue (all of it to the last
    when the revenue nets to zero)."""
    revenue = sum((d.item.amount for d in rows), ZERO)
    if not revenue:
        return [_payment_source(d, amount if i == len(rows) - 1 else ZERO)
                for i, d in enumerate(rows)]
    return [_payment_source(d, amount * d.item.amount / revenue) for d in rows]


def _revenue_by_source(component, rates, payable: list[Decided],
                       reversals: list[Decided] = ()) -> list[LineDraft]:
    lines = []
    for source in LeadSource:
        for refund in (False, True):
            rows = [d for d in payable if d.item.source == source.value and d.item.refund is refund]
            taken = [d for d in reversals if d.item.source == source.value] if refund else []
            if not rows and not taken:
                continue
            # Owner-routed and every other source earn the plan's rate unless it names one
            # (SPEC §5); a refund reverses at the rate its source earns (SPEC §6.6), and a
            # refund of a payment another month paid for takes back what that payment earned.
            rate = rates.get(source.value, component.rate)
            revenue = sum((d.item.amount for d in [*rows, *taken]), ZERO)
            shares = [d.item.amount * rate / HUNDRED for d in rows] + [_taken_back(d)
                                                                       for d in taken]
            all_at_rate = all(share == d.item.amount * rate / HUNDRED
                              for d, share in zip([*rows, *taken], shares, strict=True))
            lines.append(_line(
                component.kind, f"refund:{source.value}" if refund else source.value,
                revenue, rate if all_at_rate else None, sum(shares, ZERO),
                {"source": source.value},
                [ItemDraft(component.kind, PaidItemKind.PAYMENT, d.item.id, None,
                           rate if d in rows else None) for d in [*rows, *taken]],
                sources=[_payment_source(d, share)
                         for d, share in zip([*rows, *taken], shares, strict=True)],
            ))
    return lines


def _taken_back(d: Decided) -> Decimal:
    """What a refund takes back of what its payment earned in another month: the refunded
    part of it (SPEC §6.6)."""
    if not d.item.refunded_base:
        return -d.item.earned
    return -(d.item.earned * -d.item.amount / d.item.refunded_base)


def _bands(tiers, target: Decimal, revenue: Decimal):
    """(tier, revenue in its band) for each band the revenue reaches (SPEC §8 example 5)."""
    if target <= 0:
        # No target: attainment is unbounded, so the top band pays everything.
        return [(tiers[-1], revenue)] if revenue else []
    bands = []
    for tier in tiers:
        low = target * tier.from_percent / HUNDRED
        high = revenue
        if tier.to_percent is not None:
            high = min(revenue, target * tier.to_percent / HUNDRED)
        if high - low > 0:
            bands.append((tier, high - low))
    return bands


def _tiered(tiers, target: Decimal, revenue: Decimal) -> Decimal:
    return sum((band * tier.rate / HUNDRED for tier, band in _bands(tiers, target, revenue)),
               ZERO)


def _revenue_tiers(component, tiers, target, payable: list[Decided]) -> list[LineDraft]:
    """Marginal tiers on revenue-plan attainment (SPEC §8 example 5): each band of the payable
    revenue is paid at its own rate. Refunds reduce the month's revenue before the bands are
    applied. Held, overridden and not-ours payments are outside the bands: a held lead shows
    what it would add at the margin, an overridden one pays as its exception says."""
    revenue = sum((d.item.amount for d in payable), ZERO)
    explanation = {"revenue": revenue, "target": target}
    lines = []
    for tier, band in _bands(tiers, target, revenue):
        amount = band * tier.rate / HUNDRED
        lines.append(_line(
            component.kind, f"tier:{tier.from_percent}", band, tier.rate, amount,
            {**explanation, "band_percent": [tier.from_percent, tier.to_percent]},
            # The ledger holds each payment once: on the first band's line.
            [ItemDraft(component.kind, PaidItemKind.PAYMENT, d.item.id) for d in payable]
            if not lines else [],
            sources=[_payment_source(d, amount * d.item.amount / revenue,
                                     band * d.item.amount / revenue) for d in payable],
        ))
    return lines


def attainment_scale(attainment: Decimal, *, mode: str, floor_percent: Decimal | None) -> Decimal:
    """How much of a fixed amount an attainment earns (SPEC §4 plan_base):
    all or nothing at 100%, or linear capped at 100% and zero below the floor."""
    if mode == BaseMode.ALL_OR_NOTHING:
        return ONE if attainment >= ONE else ZERO
    if floor_percent is not None and attainment * HUNDRED < floor_percent:
        return ZERO
    return min(attainment, ONE)


def plan_base(*, component, version, facts, decided, team) -> list[LineDraft]:
    """A fixed amount scaled by conversation-plan attainment (SPEC §4); for a share of the
    month (a transfer, SPEC §1) the target and the amount in proportion to the share."""
    target = Decimal(facts.plan.conversations) * facts.fraction
    actual = facts.calls.conversations
    attainment = Decimal(actual) / target if target else ZERO
    scale = attainment_scale(attainment, mode=component.base_mode,
                             floor_percent=component.floor_percent)
    base = round_money((component.amount or ZERO) * facts.fraction)
    return [_line(
        component.kind, "", scale, base, scale * base,
        {"conversations": actual, "target": target.quantize(QUANTITY),
         "attainment": attainment.quantize(QUANTITY),
         "mode": component.base_mode, "floor_percent": component.floor_percent,
         "threshold_s": facts.calls.threshold_s, **_share_note(facts),
         "source": calls_source(facts, talk_s_gte=facts.calls.threshold_s)},
    )]


def team_bonus(*, component, version, facts, decided, team) -> list[LineDraft]:
    """A sales head's bonus on the team's attainment (SPEC §4): a fixed amount scaled like
    plan_base, or, with no amount, ``rate`` percent of the team's revenue once the floor is met."""
    if not team:
        return []
    if component.team_metric == TeamMetric.REVENUE:
        actual, target = team.revenue, team.target_revenue
    else:
        actual, target = Decimal(team.conversations), Decimal(team.target_conversations)
    attainment = actual / target if target else ZERO
    scale = attainment_scale(attainment, mode=component.base_mode,
                             floor_percent=component.floor_percent)
    explanation = {"metric": component.team_metric, "team_actual": actual, "team_target": target,
                   "attainment": attainment.quantize(QUANTITY), "mode": component.base_mode,
                   "floor_percent": component.floor_percent, **_share_note(facts)}
    if component.amount is not None:
        amount = round_money(component.amount * facts.fraction)
        return [_line(component.kind, "", scale, amount, scale * amount, explanation)]
    revenue = team.revenue if scale > 0 else ZERO
    return [_line(component.kind, "", revenue, component.rate,
                  revenue * component.rate / HUNDRED, explanation)]


BUILDERS = {
    ComponentKind.PER_MINUTE: per_minute,
    ComponentKind.PER_HOUR: per_hour,
    ComponentKind.DIFFERENTIATED_MINUTES: differentiated_minutes,
    ComponentKind.PER_CONVERSATION: per_conversation,
    ComponentKind.PER_EFFECTIVE_CALL: per_effective_call,
    ComponentKind.REVENUE_PERCENT: revenue_percent,
    ComponentKind.PLAN_BASE: plan_base,
    ComponentKind.TEAM_BONUS: team_bonus,
    **{component: _milestone_lines(kind) for kind, component in MILESTONE_COMPONENTS.items()},
}
