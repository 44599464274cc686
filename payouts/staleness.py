"""Is a computed run still what its inputs say? (SPEC §7: a run is stale when anything that
feeds it changed after it was computed.)

Two reads, cheap first:

- the change marks (``salesops.inputs.changes``): a person whose inputs were marked changed
  after their figures were read; with the plan version in force (and what it says, by a
  digest) and the team's people, this is what an incremental recompute redoes;
- before approval, the figures themselves: every member's month is gathered again (one set of
  aggregate queries for the team) and compared with what the run was computed from. This
  catches a change made by any path, marked or not (an admin edit, a spreadsheet import of
  shifts), so that what is approved is what the approver saw.
"""

import hashlib
import json
from dataclasses import dataclass, replace

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _

from salesops.models import CONVERSATION_THRESHOLD_S, Manager, Role

from .engine.facts import (
    MonthFacts,
    call_figures_needed,
    comparable_figures,
    gather_facts,
    team_totals,
)
from .engine.plans import share_plan_versions
from .engine.shares import ShareSpec, days_to_json, share_fraction, whole_month
from .models import ComponentKind, PayoutRun, PlanVersion


def plan_fingerprint(version: PlanVersion | None) -> str:
    """A digest of everything a plan version pays by (read from its prefetched components)."""
    if version is None:
        return ""
    terms = [
        version.pk, version.conversation_threshold_s, version.minute_rounding,
        version.monthly_cap, version.clawback_days,
        sorted(
            (c.kind, c.rate, c.amount, c.base_mode, c.floor_percent, c.team_metric, c.cap,
             sorted((r.outcome or 0, r.lead_source, r.rate) for r in c.rates.all()),
             sorted((t.from_percent, t.to_percent or -1, t.rate) for t in c.tiers.all()))
            for c in version.components.all()
        ),
    ]
    return hashlib.sha1(repr(terms).encode(), usedforsecurity=False).hexdigest()


# Why a person is stale, as the refusal says it.
JOINED_OR_LEFT = _("joined or left the team")
PLAN_CHANGED = _("plan changed")
INPUTS_CHANGED = _("inputs changed")
FIGURES_CHANGED = _("figures changed")
TEAM_CHANGED = _("team figures changed")


@dataclass(frozen=True)
class StaleMember:
    manager_id: int
    reason: str


def payout_run_staleness(*, run: PayoutRun, figures: bool = True) -> list[StaleMember]:
    """The run's people whose pay would change if computed now, each with the first reason
    found; empty when the run is current. ``figures=False`` skips the gather (pages)."""
    from .services import members_moved, run_days

    stale: dict[int, str] = {}
    members = {member.manager_id: member for member in run.members.all()}
    days = run_days(team_ids=[run.team_id], month=run.month)
    for _team, pk in set(days) ^ {(run.team_id, pk) for pk in members}:
        stale[pk] = JOINED_OR_LEFT
    for (_team, pk), value in days.items():
        if pk in members and pk not in stale and (members[pk].days or days_to_json(
                whole_month(run.month))) != days_to_json(value):
            stale[pk] = JOINED_OR_LEFT
    keys = [(run.team_id, pk) for pk in members if (run.team_id, pk) in days]
    versions = share_plan_versions(month=run.month, shares=keys)
    moved = members_moved(members, run.month)
    for (_team, pk) in keys:
        member, version = members[pk], versions[(run.team_id, pk)]
        if pk in stale:
            continue
        if (member.plan_version_id != (version.pk if version else None)
                or member.plan_fingerprint != plan_fingerprint(version)):
            stale[pk] = PLAN_CHANGED
        elif moved.get(pk):
            stale[pk] = INPUTS_CHANGED
    if figures and keys:
        _compare_figures(run=run, days=days, members=members, versions=versions, stale=stale)
    return [StaleMember(pk, reason) for pk, reason in sorted(stale.items())]


def _compare_figures(*, run, days, members, versions, stale) -> None:
    keys = list(versions)
    facts = gather_facts(
        month=run.month,
        shares=[ShareSpec(team, pk, days[(team, pk)],
                          versions[(team, pk)].conversation_threshold_s if versions[(team, pk)]
                          else CONVERSATION_THRESHOLD_S, frozenset({run.pk}),
                          share_fraction(run.month, days[(team, pk)]))
                for team, pk in keys],
        needs=call_figures_needed(versions.values()),
    )
    for (team, pk), fresh in facts.items():
        needs = call_figures_needed([versions[(team, pk)]])
        if pk not in stale and _comparable(fresh, needs) != _comparable(members[pk].facts,
                                                                       needs):
            stale[pk] = FIGURES_CHANGED
    floor = set(Manager.objects.filter(pk__in=[pk for _t, pk in keys], role=Role.MANAGER)
                .values_list("pk", flat=True))
    team = _stored(team_totals(facts, floor_keys={(t, pk) for t, pk in keys if pk in floor}))
    if team != run.team_facts:
        for (_team, pk), version in versions.items():
            if version and any(c.kind == ComponentKind.TEAM_BONUS
                               for c in version.components.all()):
                stale.setdefault(pk, TEAM_CHANGED)


def _stored(value: dict) -> dict:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _comparable(facts, needs: frozenset[str]) -> dict:
    """The figures that decide the person's pay this month: optional call aggregates are
    gathered only when some plan of the computation needed them, so they are compared only
    where this one does; standing decisions only for the month's leads."""
    facts = MonthFacts.coerce(facts)
    # Decisions stand per lead, for every month: only those on the month's own leads feed it
    # (SPEC §7: a decision on a lead of another month leaves this run as it is).
    leads = {m.lead for rows in facts.milestones.values() for m in rows}
    leads |= {p.lead for p in facts.payments} | {c.lead for c in facts.clawbacks}
    facts = replace(facts, exceptions={
        key: exception for key, exception in facts.exceptions.items() if exception.lead in leads
    })
    return comparable_figures(facts, needs)
