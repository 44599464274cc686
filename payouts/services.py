"""Writes of the compensation engine: start a run, pay one member, finalise, revise a plan.

A computation has three steps, each safe to repeat (SPEC §6.4):

1. ``payout_runs_start`` locks the teams' runs for the month (one per team and month, by a
   unique key), bumps their generation, and gathers every member's figures set-based in one go
   for the month (not one query per team);
2. ``payout_run_compute_members`` replaces each member's lines atomically, in that member's own
   transaction after claiming its row, for that generation only; a stale or repeated task does
   nothing;
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

from salesops.models import CONVERSATION_THRESHOLD_S, Manager, Role, Team
from salesops.periods import next_month

from .changes import inputs_versions
from .engine.adjustments import adjustment_drafts, locked_chain_before
from .engine.components import build_lines
from .engine.facts import call_figures_needed, gather_facts, team_totals
from .engine.plans import plan_versions_for, version_with_components
from .engine.writes import member_lines_save
from .lifecycle import PayoutRunLocked, payout_run_transition
from .models import (
    LOCKED_STATUSES,
    ComponentKind,
    ComponentRate,
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
    for manager in (
        Manager.objects.filter(team__in=teams, role__in=PAID_ROLES,
                               active_from__lt=next_month(month))
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=month))
        .order_by("pk")
    ):
        members[manager.team_id].append(manager)
    return members


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
    runs = {}
    # Locks are taken in team order, so that two computations of many teams cannot deadlock.
    for team in sorted(teams, key=lambda t: t.pk):
        # The unique (month, team) key makes concurrent starters meet on one run; the row lock
        # then makes them take turns, so each generation's snapshot is whole. NO KEY: member
        # transactions inserting lines take KEY SHARE on the run (the foreign key check) while
        # this transaction waits on their member rows; a plain FOR UPDATE would deadlock.
        run, created = PayoutRun.objects.get_or_create(month=month, team=team)
        run = PayoutRun.objects.select_for_update(no_key=True).get(pk=run.pk)
        runs[team.pk] = run
        if run.is_locked:
            continue
        if created:
            PayoutRunTransition.objects.create(
                run=run, from_status="", to_status=Status.DRAFT, by=requested_by,
                at=timezone.now(),
            )
        elif run.status == Status.COMPUTED:
            payout_run_transition(run=run, to=Status.DRAFT, by=requested_by, note="recompute")
    open_runs = {team_id: run for team_id, run in runs.items() if not run.is_locked}
    if not open_runs:
        return runs
    members = team_members_by_team(teams=list(open_runs), month=month)
    everyone = [m for team_id in open_runs for m in members[team_id]]
    versions = plan_versions_for(managers=everyone, month=month)
    by_version = {v.pk: plan_fingerprint(v) for v in versions.values() if v}
    digests = {pk: by_version[v.pk] if v else "" for pk, v in versions.items()}
    # Read before the figures are gathered: a change committed after this read raises the
    # version, so the run shows stale even if the gather below already saw the change.
    seen = {}
    for team_id, run in open_runs.items():
        seen.update(inputs_versions(manager_ids=[m.pk for m in members[team_id]],
                                    months=run_input_months(run)))
    # Every run started here is recomputed in this transaction, so what they paid may be paid
    # again (a member who moved between two of these teams loses the old run's items below).
    facts = gather_facts(
        month=month,
        thresholds={
            m.pk: versions[m.pk].conversation_threshold_s if versions[m.pk]
            else CONVERSATION_THRESHOLD_S
            for m in everyone
        },
        own_run_ids=[run.pk for run in open_runs.values()],
        needs=call_figures_needed(versions.values()),
    )
    # A new computation rereads plans in this process (ids repeat only after a database reset,
    # as in tests; a worker started before such a reset must be restarted).
    _version_for.cache_clear()
    _has_locked_months.cache_clear()
    for team_id, run in open_runs.items():
        team_members = members[team_id]
        run.generation += 1
        run.managers_total = len(team_members)
        run.team_facts = team_totals(
            facts, floor_ids={m.pk for m in team_members if m.role == Role.MANAGER}
        )
        run.requested_by = requested_by
        run.computed_at = None
        run.started_at = timezone.now()
        run.save(update_fields=["generation", "managers_total", "team_facts", "requested_by",
                                "computed_at", "started_at"])
        # Someone who left the team since the last computation is no longer paid by this run.
        gone = PayoutRunManager.objects.filter(run=run).exclude(manager__in=team_members)
        gone_ids = list(gone.values_list("manager_id", flat=True))
        if gone_ids:
            PayoutLine.objects.filter(run=run, manager_id__in=gone_ids).delete()
            PaidItem.objects.filter(run=run, manager_id__in=gone_ids).delete()
            gone.delete()
    PayoutRunManager.objects.bulk_create(
        [
            PayoutRunManager(run=run, manager=m, plan_version=versions[m.pk], facts=facts[m.pk],
                             inputs_version=seen[m.pk], plan_fingerprint=digests[m.pk])
            for team_id, run in open_runs.items()
            for m in members[team_id]
        ],
        update_conflicts=True, unique_fields=["run", "manager"],
        update_fields=["plan_version", "facts", "inputs_version", "plan_fingerprint"],
    )
    return runs


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
    team_members = team_members_for_month(team=run.team, month=run.month)
    stored = {member.manager_id: member for member in run.members.all()}
    if {m.pk for m in team_members} != set(stored):
        run = payout_runs_start(month=run.month, teams=[run.team],
                                requested_by=requested_by)[run.team_id]
        return Recompute(run=run, generation=run.generation,
                         manager_ids=sorted(m.pk for m in team_members), full=True)
    versions = plan_versions_for(managers=team_members, month=run.month)
    digests = {pk: plan_fingerprint(version) for pk, version in versions.items()}
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
    facts = gather_facts(
        month=run.month,
        thresholds={pk: _threshold(versions[pk]) for pk in touched},
        own_run_ids=[run.pk],
        needs=call_figures_needed(versions[pk] for pk in touched),
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
    _version_for.cache_clear()
    _has_locked_months.cache_clear()
    if run.status == Status.COMPUTED:
        payout_run_transition(run=run, to=Status.DRAFT, by=requested_by,
                              note="recompute changed people")
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
    """Replace the lines of each of these members, each in its own transaction; returns what
    happened to each (for logs and tests).

    The members' figures are read in one query; each member is then claimed by a conditional
    update, so a member computed twice, concurrently or after a newer computation started,
    is written once (SPEC §6.4).
    """
    outcomes = dict.fromkeys(manager_ids, "gone")
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None:
        return outcomes
    members = PayoutRunManager.objects.filter(run=run, manager_id__in=manager_ids)
    for member in members.order_by("manager_id"):
        member.run = run
        outcomes[member.manager_id] = _member_compute(member=member, generation=generation)
    return outcomes


def _member_compute(*, member: PayoutRunManager, generation: int) -> str:
    run = member.run
    if run.generation != generation:
        return "stale"
    if member.done_generation >= generation:
        return "already done"
    if run.is_locked:
        raise PayoutRunLocked(f"{run} is {run.status}")
    # Pure: built before the transaction from the figures read with the batch.
    drafts = []
    if member.plan_version_id:
        version = _version_for(member.plan_version_id, run.pk, generation)
        drafts = build_lines(version=version, facts=member.facts, team_facts=run.team_facts)
    with transaction.atomic():
        # The claim: the member row lock serialises two computations of the same person, and
        # the conditions make the second one find the first one's result and stop. A figure
        # snapshot replaced by a newer computation comes with a new generation, so a claim
        # from older figures fails here or is redone by that computation.
        claimed = _claim(member=member, generation=generation)
        if claimed:
            # Lines and done_generation commit together, so a member never done has no lines.
            if member.done_generation:
                PayoutLine.objects.filter(run=run, manager_id=member.manager_id).delete()
                PaidItem.objects.filter(run=run, manager_id=member.manager_id).delete()
            if _has_locked_months(run.pk, generation):
                drafts += adjustment_drafts(run=run, manager_id=member.manager_id)
            member_lines_save(run=run, manager_id=member.manager_id,
                              version_id=member.plan_version_id, drafts=drafts)
            return "done"
    # Someone else moved first: say what happened, or try again from what is there now.
    fresh = PayoutRunManager.objects.select_related("run").filter(pk=member.pk).first()
    if fresh is None:
        return "gone"
    return _member_compute(member=fresh, generation=generation)


# A computation reads each plan version, and whether there are locked months to adjust, once
# per worker process: hundreds of members share them (keyed by the run's generation, so a
# new computation reads them again).
@functools.lru_cache(maxsize=64)
def _version_for(version_id: int, run_id: int, generation: int) -> PlanVersion:
    return version_with_components(version_id)


@functools.lru_cache(maxsize=64)
def _has_locked_months(run_id: int, generation: int) -> bool:
    return bool(locked_chain_before(PayoutRun.objects.get(pk=run_id)))


# The statement below runs once per person, hundreds of times a run. Compiled by the ORM (an
# update with a subquery) it costs about a millisecond of Python, more than the database spends
# on it (the lines' inserts: ``engine.writes``).


def _claim(*, member: PayoutRunManager, generation: int) -> bool:
    """Mark the member done for ``generation`` if it is still as read and the run is still
    at that generation and open; the row lock is then held until the member's lines commit."""
    db = connections[router.db_for_write(PayoutRunManager)]
    finished_at = PayoutRunManager._meta.get_field("finished_at").get_db_prep_save(
        timezone.now(), db
    )
    with db.cursor() as cursor:
        cursor.execute(
            _claim_sql(db.alias),
            [generation, finished_at, member.pk, member.done_generation, member.run_id,
             generation, *LOCKED_STATUSES],
        )
        return cursor.rowcount == 1


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
