"""Which locked shares a computation adjusts (SPEC §6.5), found set-based for every member at
once, and whether their inputs moved since they were last paid or adjusted.

Late data or a changed decision for a locked month produces adjustment lines in the person's
next open month. A person's *chain* is their months right before the one computed in which
every share they had (every team they were in) is locked; a month with an open share stops it
(that month is the next open one for the months before it). Each locked share of the chain is
adjusted by one share of the month computed: the one in the same team if the person still has
a share there, else their first share of the month — so a person who moved team is adjusted
once, whatever state the old team's month is in, and never lost.

A locked share whose inputs have not moved since the last computation that paid or adjusted it
(its change marks, ``salesops.inputs.changes``, at the version that computation saw) owes
nothing and is not gathered again: a month after an approved month costs what a first month
costs. A sales head paid a team bonus reads the team's figures, so their version of a locked
month is the sum of the team's.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from salesops.inputs import inputs_versions
from salesops.inputs.membership import shares_in_months
from salesops.models import LockedPeriod
from salesops.periods import month_start

from ..models import LOCKED_STATUSES, PayoutLine, PayoutRunManager
from .shares import Days, ShareKey, days_from_json

# Late data older than this is rare enough to be corrected by hand (a commission exception).
LOOKBACK_MONTHS = 6


def previous_month(month: datetime.date) -> datetime.date:
    return month_start(month - datetime.timedelta(days=1))


def lookback(month: datetime.date) -> list[datetime.date]:
    """The months before ``month`` whose late data it may still adjust, newest first."""
    months = []
    for _ in range(LOOKBACK_MONTHS):
        month = previous_month(month)
        months.append(month)
    return months


def seen_key(month: datetime.date) -> str:
    return month.isoformat()


@dataclass(frozen=True)
class LockedShare:
    """A person's share of a locked month: the member row of the approved or paid run."""

    member_id: int
    run_id: int
    team_id: int
    month: datetime.date
    manager_id: int
    days: Days
    plan_version_id: int | None
    team_facts: dict
    inputs_seen: dict


def _locked_members(manager_ids, months) -> dict[int, list[LockedShare]]:
    found = defaultdict(list)
    for row in (PayoutRunManager.objects.filter(
            manager_id__in=list(manager_ids), run__month__in=list(months),
            run__status__in=LOCKED_STATUSES)
            .values_list("pk", "run_id", "run__team_id", "run__month", "manager_id", "days",
                         "plan_version_id", "run__team_facts", "inputs_seen")):
        pk, run_id, team_id, month, manager_id, days, version, team_facts, seen = row
        found[manager_id].append(LockedShare(pk, run_id, team_id, month, manager_id,
                                             days_from_json(days, month), version,
                                             team_facts or {}, seen or {}))
    return found


def chains(*, month: datetime.date,
           current: dict[ShareKey, Days]) -> dict[ShareKey, list[LockedShare]]:
    """Current share (with its days) → the locked shares it adjusts (see the module's
    docstring)."""
    managers = {m for _t, m in current}
    if not managers:
        return {}
    months = lookback(month)
    locked_periods = set(LockedPeriod.objects.filter(month__in=months)
                         .values_list("team_id", "month"))
    if not locked_periods:
        return {key: [] for key in current}
    teams_in = defaultdict(lambda: defaultdict(set))  # manager → month → teams
    for earlier, shares in shares_in_months(months=months, manager_ids=managers).items():
        for share in shares:
            teams_in[share.manager_id][earlier].add(share.team_id)
    members = _locked_members(managers, months)
    by_manager = defaultdict(list)
    for key in current:
        by_manager[key[1]].append(key)
    result = {key: [] for key in current}
    firsts = first_shares(current)
    for manager_id, keys in by_manager.items():
        first = firsts[manager_id]
        for earlier in months:
            teams = teams_in[manager_id].get(earlier, set())
            if not teams:
                continue
            if any((team, earlier) not in locked_periods for team in teams):
                break
            for share in members.get(manager_id, ()):
                if share.month != earlier:
                    continue
                same_team = next((k for k in keys if k[0] == share.team_id), None)
                result[same_team or first].append(share)
    return result


def first_shares(keys_days: dict[ShareKey, Days]) -> dict[int, ShareKey]:
    """manager → their share starting first in the month (payer of other teams' late data)."""
    first = {}
    for key, _days in sorted(keys_days.items(), key=lambda item: item[1][0][0]):
        first.setdefault(key[1], key)
    return first


def bonus_holder(version) -> bool:
    return version is not None and any(c.kind == "team_bonus" for c in version.components.all())


def versions_now(pairs) -> dict[tuple[int, datetime.date], int]:
    """(manager, month) → the version of its change marks now (0: never changed)."""
    by_month = defaultdict(set)
    for manager_id, month in pairs:
        by_month[month].add(manager_id)
    found = {}
    for month, people in by_month.items():
        for manager_id, version in inputs_versions(manager_ids=people, months=[month]).items():
            found[(manager_id, month)] = version
    return found


def versions_seen(pairs, *, before: datetime.date) -> dict[tuple[int, datetime.date], int | None]:
    """(manager, month) → the newest version of that month a locked computation of the person
    saw (the locked share of the month itself, or a later locked share that adjusted it),
    before ``before``; None when none kept it (a run computed before versions were kept)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    earliest = min(month for _m, month in pairs)
    seen_by = defaultdict(list)
    for manager_id, run_month, seen in PayoutRunManager.objects.filter(
        manager_id__in={m for m, _month in pairs}, run__month__gte=earliest,
        run__month__lt=before, run__status__in=LOCKED_STATUSES,
    ).values_list("manager_id", "run__month", "inputs_seen"):
        seen_by[manager_id].append((run_month, seen or {}))
    result = {}
    for manager_id, month in pairs:
        values = [seen.get(seen_key(month)) for run_month, seen in seen_by[manager_id]
                  if run_month >= month]
        values = [v for v in values if v is not None]
        result[(manager_id, month)] = max(values) if values else None
    return result


def run_people(run_ids) -> dict[int, set[int]]:
    """Locked run id → the people it paid."""
    people = defaultdict(set)
    for run_id, manager_id in PayoutRunManager.objects.filter(
            run_id__in=list(run_ids)).values_list("run_id", "manager_id"):
        people[run_id].add(manager_id)
    return people


def adjusting_runs(*, targets: list[LockedShare], excluding: set[int]) -> dict[int, set[int]]:
    """Locked member id → the runs (other than ``excluding``) whose lines already adjust it."""
    if not targets:
        return {}
    found = defaultdict(set)
    by_run = {(t.manager_id, t.run_id): t.member_id for t in targets}
    by_old = {(t.manager_id, t.month, t.team_id): t.member_id for t in targets}
    rows = (PayoutLine.objects.filter(manager_id__in={t.manager_id for t in targets},
                                      adjusts_month__in={t.month for t in targets})
            .exclude(run_id__in=excluding)
            .values_list("manager_id", "run_id", "adjusts_run_id", "adjusts_month",
                         "run__team_id").distinct())
    for manager_id, run_id, adjusts_run, adjusts_month, team_id in rows:
        member = (by_run.get((manager_id, adjusts_run)) if adjusts_run
                  # A line written before dated teams adjusted its own team's month.
                  else by_old.get((manager_id, adjusts_month, team_id)))
        if member is not None:
            found[member].add(run_id)
    return found
