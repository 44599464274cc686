"""What-if on history (issue 19): other plans or contracts applied to a past month through the
same engine, side by side, without creating or changing any run or statement.

The month's figures are gathered once (``engine.facts.gather_facts``, one aggregate query per
kind of source for every share together; once per distinct conversation threshold of the
plans), then each plan's version in force that month turns each share's figures into lines
(``engine.components.build_lines``). Nothing is written: a sandboxed computation. The people
are a team's (``team``), a vendor's taken as one payee (``vendor``), or every staff team's.

Each leads' milestone is counted as the month's figures have it, whatever a run paid: a what-if
asks what a plan *would* have paid, not what is left to pay.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from payouts.engine.facts import call_figures_needed, gather_facts
from payouts.engine.shares import ShareSpec, share_fraction, team_days
from payouts.models import CompensationPlan, PlanVersion
from salesops.models import Manager, Team
from salesops.money import round_money

from .computation import (
    Period,
    gather_people,
    lines_for,
    month_runs,
    paid_total,
    version_in_force,
    whole,
)
from .doublepay import Overlap, double_pay
from .models import Vendor

ZERO = Decimal("0")


class CompareError(Exception):
    pass


@dataclass
class PlanOutcome:
    code: str
    name: str
    version: PlanVersion
    total: Decimal = ZERO
    confirmed: int = 0
    arrived: int = 0
    per_payee: dict[str, Decimal] = field(default_factory=dict)
    double_paid: list[Overlap] = field(default_factory=list)

    @property
    def per_confirmed(self) -> Decimal | None:
        return round_money(self.total / self.confirmed) if self.confirmed else None

    @property
    def per_arrived(self) -> Decimal | None:
        return round_money(self.total / self.arrived) if self.arrived else None


@dataclass
class Comparison:
    month: datetime.date
    scope: str
    plans: list[PlanOutcome]
    payees: list[str]

    def differences(self) -> list[dict]:
        """Per payee, what each plan pays against the first plan (more: positive)."""
        first = self.plans[0]
        rows = []
        for payee in self.payees:
            base = first.per_payee.get(payee, ZERO)
            rows.append({"payee": payee, "amounts": [p.per_payee.get(payee, ZERO)
                                                     for p in self.plans],
                         "against_first": [p.per_payee.get(payee, ZERO) - base
                                           for p in self.plans[1:]]})
        return rows

    def to_json(self) -> dict:
        """The documented JSON (README "What-if"): money as strings of Decimals."""
        def text(value):
            return None if value is None else str(value)

        return {
            "month": f"{self.month:%Y-%m}", "scope": self.scope,
            "plans": [{
                "plan": p.code, "name": p.name, "version": p.version.number,
                "total": str(p.total), "confirmed_leads": p.confirmed,
                "arrived_clients": p.arrived,
                "cost_per_confirmed_lead": text(p.per_confirmed),
                "cost_per_arrived_client": text(p.per_arrived),
                "double_paid": [o.to_json() for o in p.double_paid],
            } for p in self.plans],
            "payees": [{"payee": row["payee"],
                        "amounts": [str(a) for a in row["amounts"]],
                        "against_first": [str(a) for a in row["against_first"]]}
                       for row in self.differences()],
        }


def _versions(codes: list[str], month: datetime.date) -> list[tuple[CompensationPlan,
                                                                    PlanVersion]]:
    found = []
    for code in codes:
        plan = CompensationPlan.objects.filter(code=code).first()
        if plan is None:
            raise CompareError(f"No plan with the code {code!r}.")
        version = version_in_force(plan.pk, month)
        if version is None:
            raise CompareError(f"The plan {code!r} has no version in force in {month:%Y-%m}.")
        found.append((plan, version))
    return found


def compare_plans(*, month: datetime.date, plan_codes: list[str], team: str | None = None,
                  vendor: str | None = None) -> Comparison:
    if len(plan_codes) < 1:
        raise CompareError("Name at least one plan.")
    plans = _versions(plan_codes, month)
    outcomes = [PlanOutcome(p.code, p.name, v) for p, v in plans]
    if vendor is not None:
        found = Vendor.objects.filter(code=vendor).first()
        if found is None:
            raise CompareError(f"No vendor with the code {vendor!r}.")
        _vendor_outcomes(found, month, outcomes)
        return Comparison(month, f"vendor:{vendor}", outcomes, [found.name])
    if team is not None:
        teams = list(Team.objects.filter(code=team))
        if not teams:
            raise CompareError(f"No team with the code {team!r}.")
    else:
        teams = list(Team.objects.filter(vendor__isnull=True))
    payees = _team_outcomes([t.pk for t in teams], month, outcomes)
    return Comparison(month, f"team:{team}" if team else "all", outcomes, payees)


def _vendor_outcomes(vendor: Vendor, month: datetime.date, outcomes: list[PlanOutcome]):
    by_threshold = defaultdict(list)
    for outcome in outcomes:
        by_threshold[outcome.version.conversation_threshold_s].append(outcome)
    for threshold, group in by_threshold.items():
        facts = whole(gather_people(team_id=vendor.team_id, period=Period.month(month),
                                    versions=[o.version for o in group], threshold_s=threshold),
                      threshold_s=threshold)
        for outcome in group:
            _add(outcome, vendor.name, facts)


def _team_outcomes(team_ids: list[int], month: datetime.date,
                   outcomes: list[PlanOutcome]) -> list[str]:
    shares = team_days(month=month, team_ids=team_ids)
    names = {m.pk: str(m) for m in Manager.objects.filter(
        pk__in={m for _t, m in shares}).select_related("user")}
    codes = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "code"))
    many_teams = len(team_ids) > 1
    by_threshold = defaultdict(list)
    for outcome in outcomes:
        by_threshold[outcome.version.conversation_threshold_s].append(outcome)
    for threshold, group in by_threshold.items():
        own = month_runs(team_ids=team_ids, month=month)
        specs = [ShareSpec(t, m, days, threshold, own, share_fraction(month, days))
                 for (t, m), days in shares.items()]
        gathered = gather_facts(month=month, shares=specs,
                                needs=call_figures_needed([o.version for o in group]))
        for (t, m), facts in gathered.items():
            payee = f"{names[m]} ({codes[t]})" if many_teams else names[m]
            for outcome in group:
                _add(outcome, payee, facts)
    return sorted({(f"{names[m]} ({codes[t]})" if many_teams else names[m])
                   for t, m in shares})


def _add(outcome: PlanOutcome, payee: str, facts) -> None:
    lines = lines_for(outcome.version, facts)
    amount = paid_total(lines)
    outcome.total += amount
    outcome.per_payee[payee] = outcome.per_payee.get(payee, ZERO) + amount
    outcome.confirmed += len(facts.milestones.get("confirmed", []))
    outcome.arrived += len(facts.milestones.get("arrived", []))
    for overlap in double_pay(outcome.version, facts):
        _merge(outcome.double_paid, overlap)


def _merge(found: list[Overlap], overlap: Overlap) -> None:
    for index, known in enumerate(found):
        if (known.first, known.second) == (overlap.first, overlap.second):
            found[index] = Overlap(known.first, known.second, known.amount + overlap.amount,
                                   known.why)
            return
    found.append(overlap)
