"""The sales floor's month, split as pay splits it (SPEC §1 dated membership).

A row is a *share*: the days of the month one person spent in one team. A sales head sees the
shares of their team, including a person who has moved on since; a manager their own; owners
and admins every share. A row counts the calls, conversations and operator time of its days
only, so a person who moved mid-month is two rows whose figures add up to the month, each on
the team whose run pays it.

The figures are read from the daily figures imports keep (``DailyManagerStats``: one row per
person and day), never from the month's calls, so the page costs the same whatever the month's
size. A conversation is what pay counts, by the manager's plan for the month (SPEC §7): days
counted with another threshold (the plan changed since the import, before the next
computation recounts them) are counted again from that share's calls.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Sum

from payouts.thresholds import conversation_q, conversation_thresholds

from . import policy
from .inputs.membership import Share, shares_in_month
from .models import CallLog, DailyManagerStats, Manager, Role, Team
from .periods import next_month


@dataclass
class FloorRow:
    manager_id: int
    team_id: int
    start: datetime.date  # the share's days: [start, end)
    end: datetime.date
    # Read for a page of rows only (``floor_figures``): the owner's floor is every person.
    manager: Manager | None = None
    team: Team | None = None
    calls: int = 0
    conversations: int = 0
    operator_s: int = 0

    def __str__(self) -> str:
        return str(self.manager)

    @property
    def whole_month(self) -> bool:
        return self.start.day == 1 and self.end == next_month(self.start)

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)


def floor_rows(*, user, month: datetime.date) -> list[FloorRow]:
    """The month's shares ``user`` may see, without figures (``floor_figures`` adds them to a
    page of them), in team, name and date order."""
    scope = policy.scope_of(user, policy.VIEW, "managers")
    me = Manager.objects.filter(user=user).first() if user.is_authenticated else None
    if scope is policy.Scope.ALL:
        shares = shares_in_month(month=month)
    elif scope is policy.Scope.TEAM and me is not None and me.team_id is not None:
        shares = shares_in_month(month=month, team_ids=[me.team_id])
    elif scope is policy.Scope.OWN and me is not None:
        shares = shares_in_month(month=month, manager_ids=[me.pk])
    else:
        return []
    names = {pk: (role, last, first) for pk, role, last, first in Manager.objects.filter(
        pk__in={s.manager_id for s in shares}).values_list(
        "pk", "role", "user__last_name", "user__first_name")}
    teams = dict(Team.objects.filter(pk__in={s.team_id for s in shares})
                 .values_list("pk", "name"))
    rows = [FloorRow(manager_id=s.manager_id, team_id=s.team_id, start=s.start, end=s.end)
            for s in shares if names[s.manager_id][0] == Role.MANAGER]
    return sorted(rows, key=lambda r: (teams[r.team_id], *names[r.manager_id][1:],
                                       r.manager_id, r.start))


def floor_figures(*, rows: list[FloorRow], month: datetime.date) -> list[FloorRow]:
    """``rows`` (a page of the floor) with their people, teams and each share's calls,
    conversations and operator time."""
    ids = {row.manager_id for row in rows}
    people = Manager.objects.select_related("user").in_bulk(ids)
    teams = Team.objects.in_bulk({row.team_id for row in rows})
    for row in rows:
        row.manager, row.team = people[row.manager_id], teams[row.team_id]
    thresholds = conversation_thresholds(manager_ids=ids, months=[month])
    days = defaultdict(list)  # manager id → [(day, calls, conversations, operator s, threshold)]
    stats = DailyManagerStats.objects.filter(day__gte=month, day__lt=next_month(month))
    # Most people spend the month in one team: their days are summed by the database (per
    # threshold counted at), as one entry on the month's first day; a moved person's day by day.
    split = {row.manager_id for row in rows if not row.whole_month}
    for manager_id, counted_at, calls, conversations, operator_s in (
            stats.filter(manager__in=ids - split).values("manager", "threshold_s")
            .annotate(calls=Sum("calls"), conversations=Sum("conversations"),
                      operator=Sum("operator_s"))
            .values_list("manager", "threshold_s", "calls", "conversations", "operator")
            .order_by()):
        days[manager_id].append((month, calls, conversations, operator_s, counted_at))
    for found in stats.filter(manager__in=split).values_list(
            "manager", "day", "calls", "conversations", "operator_s", "threshold_s"):
        days[found[0]].append(found[1:])
    for row in rows:
        threshold = thresholds[(row.manager_id, month)]
        recount = False
        for day, calls, conversations, operator_s, counted_at in days[row.manager_id]:
            if row.start <= day < row.end:
                row.calls += calls
                row.operator_s += operator_s
                row.conversations += conversations
                recount |= counted_at != threshold
        if recount:
            start, end = Share(row.manager_id, row.team_id, row.start, row.end).bounds()
            row.conversations = (
                CallLog.objects.filter(manager_id=row.manager_id, started_at__gte=start,
                                       started_at__lt=end)
                .filter(conversation_q({(row.manager_id, month): threshold}))
                .aggregate(n=Count("pk"))["n"])
    return rows
