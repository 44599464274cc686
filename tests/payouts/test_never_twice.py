"""SPEC §6.4: computing a month again, or twice at once from two processes, never doubles;
a new computation and a batch of an earlier one wait for each other, never deadlock."""

import os
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from leads.models import MilestoneKind
from payouts.models import ComponentKind, PaidItem, PayoutLine, PayoutRun, PayoutRunManager
from payouts.services import (
    payout_run_compute_members,
    payout_run_recompute_changed,
    payout_runs_start,
)
from tests.factories import LeadMilestoneFactory, ManagerFactory, TeamFactory
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow, snapshot
from tests.realservices import REPO, _test_database_url, skip_or_fail

PEOPLE = 12


def _floor():
    team = TeamFactory(code="north")
    for n in range(PEOPLE):
        person = ManagerFactory(team=team)
        plan_for(person,
                 {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")},
                 {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")})
        calls(person, 100 + n, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=40)
        LeadMilestoneFactory(lead__owner=person, kind=MilestoneKind.CONFIRMED,
                             at=moscow(2026, 11, 6, 10, 0))
    return team


def _expected_lines():
    # Each person: one per_conversation line and one per_confirmed_lead line.
    return PEOPLE * 2


@pytest.mark.django_db
def test_computing_a_month_twice_leaves_one_set_of_lines():
    team = _floor()
    first = snapshot(compute(NOVEMBER, team))
    second = snapshot(compute(NOVEMBER, team))
    assert first == second
    assert len(second) == _expected_lines()
    assert PaidItem.objects.count() == PEOPLE


@pytest.mark.django_db(transaction=True)
def test_two_processes_computing_the_same_month_at_once_leave_one_set_of_lines():
    if connection.vendor != "postgresql":
        skip_or_fail("concurrent processes need PostgreSQL")
    team = _floor()
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "CELERY_BROKER_URL": ""}
    command = [sys.executable, "manage.py", "compute_payouts", "2026-11", "--team", "north"]
    processes = [
        subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs

    run = PayoutRun.objects.get(month=NOVEMBER, team=team)
    assert run.status == PayoutRun.Status.COMPUTED
    assert PayoutLine.objects.filter(month=NOVEMBER).count() == _expected_lines()
    assert PaidItem.objects.count() == PEOPLE
    concurrent = snapshot(run)
    assert snapshot(compute(NOVEMBER, team)) == concurrent


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("computation", ["full", "incremental"])
def test_a_new_computation_waits_for_a_batch_still_claiming_its_people_without_deadlock(
    computation,
):
    """A batch claims its people's rows in one statement, in id order; a new computation of
    the run, full or incremental, takes them in the same order, so one waits for the other,
    never both for each other. Here the people's rows are not in the order of their managers
    (one joined later), the order a new computation writes them in."""
    if connection.vendor != "postgresql":
        skip_or_fail("row locks need PostgreSQL")
    team, elsewhere = TeamFactory(code="north"), TeamFactory(code="south")
    joined_later = ManagerFactory(team=elsewhere)  # the lower manager id
    first = ManagerFactory(team=team)
    for person in (joined_later, first):
        plan_for(person, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
        calls(person, 3, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=40)
    payout_runs_start(month=NOVEMBER, teams=[team])
    joined_later.team = team
    joined_later.save(update_fields=["team"])
    run = payout_runs_start(month=NOVEMBER, teams=[team])[team.pk]
    rows = dict(PayoutRunManager.objects.filter(run=run).values_list("manager_id", "pk"))
    assert rows[first.pk] < rows[joined_later.pk]  # ids not in manager order

    failures = []

    def on_own_connection(job):
        try:
            job()
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connections.close_all()

    def waiting_on_locks() -> int:
        with connection.cursor() as cursor:
            # Activity is read once per transaction unless asked again (this one holds a lock).
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                           " current_database() AND wait_event_type = 'Lock'")
            return cursor.fetchone()[0]

    def until(count):
        deadline = time.monotonic() + 30
        while waiting_on_locks() < count:
            assert time.monotonic() < deadline, f"{count} waiting expected; {failures}"
            time.sleep(0.02)

    batch = threading.Thread(target=on_own_connection, args=(lambda: payout_run_compute_members(
        run_id=run.pk, manager_ids=[joined_later.pk, first.pk], generation=run.generation),))
    if computation == "full":
        def start_again():
            payout_runs_start(month=NOVEMBER, teams=[team])
    else:
        def start_again():
            # It reads the people once the batch is done with them: nothing left to redo.
            assert payout_run_recompute_changed(run=run).manager_ids == []
    again = threading.Thread(target=on_own_connection, args=(start_again,))
    with transaction.atomic():  # someone holds the first row: the batch waits on it
        PayoutRunManager.objects.select_for_update().get(pk=rows[first.pk])
        batch.start()
        until(1)
        again.start()
        until(2)
    batch.join(timeout=60)
    again.join(timeout=60)
    assert failures == []
    run.refresh_from_db()
    assert run.generation == (3 if computation == "full" else 2)
    assert set(PayoutRunManager.objects.filter(run=run).values_list("done_generation",
                                                                      flat=True)) == {2}
