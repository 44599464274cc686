"""What asks for a look on the organisation overview, per team: decisions waiting (pending
exceptions, open inquiries, duplicates under review) and people whose figures changed since
the computation. Grouped counts, a few queries for every team at once, plus the cheap
staleness check of each open run (change marks, plans, people; never the month's calls), kept
for a minute under a key any new change mark makes new (``history.run_staleness``).
"""

from collections import Counter, defaultdict

from django.db.models import Count
from django.utils.translation import ngettext

from leads.models import DuplicateState, Lead

from ..models import (
    CommissionException,
    ExceptionStatus,
    InquiryStatus,
    PayoutInquiry,
    PayoutRun,
)
from .history import changes_token, run_staleness
from .selectors import Flag


def teams_attention(*, runs: list[PayoutRun], team_ids: list[int]) -> dict[int, list[Flag]]:
    """Team id → the flags of its month, in the order a head deals with them."""
    exceptions = Counter(dict(
        CommissionException.objects.filter(status=ExceptionStatus.PENDING,
                                           lead__owner__team__in=team_ids)
        .values("lead__owner__team").annotate(n=Count("pk")).order_by()
        .values_list("lead__owner__team", "n")))
    inquiries = Counter(dict(
        PayoutInquiry.objects.filter(run__in=runs, status=InquiryStatus.OPEN)
        .values("run__team").annotate(n=Count("pk")).order_by()
        .values_list("run__team", "n")))
    duplicates = Counter(dict(
        Lead.objects.filter(duplicate_state=DuplicateState.PENDING, owner__team__in=team_ids)
        .values("owner__team").annotate(n=Count("pk")).order_by()
        .values_list("owner__team", "n")))
    open_runs = [run for run in runs if not run.is_locked]
    token = changes_token() if open_runs else ""
    stale = {run.team_id: len(run_staleness(run=run, token=token)) for run in open_runs}
    flags = defaultdict(list)
    for team_id in team_ids:
        if n := exceptions[team_id]:
            flags[team_id].append(Flag("pending_exceptions", ngettext(
                "%(n)s pending exception", "%(n)s pending exceptions", n) % {"n": n}))
        if n := inquiries[team_id]:
            flags[team_id].append(Flag("open_inquiries", ngettext(
                "%(n)s open inquiry", "%(n)s open inquiries", n) % {"n": n}))
        if n := duplicates[team_id]:
            flags[team_id].append(Flag("duplicates", ngettext(
                "%(n)s duplicate under review", "%(n)s duplicates under review", n) % {"n": n}))
        if n := stale.get(team_id):
            flags[team_id].append(Flag("stale", ngettext(
                "%(n)s person changed since the computation",
                "%(n)s people changed since the computation", n) % {"n": n}))
    return dict(flags)
