"""Which person-days belong to a locked month (SPEC §6.5, §7: approved and paid months are
locked), asked by every write of a pay input.

A day belongs to the team the person was in on it (``membership``); the team's month is locked
once its run is approved (``LockedPeriod``, written by the run's transitions in payouts).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from salesops.periods import month_start

from .models import LockedPeriod

Day = tuple[int, datetime.date]


@dataclass(frozen=True)
class LockedShare:
    """A person's share of a month that an approved or paid run holds."""

    manager_id: int
    month: datetime.date
    team: str  # the team's name, for messages
    status: str


def locked_days(days: Iterable[Day]) -> dict[Day, LockedShare]:
    """(manager id, day) → the locked share it falls in, for those of ``days`` that do."""
    from .membership import teams_on_days

    days = {(pk, day) for pk, day in days if pk and day}
    if not days:
        return {}
    months = {month_start(day) for _pk, day in days}
    locked = {(row.team_id, row.month): row for row in
              LockedPeriod.objects.filter(month__in=months).select_related("team")}
    if not locked:
        return {}
    found = {}
    for (pk, day), team_id in teams_on_days(days).items():
        row = locked.get((team_id, month_start(day)))
        if row is not None:
            found[(pk, day)] = LockedShare(pk, row.month, row.team.name, row.status)
    return found


def period_lock(*, team_id: int, month: datetime.date, status: str) -> None:
    """Record that ``team_id``'s ``month`` is locked with ``status`` (approved, then paid)."""
    from django.utils import timezone

    LockedPeriod.objects.update_or_create(
        team_id=team_id, month=month_start(month),
        defaults={"status": status, "locked_at": timezone.now()})
