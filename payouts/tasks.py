"""Celery adapters for payout runs: they take ids, call a service, and are safe to repeat.

``compute_payout_run`` snapshots each team's month and fans out one ``compute_payout_member``
per person on the queue it came from; the last member to finish marks the run computed.
A member task that runs twice, or after a newer computation started, does nothing (the
generation check in ``payout_run_compute_member``). ``resume_payout_run`` re-queues whoever is
not done, e.g. after a worker was killed: acks_late would give the message back only after
the broker's visibility timeout.
"""

import datetime
import logging

from celery import group, shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError

from leads.models import Partner
from salesops.models import Team
from salesops.periods import current_month, month_start, parse_month

from .lifecycle import PayoutRunLocked
from .models import PayoutRun
from .partners import partner_statement_compute, partner_statements_compute
from .services import (
    payout_run_compute_member,
    payout_run_finalise,
    payout_run_start,
    payout_run_unfinished_members,
    team_members_for_month,
)

log = logging.getLogger(__name__)


def _queue_of(task) -> str | None:
    """The queue this task was delivered from, so that its children follow it."""
    info = task.request.delivery_info or {}
    return info.get("routing_key") or None


def _dispatch_members(run: PayoutRun, *, queue: str | None, synchronous: bool) -> int:
    members = payout_run_unfinished_members(run=run)
    if not members:
        payout_run_finalise(run_id=run.pk, generation=run.generation)
        return 0
    if synchronous:
        # In process (the command line): finalise once at the end, not after every member.
        for pk in members:
            compute_payout_member.si(run.pk, pk, run.generation, finalise=False).apply()
        payout_run_finalise(run_id=run.pk, generation=run.generation)
    else:
        signatures = [compute_payout_member.si(run.pk, pk, run.generation) for pk in members]
        options = {"queue": queue} if queue else {}
        group(signatures).apply_async(**options)
    return len(members)


@shared_task(name="payouts.compute_payout_run", bind=True)
def compute_payout_run(
    self, month: str, team_id: int | None = None, requested_by_id: int | None = None,
    synchronous: bool = False,
) -> list[dict]:
    """Compute ``month`` ("YYYY-MM") for one team or every team with people to pay.

    The run's rows are committed by ``payout_run_start`` before its members are queued.
    """
    first = parse_month(month)
    user = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    teams = Team.objects.filter(pk=team_id) if team_id else Team.objects.order_by("code")
    results = []
    for team in teams:
        if not team_id and not team_members_for_month(team=team, month=first):
            continue
        try:
            run = payout_run_start(month=first, team=team, requested_by=user)
        except PayoutRunLocked as locked:
            log.info("payouts: %s", locked)
            results.append({"team": team.code, "run": None, "locked": True})
            continue
        queued = _dispatch_members(run, queue=_queue_of(self), synchronous=synchronous)
        results.append({"team": team.code, "run": run.pk, "generation": run.generation,
                        "members": queued, "locked": False})
    return results


@shared_task(
    name="payouts.compute_payout_member",
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5,
)
def compute_payout_member(
    run_id: int, manager_id: int, generation: int, finalise: bool = True
) -> str:
    outcome = payout_run_compute_member(run_id=run_id, manager_id=manager_id, generation=generation)
    if finalise:
        # Whoever finishes last marks the run computed: no chord state to lose in a crash.
        payout_run_finalise(run_id=run_id, generation=generation)
    return outcome


@shared_task(name="payouts.resume_payout_run", bind=True)
def resume_payout_run(self, run_id: int) -> int:
    """Queue again every member of the run's current computation that is not done."""
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None or run.status != PayoutRun.Status.DRAFT:
        return 0
    return _dispatch_members(run, queue=_queue_of(self), synchronous=False)


@shared_task(name="payouts.recompute_current_month")
def recompute_current_month() -> list[dict]:
    """Nightly: the current month's draft, so that the dashboard shows pay so far."""
    return compute_payout_run(f"{current_month():%Y-%m}")


@shared_task(name="payouts.compute_last_month")
def compute_last_month() -> list[dict]:
    """On the 1st: last month, ready for the sales heads to approve."""
    last = month_start(current_month() - datetime.timedelta(days=1))
    return compute_payout_run(f"{last:%Y-%m}")


@shared_task(name="payouts.compute_partner_statements")
def compute_partner_statements(month: str, partner_id: int | None = None) -> list[dict]:
    """Compute partner statements for ``month`` ("YYYY-MM"); repeating it changes nothing."""
    first = parse_month(month)
    if partner_id is None:
        statements = partner_statements_compute(month=first)
    else:
        partner = Partner.objects.filter(pk=partner_id).first()
        if partner is None:
            log.info("payouts: partner %s is gone", partner_id)
            return []
        statements = [partner_statement_compute(partner=partner, month=first)]
    return [{"partner": s.partner_id, "payable": str(s.payable)} for s in statements]


@shared_task(name="payouts.compute_last_month_partner_statements")
def compute_last_month_partner_statements() -> list[dict]:
    """On the 1st: last month's partner statements (SPEC §5 monthly statements)."""
    last = month_start(current_month() - datetime.timedelta(days=1))
    return compute_partner_statements(f"{last:%Y-%m}")
