"""Writes of the compensation engine: start a run, pay one member, finalise, revise a plan.

A computation has three steps, each safe to repeat (SPEC §6.4):

1. ``payout_run_start`` locks the team's run for the month (one per team and month, by a unique
   key), bumps its generation, and gathers every member's figures set-based in one go;
2. ``payout_run_compute_member`` replaces one member's lines atomically, under that member's
   row lock, for that generation only; a stale or repeated task does nothing;
3. ``payout_run_finalise`` marks the run computed once every member is done.
"""

import datetime
import functools

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from salesops.models import Manager, Role, Team
from salesops.periods import next_month
from salesops.selectors import CONVERSATION_THRESHOLD_S

from .engine.adjustments import adjustment_drafts, locked_chain_before
from .engine.components import LineDraft, build_lines
from .engine.facts import call_figures_needed, gather_facts, team_totals
from .engine.plans import plan_versions_for, version_with_components
from .lifecycle import PayoutRunLocked, payout_run_transition
from .models import (
    ComponentRate,
    PaidItem,
    PayoutLine,
    PayoutRun,
    PayoutRunManager,
    PayoutRunTransition,
    PlanVersion,
    RevenueTier,
)

Status = PayoutRun.Status
PAID_ROLES = (Role.MANAGER, Role.SALES_HEAD)


def team_members_for_month(*, team: Team, month: datetime.date) -> list[Manager]:
    """Who the team pays for ``month``: its managers and sales head active in the month."""
    return list(
        Manager.objects.filter(team=team, role__in=PAID_ROLES, active_from__lt=next_month(month))
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=month))
        .order_by("pk")
    )


@transaction.atomic
def payout_run_start(*, month: datetime.date, team: Team, requested_by=None) -> PayoutRun:
    """Open (or reopen) the team's run for ``month`` and snapshot its figures."""
    # The unique (month, team) key makes concurrent starters meet on one run; the row lock
    # then makes them take turns, so each generation's snapshot is whole. NO KEY: member
    # transactions inserting lines take KEY SHARE on the run (the foreign key check) while this
    # transaction waits on their member rows; a plain FOR UPDATE would deadlock with them.
    run, created = PayoutRun.objects.get_or_create(month=month, team=team)
    run = PayoutRun.objects.select_for_update(no_key=True).get(pk=run.pk)
    if run.is_locked:
        raise PayoutRunLocked(f"{run} is {run.status}: late changes go to the next open month")
    if created:
        PayoutRunTransition.objects.create(
            run=run, from_status="", to_status=Status.DRAFT, by=requested_by, at=timezone.now()
        )
    elif run.status == Status.COMPUTED:
        payout_run_transition(run=run, to=Status.DRAFT, by=requested_by, note="recompute")
    members = team_members_for_month(team=team, month=month)
    versions = plan_versions_for(managers=members, month=month)
    facts = gather_facts(
        month=month,
        thresholds={
            m.pk: versions[m.pk].conversation_threshold_s if versions[m.pk]
            else CONVERSATION_THRESHOLD_S
            for m in members
        },
        own_run_ids=[run.pk],
        needs=call_figures_needed(versions.values()),
    )
    run.generation += 1
    # A new computation rereads plans in this process (ids repeat only after a database reset,
    # as in tests; a worker started before such a reset must be restarted).
    _version_for.cache_clear()
    _has_locked_months.cache_clear()
    run.managers_total = len(members)
    run.team_facts = team_totals(facts, floor_ids={m.pk for m in members if m.role == Role.MANAGER})
    run.requested_by = requested_by
    run.computed_at = None
    run.save(update_fields=["generation", "managers_total", "team_facts", "requested_by",
                            "computed_at"])
    PayoutRunManager.objects.bulk_create(
        [
            PayoutRunManager(run=run, manager=m, plan_version=versions[m.pk], facts=facts[m.pk])
            for m in members
        ],
        update_conflicts=True, unique_fields=["run", "manager"],
        update_fields=["plan_version", "facts"],
    )
    # Someone who left the team since the last computation is no longer paid by this run.
    gone = PayoutRunManager.objects.filter(run=run).exclude(manager__in=members)
    gone_ids = list(gone.values_list("manager_id", flat=True))
    PayoutLine.objects.filter(run=run, manager_id__in=gone_ids).delete()
    PaidItem.objects.filter(run=run, manager_id__in=gone_ids).delete()
    gone.delete()
    return run


def payout_run_compute_member(*, run_id: int, manager_id: int, generation: int) -> str:
    """Replace one member's lines in the run; returns what happened (for logs and tests)."""
    with transaction.atomic():
        # The member row lock serialises two computations of the same person: the second one
        # sees the first one's result and stops, so lines are never written twice.
        member = (
            PayoutRunManager.objects.select_for_update(of=("self",))
            .select_related("run")
            .filter(run_id=run_id, manager_id=manager_id)
            .first()
        )
        if member is None:
            return "gone"
        run = member.run
        if run.generation != generation:
            return "stale"
        if member.done_generation >= generation:
            return "already done"
        if run.is_locked:
            raise PayoutRunLocked(f"{run} is {run.status}")
        # Lines and done_generation commit together, so a member never done has no lines.
        if member.done_generation:
            PayoutLine.objects.filter(run=run, manager_id=manager_id).delete()
            PaidItem.objects.filter(run=run, manager_id=manager_id).delete()
        drafts = []
        if member.plan_version_id:
            version = _version_for(member.plan_version_id, run.pk, generation)
            drafts = build_lines(version=version, facts=member.facts, team_facts=run.team_facts)
        if _has_locked_months(run.pk, generation):
            drafts += adjustment_drafts(run=run, manager_id=manager_id)
        _save_drafts(run=run, manager_id=manager_id, version_id=member.plan_version_id,
                     drafts=drafts)
        member.done_generation = generation
        member.finished_at = timezone.now()
        member.save(update_fields=["done_generation", "finished_at"])
    return "done"


# A computation reads each plan version, and whether there are locked months to adjust, once
# per worker process: hundreds of members share them (keyed by the run's generation, so a
# new computation reads them again).
@functools.lru_cache(maxsize=64)
def _version_for(version_id: int, run_id: int, generation: int) -> PlanVersion:
    return version_with_components(version_id)


@functools.lru_cache(maxsize=64)
def _has_locked_months(run_id: int, generation: int) -> bool:
    return bool(locked_chain_before(PayoutRun.objects.get(pk=run_id)))


def _save_drafts(*, run, manager_id, version_id, drafts: list[LineDraft]) -> None:
    PayoutLine.objects.bulk_create([
        PayoutLine(
            run=run, month=run.month, manager_id=manager_id, plan_version_id=version_id,
            kind=d.kind, key=d.key, adjusts_month=d.adjusts_month, quantity=d.quantity,
            rate=d.rate, amount=d.amount, explanation=d.explanation, held=d.held,
        )
        for d in drafts
    ])
    PaidItem.objects.bulk_create([
        PaidItem(
            run=run, manager_id=manager_id, component_kind=i.component_kind,
            item_kind=i.item_kind, item_id=i.item_id, month=run.month, at=i.at, rate=i.rate,
        )
        for d in drafts
        if not d.held  # a held amount is not paid, so its items stay payable (SPEC §5)
        for i in d.items
    ])


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

