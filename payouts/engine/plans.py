"""Which plan version pays whom in a month (SPEC §4: versioned plans with effective dates)."""

import datetime

from django.db.models import F, Prefetch, Q

from salesops.lookups import AnyOf
from salesops.models import Manager

from ..models import PlanAssignment, PlanComponent, PlanVersion


def plan_versions_for(
    *, managers: list[Manager], month: datetime.date
) -> dict[int, PlanVersion | None]:
    """The version in force on the first of ``month`` for each manager.

    A manager's own assignment wins over the team's; among assignments of one kind the latest
    start wins. Of the plan's versions, the latest that took effect by ``month`` applies, so a
    later change never reaches back into an earlier month.
    """
    team_ids = {m.team_id for m in managers if m.team_id}
    assignments = list(
        PlanAssignment.objects.filter(
            AnyOf(F("manager_id"), [m.pk for m in managers]) | Q(team_id__in=team_ids),
            effective_from__lte=month,
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=month))
        .order_by("-effective_from", "-pk")
    )
    own = {}
    by_team = {}
    for assignment in assignments:
        if assignment.manager_id:
            own.setdefault(assignment.manager_id, assignment.plan_id)
        else:
            by_team.setdefault(assignment.team_id, assignment.plan_id)
    plan_of = {m.pk: own.get(m.pk, by_team.get(m.team_id)) for m in managers}
    versions = {}
    for version in (
        PlanVersion.objects.filter(
            plan_id__in={p for p in plan_of.values() if p}, effective_from__lte=month
        )
        .order_by("plan_id", "-effective_from")
        .prefetch_related(
            Prefetch(
                "components",
                queryset=PlanComponent.objects.prefetch_related("rates", "tiers"),
            )
        )
    ):
        versions.setdefault(version.plan_id, version)
    return {pk: versions.get(plan_id) if plan_id else None for pk, plan_id in plan_of.items()}


def share_plan_versions(
    *, month: datetime.date, shares: list[tuple[int, int]]
) -> dict[tuple[int, int], PlanVersion | None]:
    """The version in force on the first of ``month`` for each (team, manager) share: the
    manager's own assignment wins over the share's team's (SPEC §4; with dated teams a person
    who moved is paid by each team's plan for the days spent in it)."""
    manager_ids = {m for _t, m in shares}
    team_ids = {t for t, _m in shares}
    assignments = list(
        PlanAssignment.objects.filter(
            AnyOf(F("manager_id"), list(manager_ids)) | Q(team_id__in=team_ids),
            effective_from__lte=month,
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=month))
        .order_by("-effective_from", "-pk")
    )
    own, by_team = {}, {}
    for assignment in assignments:
        if assignment.manager_id:
            own.setdefault(assignment.manager_id, assignment.plan_id)
        else:
            by_team.setdefault(assignment.team_id, assignment.plan_id)
    plan_of = {(t, m): own.get(m, by_team.get(t)) for t, m in shares}
    versions = _latest_versions({p for p in plan_of.values() if p}, month)
    return {key: versions.get(plan) if plan else None for key, plan in plan_of.items()}


def _latest_versions(plan_ids, month: datetime.date) -> dict[int, PlanVersion]:
    versions = {}
    for version in (
        PlanVersion.objects.filter(plan_id__in=plan_ids, effective_from__lte=month)
        .order_by("plan_id", "-effective_from")
        .prefetch_related(
            Prefetch("components",
                     queryset=PlanComponent.objects.prefetch_related("rates", "tiers"))
        )
    ):
        versions.setdefault(version.plan_id, version)
    return versions


def version_with_components(version_id: int) -> PlanVersion:
    return PlanVersion.objects.prefetch_related(
        Prefetch("components", queryset=PlanComponent.objects.prefetch_related("rates", "tiers"))
    ).get(pk=version_id)
