"""Late data for a locked month becomes adjustment lines in the next open month (SPEC §6.5).

When a team's month M is computed, each locked month L right before it (every month between L
and M locked too, so M is L's next open month) is computed again as it would be today, with
L's own plan version, and compared with what L and the adjustments after it already paid.
The difference, per line key, is paid in M as ``adj:L:<key>``, referencing L and its sources.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q

from salesops.periods import month_start

from ..models import PaidItem, PayoutLine, PayoutLineItem, PayoutRun, PayoutRunManager
from .components import ItemDraft, LineDraft, build_lines
from .facts import call_figures_needed, gather_facts
from .plans import version_with_components

# Late data older than this is rare enough to be corrected by hand (a commission exception).
LOOKBACK_MONTHS = 6
ZERO = Decimal("0")


def previous_month(month: datetime.date) -> datetime.date:
    return month_start(month - datetime.timedelta(days=1))


def adjustment_key(month: datetime.date, key: str) -> str:
    return f"adj:{month:%Y-%m}:{key}"


def locked_chain_before(run: PayoutRun) -> list[PayoutRun]:
    """The team's locked runs immediately before ``run``'s month, newest first."""
    return locked_chains_before([run])[run.pk]


def locked_chains_before(runs: list[PayoutRun]) -> dict[int, list[PayoutRun]]:
    """``locked_chain_before`` of each of ``runs`` (of one month), read with one query: run id
    → the team's locked runs immediately before its month, newest first."""
    if not runs:
        return {}
    by_team = defaultdict(dict)
    for r in PayoutRun.objects.filter(
        team_id__in={run.team_id for run in runs},
        month__gte=_lookback(min(run.month for run in runs)),
        month__lt=max(run.month for run in runs),
    ):
        by_team[r.team_id][r.month] = r
    chains = {}
    for run in runs:
        by_month, earliest, chain = by_team[run.team_id], _lookback(run.month), []
        month = previous_month(run.month)
        while month >= earliest and month in by_month and by_month[month].is_locked:
            chain.append(by_month[month])
            month = previous_month(month)
        chains[run.pk] = chain
    return chains


def _lookback(month: datetime.date) -> datetime.date:
    """The earliest month whose late data ``month`` still adjusts."""
    for _ in range(LOOKBACK_MONTHS):
        month = previous_month(month)
    return month


def adjustment_drafts(*, run: PayoutRun, manager_id: int) -> list[LineDraft]:
    chain = locked_chain_before(run)
    drafts = []
    for index, locked in enumerate(chain):
        # Runs after ``locked`` in the chain hold earlier adjustments of it (and their items).
        later_runs = [r.pk for r in chain[:index]]
        drafts.extend(_adjust_month(run=run, locked=locked, later_runs=later_runs,
                                    manager_id=manager_id))
    return drafts


def _adjust_month(*, run, locked, later_runs, manager_id) -> list[LineDraft]:
    member = PayoutRunManager.objects.filter(run=locked, manager_id=manager_id).first()
    if member is None or member.plan_version_id is None:
        return []
    version = version_with_components(member.plan_version_id)
    own_runs = [locked.pk, run.pk, *later_runs]
    facts = gather_facts(
        month=locked.month, thresholds={manager_id: version.conversation_threshold_s},
        own_run_ids=own_runs, needs=call_figures_needed([version]),
    )[manager_id]
    # A line still held is neither paid nor owed yet: it is adjusted once decided (SPEC §5).
    now = {(d.kind, d.key): d for d in build_lines(
        version=version, facts=facts, team_facts=locked.team_facts) if not d.held}
    was = _paid_for_month(locked=locked, later_runs=later_runs, manager_id=manager_id)
    ledger = set(
        PaidItem.objects.filter(run_id__in=[locked.pk, *later_runs], manager_id=manager_id)
        .values_list("component_kind", "item_kind", "item_id")
    )
    counted = _counted_before(locked=locked, later_runs=later_runs, manager_id=manager_id)
    drafts = []
    for kind, key in sorted(set(now) | set(was)):
        current = now.get((kind, key))
        before = was.get((kind, key), {"quantity": ZERO, "amount": ZERO, "rates": set(),
                                        "source": None})
        quantity = (current.quantity if current else ZERO) - before["quantity"]
        amount = (current.amount if current else ZERO) - before["amount"]
        if not amount and not quantity:
            continue
        rates = before["rates"] | ({current.rate} if current else set())
        items = [
            i for i in (current.items if current else [])
            if (i.component_kind, i.item_kind, i.item_id) not in ledger
        ]
        drafts.append(LineDraft(
            kind=kind, key=adjustment_key(locked.month, key), quantity=quantity,
            rate=rates.pop() if len(rates) == 1 else None, amount=amount,
            adjusts_month=locked.month,
            explanation={
                "rule": "SPEC §6.5 late data or a changed decision for a locked month",
                "adjusts_month": locked.month, "adjusts_run": locked.pk, "key": key,
                "was": {"quantity": before["quantity"], "amount": before["amount"],
                        "source": before["source"]},
                "now": {"quantity": current.quantity if current else ZERO,
                        "amount": current.amount if current else ZERO,
                        "explanation": current.explanation if current else {}},
            },
            items=[ItemDraft(i.component_kind, i.item_kind, i.item_id, i.at, i.rate)
                   for i in items],
            # The rows it newly counts, at what they earn now.
            sources=[s for s in (current.sources if current else [])
                     if (kind, s.source, s.source_id) not in counted],
        ))
    return drafts


def _counted_before(*, locked, later_runs, manager_id) -> set[tuple[str, str, int]]:
    """(component, source, row id) of the rows the month's paid lines already counted."""
    rows = PayoutLineItem.objects.filter(
        line__manager_id=manager_id, line__held=False, line__run_id__in=[locked.pk, *later_runs]
    ).values_list("line__kind", "source", "milestone_id", "payment_id", "call_id")
    return {(kind, source, milestone or payment or call)
            for kind, source, milestone, payment, call in rows}


def _paid_for_month(*, locked, later_runs, manager_id) -> dict:
    """What the locked month and the adjustments made for it since have paid, by line key."""
    prefix = adjustment_key(locked.month, "")
    paid = defaultdict(lambda: {"quantity": ZERO, "amount": ZERO, "rates": set(), "source": None})
    lines = PayoutLine.objects.filter(manager_id=manager_id, held=False).filter(
        # The locked run's own lines (not the adjustments it made for earlier months) and the
        # adjustments made for it by the locked runs after it.
        Q(run=locked, adjusts_month__isnull=True)
        | Q(run_id__in=later_runs, adjusts_month=locked.month)
    )
    for line in lines:
        key = line.key.removeprefix(prefix) if line.adjusts_month else line.key
        entry = paid[(line.kind, key)]
        entry["quantity"] += line.quantity
        entry["amount"] += line.amount
        entry["rates"].add(line.rate)
        if not line.adjusts_month:
            entry["source"] = line.explanation.get("source")
    return dict(paid)
