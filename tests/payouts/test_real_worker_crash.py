"""A real Celery worker on Redis is killed (SIGKILL) mid-run; a new worker resumes the run and
the finished run equals a clean one (SPEC §6.4: a worker crash never doubles a line). Without
anyone calling resume, the beat's watchdog re-drives it within minutes, not the broker's
visibility timeout."""

import os
import signal
import time
from decimal import Decimal

import pytest

from payouts.models import ComponentKind, PayoutLine, PayoutRun, PayoutRunManager
from payouts.tasks import compute_payout_run, payout_runs_watchdog, resume_payout_run
from tests.factories import ManagerFactory, TeamFactory
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow, snapshot
from tests.realservices import celery_worker

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]
PEOPLE = 120


def _done(run_id) -> int:
    run = PayoutRun.objects.get(pk=run_id)
    return PayoutRunManager.objects.filter(run=run, done_generation__gte=run.generation).count()


def _wait(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _floor():
    team = TeamFactory(code="north")
    for n in range(PEOPLE):
        person = ManagerFactory(team=team)
        plan_for(person, {"kind": ComponentKind.PER_MINUTE, "rate": Decimal("6")},
                 {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
        calls(person, 20 + n % 7, started_at=moscow(2026, 11, 5, 10, 0), talk_s=20,
              duration_s=37 + n)
    return team


def _killed_mid_run(team) -> PayoutRun:
    with celery_worker() as (process, queue):
        compute_payout_run.apply_async(kwargs={"month": "2026-11", "team_id": team.pk},
                                       queue=queue)
        _wait(lambda: PayoutRun.objects.filter(team=team).exists() and
              _done(PayoutRun.objects.get(team=team).pk) >= 5, timeout=90, what="progress")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    return PayoutRun.objects.get(team=team)


def test_worker_killed_mid_run_then_resumed_equals_a_clean_run():
    team = _floor()
    run = _killed_mid_run(team)
    done_at_kill = _done(run.pk)
    assert 5 <= done_at_kill < PEOPLE, "the run must be cut in the middle"
    assert run.status == PayoutRun.Status.DRAFT

    with celery_worker() as (process, queue):
        resume_payout_run.apply_async(args=[run.pk], queue=queue)
        _wait(lambda: PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.COMPUTED,
              timeout=120, what="the resumed run to finish")
        assert process.poll() is None, "worker died"

    resumed = snapshot(run)
    assert len(resumed) == PEOPLE * 2
    assert PayoutLine.objects.filter(run=run).count() == PEOPLE * 2
    assert snapshot(compute(NOVEMBER, team)) == resumed


def test_a_killed_workers_run_completes_with_no_manual_call():
    team = _floor()
    run = _killed_mid_run(team)
    assert 5 <= _done(run.pk) < PEOPLE and run.status == PayoutRun.Status.DRAFT
    time.sleep(1.5)  # the run shows no progress for longer than the watchdog's threshold

    with celery_worker() as (process, queue):
        # What beat sends every two minutes (there with a threshold of five minutes).
        payout_runs_watchdog.apply_async(kwargs={"stalled_after_s": 1}, queue=queue)
        _wait(lambda: PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.COMPUTED,
              timeout=120, what="the watchdog to finish the run")
        assert process.poll() is None, "worker died"

    run.refresh_from_db()
    assert run.redrives == 1
    finished = snapshot(run)
    assert len(finished) == PEOPLE * 2
    assert snapshot(compute(NOVEMBER, team)) == finished
