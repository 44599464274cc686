"""Celery adapters for payout runs: they take ids, call a service, and are safe to repeat.

``compute_payout_run`` snapshots the month of every team at once and fans out a group of
``compute_payout_members`` tasks, each for a small batch of a run's people (``MEMBER_BATCH``),
on the queue it came from: one message per person cost more than the person's pay. Each batch
is computed in one transaction (one claim, one write of its people's lines, one commit: per
person, these cost more than the pay itself), so a crash keeps whoever's batch committed and a
retry skips whoever is done. The last batch to finish marks the run computed. A member that is
computed twice, or after a newer computation started, is left alone (the claim in
``payout_run_compute_members``).
``resume_payout_run`` re-queues whoever is not done, e.g. after a worker was killed: acks_late
would give the message back only after the broker's visibility timeout. ``payout_runs_watchdog``
(beat, every two minutes) does that by itself for runs with no sign of life.

``recompute_payout_run_changes`` redoes only the people whose inputs changed (SPEC §7); a change
to the open month queues ``refresh_open_month_pay`` once it commits, debounced, so the manager's
"earned so far" follows every import and decision.
"""

import datetime
import logging
import queue
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from celery import group, shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError, connections, router

from leads.models import Partner
from salesops.models import Team
from salesops.periods import current_month, month_start, parse_month
from salesops.queueing import queue_once_per_delay

from .models import PayoutRun
from .partners import (
    partner_statement_compute,
    partner_statements_close,
    partner_statements_compute,
)
from .services import (
    payout_run_claim_redrive,
    payout_run_compute_members,
    payout_run_fail,
    payout_run_finalise,
    payout_run_recompute_changed,
    payout_run_unfinished_members,
    payout_runs_stalled,
    payout_runs_start,
    teams_with_members,
)

log = logging.getLogger(__name__)


def _queue_of(task) -> str | None:
    """The queue this task was delivered from, so that its children follow it."""
    info = task.request.delivery_info or {}
    return info.get("routing_key") or None


# People per queued task: enough to amortise a message, few enough that a crash or a retry
# redoes little and that two workers share a team. In process there is no message to amortise,
# but a batch is one transaction: its claim, its write and its commit are shared by its people.
MEMBER_BATCH = 10
SYNCHRONOUS_BATCH = 50
# In process, batches run on this many threads, each with its own connection: a batch's
# transaction mostly waits on the database, and another thread's Python fills the wait.
SYNCHRONOUS_THREADS = 2


def _batches(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _queue_members(run: PayoutRun, *, queue: str | None) -> int:
    members = payout_run_unfinished_members(run=run)
    if not members:
        payout_run_finalise(run_id=run.pk, generation=run.generation)
        return 0
    signatures = [compute_payout_members.si(run.pk, batch, run.generation)
                  for batch in _batches(members, MEMBER_BATCH)]
    options = {"queue": queue} if queue else {}
    group(signatures).apply_async(**options)
    return len(members)


def _compute_here(runs: list[PayoutRun]) -> dict[int, int]:
    """In process (the command line): every run's members in batches through the same task
    code, each run finalised once, after its last batch, not after every batch. Returns run
    id → members."""
    work = []
    for run in runs:
        members = payout_run_unfinished_members(run=run)
        work += [(run, batch) for batch in _batches(members, SYNCHRONOUS_BATCH)]
    queued = {run.pk: sum(len(batch) for r, batch in work if r is run) for run in runs}
    left = Counter(run.pk for run, _batch in work)
    pending = queue.SimpleQueue()
    for item in work:
        pending.put(item)
    lock = threading.Lock()

    def compute() -> None:
        # Batches are taken one at a time, so a slower thread takes fewer.
        while True:
            try:
                run, batch = pending.get_nowait()
            except queue.Empty:
                return
            compute_payout_members.si(run.pk, batch, run.generation, finalise=False).apply()
            with lock:
                left[run.pk] -= 1
                last = not left[run.pk]
            if last:
                payout_run_finalise(run_id=run.pk, generation=run.generation)

    # Other connections see only committed rows: inside a caller's transaction (or on SQLite,
    # one writer at a time) the batches run here, one after another.
    db = connections[router.db_for_write(PayoutRun)]
    threads = min(SYNCHRONOUS_THREADS, len(work))
    if threads > 1 and db.vendor == "postgresql" and not db.in_atomic_block:
        def compute_on_thread() -> None:
            try:
                compute()
            finally:
                connections.close_all()  # this thread's own connection, opened for its share

        with ThreadPoolExecutor(max_workers=threads) as pool:
            for done in [pool.submit(compute_on_thread) for _ in range(threads)]:
                done.result()
    else:
        compute()
    for run in runs:
        if run.pk not in left:  # nobody to compute: finalised here
            payout_run_finalise(run_id=run.pk, generation=run.generation)
    return queued


@shared_task(name="payouts.compute_payout_run", bind=True)
def compute_payout_run(
    self, month: str, team_id: int | None = None, requested_by_id: int | None = None,
    synchronous: bool = False,
) -> list[dict]:
    """Compute ``month`` ("YYYY-MM") for one team or every team with people to pay.

    The runs' rows are committed by ``payout_runs_start`` before their members are queued.
    """
    first = parse_month(month)
    user = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    # A vendor's operators are paid by the vendor's statement (payouts.vendors), never a run.
    teams = list(Team.objects.filter(pk=team_id) if team_id
                 else Team.objects.filter(vendor__isnull=True).order_by("code"))
    if not team_id:
        paying = teams_with_members(teams=teams, month=first)
        teams = [team for team in teams if team.pk in paying]
    # One snapshot of the month for every team: the calls are aggregated once, not per team.
    runs = payout_runs_start(month=first, teams=teams, requested_by=user)
    open_runs = [runs[team.pk] for team in teams if not runs[team.pk].is_locked]
    if synchronous:
        queued = _compute_here(open_runs)
    else:
        queued = {run.pk: _queue_members(run, queue=_queue_of(self)) for run in open_runs}
    results = []
    for team in teams:
        run = runs[team.pk]
        if run.is_locked:
            log.info("payouts: %s is %s: late changes go to the next open month", run, run.status)
            results.append({"team": team.code, "run": None, "locked": True})
            continue
        results.append({"team": team.code, "run": run.pk, "generation": run.generation,
                        "members": queued[run.pk], "locked": False})
    return results


@shared_task(
    name="payouts.compute_payout_member",
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5,
)
def compute_payout_member(
    run_id: int, manager_id: int, generation: int, finalise: bool = True
) -> str:
    """One person (messages queued before batches existed still arrive here)."""
    return compute_payout_members(run_id, [manager_id], generation, finalise)[str(manager_id)]


@shared_task(
    name="payouts.compute_payout_members",
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5,
)
def compute_payout_members(
    run_id: int, manager_ids: list[int], generation: int, finalise: bool = True
) -> dict[str, str]:
    """A batch of one run's people, in one transaction; a retry skips whoever is done. A lost
    connection is retried; any other error is one a retry cannot fix: the run ends failed
    with its reason (SPEC §7), and is not re-driven until its inputs change."""
    try:
        outcomes = payout_run_compute_members(
            run_id=run_id, manager_ids=manager_ids, generation=generation
        )
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        log.exception("payouts: run %s failed", run_id)
        payout_run_fail(run_id=run_id, generation=generation,
                        reason=f"{type(exc).__name__}: {exc}")
        return {str(pk): "failed" for pk in manager_ids}
    if finalise:
        # Whoever finishes last marks the run computed: no chord state to lose in a crash.
        payout_run_finalise(run_id=run_id, generation=generation)
    return {str(pk): outcome for pk, outcome in outcomes.items()}


@shared_task(name="payouts.resume_payout_run", bind=True)
def resume_payout_run(self, run_id: int) -> int:
    """Queue again every member of the run's current computation that is not done."""
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None or run.status != PayoutRun.Status.DRAFT:
        return 0
    return _queue_members(run, queue=_queue_of(self))


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
    """On the 1st (SPEC §5 monthly statements): every month that has ended is made final, in
    order, and this month's drafts are computed; returns the statements made final."""
    return [
        {"partner": s.partner_id, "month": f"{s.month:%Y-%m}", "payable": str(s.payable)}
        for s in partner_statements_close()
    ]


@shared_task(name="payouts.recompute_payout_run_changes", bind=True)
def recompute_payout_run_changes(
    self, run_id: int, manager_ids: list[int] | None = None, synchronous: bool = False,
    check_figures: bool = False, requested_by_id: int | None = None,
) -> dict:
    """Recompute only the run's people whose inputs changed (and ``manager_ids``; with
    ``check_figures``, whoever's figures differ however they changed), at the request of
    ``requested_by_id`` (None: a scheduled job)."""
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None:
        return {"run": run_id, "members": []}
    user = (get_user_model().objects.filter(pk=requested_by_id).first()
            if requested_by_id else None)
    started = payout_run_recompute_changed(run=run, manager_ids=manager_ids,
                                           check_figures=check_figures, requested_by=user)
    if started is None:
        return {"run": run_id, "locked": True, "members": []}
    if started.manager_ids:
        if synchronous:
            _compute_here([started.run])
        else:
            _queue_members(started.run, queue=_queue_of(self))
    return {"run": run_id, "generation": started.generation, "members": started.manager_ids,
            "full": started.full}


@shared_task(name="payouts.refresh_open_month_pay", bind=True)
def refresh_open_month_pay(self) -> list[dict]:
    """The open month's runs, recomputed for the people whose inputs changed. Idempotent:
    with nothing changed since, it reads a few rows and does nothing."""
    results = []
    for run in PayoutRun.objects.filter(
        month=current_month(),
        # A failed run is computed again once its inputs change (SPEC §7).
        status__in=[PayoutRun.Status.DRAFT, PayoutRun.Status.COMPUTED, PayoutRun.Status.FAILED],
    ).order_by("pk"):
        started = payout_run_recompute_changed(run=run)
        if started and started.manager_ids:
            _queue_members(started.run, queue=_queue_of(self))
            results.append({"run": run.pk, "members": started.manager_ids})
    return results


REFRESH_KEY = "payouts:refresh-open-month-queued"


def refresh_open_month_pay_soon() -> None:
    """``refresh_open_month_pay`` once per burst of changes: an import, decisions."""
    queue_once_per_delay(refresh_open_month_pay, key=REFRESH_KEY,
                         delay_s=getattr(settings, "PAYOUT_REFRESH_DELAY_S", 30))


@shared_task(name="payouts.watchdog", bind=True)
def payout_runs_watchdog(self, stalled_after_s: int | None = None) -> list[int]:
    """Beat: re-drive runs whose worker died (no member finished for a while), each claimed
    by a conditional update so that two beats never re-drive one run twice."""
    if stalled_after_s is None:
        stalled_after_s = getattr(settings, "PAYOUT_STALLED_AFTER_S", 300)
    redriven = []
    for run in payout_runs_stalled(stalled_after=datetime.timedelta(seconds=stalled_after_s)):
        if payout_run_claim_redrive(run=run):
            log.warning("payouts: %s stalled, re-queueing its unfinished people", run)
            _queue_members(run, queue=_queue_of(self))
            redriven.append(run.pk)
    return redriven
