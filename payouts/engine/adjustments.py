"""Late data for a locked month becomes adjustment lines in the next open month (SPEC §6.5).

When a month is computed, each locked share it adjusts (``chains``) whose inputs moved is
gathered again as it would be today — with its own plan version, its share of the month and,
for a team bonus, the team's figures of that month as they are today — once, at the start of
the computation, for every member together, and kept on the member (``snapshots``). When a
batch of members is written, what each locked share and its earlier adjustments already paid
is read once for the batch (``BatchLedger``), and the difference, per line key, is paid as
``adj:YYYY-MM:<key>`` referencing the locked run and the rows it newly counts
(``adjustment_drafts``). Every component the data feeds is adjusted this way, plan base and
team bonus included.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from ..models import PaidItem, PayoutLine, PayoutLineItem, PayoutRunManager
from .chains import (
    LockedShare,
    adjusting_runs,
    bonus_holder,
    chains,
    previous_month,  # noqa: F401 - re-exported for the services
    run_people,
    seen_key,
    versions_now,
    versions_seen,
)
from .components import ItemDraft, LineDraft, build_lines
from .facts import call_figures_needed, gather_facts, team_totals
from .figures import MonthFacts
from .plans import version_with_components
from .shares import Days, ShareKey, ShareSpec, share_fraction

ZERO = Decimal("0")


def adjustment_key(month: datetime.date, key: str, team_id: int | None = None) -> str:
    """``adj:YYYY-MM:<key>``; a locked share of another team than the run's names the team."""
    team = f"t{team_id}:" if team_id is not None else ""
    return f"adj:{month:%Y-%m}:{team}{key}"


@dataclass
class Snapshots:
    """What a computation keeps on each member for its adjustments."""

    by_share: dict[ShareKey, list[dict]] = field(default_factory=dict)
    # Share → {month: version of its marks} for the locked months it adjusts (see chains).
    seen: dict[ShareKey, dict[str, int]] = field(default_factory=dict)


def snapshots(*, month: datetime.date, current: dict[ShareKey, Days], runs: dict[int, int],
              known_versions=(), calls_aside: bool = False) -> Snapshots:
    """For each current share (team, manager) → days, with ``runs`` team → run id: the
    locked shares it adjusts whose inputs moved, gathered again now. ``known_versions``: plan
    versions the caller has read already (with their components)."""
    found = Snapshots()
    targets = chains(month=month, current=current)
    everyone = [t for shares in targets.values() for t in shares]
    if not everyone:
        return found
    versions = {v.pk: v for v in known_versions if v is not None}
    versions.update({pk: version_with_components(pk) for pk in
                     {t.plan_version_id for t in everyone if t.plan_version_id} - set(versions)})
    bonus = {t.member_id for t in everyone if bonus_holder(versions.get(t.plan_version_id))}
    people = run_people({t.run_id for t in everyone if t.member_id in bonus})
    pairs = {(t.manager_id, t.month) for t in everyone} | {
        (q, t.month) for t in everyone if t.member_id in bonus for q in people[t.run_id]}
    now, seen = versions_now(pairs), versions_seen(pairs, before=month)

    def moved(manager_id, earlier):
        before = seen[(manager_id, earlier)]
        return before is None or now[(manager_id, earlier)] > before

    # A team bonus reads the whole team's month: it moves when anyone's inputs moved.
    changed = [t for t in everyone if t.plan_version_id and (
        moved(t.manager_id, t.month) or (t.member_id in bonus and any(
            moved(q, t.month) for q in people[t.run_id])))]
    payer_run = {t.member_id: runs[key[0]] for key, shares in targets.items() for t in shares}
    team_people = _team_people(bonus_targets=[t for t in changed if t.member_id in bonus])
    adjusting = adjusting_runs(targets=changed + [p for ps in team_people.values() for p in ps],
                               excluding=set(runs.values()))
    gathered = _gather(changed, team_people, versions=versions, adjusting=adjusting,
                       payer_run=payer_run, current_runs=set(runs.values()),
                       calls_aside=calls_aside)
    for key, shares in targets.items():
        found.seen[key] = {seen_key(t.month): now[(t.manager_id, t.month)] for t in shares}
        found.by_share[key] = [
            {"member": t.member_id, "run": t.run_id, "month": t.month.isoformat(),
             "team": t.team_id, "plan_version": t.plan_version_id,
             "own_runs": sorted({t.run_id, payer_run[t.member_id], *adjusting.get(t.member_id,
                                                                                   ())}),
             "facts": gathered[t.member_id][0],
             "team_facts": gathered[t.member_id][1] if t.member_id in bonus else t.team_facts}
            for t in shares if t.member_id in gathered
        ]
    return found


def _team_people(*, bonus_targets: list[LockedShare]) -> dict[int, list[LockedShare]]:
    """Locked run id → every person of it, for the team bonuses of those runs."""
    from .chains import _locked_members  # the same read as the chains' own

    runs = {t.run_id for t in bonus_targets}
    if not runs:
        return {}
    people = defaultdict(list)
    rows = PayoutRunManager.objects.filter(run_id__in=runs).values_list(
        "manager_id", "run__month").distinct()
    by_manager = _locked_members({m for m, _month in rows}, {month for _m, month in rows})
    for shares in by_manager.values():
        for share in shares:
            if share.run_id in runs:
                people[share.run_id].append(share)
    return people


def _gather(changed, team_people, *, versions, adjusting, payer_run, current_runs,
            calls_aside) -> dict[int, tuple[dict, dict | None]]:
    """Locked member id → (its figures now, its team's figures now if it holds a bonus)."""
    by_month = defaultdict(dict)  # month → member id → spec
    versions_in = defaultdict(set)  # month → the plan versions its specs pay by
    floor = defaultdict(set)  # run id → floor members' keys (their team bonus base)
    for share in changed + [p for ps in team_people.values() for p in ps]:
        version = versions.get(share.plan_version_id)
        own = frozenset({share.run_id, *adjusting.get(share.member_id, ()),
                         *([payer_run[share.member_id]] if share.member_id in payer_run
                           else current_runs)})
        versions_in[share.month].add(version)
        by_month[share.month][share.member_id] = ShareSpec(
            share.team_id, share.manager_id, share.days,
            version.conversation_threshold_s if version else 15, own,
            share_fraction(share.month, share.days))
    roles = dict(PayoutRunManager.objects.filter(
        run_id__in=list(team_people)).values_list("pk", "manager__role"))
    for run_id, people in team_people.items():
        floor[run_id] = {(p.team_id, p.manager_id) for p in people
                         if roles.get(p.member_id) == "manager"}
    facts = {}
    for earlier, specs in by_month.items():
        needs = call_figures_needed(versions_in[earlier])
        gathered = gather_facts(month=earlier, shares=list(specs.values()), needs=needs,
                                calls_aside=calls_aside)
        for member_id, spec in specs.items():
            facts[member_id] = gathered[spec.key]
    result = {}
    for share in changed:
        team = None
        if share.run_id in team_people:
            team = team_totals({(p.team_id, p.manager_id): facts[p.member_id]
                                for p in team_people[share.run_id]},
                               floor_keys=floor[share.run_id])
        result[share.member_id] = (facts[share.member_id].to_json(), team)
    return result


@dataclass
class BatchLedger:
    """What the locked shares of a batch's adjustments already paid, read once for the batch:
    (manager, locked run) → line key → paid so far; the ledger items of their runs; and the
    (component, source, row) the paid lines counted."""

    was: dict = field(default_factory=lambda: defaultdict(dict))
    ledger: dict = field(default_factory=lambda: defaultdict(set))
    counted: dict = field(default_factory=lambda: defaultdict(set))


def batch_ledger(*, run, members: list) -> BatchLedger:
    """Three queries for the batch, whatever the number of locked shares in it."""
    book = BatchLedger()
    wanted = [(m.manager_id, snap) for m in members for snap in (m.adjustments or [])]
    if not wanted:
        return book
    managers = {pk for pk, _snap in wanted}
    locked = {snap["run"] for _pk, snap in wanted}
    owner_of_run = defaultdict(dict)  # (manager, run) → locked run it belongs to
    for pk, snap in wanted:
        for run_id in snap["own_runs"]:
            if run_id != run.pk:
                owner_of_run[pk][run_id] = snap["run"]
    old = {(pk, datetime.date.fromisoformat(snap["month"]), snap["team"]): snap["run"]
           for pk, snap in wanted}
    lines = (PayoutLine.objects.filter(manager_id__in=managers, held=False)
             .filter(Q(run_id__in=locked, adjusts_month__isnull=True)
                     | Q(adjusts_run_id__in=locked)
                     | Q(adjusts_run__isnull=True,
                         adjusts_month__in={m for _p, m, _t in old}))
             .exclude(run_id=run.pk)
             .values_list("manager_id", "run_id", "run__team_id", "kind", "key", "quantity",
                          "amount", "rate", "adjusts_month", "adjusts_run_id", "explanation"))
    for (pk, run_id, team_id, kind, key, quantity, amount, rate, adjusts_month, adjusts_run,
         explanation) in lines:
        if adjusts_month is None:
            target, plain = run_id, key
        else:
            target = adjusts_run or old.get((pk, adjusts_month, team_id))
            plain = explanation.get("key", key)
        if target not in locked:
            continue
        entry = book.was[(pk, target)].setdefault(
            (kind, plain), {"quantity": ZERO, "amount": ZERO, "rates": set(), "source": None})
        entry["quantity"] += quantity
        entry["amount"] += amount
        entry["rates"].add(rate)
        if adjusts_month is None:
            entry["source"] = explanation.get("source")
    runs = {r for pk in owner_of_run for r in owner_of_run[pk]} | locked
    for pk, run_id, *item in PaidItem.objects.filter(
            manager_id__in=managers, run_id__in=runs).values_list(
            "manager_id", "run_id", "component_kind", "item_kind", "item_id"):
        target = run_id if run_id in locked else owner_of_run[pk].get(run_id)
        book.ledger[(pk, target)].add(tuple(item))
    for pk, run_id, kind, source, milestone, payment, call in PayoutLineItem.objects.filter(
            line__manager_id__in=managers, line__held=False, line__run_id__in=runs
    ).values_list("line__manager_id", "line__run_id", "line__kind", "source", "milestone_id",
                  "payment_id", "call_id"):
        target = run_id if run_id in locked else owner_of_run[pk].get(run_id)
        book.counted[(pk, target)].add((kind, source, milestone or payment or call))
    return book


def adjustment_drafts(*, run, manager_id: int, snapshot: dict, book: BatchLedger,
                      version) -> list[LineDraft]:
    """The difference between what a locked share would pay now and what it and its
    adjustments paid, per line key (SPEC §6.5)."""
    month = datetime.date.fromisoformat(snapshot["month"])
    locked_run = snapshot["run"]
    # A line still held is neither paid nor owed yet: it is adjusted once decided (SPEC §5).
    now = {(d.kind, d.key): d for d in build_lines(
        version=version, facts=MonthFacts.from_json(snapshot["facts"]),
        team_facts=snapshot["team_facts"]) if not d.held}
    was = book.was.get((manager_id, locked_run), {})
    ledger = book.ledger.get((manager_id, locked_run), set())
    counted = book.counted.get((manager_id, locked_run), set())
    team = snapshot["team"] if snapshot["team"] != run.team_id else None
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
        items = [i for i in (current.items if current else [])
                 if (i.component_kind, i.item_kind, i.item_id) not in ledger]
        drafts.append(LineDraft(
            kind=kind, key=adjustment_key(month, key, team), quantity=quantity,
            rate=rates.pop() if len(rates) == 1 else None, amount=amount,
            adjusts_month=month, adjusts_run=locked_run,
            explanation={
                "rule": "late_data", "adjusts_month": month, "adjusts_run": locked_run,
                "key": key,
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
