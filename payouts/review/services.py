"""The review's one write of its own: queue a recomputation of a run, off the request.

Everything else the pages and the API do goes through the services of the lifecycle, the
exceptions and the inquiries, which ask the access policy themselves.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections, transaction

from salesops import policy

from ..lifecycle import PayoutRunLocked
from ..models import PayoutRun

log = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None


def payout_run_request_recompute(*, run: PayoutRun, by) -> None:
    """Queue the run's recomputation of whoever's inputs or figures changed (what the page
    shows as stale), once this transaction commits. With a broker it goes to the workers; in
    the embedded mode (eager Celery) it runs on one background thread, so the request returns
    at once and the page follows its progress (members done / members)."""
    policy.require(by, policy.COMPUTE_RUN, "payout_runs", run)
    if run.is_locked:
        raise PayoutRunLocked(run)
    transaction.on_commit(lambda: _queue(run.pk))


def _queue(run_id: int) -> None:
    from ..tasks import recompute_payout_run_changes

    eager = recompute_payout_run_changes.app.conf.task_always_eager
    if not (eager and getattr(settings, "REVIEW_RECOMPUTE_IN_THREAD", True)):
        recompute_payout_run_changes.delay(run_id, check_figures=True)
        return
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recompute")
    _executor.submit(_run_in_thread, run_id)


def _run_in_thread(run_id: int) -> None:
    from ..tasks import recompute_payout_run_changes

    try:
        recompute_payout_run_changes.apply(
            args=[run_id], kwargs={"synchronous": True, "check_figures": True}, throw=True)
    except Exception:
        log.exception("recompute of run %s failed on the background thread", run_id)
    finally:
        connections.close_all()
