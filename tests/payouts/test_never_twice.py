"""SPEC §6.4: computing a month again, or twice at once from two processes, never doubles."""

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.db import connection

from leads.models import MilestoneKind
from payouts.models import ComponentKind, PaidItem, PayoutLine, PayoutRun
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
