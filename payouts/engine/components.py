"""Turn one person's month of figures into payout lines (SPEC §4), in Decimal, rounded once.

Pure functions: no queries. Each line is ``quantity × rate`` (rounded once to the kopeck with
``round_money``, SPEC §3), an explanation, and the source items it pays for the ledger.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from leads.models import LeadSource
from salesops.models import Outcome
from salesops.money import round_money

from ..models import (
    BaseMode,
    ComponentKind,
    LineKind,
    MinuteRounding,
    PaidItemKind,
    PlanComponent,
    PlanVersion,
    TeamMetric,
)
from .facts import MILESTONE_COMPONENTS
from .lead_rules import EXCEPTION, HOLD, PAY, exception_amount, lead_treatment

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
    # Shown, not paid: a pending decision holds it (SPEC §5); its items are not ledgered.
    held: bool = False


def _line(kind, key, quantity, rate, exact_amount, explanation, items=(), held=False):
    return LineDraft(
        kind=kind, key=key, quantity=quantity.quantize(QUANTITY), rate=rate,
        amount=round_money(exact_amount), explanation=explanation, items=list(items),
        held=held,
    )


def calls_source(facts: dict, **narrowing) -> dict:
    """How to find a call-based line's exact source rows again (see selectors)."""
    calls = facts["calls"]
    return {"model": "calllog", "max_id": calls["max_id"], **narrowing}


def build_lines(*, version: PlanVersion, facts: dict, team_facts: dict) -> list[LineDraft]:
    """Every line the version pays for these figures, with caps applied (SPEC §4)."""
    lines = []
    for component in version.components.all():
        builder = BUILDERS[component.kind]
        produced = builder(component=component, version=version, facts=facts, team=team_facts)
        lines.extend(produced)
        lines.extend(_component_cap(component, produced))
    if version.monthly_cap is not None:
        total = sum((line.amount for line in lines if not line.held), ZERO)
        if total > version.monthly_cap:
            lines.append(_line(
                LineKind.MONTHLY_CAP, "", ONE, None, version.monthly_cap - total,
                {"rule": "SPEC §4 caps: a maximum per month", "cap": version.monthly_cap,
                 "before_cap": total},
            ))
    return lines


def _component_cap(component: PlanComponent, produced: list[LineDraft]) -> list[LineDraft]:
    total = sum((line.amount for line in produced if not line.held), ZERO)
    if component.cap is None or total <= component.cap:
        return []
    return [_line(
        component.kind, "cap", ONE, None, component.cap - total,
        {"rule": "SPEC §4 caps: a maximum per component", "cap": component.cap,
         "before_cap": total},
    )]


def _minutes(version: PlanVersion, seconds: int, minutes_up: int, rate: Decimal):
    """(minutes shown, exact amount): minutes are exact by default, each call rounded up if the
    plan says so (SPEC §3). The amount is ``seconds × rate / 60``, divided last, so that a true
    half kopeck is never nudged below the half by a repeating 1/60."""
    if version.minute_rounding == MinuteRounding.PER_CALL_UP:
        return Decimal(minutes_up), Decimal(minutes_up) * rate
    return Decimal(seconds) / 60, Decimal(seconds) * rate / 60


def per_minute(*, component, version, facts, team) -> list[LineDraft]:
    calls = facts["calls"]
    if not calls["count"]:
        return []
    shown, amount = _minutes(
        version, calls["operator_s"], calls["operator_min_up"], component.rate
    )
    return [_line(
        component.kind, "", shown, component.rate, amount,
        {"calls": calls["count"], "operator_s": calls["operator_s"],
         "rounding": version.minute_rounding, "source": calls_source(facts)},
    )]


def per_hour(*, component, version, facts, team) -> list[LineDraft]:
    shifts = facts["shifts"]
    if not shifts["count"]:
        return []
    hours = Decimal(shifts["seconds"]) / 3600
    return [_line(
        component.kind, "", hours, component.rate,
        Decimal(shifts["seconds"]) * component.rate / 3600,
        {"shifts": shifts["count"], "seconds": shifts["seconds"],
         "source": {"model": "workshift", "max_id": shifts["max_id"]}},
    )]


def differentiated_minutes(*, component, version, facts, team) -> list[LineDraft]:
    """One line per outcome that has a rate (SPEC §4, example 3)."""
    lines = []
    rates = {r.outcome: r.rate for r in component.rates.all() if r.outcome is not None}
    for outcome in Outcome:
        if outcome.value not in rates:
            continue
        figures = facts["calls"]["by_outcome"][str(outcome.value)]
        if not figures["operator_s"]:
            continue
        rate = rates[outcome.value]
        shown, amount = _minutes(
            version, figures["operator_s"], figures["operator_min_up"], rate
        )
        lines.append(_line(
            component.kind, outcome.name.lower(), shown, rate, amount,
            {"outcome": outcome.name.lower(), "operator_s": figures["operator_s"],
             "rounding": version.minute_rounding,
             "source": calls_source(facts, outcome=outcome.value)},
        ))
    return lines


def per_conversation(*, component, version, facts, team) -> list[LineDraft]:
    calls = facts["calls"]
    if not calls["conversations"]:
        return []
    count = Decimal(calls["conversations"])
    return [_line(
        component.kind, "", count, component.rate, count * component.rate,
        {"threshold_s": calls["threshold_s"],
         "source": calls_source(facts, talk_s_gte=calls["threshold_s"])},
    )]


def per_effective_call(*, component, version, facts, team) -> list[LineDraft]:
    calls = facts["calls"]
    if not calls["effective"]:
        return []
    count = Decimal(calls["effective"])
    return [_line(
        component.kind, "", count, component.rate, count * component.rate,
        {"threshold_s": calls["threshold_s"], "outcomes": ["presentation", "consent"],
         "source": calls_source(facts, talk_s_gte=calls["threshold_s"], effective=True)},
    )]


def _milestone_lines(milestone_kind: str):
    """Leads first reaching the milestone in the month, paid once in their life (SPEC §6.2),
    and clawed back when marked fake within the plan's window (SPEC §6.6)."""

    def build(*, component, version, facts, team) -> list[LineDraft]:
        leads, lines = _decided_milestones(component, facts, milestone_kind)
        if leads:
            count = Decimal(len(leads))
            lines.append(_line(
                component.kind, "", count, component.rate, count * component.rate,
                {"milestone": milestone_kind, "leads": [m["lead"] for m in leads],
                 "milestones": [m["milestone"] for m in leads]},
                [ItemDraft(component.kind, PaidItemKind.LEAD, m["lead"],
                           datetime.datetime.fromisoformat(m["at"]), component.rate)
                 for m in leads],
            ))
        window = datetime.timedelta(days=version.clawback_days)
        clawbacks = [
            {"lead": m["lead"], "rate": m.get("earned", component.rate), "fake_at": m["fake_at"]}
            for m in leads + [m for m in paid_by_exception(lines) if m["fake_at"]]
            if m["fake_at"] and _within(m["at"], m["fake_at"], window)
        ] + [
            {"lead": c["lead"], "rate": Decimal(c["rate"]), "fake_at": c["fake_at"],
             "paid_month": c["paid_month"], "fake_milestone": c["fake_milestone"]}
            for c in facts["clawbacks"]
            if c["component"] == component.kind and _within(c["paid_at"], c["fake_at"], window)
        ]
        if clawbacks:
            total = sum((c["rate"] for c in clawbacks), ZERO)
            rates = {c["rate"] for c in clawbacks}
            lines.append(_line(
                component.kind, "clawback", Decimal(-len(clawbacks)),
                rates.pop() if len(rates) == 1 else None, -total,
                {"rule": "SPEC §6.6 fake lead within the clawback window",
                 "window_days": version.clawback_days,
                 "leads": [{k: v for k, v in c.items() if k != "rate"} for c in clawbacks]},
                [ItemDraft(component.kind, PaidItemKind.LEAD_CLAWBACK, c["lead"])
                 for c in clawbacks],
            ))
        return lines

    return build


def _decided_milestones(component, facts, milestone_kind):
    """Split the month's milestones by decision (SPEC §5, §6.3): leads paid as usual, and the
    lines of held leads and of approved exceptions."""
    normal, held, lines = [], [], []
    for m in facts["milestones"][milestone_kind]:
        treatment, detail = lead_treatment(facts, component_kind=component.kind,
                                           lead_id=m["lead"], duplicate=m.get("duplicate", ""))
        if treatment == PAY:
            normal.append(m)
        elif treatment == HOLD:
            held.append({**m, **detail})
        elif treatment == EXCEPTION:
            rate, amount = exception_amount(detail, base=ONE, percent=False)
            lines.append(_line(
                component.kind, f"exception:{detail['id']}", ONE, rate, amount,
                {"rule": "SPEC §5 approved commission exception", "exception": detail["id"],
                 "exception_kind": detail["kind"], "lead": m["lead"], "milestone": milestone_kind,
                 "paid_lead": m},
                [ItemDraft(component.kind, PaidItemKind.LEAD, m["lead"],
                           datetime.datetime.fromisoformat(m["at"]), round_money(amount)),
                 *_fixed_item(component, detail)],
            ))
    if held:
        count = Decimal(len(held))
        lines.append(_line(
            component.kind, "held", count, component.rate, count * component.rate,
            {"rule": "SPEC §5, §6.3 held until a pending decision is made", "leads": held},
            held=True,
        ))
    return normal, lines


def paid_by_exception(lines) -> list[dict]:
    """Leads an exception line paid, with what they earned (for a same-month clawback)."""
    return [
        {**line.explanation["paid_lead"], "earned": line.amount}
        for line in lines if "paid_lead" in line.explanation and line.amount
    ]


def _fixed_item(component, exception) -> list[ItemDraft]:
    # A fixed amount is paid once in the lead's life (SPEC §6.2): the exception is ledgered.
    if exception["kind"] == "fixed" and not exception["fixed_paid"]:
        return [ItemDraft(component.kind, PaidItemKind.EXCEPTION, exception["id"])]
    return []


def _decided_payments(component, facts, rates):
    """Split the month's payments by decision (SPEC §5, §6.3): those paid at the plan's rate,
    and one line per lead held or paid under an approved exception. A refund follows the
    decision of its lead, so it reverses exactly what its payment earned (SPEC §6.6)."""
    normal, by_lead = [], {}
    for p in facts["payments"]:
        treatment, detail = lead_treatment(facts, component_kind=component.kind,
                                           lead_id=p.get("lead"), duplicate=p.get("duplicate", ""))
        if treatment == PAY:
            normal.append(p)
        elif treatment in (HOLD, EXCEPTION):
            by_lead.setdefault((p["lead"], treatment), (detail, []))[1].append(p)
    lines = []
    for (lead_id, treatment), (detail, rows) in sorted(by_lead.items()):
        revenue = sum((Decimal(p["amount"]) for p in rows), ZERO)
        ids = [p["id"] for p in rows]
        if treatment == HOLD:
            rate = rates.get(rows[0]["source"], component.rate)
            lines.append(_line(
                component.kind, f"held:{lead_id}", revenue, rate, revenue * rate / HUNDRED,
                {"rule": "SPEC §5, §6.3 held until a pending decision is made", "lead": lead_id,
                 "payments": ids, **detail},
                held=True,
            ))
            continue
        rate, amount = exception_amount(detail, base=revenue, percent=True)
        lines.append(_line(
            component.kind, f"exception:{detail['id']}", revenue, rate, amount,
            {"rule": "SPEC §5 approved commission exception", "exception": detail["id"],
             "exception_kind": detail["kind"], "lead": lead_id, "payments": ids},
            [*(ItemDraft(component.kind, PaidItemKind.PAYMENT, i, None, rate) for i in ids),
             *_fixed_item(component, detail)],
        ))
    return normal, lines


def _within(paid_at: str, fake_at: str, window: datetime.timedelta) -> bool:
    paid = datetime.datetime.fromisoformat(paid_at)
    fake = datetime.datetime.fromisoformat(fake_at)
    return paid <= fake <= paid + window


def revenue_percent(*, component, version, facts, team) -> list[LineDraft]:
    payments = facts["payments"]
    if not payments:
        return []
    tiers = list(component.tiers.all())
    if tiers:
        return _revenue_tiers(component, tiers, facts)
    rates = {r.lead_source: r.rate for r in component.rates.all() if r.lead_source}
    payments, lines = _decided_payments(component, facts, rates)
    for source in LeadSource:
        for refund in (False, True):
            rows = [p for p in payments if p["source"] == source.value and p["refund"] is refund]
            if not rows:
                continue
            # Owner-routed and every other source earn the plan's rate unless it names one
            # (SPEC §5); a refund reverses at the rate its source earns (SPEC §6.6).
            rate = rates.get(source.value, component.rate)
            revenue = sum((Decimal(p["amount"]) for p in rows), ZERO)
            lines.append(_line(
                component.kind, f"refund:{source.value}" if refund else source.value,
                revenue, rate, revenue * rate / HUNDRED,
                {"source": source.value, "refunds" if refund else "payments":
                 [p["id"] for p in rows]},
                [ItemDraft(component.kind, PaidItemKind.PAYMENT, p["id"], None, rate)
                 for p in rows],
            ))
    return lines


def _revenue_tiers(component, tiers, facts) -> list[LineDraft]:
    """Marginal tiers on revenue-plan attainment (SPEC §8 example 5): each band of revenue is
    paid at its own rate. Refunds reduce the month's revenue before the bands are applied."""
    payments = facts["payments"]
    revenue = sum((Decimal(p["amount"]) for p in payments), ZERO)
    target = Decimal(facts["plan"]["revenue"])
    items = [ItemDraft(component.kind, PaidItemKind.PAYMENT, p["id"]) for p in payments]
    explanation = {"revenue": revenue, "target": target, "payments": [p["id"] for p in payments]}
    if target <= 0:
        # No target: attainment is unbounded, so the top band pays everything.
        top = tiers[-1]
        return [_line(component.kind, f"tier:{top.from_percent}", revenue, top.rate,
                      revenue * top.rate / HUNDRED, explanation, items)]
    lines = []
    for tier in tiers:
        low = target * tier.from_percent / HUNDRED
        high = revenue
        if tier.to_percent is not None:
            high = min(revenue, target * tier.to_percent / HUNDRED)
        band = high - low
        if band <= 0:
            continue
        lines.append(_line(
            component.kind, f"tier:{tier.from_percent}", band, tier.rate,
            band * tier.rate / HUNDRED,
            {**explanation, "band_percent": [tier.from_percent, tier.to_percent]},
            items if not lines else [],
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


def plan_base(*, component, version, facts, team) -> list[LineDraft]:
    target = facts["plan"]["conversations"]
    actual = facts["calls"]["conversations"]
    attainment = Decimal(actual) / Decimal(target) if target else ZERO
    scale = attainment_scale(attainment, mode=component.base_mode,
                             floor_percent=component.floor_percent)
    base = component.amount or ZERO
    return [_line(
        component.kind, "", scale, base, scale * base,
        {"conversations": actual, "target": target, "attainment": attainment.quantize(QUANTITY),
         "mode": component.base_mode, "floor_percent": component.floor_percent,
         "threshold_s": facts["calls"]["threshold_s"],
         "source": calls_source(facts, talk_s_gte=facts["calls"]["threshold_s"])},
    )]


def team_bonus(*, component, version, facts, team) -> list[LineDraft]:
    """A sales head's bonus on the team's attainment (SPEC §4): a fixed amount scaled like
    plan_base, or, with no amount, ``rate`` percent of the team's revenue once the floor is met."""
    if not team:
        return []
    if component.team_metric == TeamMetric.REVENUE:
        actual, target = Decimal(team["revenue"]), Decimal(team["target_revenue"])
    else:
        actual, target = Decimal(team["conversations"]), Decimal(team["target_conversations"])
    attainment = actual / target if target else ZERO
    scale = attainment_scale(attainment, mode=component.base_mode,
                             floor_percent=component.floor_percent)
    explanation = {"metric": component.team_metric, "team_actual": actual, "team_target": target,
                   "attainment": attainment.quantize(QUANTITY), "mode": component.base_mode,
                   "floor_percent": component.floor_percent}
    if component.amount is not None:
        return [_line(component.kind, "", scale, component.amount, scale * component.amount,
                      explanation)]
    revenue = Decimal(team["revenue"]) if scale > 0 else ZERO
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
