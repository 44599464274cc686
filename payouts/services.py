"""Writes of the compensation engine: start a run, pay one member, finalise, revise a plan.

A computation has three steps, each safe to repeat (SPEC §6.4):

1. ``payout_runs_start`` locks the teams' runs for the month (one per team and month, by a
   unique key), bumps their generation, and gathers every member's figures set-based in one go
   for the month (not one query per team);
2. ``payout_run_compute_members`` replaces a batch of members' lines atomically, in one
   transaction after claiming their rows, for that generation only; a stale or repeated task
   does nothing, and a member already done by another computation is left as it is;
3. ``payout_run_finalise`` marks the run computed once every member is done.
"""

import datetime
import functools
import json
from collections import defaultdict
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.db.models import Exists, F, Max, OuterRef, Subquery
from django.utils import timezone

from salesops.imports.stats import daily_stats_follow_thresholds
from salesops.inputs import inputs_versions
from salesops.models import CONVERSATION_THRESHOLD_S, Manager, Role, Team

from .engine.adjustments import adjustment_drafts, batch_ledger
from .engine.adjustments import snapshots as adjustment_snapshots
from .engine.chains import bonus_holder, seen_key, versions_now
from .engine.components import build_lines
from .engine.facts import aside_is_safe, call_figures_needed, gather_facts, team_totals
from .engine.plans import share_plan_versions, version_with_components
from .engine.shares import (
    Days,
    ShareKey,
    ShareSpec,
    days_to_json,
    share_fraction,
    team_days,
    whole_month,
)
from .engine.writes import MemberLines, members_lines_save
from .lifecycle import PayoutRunLocked, payout_run_transition
from .models import (
    LOCKED_STATUSES,
    ComponentRate,
    FiguresJSONEncoder,
    PaidItem,
    PayoutLine,
    PayoutRun,
    PayoutRunManager,
    PayoutRunTransition,
    PlanVersion,
    RevenueTier,
)
from .staleness import plan_fingerprint

Status = PayoutRun.Status
PAID_ROLES = (Role.MANAGER, Role.SALES_HEAD)


def team_members_for_month(*, team: Team, month: datetime.date) -> list[Manager]:
    """Who the team pays for ``month``: its managers and sales head with days in it."""
    return team_members_by_team(teams=[team], month=month)[team.pk]


def team_members_by_team(*, teams, month: datetime.date) -> dict[int, list[Manager]]:
    """``team_members_for_month`` for many teams: team id → members."""
    days = run_days(team_ids=[getattr(t, "pk", t) for t in teams], month=month)
    people = {m.pk: m for m in Manager.objects.filter(pk__in={m for _t, m in days})}
    members = defaultdict(list)
    for team_id, manager_id in sorted(days, key=lambda key: (key[0], key[1])):
        members[team_id].append(people[manager_id])
    return members


def teams_with_members(*, teams, month: datetime.date) -> set[int]:
    """The ids of those of ``teams`` that pay someone for ``month``."""
    return {team_id for team_id, _m in run_days(team_ids=[t.pk for t in teams], month=month)}


def run_days(*, team_ids, month: datetime.date, manager_ids=None) -> dict[ShareKey, Days]:
    """(team, person) → the person's days in the team in ``month``, for the roles a run pays
    (SPEC §1 dated membership: each team's run pays the days spent in it)."""
    days = team_days(month=month, team_ids=team_ids, manager_ids=manager_ids)
    paid = set(Manager.objects.filter(pk__in={m for _t, m in days}, role__in=PAID_ROLES)
               .values_list("pk", flat=True))
    return {key: value for key, value in days.items() if key[1] in paid}


def payout_run_start(*, month: datetime.date, team: Team, requested_by=None) -> PayoutRun:
    """Open (or reopen) the team's run for ``month`` and snapshot its figures."""
    run = payout_runs_start(month=month, teams=[team], requested_by=requested_by)[team.pk]
    if run.is_locked:
        raise PayoutRunLocked(f"{run} is {run.status}: late changes go to the next open month")
    return run


@dataclass
class _Gathered:
    """One computation's figures of its members: each share's days, plan and figures."""

    days: dict[ShareKey, Days]
    versions: dict[ShareKey, PlanVersion | None]
    facts: dict[ShareKey, object]
    seen: dict[ShareKey, dict[str, int]]
    adjustments: dict[ShareKey, list[dict]]


def _gather_shares(*, month: datetime.date, days: dict[ShareKey, Days],
                   runs: dict[int, PayoutRun]) -> _Gathered:
    """Plans, change versions (read before the figures: a change committed after this read
    raises them, so the run shows stale even if the gather already saw it), figures and the
    locked shares to adjust, for every share of the computation in one set of queries."""
    versions = share_plan_versions(month=month, shares=list(days))
    run_ids = {team_id: run.pk for team_id, run in runs.items()}
    aside = aside_is_safe(PayoutRun)
    adjust = adjustment_snapshots(month=month, current=days, runs=run_ids,
                                  known_versions=versions.values(), calls_aside=aside)
    current = inputs_versions(manager_ids={m for _t, m in days}, months=[month])
    seen = {key: {seen_key(month): current[key[1]], **adjust.seen.get(key, {})}
            for key in days}
    thresholds = {}
    for (_team_id, manager_id), version in versions.items():
        thresholds[manager_id] = _threshold(version)
    # The dashboard's daily figures count conversations as this computation pays them.
    daily_stats_follow_thresholds(thresholds=thresholds, month=month)
    facts = gather_facts(
        month=month,
        shares=[ShareSpec(team_id, manager_id, value, _threshold(versions[(team_id, manager_id)]),
                          frozenset({run_ids[team_id]}), share_fraction(month, value))
                for (team_id, manager_id), value in days.items()],
        needs=call_figures_needed({v for v in versions.values() if v}),
        calls_aside=aside,
    )
    return _Gathered(days=days, versions=versions, facts=facts, seen=seen,
                     adjustments=adjust.by_share)


def _floor_keys(days: dict[ShareKey, Days], team_id: int) -> set[ShareKey]:
    """The run's managers (not its sales head): whose figures a team bonus reads."""
    managers = set(Manager.objects.filter(
        pk__in=[m for t, m in days if t == team_id], role=Role.MANAGER).values_list(
        "pk", flat=True))
    return {(t, m) for t, m in days if t == team_id and m in managers}


@transaction.atomic
def payout_runs_start(
    *, month: datetime.date, teams: list[Team], requested_by=None
) -> dict[int, PayoutRun]:
    """Open (or reopen) each team's run for ``month`` and snapshot every member's figures with
    one set of aggregate queries for the month, not one per team (a month is millions of
    calls). Returns team id → run; a locked run (SPEC §7) is returned untouched."""
    team_ids = sorted({team.pk for team in teams})
    # The unique (month, team) key makes concurrent starters meet on one run: the missing runs
    # are inserted in team order, a run another starter is inserting waits for it and is left
    # to it. The row locks, taken in team order too (two computations of many teams cannot
    # deadlock), then make them take turns, so each generation's snapshot is whole. NO KEY:
    # member transactions inserting lines take KEY SHARE on the run (the foreign key check)
    # while this transaction waits on their member rows; a plain FOR UPDATE would deadlock.
    PayoutRun.objects.bulk_create(
        [PayoutRun(month=month, team_id=team_id) for team_id in team_ids], ignore_conflicts=True
    )
    runs = {
        run.team_id: run
        for run in PayoutRun.objects.select_for_update(no_key=True)
        .filter(month=month, team_id__in=team_ids).order_by("team_id")
    }
    # A run's first start creates it and raises its generation in one transaction: a run
    # still at generation 0 was created just now.
    PayoutRunTransition.objects.bulk_create(
        PayoutRunTransition(run=run, from_status="", to_status=Status.DRAFT, by=requested_by,
                            at=timezone.now())
        for run in runs.values() if run.generation == 0
    )
    for run in runs.values():
        if run.status in (Status.COMPUTED, Status.FAILED):
            payout_run_transition(run=run, to=Status.DRAFT, by=requested_by, note="recompute",
                                  extra={"failure": ""})
    open_runs = {team_id: run for team_id, run in runs.items() if not run.is_locked}
    if not open_runs:
        return runs
    days = run_days(team_ids=list(open_runs), month=month)
    gathered = _gather_shares(month=month, days=days, runs=open_runs)
    distinct, digests = _digests(gathered.versions)
    # A new computation pays by the plans just read (its members compute in this process or
    # read them again by their digests).
    _version_for.renew(distinct.values())
    started_at = timezone.now()
    for team_id, run in open_runs.items():
        run.generation += 1
        run.managers_total = sum(1 for t, _m in days if t == team_id)
        run.team_facts = team_totals(gathered.facts, floor_keys=_floor_keys(days, team_id))
        run.requested_by = requested_by
        run.computed_at = None
        run.started_at = started_at
    PayoutRun.objects.bulk_update(
        list(open_runs.values()),
        ["generation", "managers_total", "team_facts", "requested_by", "computed_at",
         "started_at"],
    )
    # The members already in the runs are locked in id order, as a batch's claim locks them
    # (``_claim_batch_sql``): a batch of an earlier computation still writing holds some of
    # them and waits for none, so this waits for it, never the two for each other.
    # Someone who left the team since the last computation is no longer paid by this run.
    paid_now = {(open_runs[t].pk, m) for t, m in days}
    gone = defaultdict(list)
    for run_id, manager_id in PayoutRunManager.objects.filter(
        run__in=list(open_runs.values())
    ).select_for_update(no_key=True).order_by("pk").values_list("run_id", "manager_id"):
        if (run_id, manager_id) not in paid_now:
            gone[run_id].append(manager_id)
    for run_id, gone_ids in gone.items():
        PayoutLine.objects.filter(run_id=run_id, manager_id__in=gone_ids).delete()
        PaidItem.objects.filter(run_id=run_id, manager_id__in=gone_ids).delete()
        PayoutRunManager.objects.filter(run_id=run_id, manager_id__in=gone_ids).delete()
    _members_snapshot_save([_member_row(open_runs[t].pk, (t, m), gathered, digests)
                            for t, m in days])
    return runs


def _member_row(run_id: int, key: ShareKey, gathered: _Gathered, digests) -> dict:
    version = gathered.versions[key]
    return {"run_id": run_id, "manager_id": key[1],
            "plan_version_id": version.pk if version else None,
            "facts": gathered.facts[key], "inputs_version": sum(gathered.seen[key].values()),
            "plan_fingerprint": digests[key], "days": days_to_json(gathered.days[key]),
            "inputs_seen": gathered.seen[key], "adjustments": gathered.adjustments.get(key, [])}


# What a new computation snapshots of each member; ``done_generation`` and ``finished_at`` of a
# member already in the run stay as they are (the claim reads them).
_SNAPSHOT = ["plan_version_id", "facts", "inputs_version", "plan_fingerprint", "days",
             "inputs_seen", "adjustments"]


def _members_snapshot_save(rows: list[dict]) -> None:
    """Insert or update the run members' figures (one row per run and manager).

    On PostgreSQL the rows go as one JSON document read by ``jsonb_to_recordset``: the
    figures are hundreds of JSON values, and ``bulk_create`` would send them as a text array
    quoted value by value in Python, then parse each one again on the server. Elsewhere
    (SQLite) ``bulk_create`` upserts them."""
    if not rows:
        return
    db = connections[router.db_for_write(PayoutRunManager)]
    if db.vendor != "postgresql":
        PayoutRunManager.objects.bulk_create(
            [PayoutRunManager(**row) for row in rows],
            update_conflicts=True, unique_fields=["run", "manager"],
            update_fields=[name.removesuffix("_id") for name in _SNAPSHOT],
        )
        return
    with db.cursor() as cursor:
        cursor.execute(_members_snapshot_sql(db.alias),
                       [json.dumps(rows, cls=FiguresJSONEncoder)])


@functools.cache
def _members_snapshot_sql(alias: str) -> str:
    db = connections[alias]
    qn = db.ops.quote_name
    fields = {f.column: f for f in PayoutRunManager._meta.concrete_fields}
    given = ["run_id", "manager_id", *_SNAPSHOT]
    record = ", ".join(f"{qn(c)} {fields[c].db_type(db)}" for c in given)
    return (
        f"INSERT INTO {qn(PayoutRunManager._meta.db_table)}"
        f" ({', '.join(qn(c) for c in given)}, {qn('done_generation')})"
        f" SELECT {', '.join(qn(c) for c in given)}, 0"
        f" FROM jsonb_to_recordset(%s::jsonb) AS r({record})"
        f" ON CONFLICT ({qn('run_id')}, {qn('manager_id')}) DO UPDATE SET "
        + ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in _SNAPSHOT)
    )


def member_input_months(member: PayoutRunManager, month: datetime.date) -> list[datetime.date]:
    """The months whose inputs feed a member: its own, and the locked months it adjusts
    (SPEC §6.5), as its computation recorded them."""
    months = {datetime.date.fromisoformat(key) for key in (member.inputs_seen or {})}
    return sorted(months | {month})


def members_moved(stored: dict[int, PayoutRunManager],
                  month: datetime.date) -> dict[int, set[datetime.date]]:
    """manager id → the months among a member's inputs whose change marks moved since its
    figures were read (SPEC §7 stale); one query per month, whatever the number of people."""
    months = {pk: member_input_months(member, month) for pk, member in stored.items()}
    now = versions_now({(pk, m) for pk, ms in months.items() for m in ms})
    moved = defaultdict(set)
    for pk, member in stored.items():
        seen = member.inputs_seen or {}
        if not seen:  # a member computed before months were kept apart: their sum
            if sum(now[(pk, m)] for m in months[pk]) > member.inputs_version:
                moved[pk].add(month)
            continue
        for m in months[pk]:
            if now[(pk, m)] > seen.get(seen_key(m), 0):
                moved[pk].add(m)
    return moved


@dataclass(frozen=True)
class Recompute:
    """What an incremental recomputation started: the run's new generation and whom it redoes."""

    run: PayoutRun
    generation: int
    manager_ids: list[int]
    full: bool = False


@transaction.atomic
def payout_run_recompute_changed(
    *, run: PayoutRun, manager_ids: list[int] | None = None, requested_by=None,
    check_figures: bool = False,
) -> Recompute | None:
    """Start recomputing only the people of an open run whose inputs changed (SPEC §7): those
    with a newer input change than their figures, a different plan version, or ``manager_ids``;
    and, when the team's figures moved, whoever is paid a team bonus on them. Everyone else
    keeps their lines, carried into the new generation. Returns None when the run is locked,
    or failed with nothing changed since (SPEC §7: not re-driven until its inputs change); a
    change of the team's people or of their days falls back to a full computation.

    ``check_figures``: also whoever's figures differ from what was stored, however they
    changed (a person asking for a recompute: what they are shown as stale is redone).

    The people returned are computed afterwards by the same member tasks as a full run."""
    run = PayoutRun.objects.select_for_update(no_key=True).get(pk=run.pk)
    if run.is_locked:
        return None
    if check_figures:
        from .staleness import payout_run_staleness

        manager_ids = sorted({*(manager_ids or ()),
                              *(s.manager_id for s in payout_run_staleness(run=run))})
    days = run_days(team_ids=[run.team_id], month=run.month)
    # Locked in id order, as a batch's claim locks them (see ``payout_runs_start``).
    stored = {member.manager_id: member for member in
              run.members.select_for_update(no_key=True).order_by("pk")}
    same_people = {m for _t, m in days} == set(stored) and all(
        days_to_json(days[(run.team_id, pk)]) == (member.days or days_to_json(
            whole_month(run.month))) for pk, member in stored.items())
    versions = share_plan_versions(month=run.month, shares=list(days))
    distinct, digests = _digests(versions)
    moved = members_moved(stored, run.month) if same_people else {}
    changed = (set(manager_ids or ()) & set(stored)) | {
        pk for pk, member in stored.items() if same_people and (
            moved.get(pk)
            or member.plan_version_id != (versions[(run.team_id, pk)].pk
                                          if versions[(run.team_id, pk)] else None)
            or member.plan_fingerprint != digests[(run.team_id, pk)])
    }
    # A computation still under way: its unfinished people are redone at the new one.
    touched = changed | {pk for pk, member in stored.items()
                         if member.done_generation < run.generation}
    # A team bonus of a locked month reads the whole team's month (SPEC §6.5 adjustments of
    # plan base and team bonus too): anyone's late data for it redoes the bonus holders.
    late = {month for months in moved.values() for month in months} - {run.month}
    touched |= {pk for pk, member in stored.items()
                if bonus_holder(versions[(run.team_id, pk)])
                and late & set(member_input_months(member, run.month))}
    if run.status == Status.FAILED and not changed and same_people:
        return None
    if not same_people or run.status == Status.FAILED:
        run = payout_runs_start(month=run.month, teams=[run.team],
                                requested_by=requested_by)[run.team_id]
        return Recompute(run=run, generation=run.generation,
                         manager_ids=sorted(m for _t, m in days), full=True)
    if not touched:
        return Recompute(run=run, generation=run.generation, manager_ids=[])
    redo_days = {(run.team_id, pk): days[(run.team_id, pk)] for pk in touched}
    gathered = _gather_shares(month=run.month, days=redo_days, runs={run.team_id: run})
    everyone = {(run.team_id, pk): gathered.facts.get((run.team_id, pk), member.facts)
                for pk, member in stored.items()}
    team_facts = team_totals(everyone, floor_keys=_floor_keys(days, run.team_id))
    if _as_stored(team_facts) != run.team_facts:
        # SPEC §4 team_bonus: a sales head's bonus reads the team's sums.
        touched |= {m for (_t, m), version in versions.items() if bonus_holder(version)}
        more = {(run.team_id, pk): days[(run.team_id, pk)] for pk in touched
                if (run.team_id, pk) not in redo_days}
        if more:
            extra = _gather_shares(month=run.month, days=more, runs={run.team_id: run})
            for field_name in ("facts", "seen", "adjustments", "versions", "days"):
                getattr(gathered, field_name).update(getattr(extra, field_name))
    _version_for.renew(distinct.values())
    if run.status == Status.COMPUTED:
        payout_run_transition(run=run, to=Status.DRAFT, by=requested_by,
                              note="recompute changed people")
    run.generation += 1
    run.team_facts = team_facts
    run.computed_at = None
    run.started_at = timezone.now()
    run.requested_by = requested_by or run.requested_by
    run.save(update_fields=["generation", "team_facts", "computed_at", "started_at",
                            "requested_by"])
    # The others' lines stand: they are done for the new generation as they are.
    PayoutRunManager.objects.filter(run=run).exclude(manager_id__in=touched).update(
        done_generation=run.generation
    )
    _members_snapshot_save([_member_row(run.pk, (run.team_id, pk), gathered, digests)
                            for pk in sorted(touched)])
    return Recompute(run=run, generation=run.generation, manager_ids=sorted(touched))


def _digests(versions: dict) -> tuple[dict, dict]:
    """The distinct versions among share → version (a few versions pay hundreds of people:
    each is read once), and share → the version's digest ("" for none)."""
    distinct = {v.pk: v for v in versions.values() if v}
    by_version = {pk: plan_fingerprint(v) for pk, v in distinct.items()}
    return distinct, {pk: by_version[v.pk] if v else "" for pk, v in versions.items()}


def _threshold(version: PlanVersion | None) -> int:
    return version.conversation_threshold_s if version else CONVERSATION_THRESHOLD_S


def _as_stored(value: dict) -> dict:
    """``value`` as a JSON field gives it back (Decimal as text), to compare with a stored one."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def payout_run_compute_member(*, run_id: int, manager_id: int, generation: int) -> str:
    """Replace one member's lines in the run; returns what happened (for logs and tests)."""
    return payout_run_compute_members(
        run_id=run_id, manager_ids=[manager_id], generation=generation
    )[manager_id]


def payout_run_compute_members(
    *, run_id: int, manager_ids: list[int], generation: int
) -> dict[int, str]:
    """Replace the lines of these members of one run, the batch in one transaction; returns
    what happened to each (for logs and tests).

    The members' figures are read in one query and their lines built before the transaction;
    the transaction then claims every member still to do with one conditional update, so a
    member computed twice, concurrently or after a newer computation started, is written once
    (SPEC §6.4), and writes the claimed members' lines with one batch of statements. A crash
    keeps whoever's batch committed; a retry skips whoever is done. Whoever another
    computation moved first is read again and said, or claimed again from what is there now.
    """
    outcomes = dict.fromkeys(manager_ids, "gone")
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None:
        return outcomes
    members = list(
        PayoutRunManager.objects.filter(run=run, manager_id__in=manager_ids)
        .order_by("manager_id")
    )
    while members:
        done, again = _members_compute(run=run, members=members, generation=generation)
        outcomes.update(done)
        if not again:
            break
        # Someone else moved first: say what happened, or try again from what is there now.
        run = PayoutRun.objects.filter(pk=run_id).first()
        if run is None:
            break
        members = list(PayoutRunManager.objects.filter(pk__in=again).order_by("manager_id"))
    return outcomes


def _members_compute(
    *, run: PayoutRun, members: list[PayoutRunManager], generation: int
) -> tuple[dict[int, str], list[int]]:
    """One pass over a batch: manager id → outcome for the members settled, and the row ids
    of those another computation changed under us (to read again)."""
    if run.generation != generation:
        return dict.fromkeys((m.manager_id for m in members), "stale"), []
    outcomes = {m.manager_id: "already done" for m in members
                if m.done_generation >= generation}
    todo = [m for m in members if m.done_generation < generation]
    if not todo:
        return outcomes, []
    if run.is_locked:
        raise PayoutRunLocked(f"{run} is {run.status}")
    # Pure: built before the transaction from the figures read with the batch, and what the
    # batch's locked shares already paid, read once for the batch (SPEC §6.5).
    drafts, versions, locked_versions = {}, {}, {}
    book = batch_ledger(run=run, members=todo)
    for member in todo:
        drafts[member.pk] = []
        if member.plan_version_id:
            key = (member.plan_version_id, member.plan_fingerprint)
            if key not in versions:
                versions[key] = _version_for(*key)
            drafts[member.pk] = build_lines(version=versions[key], facts=member.facts,
                                            team_facts=run.team_facts)
        for snapshot in member.adjustments or []:
            # The version that paid a locked month: frozen (SPEC §4, §7), read once a batch.
            pk = snapshot["plan_version"]
            if pk not in locked_versions:
                locked_versions[pk] = version_with_components(pk)
            drafts[member.pk] += adjustment_drafts(
                run=run, manager_id=member.manager_id, snapshot=snapshot, book=book,
                version=locked_versions[pk])
    with transaction.atomic():
        # The claim: the member row locks serialise two computations of the same person, and
        # the conditions make the second one find the first one's result and stop. A figure
        # snapshot replaced by a newer computation comes with a new generation, so a claim
        # from older figures fails here or is redone by that computation.
        claimed = _claim(members=todo, run=run, generation=generation)
        mine = [m for m in todo if m.pk in claimed]
        # Lines and done_generation commit together, so a member never done has no lines.
        redo = [m.manager_id for m in mine if m.done_generation]
        if redo:
            PayoutLine.objects.filter(run=run, manager_id__in=redo).delete()
            PaidItem.objects.filter(run=run, manager_id__in=redo).delete()
        members_lines_save(run=run, members=[
            MemberLines(m.manager_id, m.plan_version_id, drafts[m.pk]) for m in mine
        ])
    outcomes.update((m.manager_id, "done") for m in mine)
    return outcomes, [m.pk for m in todo if m.pk not in claimed]


class _PlanVersions:
    """The plan versions a computation pays by, read once per worker process: hundreds of
    members share a few versions. Kept by what a version says (``plan_fingerprint``, which a
    member stores from the start of its computation), so a member finds the version as its
    computation saw it; a version edited since is read again, as is one never seen."""

    SIZE = 64

    def __init__(self):
        self._by_digest = {}

    def __call__(self, version_id: int, digest: str) -> PlanVersion:
        version = self._by_digest.get((version_id, digest))
        if version is None:
            version = version_with_components(version_id)
            if len(self._by_digest) >= self.SIZE:
                self._by_digest.clear()
            # Filed under what it says now, which may not be what the member was told.
            self._by_digest[(version_id, plan_fingerprint(version))] = version
        return version

    def renew(self, versions) -> None:
        """Forget what was kept and keep ``versions`` (read with their components, rates and
        tiers by a new computation), each under its digest."""
        self._by_digest = {(v.pk, plan_fingerprint(v)): v for v in versions}

    def cache_clear(self) -> None:
        self._by_digest.clear()


_version_for = _PlanVersions()


# The claim is hand-written SQL: compiled by the ORM (an update with a subquery) it costs about
# a millisecond of Python, more than the database spends on it.


def _claim(*, members: list[PayoutRunManager], run: PayoutRun, generation: int) -> set[int]:
    """Mark each member done for ``generation`` if it is still as read and the run is still
    at that generation and open; returns the row ids claimed. Their row locks are then held
    until their lines commit.

    On PostgreSQL one statement claims the batch, locking its rows in id order: two batches
    that share people, or a batch and a new computation of its run (which locks the run's
    members in that order too), wait for each other, never deadlock. Elsewhere (SQLite, one
    writer at a time) one statement per member."""
    db = connections[router.db_for_write(PayoutRunManager)]
    finished_at = PayoutRunManager._meta.get_field("finished_at").get_db_prep_save(
        timezone.now(), db
    )
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(
                _claim_batch_sql(db.alias),
                [[m.pk for m in members], [m.done_generation for m in members], run.pk,
                 generation, *LOCKED_STATUSES, generation, finished_at],
            )
            return {row[0] for row in cursor.fetchall()}
        claimed = set()
        for member in members:
            cursor.execute(
                _claim_sql(db.alias),
                [generation, finished_at, member.pk, member.done_generation, run.pk,
                 generation, *LOCKED_STATUSES],
            )
            if cursor.rowcount == 1:
                claimed.add(member.pk)
        return claimed


@functools.cache
def _claim_sql(alias: str) -> str:
    qn = connections[alias].ops.quote_name
    members, runs = PayoutRunManager._meta.db_table, PayoutRun._meta.db_table
    return (
        f"UPDATE {qn(members)} SET {qn('done_generation')} = %s, {qn('finished_at')} = %s"
        f" WHERE {qn('id')} = %s AND {qn('done_generation')} = %s"
        f" AND EXISTS (SELECT 1 FROM {qn(runs)} WHERE {qn('id')} = %s"
        f" AND {qn('generation')} = %s AND {qn('status')} NOT IN (%s, %s))"
    )


@functools.cache
def _claim_batch_sql(alias: str) -> str:
    """``_claim_sql`` for a batch (PostgreSQL): the members still at the done generation read
    are locked in id order (a row changed meanwhile is checked again once its lock is had, and
    left out), then marked done, if the run is still at the generation and open."""
    qn = connections[alias].ops.quote_name
    members, runs = qn(PayoutRunManager._meta.db_table), qn(PayoutRun._meta.db_table)
    pk, done = qn("id"), qn("done_generation")
    return (
        f"WITH as_read(id, done) AS (SELECT * FROM unnest(%s::bigint[], %s::integer[])),"
        f" mine AS (SELECT m.{pk} FROM {members} m JOIN as_read ON as_read.id = m.{pk}"
        f" AND m.{done} = as_read.done"
        f" WHERE EXISTS (SELECT 1 FROM {runs} WHERE {pk} = %s AND {qn('generation')} = %s"
        f" AND {qn('status')} NOT IN (%s, %s))"
        f" ORDER BY m.{pk} FOR NO KEY UPDATE OF m)"
        f" UPDATE {members} m SET {done} = %s, {qn('finished_at')} = %s"
        f" FROM mine WHERE m.{pk} = mine.{pk} RETURNING m.{pk}"
    )


@transaction.atomic
def payout_run_fail(*, run_id: int, generation: int, reason: str) -> bool:
    """End a computation that failed for a reason a retry cannot fix (SPEC §7): the run is
    ``failed`` with the reason shown to the people who can fix it, and nothing re-drives it
    until its inputs change (``payout_run_recompute_changed``)."""
    run = PayoutRun.objects.select_for_update(no_key=True).filter(pk=run_id).first()
    if run is None or run.generation != generation or run.status != Status.DRAFT:
        return False
    payout_run_transition(run=run, to=Status.FAILED, note="failed",
                          extra={"failure": reason[:2000]})
    return True


@transaction.atomic
def payout_run_finalise(*, run_id: int, generation: int, by=None) -> bool:
    """Mark the run computed when every member is done for this generation."""
    unfinished = PayoutRunManager.objects.filter(run_id=run_id, done_generation__lt=generation)
    # Most members finish while others are still running: a plain read says so without a lock.
    if unfinished.exists():
        return False
    run = PayoutRun.objects.select_for_update(no_key=True).get(pk=run_id)
    if run.generation != generation or run.status != Status.DRAFT or unfinished.exists():
        return False
    payout_run_transition(
        run=run, to=Status.COMPUTED, by=by, extra={"computed_at": timezone.now()}
    )
    return True


def payout_run_unfinished_members(*, run: PayoutRun) -> list[int]:
    return list(
        run.members.filter(done_generation__lt=run.generation)
        .order_by("manager_id")
        .values_list("manager_id", flat=True)
    )


@transaction.atomic
def plan_version_revise(*, version: PlanVersion, effective_from: datetime.date) -> PlanVersion:
    """A change to a plan is a new version from a month on (SPEC §4); earlier months keep the
    version that applied to them. The new version starts as a copy of ``version``."""
    latest = version.plan.versions.order_by("-number").first()
    revised = PlanVersion.objects.create(
        plan=version.plan, number=latest.number + 1, effective_from=effective_from,
        conversation_threshold_s=version.conversation_threshold_s,
        minute_rounding=version.minute_rounding, monthly_cap=version.monthly_cap,
        clawback_days=version.clawback_days,
    )
    for component in version.components.prefetch_related("rates", "tiers"):
        rates, tiers = list(component.rates.all()), list(component.tiers.all())
        component.pk, component.version = None, revised
        component.save()
        ComponentRate.objects.bulk_create(
            ComponentRate(component=component, outcome=r.outcome, lead_source=r.lead_source,
                          rate=r.rate)
            for r in rates
        )
        RevenueTier.objects.bulk_create(
            RevenueTier(component=component, from_percent=t.from_percent,
                        to_percent=t.to_percent, rate=t.rate)
            for t in tiers
        )
    return revised


def plan_version_in_use(*, version: PlanVersion) -> bool:
    """A version that paid a locked month is frozen: change it by revising (SPEC §4, §7)."""
    return PayoutRunManager.objects.filter(
        plan_version=version, run__status__in=[Status.APPROVED, Status.PAID]
    ).exists()


def payout_runs_stalled(*, stalled_after: datetime.timedelta) -> list[PayoutRun]:
    """Draft runs with people not done whose computation shows no sign of life for
    ``stalled_after``: no member finished, and it was neither started nor re-driven since.
    A worker that died mid-run leaves exactly this (its message returns only after the
    broker's visibility timeout)."""
    since = timezone.now() - stalled_after
    last_done = (
        PayoutRunManager.objects.filter(run=OuterRef("pk")).order_by()
        .values("run").annotate(at=Max("finished_at")).values("at")
    )
    candidates = (
        PayoutRun.objects.filter(status=Status.DRAFT)
        .filter(Exists(PayoutRunManager.objects.filter(
            run=OuterRef("pk"), done_generation__lt=OuterRef("generation"))))
        .annotate(last_done=Subquery(last_done))
        .order_by("pk")
    )
    stalled = []
    for run in candidates:
        signs = [t for t in (run.started_at, run.last_done, run.redriven_at) if t]
        if not signs or max(signs) < since:
            stalled.append(run)
    return stalled


def payout_run_claim_redrive(*, run: PayoutRun) -> bool:
    """Claim the re-drive of a stalled run: only the caller that moves the counter from the
    value it read wins, so two watchdogs (or two beats) never re-drive one run twice."""
    return PayoutRun.objects.filter(
        pk=run.pk, status=Status.DRAFT, generation=run.generation, redrives=run.redrives
    ).update(redrives=F("redrives") + 1, redriven_at=timezone.now()) == 1
