"""Who a team's run pays for which days (SPEC §1 dated membership), as the engine gathers them.

A *share* is the days of a month one person spent in one team (``salesops.inputs.membership``).
Each team's run has one member per person with a share in it; the member's figures count only
the calls, shifts, milestones and payments of those days, and its targets, fixed amounts and
caps are paid in proportion to the share's working days (the decision SPEC §1 leaves open: a
person who moves on the 16th is paid by each team for the part of the month spent in it, as a
payroll accountant prorates a salary). Days of two shares never overlap, so a person-month is
paid once, by the runs of the teams it was spent in.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from salesops.inputs.membership import shares_in_month
from salesops.periods import next_month, organisation_zone

Days = tuple[tuple[datetime.date, datetime.date], ...]
ShareKey = tuple[int, int]  # (team id, manager id)


def working_days(start: datetime.date, end: datetime.date) -> int:
    """Monday to Friday days in [start, end)."""
    count, day = 0, start
    while day < end:
        count += day.weekday() < 5
        day += datetime.timedelta(days=1)
    return count


def whole_month(month: datetime.date) -> Days:
    return ((month, next_month(month)),)


def share_fraction(month: datetime.date, days: Days) -> Decimal:
    """The share of the month's working days that ``days`` hold (1 for the whole month)."""
    if days == whole_month(month):
        return Decimal("1")
    total = working_days(month, next_month(month))
    if not total:
        return Decimal("1")
    return Decimal(sum(working_days(start, end) for start, end in days)) / Decimal(total)


def days_to_json(days: Days) -> list[list[str]]:
    return [[start.isoformat(), end.isoformat()] for start, end in days]


def days_from_json(value, month: datetime.date) -> Days:
    """A member's stored days; none stored (a run computed before dated membership): the month."""
    if not value:
        return whole_month(month)
    return tuple((datetime.date.fromisoformat(a), datetime.date.fromisoformat(b))
                 for a, b in value)


def contains(days: Days, day: datetime.date) -> bool:
    return any(start <= day < end for start, end in days)


def local_day(instant: datetime.datetime) -> datetime.date:
    return instant.astimezone(organisation_zone()).date()


@dataclass(frozen=True)
class ShareSpec:
    """One member to gather: a person's days in a team, with what their pay reads."""

    team_id: int
    manager_id: int
    days: Days
    threshold_s: int
    # The runs whose ledger entries this gather may count again (its own run, and for a
    # locked month re-read for adjustments the runs that paid or adjusted it): a lead or
    # payment another run paid is left out (SPEC §6.2).
    own_run_ids: frozenset[int] = field(default_factory=frozenset)
    fraction: Decimal = Decimal("1")

    @property
    def key(self) -> ShareKey:
        return (self.team_id, self.manager_id)


def team_days(*, month: datetime.date, team_ids, manager_ids=None) -> dict[ShareKey, Days]:
    """(team, person) → the person's days in the team in ``month``; days in one team merged
    (someone who leaves and comes back within the month has two spans in one share)."""
    spans = defaultdict(list)
    for share in shares_in_month(month=month, team_ids=team_ids, manager_ids=manager_ids):
        spans[(share.team_id, share.manager_id)].append((share.start, share.end))
    merged = {}
    for key, parts in spans.items():
        parts.sort()
        joined = [list(parts[0])]
        for start, end in parts[1:]:
            if start <= joined[-1][1]:
                joined[-1][1] = max(joined[-1][1], end)
            else:
                joined.append([start, end])
        merged[key] = tuple((a, b) for a, b in joined)
    return merged
