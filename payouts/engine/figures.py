"""The typed figures one person's month pays from (SPEC §2, §4, §5), and their stored form.

A run member keeps the figures its lines were built from (``PayoutRunManager.facts``), so every
retry pays from the same snapshot and every page shows what pay counted. Stored figures are
*keyed*: each record is a JSON object whose names are the dataclass fields, and the document
carries ``FIGURES_VERSION``. Reading takes the names it knows and gives a missing one its
default, so a field added later never breaks reading an old month. Version 1 (before 2026-12)
stored positional lists and numbered outcomes before ``answered`` existed; it is still read.
"""

import dataclasses
import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, get_type_hints

from leads.models import MilestoneKind
from salesops.models import Outcome

from ..models import ComponentKind

ZERO = Decimal("0")
# The milestones paid per lead, and the component that pays each (SPEC §4).
MILESTONE_COMPONENTS = {
    MilestoneKind.CONFIRMED: ComponentKind.PER_CONFIRMED_LEAD,
    MilestoneKind.ARRIVED: ComponentKind.PER_ARRIVED_CLIENT,
}
FIGURES_VERSION = 2
# Version 1 numbered outcomes 0 no answer, 1 secretary, … 4 consent: ``answered`` came later.
V1_OUTCOMES = {0: Outcome.NO_ANSWER, 1: Outcome.SECRETARY, 2: Outcome.DECISION_MAKER,
               3: Outcome.PRESENTATION, 4: Outcome.CONSENT}
OUTCOME_NAMES = {int(o): o.name.lower() for o in Outcome}
OUTCOMES_BY_NAME = {name: value for value, name in OUTCOME_NAMES.items()}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decoder(kind):
    """How to read one stored value back into ``kind`` (a field's type hint)."""
    text = str(kind)
    if kind is datetime.datetime or "datetime.datetime" in text:
        return lambda v: datetime.datetime.fromisoformat(v) if v else None
    if kind is datetime.date or "datetime.date" in text:
        return lambda v: datetime.date.fromisoformat(v) if v else None
    if kind is Decimal or "Decimal" in text:
        return lambda v: Decimal(v) if v is not None else None
    return lambda v: v


class Record:
    """A flat frozen record stored as a JSON object of its fields (see the module's docstring)."""

    def to_json(self) -> dict:
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data):
        decoders = _decoders(cls)
        if isinstance(data, list):  # version 1: positional
            data = dict(zip(decoders, data, strict=False))
        return cls(**{name: decoders[name](value)
                      for name, value in data.items() if name in decoders})


@functools.cache
def _decoders(cls) -> dict:
    """Field name → reader, in field order (read once per record class: hundreds of people's
    figures are read per computation)."""
    hints = get_type_hints(cls)
    return {f.name: _decoder(hints[f.name]) for f in dataclasses.fields(cls)}


@dataclass
class OutcomeFigures:
    operator_s: int = 0
    operator_min_up: int = 0


@dataclass
class CallFigures:
    """The calls of one person's share of a month, aggregated: calls carry no lead, so no
    per-lead decision reaches them and they are never read one by one (SPEC §2)."""

    threshold_s: int
    count: int = 0
    operator_s: int = 0
    operator_min_up: int = 0
    conversations: int = 0
    effective: int = 0
    # The highest call id counted: with the share's dates and the line's filter it finds the
    # calls again.
    max_id: int = 0
    by_outcome: dict[int, OutcomeFigures] = field(
        default_factory=lambda: {int(o): OutcomeFigures() for o in Outcome}
    )

    def to_json(self) -> dict:
        return {
            "threshold_s": self.threshold_s, "count": self.count, "operator_s": self.operator_s,
            "operator_min_up": self.operator_min_up, "conversations": self.conversations,
            "effective": self.effective, "max_id": self.max_id,
            # By name: a number may mean another outcome one day (it did once).
            "by_outcome": {OUTCOME_NAMES[k]: {"operator_s": v.operator_s,
                                              "operator_min_up": v.operator_min_up}
                           for k, v in self.by_outcome.items()},
        }

    @classmethod
    def from_json(cls, data: dict, *, version: int = FIGURES_VERSION) -> "CallFigures":
        by_outcome = {int(o): OutcomeFigures() for o in Outcome}
        for key, value in data.get("by_outcome", {}).items():
            if version < 2:
                by_outcome[int(V1_OUTCOMES[int(key)])] = OutcomeFigures(*value)
            elif key in OUTCOMES_BY_NAME:
                by_outcome[OUTCOMES_BY_NAME[key]] = OutcomeFigures(
                    value.get("operator_s", 0), value.get("operator_min_up", 0))
        names = {"threshold_s", "count", "operator_s", "operator_min_up", "conversations",
                 "effective", "max_id"}
        return cls(**{k: v for k, v in data.items() if k in names}, by_outcome=by_outcome)


@dataclass(frozen=True)
class ShiftFigures(Record):
    count: int = 0
    seconds: int = 0
    max_id: int = 0


@dataclass(frozen=True)
class MilestoneFact(Record):
    """A lead first reaching a milestone in the share, and its first fake mark by the month's
    end (SPEC §6.6)."""

    lead: int
    milestone: int
    at: datetime.datetime
    duplicate: str = ""
    fake_at: datetime.datetime | None = None
    fake_milestone: int | None = None


@dataclass(frozen=True)
class ClawbackFact(Record):
    """A milestone paid by an earlier run whose lead was marked fake in this month."""

    component: str
    lead: int
    paid_at: datetime.datetime
    rate: Decimal
    paid_month: datetime.date
    fake_at: datetime.datetime
    fake_milestone: int


@dataclass(frozen=True)
class PaymentFact(Record):
    """A payment (or a refund, negative) received in the share on a lead credited to the
    person. A refund of a payment that an earlier month paid for carries what that payment
    earned (``earned``: its revenue-percent items, all runs) and the payment's amount
    (``refunded_base``), so that it takes back exactly that share (SPEC §6.6)."""

    id: int
    lead: int
    source: str
    amount: Decimal
    refund: bool = False
    duplicate: str = ""
    refund_of: int | None = None
    earned: Decimal | None = None
    refunded_base: Decimal | None = None


@dataclass(frozen=True)
class ExceptionFact(Record):
    """The standing commission exception of one lead and component (SPEC §5)."""

    id: int
    component: str
    lead: int
    kind: str
    status: str
    rate: Decimal | None = None
    amount: Decimal | None = None
    # A fixed amount is paid once in the lead's life: whether another run already paid it.
    fixed_paid: bool = False


@dataclass(frozen=True)
class TransferFact(Record):
    """A commission an approved month paid, moved to another person by an approved exception
    (SPEC §6.7): ``amount`` is taken from the person it was paid to (``direction`` "out") and
    given to the other ("in"), once each."""

    exception: int
    lead: int
    component: str
    amount: Decimal
    direction: str


@dataclass(frozen=True)
class PlanTargets(Record):
    conversations: int = 0
    confirmed_leads: int = 0
    revenue: Decimal = ZERO


@dataclass
class MonthFacts:
    """Everything one person's share of a month pays from (SPEC §2, §4, §5)."""

    calls: CallFigures
    shifts: ShiftFigures = field(default_factory=ShiftFigures)
    milestones: dict[str, list[MilestoneFact]] = field(
        default_factory=lambda: {"confirmed": [], "arrived": []}
    )
    clawbacks: list[ClawbackFact] = field(default_factory=list)
    payments: list[PaymentFact] = field(default_factory=list)
    # (component kind, lead id) → the lead's standing exception for that component.
    exceptions: dict[tuple[str, int], ExceptionFact] = field(default_factory=dict)
    # The month's targets as set for the person; ``fraction`` is the share of the month's
    # working days spent in this run's team (SPEC §1): targets, fixed amounts and caps are
    # paid in that proportion by each team's run.
    plan: PlanTargets = field(default_factory=PlanTargets)
    fraction: Decimal = Decimal("1")
    transfers: list[TransferFact] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "version": FIGURES_VERSION,
            "fraction": str(self.fraction),
            "transfers": [t.to_json() for t in self.transfers],
            "calls": self.calls.to_json(),
            "shifts": self.shifts.to_json(),
            "milestones": {k: [m.to_json() for m in v] for k, v in self.milestones.items()},
            "clawbacks": [c.to_json() for c in self.clawbacks],
            "payments": [p.to_json() for p in self.payments],
            "exceptions": [e.to_json() for e in self.exceptions.values()],
            "plan": self.plan.to_json(),
        }

    @classmethod
    def coerce(cls, value: "MonthFacts | dict") -> "MonthFacts":
        """The figures as given, or read back from a run member's stored JSON."""
        return value if isinstance(value, cls) else cls.from_json(value)

    @classmethod
    def from_json(cls, data: dict) -> "MonthFacts":
        version = data.get("version", 1)
        exceptions = [ExceptionFact.from_json(e) for e in data.get("exceptions", [])]
        plan = data.get("plan", {})
        if isinstance(plan, list):  # version 1: conversations, confirmed leads, revenue
            plan = dict(zip(["conversations", "confirmed_leads", "revenue"], plan, strict=True))
        return cls(
            calls=CallFigures.from_json(data["calls"], version=version),
            shifts=ShiftFigures.from_json(data.get("shifts", {})),
            milestones={"confirmed": [], "arrived": [], **{
                k: [MilestoneFact.from_json(m) for m in v]
                for k, v in data.get("milestones", {}).items()}},
            clawbacks=[ClawbackFact.from_json(c) for c in data.get("clawbacks", [])],
            payments=[PaymentFact.from_json(p) for p in data.get("payments", [])],
            exceptions={(e.component, e.lead): e for e in exceptions},
            plan=PlanTargets.from_json(plan),
            fraction=Decimal(data.get("fraction", "1")),
            transfers=[TransferFact.from_json(t) for t in data.get("transfers", [])],
        )


@dataclass(frozen=True)
class TeamFigures(Record):
    """The team's figures for a sales head's bonus (SPEC §4 team_bonus): its managers' sums
    of what pay counts — conversations, and revenue the decision step lets pay (SPEC §7)."""

    conversations: int = 0
    target_conversations: int = 0
    revenue: Decimal = ZERO
    target_revenue: Decimal = ZERO

    @classmethod
    def from_stored(cls, data: dict | None) -> "TeamFigures | None":
        return cls.from_json(data) if data else None


def empty_facts(*, threshold_s: int, fraction: Decimal = Decimal("1")) -> MonthFacts:
    return MonthFacts(calls=CallFigures(threshold_s=threshold_s), fraction=fraction)
