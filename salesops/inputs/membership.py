"""Dated team membership (SPEC §1): which team a person was in on a day, each team's share of a
month, and moving a person to another team from a date.

Days are the organisation's calendar days. A person's membership on a day is their row with
the latest ``since`` on or before it; before their first row they are in no team. A share is
the days of a month a person spent in one team (within their active dates): each team's run
pays exactly its shares, so a person-month split by a transfer is paid once, by two runs, and
no day is lost or paid twice.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.periods import month_start, next_month, organisation_zone

from .guard import pay_input_writer
from .locks import locked_days
from .models import TeamMembership
from .record import Lock, MonthLocked, locked_message, pay_input_recorded

FAR_FUTURE = datetime.date(9999, 12, 31)


@dataclass(frozen=True)
class Share:
    """Days [start, end) of one month that ``manager_id`` spent in ``team_id``."""

    manager_id: int
    team_id: int
    start: datetime.date
    end: datetime.date

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The aware [start, end) instants of the share in the organisation's zone."""
        zone = organisation_zone()
        return (datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone),
                datetime.datetime.combine(self.end, datetime.time.min, tzinfo=zone))

    @property
    def whole_month(self) -> bool:
        return self.start.day == 1 and self.end == next_month(self.start)


def organisation_today() -> datetime.date:
    return timezone.localtime(timezone.now(), organisation_zone()).date()


def _intervals(manager_ids) -> dict[int, list[tuple[datetime.date, datetime.date, int | None]]]:
    """manager id → [(since, until, team id)] in ``since`` order. A person with no recorded
    membership (a profile written without ``manager_create``) is in their current team."""
    from salesops.models import Manager

    manager_ids = set(manager_ids)
    by_manager = defaultdict(list)
    for manager_id, team_id, since in TeamMembership.objects.filter(
            manager_id__in=manager_ids).values_list("manager_id", "team_id", "since"):
        by_manager[manager_id].append((since, team_id))
    for manager_id, team_id in Manager.objects.filter(
            pk__in=manager_ids - set(by_manager)).values_list("pk", "team_id"):
        by_manager[manager_id].append((datetime.date.min, team_id))
    intervals = {}
    for manager_id, rows_of in by_manager.items():
        rows_of.sort()
        intervals[manager_id] = [
            (since, rows_of[i + 1][0] if i + 1 < len(rows_of) else FAR_FUTURE, team_id)
            for i, (since, team_id) in enumerate(rows_of)
        ]
    return intervals


def teams_on_days(days) -> dict[tuple[int, datetime.date], int | None]:
    """(manager id, day) → the team the person was in that day (None: none)."""
    days = set(days)
    ids = {pk for pk, _day in days}
    intervals = _intervals(ids)
    found = {}
    for pk, day in days:
        found[(pk, day)] = next((team for since, until, team in intervals.get(pk, ())
                                 if since <= day < until), None)
    return found


def shares_in_month(*, month: datetime.date, team_ids=None, manager_ids=None) -> list[Share]:
    """Every share of ``month`` (of the given teams, or people), within each person's active
    dates, in (team, manager, start) order."""
    return shares_in_months(months=[month], team_ids=team_ids, manager_ids=manager_ids)[
        month_start(month)]


def shares_in_months(*, months, team_ids=None, manager_ids=None) -> dict[datetime.date,
                                                                          list[Share]]:
    """``shares_in_month`` of several months with one read of the people and their rows."""
    from salesops.models import Manager

    people = Manager.objects.all()
    if team_ids is not None:
        people = people.filter(Q(memberships__team_id__in=list(team_ids))
                               | Q(memberships__isnull=True, team_id__in=list(team_ids)))
    if manager_ids is not None:
        people = people.filter(pk__in=list(manager_ids))
    active = {pk: (since, until) for pk, since, until in
              people.distinct().values_list("pk", "active_from", "active_to")}
    intervals = _intervals(active)
    wanted = set(team_ids) if team_ids is not None else None
    found = {}
    for month in {month_start(m) for m in months}:
        first, after = month, next_month(month)
        shares = []
        for pk, rows in intervals.items():
            active_from, active_to = active[pk]
            low = max(first, active_from)
            high = min(after, (active_to + datetime.timedelta(days=1)) if active_to else after)
            for since, until, team in rows:
                start, end = max(low, since), min(high, until)
                if team is None or start >= end or (wanted is not None and team not in wanted):
                    continue
                shares.append(Share(pk, team, start, end))
        found[month] = sorted(shares, key=lambda s: (s.team_id, s.manager_id, s.start))
    return found


def _months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], month_start(first)
    while month <= month_start(last):
        months.append(month)
        month = next_month(month)
    return months


@pay_input_writer
@transaction.atomic
def membership_first(*, manager, team, since: datetime.date, by=None) -> TeamMembership:
    """The first membership of a new person (``manager_create``, a profile added in the admin
    or by a file): in ``team`` from ``since``, their first working day. No month is marked: a
    person with no activity yet changes nobody's figures (their first call, shift or target
    marks their month). Audited when somebody adds the person (``by``: the admin's form or
    import); code that creates people (the demo, tests) acts for nobody. A later move is
    ``membership_transfer``."""
    membership = TeamMembership.objects.create(manager=manager, team=team, since=since,
                                               created_by=by)
    if by is None:
        return membership
    pay_input_recorded(
        action="membership_started", obj=manager, by=by, before={},
        after={"team": team.pk, "since": since.isoformat()}, days=set(), lock=Lock.NEW,
    )
    return membership


@pay_input_writer
@transaction.atomic
def membership_transfer(
    *, manager, team, since: datetime.date, by=None, reason: str = ""
) -> TeamMembership:
    """Move ``manager`` to ``team`` (None: out of every team) from the day ``since``.

    The days from ``since`` to the person's next recorded move change team: every month they
    touch is marked changed (both teams' runs recompute their shares), and the move is refused
    when one of those months is locked for the old team or for the new one (an approved month
    is final, SPEC §6.5, §7). Audited. ``Manager.team`` follows once ``since`` has come."""
    from salesops import policy
    from salesops.models import Manager

    if by is not None:
        policy.require(by, policy.CREATE, "memberships", TeamMembership(manager=manager))
    manager = Manager.objects.select_for_update().get(pk=manager.pk)
    rows = list(TeamMembership.objects.filter(manager=manager).order_by("since"))
    later = [row.since for row in rows if row.since > since]
    until = min(later) if later else None
    today = organisation_today()
    months = _months_between(since, max(since, (until or today) - datetime.timedelta(days=1),
                                         today))
    days = {(manager.pk, since)} | {(manager.pk, month) for month in months if month > since}
    before = locked_days(days)
    previous = next((row for row in reversed(rows) if row.since <= since), None)
    old_team_id = previous.team_id if previous else None
    if previous is not None and previous.since == since:
        previous.team = team
        previous.created_by = by
        previous.save(update_fields=["team", "created_by"])
        membership = previous
    else:
        membership = TeamMembership.objects.create(manager=manager, team=team, since=since,
                                                   created_by=by)
    after = locked_days(days)
    if before or after:
        shares = list({**before, **after}.values())
        raise MonthLocked(locked_message(shares) + " " + _(
            "Record the move from the first day of the next open month."), shares=shares)
    if since <= today and (until is None or until > today):
        manager.team = team
        manager.save(update_fields=["team"])
    pay_input_recorded(
        action="membership_changed", obj=manager, by=by,
        before={"team": old_team_id},
        after={"team": team.pk if team else None, "since": since.isoformat()},
        days={(manager.pk, month) for month in months} | {(manager.pk, since)},
        lock=Lock.NEW, reason=reason,
    )
    return membership


def memberships_apply_due(*, today: datetime.date | None = None) -> int:
    """Bring ``Manager.team`` to the team of today for moves recorded ahead of their day (run
    nightly); returns how many people moved."""
    from salesops.models import Manager

    today = today or organisation_today()
    moved = 0
    teams = teams_on_days({(pk, today) for pk in Manager.objects.values_list("pk", flat=True)})
    for manager in Manager.objects.filter(pk__in={pk for pk, _d in teams}).only("pk", "team_id"):
        team_id = teams[(manager.pk, today)]
        # Out of every team (an admin, the owner) is the role's business, not a move's.
        if team_id is not None and team_id != manager.team_id:
            Manager.objects.filter(pk=manager.pk).update(team_id=team_id)
            moved += 1
    return moved
