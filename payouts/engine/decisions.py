"""The decision step: every counted item decided once, before any component sees it (SPEC §5,
§6.3).

A component counts items of one kind: a lead's milestone (``per_confirmed_lead``,
``per_arrived_client``) or a payment (``revenue_percent``, flat or in marginal tiers). For each
such item this step says, once, what it becomes:

- **payable**: paid as the plan says;
- **held** — a pending exception on the lead and component, or a pending duplicate flag: the
  amount is shown, not paid, and not ledgered, so it is paid once the decision is made;
- **overridden** — an approved exception: another rate, a fixed amount (once in the lead's life),
  or exclusion (nothing);
- **not ours** — a duplicate resolved to another lead ("keep first touch", merged away): the
  item earns nothing per lead here.

An exception wins over a duplicate flag: it is the sales head's later, explicit word on the lead.
A partner credit is a decision about a partner's statement, never the manager's pay: it leaves
every manager component payable (``facts`` does not gather it).

Components counted from calls, shifts or plan attainment (per minute, per hour, differentiated
minutes, per conversation, per effective call, plan base, team bonus) have no per-lead items:
a call carries no lead, so no exception or duplicate flag can reach it. Their figures pass
through unchanged, and the decision grid test proves a decision on a lead leaves them as they
were.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from leads.models import DuplicateState

from ..models import ComponentKind, Decision, ExceptionKind, ExceptionStatus
from .figures import MILESTONE_COMPONENTS, ExceptionFact, MilestoneFact, MonthFacts, PaymentFact

Item = TypeVar("Item", MilestoneFact, PaymentFact)
# Components whose items are decided one by one; all others count aggregates (see above).
DECIDED_COMPONENTS = frozenset({*MILESTONE_COMPONENTS.values(), ComponentKind.REVENUE_PERCENT})
NOT_OURS_STATES = frozenset({DuplicateState.KEEP_FIRST, DuplicateState.MERGED})


@dataclass(frozen=True)
class Decided(Generic[Item]):
    item: Item
    decision: str
    # The exception that holds or overrides the item; None for a duplicate flag or no decision.
    exception: ExceptionFact | None = None

    @property
    def reason(self) -> str:
        """Why it is not simply payable, for explanations: "exception" or "duplicate"."""
        if self.decision == Decision.PAYABLE:
            return ""
        return "exception" if self.exception is not None else "duplicate"


@dataclass
class DecidedMonth:
    """The month's items, each with its decision: milestones by component kind, payments."""

    milestones: dict[str, list[Decided[MilestoneFact]]] = field(default_factory=dict)
    payments: list[Decided[PaymentFact]] = field(default_factory=list)

    def payments_by(self, decision: str) -> list[Decided[PaymentFact]]:
        return [d for d in self.payments if d.decision == decision]


def decide(
    facts: MonthFacts, *, component_kind: str, lead_id: int, duplicate: str
) -> tuple[str, ExceptionFact | None]:
    """(decision, exception) for one lead's items in one component."""
    exception = facts.exceptions.get((component_kind, lead_id))
    if exception is not None:
        if exception.status == ExceptionStatus.PENDING:
            return Decision.HELD, exception
        return Decision.OVERRIDDEN, exception
    if duplicate == DuplicateState.PENDING:
        return Decision.HELD, None
    if duplicate in NOT_OURS_STATES:
        return Decision.NOT_OURS, None
    return Decision.PAYABLE, None


def decide_month(facts: MonthFacts) -> DecidedMonth:
    """Every milestone and payment of the month, decided once."""
    decided = DecidedMonth()
    for milestone_kind, component_kind in MILESTONE_COMPONENTS.items():
        decided.milestones[component_kind] = [
            Decided(m, *decide(facts, component_kind=component_kind, lead_id=m.lead,
                               duplicate=m.duplicate))
            for m in facts.milestones[milestone_kind]
        ]
    # A refund follows the decision of its lead, so it reverses exactly what its payment
    # earned (SPEC §6.6).
    decided.payments = [
        Decided(p, *decide(facts, component_kind=ComponentKind.REVENUE_PERCENT, lead_id=p.lead,
                           duplicate=p.duplicate))
        for p in facts.payments
    ]
    return decided


def overridden_amount(exception: ExceptionFact, *, base: Decimal,
                      percent: bool) -> tuple[Decimal | None, Decimal]:
    """(rate shown, exact amount) an approved exception pays for ``base``: revenue for a
    percent component, a count of leads for a per-lead one. Exclusion pays nothing; a fixed
    amount already paid by another run pays nothing again (SPEC §6.2)."""
    if exception.kind == ExceptionKind.RATE:
        return exception.rate, base * exception.rate / (Decimal("100") if percent else 1)
    if exception.kind == ExceptionKind.FIXED:
        # A fixed amount is an amount, not a rate (no "× rate" to show): paid once in the
        # lead's life.
        return None, exception.amount if not exception.fixed_paid else Decimal("0")
    return Decimal("0"), Decimal("0")


@dataclass(frozen=True)
class Counted:
    """The figures a person is shown and a team bonus reads, counted as pay counts them."""

    conversations: int
    confirmed: int
    revenue: Decimal


def lets_pay(decided: Decided) -> bool:
    """Whether the decision step lets an item pay (SPEC §7): payable, or paid as an approved
    exception says — not excluded, held, or a duplicate resolved to another lead."""
    if decided.decision == Decision.PAYABLE:
        return True
    return (decided.decision == Decision.OVERRIDDEN
            and decided.exception.kind != ExceptionKind.EXCLUDE)


def counted_figures(facts: MonthFacts) -> Counted:
    decided = decide_month(facts)
    return Counted(
        conversations=facts.calls.conversations,
        confirmed=len(facts.milestones.get("confirmed", [])),
        revenue=sum((d.item.amount for d in decided.payments if lets_pay(d)), Decimal("0")),
    )
