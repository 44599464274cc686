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
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from leads.audit import audit_record
from salesops.imports.stats import daily_stats_follow_thresholds
from salesops.models import CONVERSATION_THRESHOLD_S, Manager, Role, Team
from salesops.periods import next_month

from .changes import inputs_versions
from .engine.adjustments import (
    adjustment_drafts,
    locked_chain_before,
    locked_chains_before,
    previous_month,
)
from .engine.components import build_lines
from .engine.facts import aside_is_safe, call_figures_needed, gather_facts, team_totals
from .engine.plans import plan_versions_for, version_with_components
from .engine.writes import MemberLines, members_lines_save
from .lifecycle import PayoutRunLocked, payout_run_transition
from .models import (
    LOCKED_STATUSES,
    ComponentKind,
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
    """Who the team pays for ``month``: its managers and sales head active in the month."""
    return team_members_by_team(teams=[team], month=month)[team.pk]


def team_members_by_team(*, teams, month: datetime.date) -> dict[int, list[Manager]]:
    """``team_members_for_month`` for many teams in one query: team id → members."""
    members = defaultdict(list)
    for manager in _paid_in_month(teams=teams, month=month).order_by("pk"):
        members[manager.team_id].append(manager)
    return members


def teams_with_members(*, teams, month: datetime.date) -> set[int]:
    """The ids of those of ``teams`` that pay someone for ``month``."""
    return set(_paid_in_month(teams=teams, month=month).values_list("team_id", flat=True))


def _paid_in_month(*, teams, month: datetime.date):
    return Manager.objects.filter(
        team__in=teams, role__in=PAID_ROLES, active_from__lt=next_month(month)
    ).filter(Q(active_to__isnull=True) | Q(active_to__gte=month))


def payout_run_start(*, month: datetime.date, team: Team, requested_by=None) -> PayoutRun:
    """Open (or reopen) the team's run for ``month`` and snapshot its figures."""
    run = payout_runs_start(month=month, teams=[team], requested_by=requested_by)[team.pk]
    if run.is_locked:
        raise PayoutRunLocked(f"{run} is {run.status}: late changes go to the next open month")
    return run


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
        if run.status == Status.COMPUTED:
            payout_run_transition(run=run, to=Status.DRAFT, by=requested_by, note="recompute")
    open_runs = {team_id: run for team_id, run in runs.items() if not run.is_locked}
    if not open_runs:
        return runs
    members = team_members_by_team(teams=list(open_runs), month=month)
    everyone = [m for team_id in open_runs for m in members[team_id]]
    versions = plan_versions_for(managers=everyone, month=month)
    distinct, digests = _digests(versions)
    # Read before the figures are gathered: a change committed after this read raises the
    # version, so the run shows stale even if the gather below already saw the change. Runs
    # that read the same months are read together.
    chains = locked_chains_before(list(open_runs.values()))
    by_months = defaultdict(list)
    for team_id, run in open_runs.items():
        months = (run.month, *(locked.month for locked in chains[run.pk]))
        by_months[months] += [m.pk for m in members[team_id]]
    seen = {}
    for months, ids in by_months.items():
        seen.update(inputs_versions(manager_ids=ids, months=list(months)))
    thresholds = {m.pk: _threshold(versions[m.pk]) for m in everyone}
    # The dashboard's daily figures count conversations as this computation pays them.
    daily_stats_follow_thresholds(thresholds=thresholds, month=month)
    # Every run started here is recomputed in this transaction, so what they paid may be paid
    # again (a member who moved between two of these teams loses the old run's items below).
    facts = gather_facts(
        month=month,
        thresholds=thresholds,
        own_run_ids=[run.pk for run in open_runs.values()],
        needs=call_figures_needed(distinct.values()),
        calls_aside=aside_is_safe(PayoutRun),
    )
    # A new computation pays by the plans just read (its members compute in this process or
    # read them again by their digests); whether a month before is locked is read again.
    _version_for.renew(distinct.values())
    _has_locked_months.cache_clear()
    started_at = timezone.now()
    for team_id, run in open_runs.items():
        team_members = members[team_id]
        run.generation += 1
        run.managers_total = len(team_members)
        run.team_facts = team_totals(
            facts, floor_ids={m.pk for m in team_members if m.role == Role.MANAGER}
        )
        run.requested_by = requested_by
        run.computed_at = None
        run.started_at = started_at
    PayoutRun.objects.bulk_update(
        list(open_runs.values()),
        ["generation", "managers_total", "team_facts", "requested_by", "computed_at",
         "started_at"],
    )
    if requested_by is not None:
        # Who asked for a computation is in the audit trail; scheduled ones are in the run's
        # history only.
        codes = {team.pk: team.code for team in teams}
        for team_id, run in open_runs.items():
            audit_record(action="payout_run_computed", obj=run, by=requested_by, before={},
                         after={"team": codes.get(team_id, ""), "month": run.month,
                                "generation": run.generation, "people": run.managers_total})
    # The members already in the runs are locked in id order, as a batch's claim locks them
    # (``_claim_batch_sql``): a batch of an earlier computation still writing holds some of
    # them and waits for none, so this waits for it, never the two for each other.
    # Someone who left the team since the last computation is no longer paid by this run.
    paid_now = {(run.pk, m.pk) for team_id, run in open_runs.items() for m in members[team_id]}
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
    _members_snapshot_save([
        {"run_id": run.pk, "manager_id": m.pk,
         "plan_version_id": versions[m.pk].pk if versions[m.pk] else None,
         "facts": facts[m.pk], "inputs_version": seen[m.pk], "plan_fingerprint": digests[m.pk]}
        for team_id, run in open_runs.items()
        for m in members[team_id]
    ])
    return runs


# What a new computation snapshots of each member; ``done_generation`` and ``finished_at`` of a
# member already in the run stay as they are (the claim reads them).
_SNAPSHOT = ["plan_version_id", "facts", "inputs_version", "plan_fingerprint"]


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


def run_input_months(run: PayoutRun) -> list[datetime.date]:
    """The months whose inputs feed ``run``: its own, and the locked months right before it
    whose late data it pays as adjustments (SPEC §6.5)."""
    return [run.month, *(locked.month for locked in locked_chain_before(run))]


@dataclass(frozen=True)
class Recompute:
    """What an incremental recomputation started: the run's new generation and whom it redoes."""

    run: PayoutRun
    generation: int
    manager_ids: list[int]
    full: bool = False


@transaction.atomic
def payout_run_recompute_changed(
    *, run: PayoutRun, manager_ids: list[int] | None = None, requested_by=None
) -> Recompute | None:
    """Start recomputing only the people of an open run whose inputs changed (SPEC §7): those
    with a newer input change than their figures, a different plan version, or ``manager_ids``;
    and, when the team's figures moved, whoever is paid a team bonus on them. Everyone else
    keeps their lines, carried into the new generation. Returns None when the run is locked;
    a change of the team's people falls back to a full computation.

    The people returned are computed afterwards by the same member tasks as a full run."""
    run = PayoutRun.objects.select_for_update(no_key=True).get(pk=run.pk)
    if run.is_locked:
        return None
    team_members = team_members_by_team(teams=[run.team_id], month=run.month)[run.team_id]
    # Locked in id order, as a batch's claim locks them (see ``payout_runs_start``).
    stored = {member.manager_id: member for member in
              run.members.select_for_update(no_key=True).order_by("pk")}
    if {m.pk for m in team_members} != set(stored):
        run = payout_runs_start(month=run.month, teams=[run.team],
                                requested_by=requested_by)[run.team_id]
        return Recompute(run=run, generation=run.generation,
                         manager_ids=sorted(m.pk for m in team_members), full=True)
    versions = plan_versions_for(managers=team_members, month=run.month)
    distinct, digests = _digests(versions)
    # Read before the figures are gathered, as in ``payout_runs_start``.
    seen = inputs_versions(manager_ids=list(stored), months=run_input_months(run))
    touched = (set(manager_ids or ()) & set(stored)) | {
        pk for pk, member in stored.items()
        if seen[pk] > member.inputs_version
        or member.plan_version_id != (versions[pk].pk if versions[pk] else None)
        or member.plan_fingerprint != digests[pk]
        # A computation still under way: its unfinished people are redone at the new one.
        or member.done_generation < run.generation
    }
    if not touched:
        return Recompute(run=run, generation=run.generation, manager_ids=[])
    thresholds = {pk: _threshold(versions[pk]) for pk in touched}
    daily_stats_follow_thresholds(thresholds=thresholds, month=run.month)  # as in the start
    facts = gather_facts(
        month=run.month,
        thresholds=thresholds,
        own_run_ids=[run.pk],
        needs=call_figures_needed(versions[pk] for pk in touched),
        calls_aside=aside_is_safe(PayoutRun),
    )
    everyone = {pk: facts.get(pk, member.facts) for pk, member in stored.items()}
    team_facts = team_totals(
        everyone, floor_ids={m.pk for m in team_members if m.role == Role.MANAGER}
    )
    if _as_stored(team_facts) != run.team_facts:
        # SPEC §4 team_bonus: a sales head's bonus reads the team's sums.
        touched |= {pk for pk, version in versions.items()
                    if version and any(c.kind == ComponentKind.TEAM_BONUS
                                       for c in version.components.all())}
    _version_for.renew(distinct.values())
    _has_locked_months.cache_clear()
    if run.status == Status.COMPUTED:
        payout_run_transition(run=run, to=Status.DRAFT, by=requested_by,
                              note="recompute changed people")
    if requested_by is not None:
        audit_record(action="payout_run_recomputed", obj=run, by=requested_by, before={},
                     after={"team": run.team.code, "month": run.month,
                            "generation": run.generation + 1, "people": len(touched)})
    run.generation += 1
    run.team_facts = team_facts
    run.computed_at = None
    run.started_at = timezone.now()
    run.save(update_fields=["generation", "team_facts", "computed_at", "started_at"])
    # The others' lines stand: they are done for the new generation as they are.
    PayoutRunManager.objects.filter(run=run).exclude(manager_id__in=touched).update(
        done_generation=run.generation
    )
    redo = []
    for pk in sorted(touched):
        member = stored[pk]
        member.facts = everyone[pk]
        member.plan_version = versions[pk]
        member.inputs_version = seen[pk]
        member.plan_fingerprint = digests[pk]
        redo.append(member)
    PayoutRunManager.objects.bulk_update(
        redo, ["facts", "plan_version", "inputs_version", "plan_fingerprint"]
    )
    return Recompute(run=run, generation=run.generation, manager_ids=sorted(touched))


def _digests(versions: dict[int, PlanVersion | None]) -> tuple[dict, dict[int, str]]:
    """The distinct versions among manager id → version (a few versions pay hundreds of
    people: each is read once), and manager id → the version's digest ("" for none)."""
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
    # Pure: built before the transaction from the figures read with the batch.
    drafts, versions = {}, {}
    for member in todo:
        drafts[member.pk] = []
        if member.plan_version_id:
            key = (member.plan_version_id, member.plan_fingerprint)
            if key not in versions:
                versions[key] = _version_for(*key)
            drafts[member.pk] = build_lines(version=versions[key], facts=member.facts,
                                            team_facts=run.team_facts)
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
        if mine and _has_locked_months(run.pk, generation, run.team_id, run.month):
            for member in mine:
                drafts[member.pk] += adjustment_drafts(run=run, manager_id=member.manager_id)
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


# Whether the team's previous month is locked, so that its late data is adjusted here (SPEC
# §6.5), once per run and computation in a worker process: a batch's members share it.
@functools.lru_cache(maxsize=64)
def _has_locked_months(run_id: int, generation: int, team_id: int,
                       month: datetime.date) -> bool:
    # ``locked_chain_before`` is not empty exactly when the month before is locked.
    return PayoutRun.objects.filter(
        team_id=team_id, month=previous_month(month), status__in=LOCKED_STATUSES
    ).exists()


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
