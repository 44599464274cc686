"""Benchmark: compute a month of pay for 500 managers × 300 calls × 22 working days (3.3 M calls),
then the month after it once it is approved.

Runs on its own PostgreSQL database (created and dropped here, never the developer's data),
computes the month through the real code path (``manage.py compute_payouts``: the Celery task
code, run in process) and compares it with one hand-written SQL GROUP BY over the same calls,
computing the same figures, in the same run. Each is timed three times and the medians are
compared (every computation a first one: earlier runs are cleared before it). Then the month is
approved and the next month (as many calls) is computed three times: a month after an approved
month must cost what a first month costs (SPEC §6.5 adjustments are looked for set-based), its
median printed against the first month's and against the SQL over its own calls.

    .venv/bin/python benchmarks/payouts.py            # full size
    .venv/bin/python benchmarks/payouts.py --small    # 5 managers × 50 calls × 3 days (CI)
    .venv/bin/python benchmarks/payouts.py --reuse-db # keep the loaded database for next time

``--reuse-db`` keeps the database and, when it already holds a load of the same size, skips
the ~80 s load and only clears earlier payout runs, so every timing is a first computation.

The server is ``BENCH_DATABASE_URL``'s (default postgres://postgres@127.0.0.1:5432/...).
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DB = "salesops_bench_pay"
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
MONTH = datetime.date(2026, 10, 1)  # 22 working days
NEXT = datetime.date(2026, 11, 1)  # 21 working days: the month after the approved one
TEAM_SIZE = 50


def _options():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="5 managers × 50 calls × 3 days")
    parser.add_argument("--managers", type=int, default=500)
    parser.add_argument("--calls", type=int, default=300, help="calls per manager per day")
    parser.add_argument("--days", type=int, default=22, help="working days")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse-db", action="store_true",
                        help="reuse a kept database of the same size (and keep it)")
    options = parser.parse_args()
    if options.small:
        options.managers, options.calls, options.days = 5, 50, 3
    if options.reuse_db:
        options.keep = True
    return options


# Bumped when ``_build`` changes, so that a kept load of an older build is rebuilt.
LOAD_VERSION = 3


def _size_tag(options) -> str:
    return f"{options.managers}x{options.calls}x{options.days}v{LOAD_VERSION}"


def _existing_load(options) -> bool:
    """Whether the bench database exists and holds a finished load of this size."""
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            return False
    base = SERVER.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/{BENCH_DB}", autocommit=True) as conn:
        row = conn.execute(
            "SELECT description FROM pg_shdescription d JOIN pg_database db ON db.oid = d.objoid"
            " WHERE db.datname = %s", [BENCH_DB]
        ).fetchone()
    return bool(row) and row[0] == _size_tag(options)


def _clear_runs() -> None:
    """Forget earlier computations on a reused database: the timing is a first computation."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE payouts_payoutlineitem, payouts_paiditem, payouts_payoutline,"
            " payouts_payoutrunmanager, payouts_payoutruntransition, payouts_payoutrun,"
            " salesops_lockedperiod CASCADE"
        )
        # The incremental step's late calls of an earlier run on this database.
        cursor.execute("DELETE FROM salesops_calllog WHERE source = 'bench-late'")


def _admin_sql(*statements):
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _setup_django():
    base = SERVER.rsplit("/", 1)[0]
    os.environ["DATABASE_URL"] = f"{base}/{BENCH_DB}"
    os.environ["CELERY_BROKER_URL"] = ""  # the command runs the task code in this process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesops.settings")
    sys.path.insert(0, str(REPO))
    import logging

    import django

    django.setup()
    # One "task succeeded" line per member would time the terminal, not the engine.
    logging.getLogger("celery").setLevel(logging.WARNING)


def _working_days(count: int, month: datetime.date = MONTH) -> list[datetime.date]:
    days, day = [], month
    while len(days) < count and day.month == month.month:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def _build(options) -> int:
    """People, one plan, targets, a few leads and payments, and the calls (server-side)."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from leads.models import DuplicateState, Lead, LeadMilestone, MilestoneKind, Payment
    from payouts.models import (
        BaseMode,
        CommissionException,
        CompensationPlan,
        ComponentKind,
        ExceptionKind,
        PlanAssignment,
        PlanComponent,
        PlanVersion,
    )
    from salesops.models import Manager, MonthlyPlan, Team
    from salesops.periods import organisation_zone

    zone = organisation_zone()
    teams = Team.objects.bulk_create(
        Team(code=f"t{n:02d}", name=f"Team {n:02d}")
        for n in range((options.managers + TEAM_SIZE - 1) // TEAM_SIZE)
    )
    password = make_password("bench")
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"m{n:04d}", password=password)
        for n in range(options.managers)
    )
    managers = Manager.objects.bulk_create(
        Manager(user=u, team=teams[n // TEAM_SIZE], active_from=datetime.date(2026, 1, 1))
        for n, u in enumerate(users)
    )
    plan = CompensationPlan.objects.create(code="bench", name="Bench")
    version = PlanVersion.objects.create(plan=plan, number=1, effective_from=MONTH)
    PlanComponent.objects.bulk_create([
        PlanComponent(version=version, kind=ComponentKind.PER_MINUTE, rate=Decimal("2")),
        PlanComponent(version=version, kind=ComponentKind.PER_CONVERSATION, rate=Decimal("10")),
        PlanComponent(version=version, kind=ComponentKind.PER_EFFECTIVE_CALL, rate=Decimal("50")),
        PlanComponent(version=version, kind=ComponentKind.PLAN_BASE,
                      amount=Decimal("40000.00"), base_mode=BaseMode.LINEAR,
                      floor_percent=Decimal("50")),
        PlanComponent(version=version, kind=ComponentKind.PER_CONFIRMED_LEAD, rate=Decimal("500")),
        PlanComponent(version=version, kind=ComponentKind.REVENUE_PERCENT, rate=Decimal("10")),
    ])
    PlanAssignment.objects.bulk_create(
        PlanAssignment(plan=plan, team=team, effective_from=MONTH) for team in teams
    )
    MonthlyPlan.objects.bulk_create(
        MonthlyPlan(manager=m, month=month, target_conversations=options.calls * options.days // 3,
                    target_revenue=Decimal("100000.00"))
        for m in managers for month in (MONTH, NEXT)
    )
    confirmed_at = datetime.datetime(MONTH.year, MONTH.month, 10, 12, tzinfo=zone)
    leads = Lead.objects.bulk_create(
        Lead(owner=m, source="cold_call", phone=f"+7916{m.pk:04d}{k:03d}", created_at=confirmed_at)
        for m in managers for k in range(3)
    )
    LeadMilestone.objects.bulk_create(
        LeadMilestone(lead=lead, kind=MilestoneKind.CONFIRMED, at=confirmed_at) for lead in leads
    )
    Payment.objects.bulk_create(
        Payment(lead=lead, amount=Decimal("25000.00"),
                received_on=MONTH + datetime.timedelta(days=19))
        for lead in leads[::3]
    )
    # Decisions for the decision step to apply (SPEC §5, §6.3): every tenth manager's paid
    # lead has a pending exception, and the next one's is a duplicate awaiting resolution.
    CommissionException.objects.bulk_create(
        CommissionException(lead=lead, kind=ExceptionKind.RATE, rate=Decimal("5"),
                            reason="bench", requested_by=users[0], requested_at=confirmed_at)
        for lead in leads[::30]
    )
    for lead in leads[3::30]:
        lead.duplicate_of, lead.duplicate_state = leads[0], DuplicateState.PENDING
    Lead.objects.bulk_update(leads[3::30], ["duplicate_of", "duplicate_state"])
    with connection.cursor() as cursor:
        days = _working_days(options.days) + _working_days(options.days, NEXT)
        for index, day in enumerate(days):
            # One day of every manager's calls, generated by the server: the outcome mix and
            # durations vary by a deterministic hash of (manager, day, call). Outcomes: 0 no
            # answer, 2 secretary, 3 decision maker, 4 presentation, 5 consent (SPEC §2).
            cursor.execute(
                """
                INSERT INTO salesops_calllog (source, external_id, manager_id, started_at,
                    duration_s, talk_s, wrapup_s, direction, phone, outcome, recording_url)
                SELECT 'bench', m.id || '-' || %(index)s || '-' || i, m.id,
                       (%(day)s::date + time '09:00' + i * interval '100 seconds')
                           AT TIME ZONE 'Europe/Moscow',
                       talk + 15 + r %% 20, talk, CASE WHEN outcome >= 3 THEN 30 ELSE 0 END,
                       'out', '', outcome, ''
                  FROM (
                    SELECT m.id, i, r, outcome,
                           CASE outcome WHEN 0 THEN 0 WHEN 2 THEN 5 + r %% 50
                                        WHEN 3 THEN 20 + (r * 3) %% 160
                                        WHEN 4 THEN 90 + (r * 7) %% 500
                                        ELSE 240 + (r * 11) %% 600 END AS talk
                      FROM (
                        SELECT m.id, i, r,
                               CASE WHEN r < 60 THEN 0 WHEN r < 80 THEN 2 WHEN r < 92 THEN 3
                                    WHEN r < 98 THEN 4 ELSE 5 END AS outcome
                          FROM (SELECT m.id, i, (m.id * 7919 + i * 104729 + %(index)s * 31) %% 100
                                       AS r
                                  FROM salesops_manager m, generate_series(1, %(calls)s) i) m
                      ) m
                  ) m
                """,
                {"index": index, "day": day, "calls": options.calls},
            )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM salesops_calllog WHERE started_at < %s",
                       [datetime.datetime(NEXT.year, NEXT.month, 1, tzinfo=zone)])
        return cursor.fetchone()[0]


BASELINE_SQL = """
SELECT manager_id, count(*), sum(duration_s + wrapup_s),
       count(*) FILTER (WHERE talk_s >= 15),
       count(*) FILTER (WHERE talk_s >= 15 AND outcome IN (4, 5)),
       sum(duration_s + wrapup_s) FILTER (WHERE outcome = 0),
       sum(duration_s + wrapup_s) FILTER (WHERE outcome = 1),
       sum(duration_s + wrapup_s) FILTER (WHERE outcome = 2),
       sum(duration_s + wrapup_s) FILTER (WHERE outcome = 3),
       sum(duration_s + wrapup_s) FILTER (WHERE outcome = 4),
       sum(duration_s + wrapup_s) FILTER (WHERE outcome = 5)
  FROM salesops_calllog
 WHERE started_at >= %s AND started_at < %s
 GROUP BY manager_id
"""


def _baseline(month: datetime.date = MONTH) -> tuple[float, dict]:
    from django.db import connection

    from salesops.periods import month_bounds

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, month_bounds(month))
        rows = cursor.fetchall()
    return time.perf_counter() - started, {row[0]: row[3] for row in rows}


def _timed(module, name: str, spent: dict):
    """Wrap ``module.name`` so that the time spent in it adds up in ``spent[name]``."""
    original = getattr(module, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

    setattr(module, name, timed)
    return original


def _code_path(month: datetime.date = MONTH) -> tuple[float, dict]:
    """The command's time, and how it splits: starting the runs (of which gathering the
    month's figures) and computing the members."""
    from io import StringIO

    from django.core.management import call_command

    from payouts import services, tasks

    spent = {}
    originals = [(tasks, "payout_runs_start", _timed(tasks, "payout_runs_start", spent)),
                 (services, "gather_facts", _timed(services, "gather_facts", spent))]
    started = time.perf_counter()
    try:
        call_command("compute_payouts", f"{month:%Y-%m}", stdout=StringIO())
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    return time.perf_counter() - started, spent


def _check(conversations: dict, month: datetime.date = MONTH) -> None:
    """The engine's conversations must be the hand-written SQL's, person by person."""
    from payouts.models import PayoutLine, PayoutRun

    assert not PayoutRun.objects.filter(month=month).exclude(
        status=PayoutRun.Status.COMPUTED).exists()
    paid = dict(
        PayoutLine.objects.filter(month=month, kind="per_conversation", adjusts_month=None)
        .values_list("manager_id", "quantity")
    )
    assert {k: int(v) for k, v in paid.items()} == conversations, "engine disagrees with SQL"


REPEATS = 3


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _incremental(runs: int = 3, late_calls: int = 1000, people: int = 3) -> None:
    """SPEC §7 incremental recompute: after ``late_calls`` late calls for ``people`` managers,
    recompute only them, against a full computation of the month (median of ``runs`` each);
    target under 10 %."""
    import statistics

    from payouts.models import PayoutRun
    from payouts.tasks import recompute_payout_run_changes
    from salesops.inputs import mark_months
    from salesops.models import CallLog, Manager, Role
    from salesops.periods import organisation_zone

    managers = list(Manager.objects.filter(role=Role.MANAGER).order_by("pk")[:people])
    zone = organisation_zone()
    incremental = []
    for attempt in range(runs):
        CallLog.objects.bulk_create(
            CallLog(source="bench-late", external_id=f"late-{attempt}-{n}",
                    manager=managers[n % len(managers)],
                    started_at=datetime.datetime(MONTH.year, MONTH.month, 27, 9, n % 60,
                                                 tzinfo=zone),
                    duration_s=60 + n % 50, talk_s=30, wrapup_s=0, phone="+79161234567",
                    outcome=3)
            for n in range(late_calls)
        )
        started = time.perf_counter()
        mark_months(manager_ids=[m.pk for m in managers], months=[MONTH])
        redone = []
        for run in PayoutRun.objects.filter(month=MONTH, team__in={m.team_id for m in managers}):
            redone += recompute_payout_run_changes.apply(
                kwargs={"run_id": run.pk, "synchronous": True}).get()["members"]
        incremental.append(time.perf_counter() - started)
        assert sorted(redone) == sorted(m.pk for m in managers), redone
    full = [_code_path()[0] for _ in range(runs)]
    assert not PayoutRun.objects.exclude(status=PayoutRun.Status.COMPUTED).exists()
    inc_s, full_s = statistics.median(incremental), statistics.median(full)
    print(f"incremental recompute after {late_calls:,} late calls for {len(managers)} managers: "
          f"{inc_s:.2f} s (median of {runs}); full compute {full_s:.2f} s (median of {runs}); "
          f"{inc_s / full_s:.1%} of a full compute (target under 10%)")


def _approve(month: datetime.date) -> None:
    """Lock the month as its approval would (the load's pending exceptions would block the
    approval rule itself, which is not what is timed here)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from payouts.lifecycle import payout_run_transition
    from payouts.models import PayoutRun

    approver = get_user_model().objects.order_by("pk").first()
    with transaction.atomic():
        for run in PayoutRun.objects.select_for_update().filter(month=month):
            payout_run_transition(run=run, to=PayoutRun.Status.APPROVED, by=approver,
                                  extra={"approved_by": approver,
                                         "approved_at": timezone.now()})


def _clear_month(month: datetime.date) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("payouts_payoutlineitem", "payouts_paiditem", "payouts_payoutline",
                      "payouts_payoutrunmanager", "payouts_payoutruntransition"):
            column = "line_id IN (SELECT id FROM payouts_payoutline WHERE run_id IN (SELECT" \
                " id FROM payouts_payoutrun WHERE month = %s))" if table.endswith("lineitem") \
                else "run_id IN (SELECT id FROM payouts_payoutrun WHERE month = %s)"
            cursor.execute(f"DELETE FROM {table} WHERE {column}", [month])
        cursor.execute("DELETE FROM payouts_payoutrun WHERE month = %s", [month])


def _month_after(first_s: float) -> None:
    """The month after an approved month, three times, against the first month's median and
    the SQL over its own calls; both ratios ≤ 2.5× (issue 16's target)."""
    _approve(MONTH)
    _baseline(NEXT)
    sql_times, engine_times = [], []
    for _ in range(REPEATS):
        sql_s, conversations = _baseline(NEXT)
        sql_times.append(sql_s)
        _clear_month(NEXT)
        engine_s, _spent = _code_path(NEXT)
        _check(conversations, NEXT)
        engine_times.append(engine_s)
    engine_s, sql_s = _median(engine_times), _median(sql_times)
    print(f"month after an approved month, median of {REPEATS}: {engine_s:.2f} s  (runs: "
          + ", ".join(f"{t:.2f}" for t in engine_times) + f"); SQL over its calls {sql_s:.2f} s")
    print(f"ratio month after / first month: {engine_s / first_s:.2f}×; "
          f"month after / SQL: {engine_s / sql_s:.2f}×  (targets ≤ 2.5× each)")


def main():
    global BENCH_DB
    options = _options()
    if options.small:
        BENCH_DB += "_small"  # never drops a kept full-size load
    reuse = options.reuse_db and _existing_load(options)
    if not reuse:
        _admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)",
                   f"CREATE DATABASE {BENCH_DB}")
    try:
        _setup_django()
        from django.core.management import call_command
        from django.db import connection, connections

        call_command("migrate", verbosity=0)
        if reuse:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM salesops_calllog")
                calls = cursor.fetchone()[0]
            print(f"reused {options.managers} managers, {calls:,} calls")
        else:
            started = time.perf_counter()
            calls = _build(options)
            print(f"built {options.managers} managers, {calls:,} calls in "
                  f"{time.perf_counter() - started:.1f} s")
            if options.keep:
                _admin_sql(f"COMMENT ON DATABASE {BENCH_DB} IS '{_size_tag(options)}'")
        _clear_runs()  # a reused database: the same calls as a new load
        _baseline()  # warm the cache for both contenders alike
        sql_times, engine_times, splits = [], [], []
        for _ in range(REPEATS):
            sql_s, conversations = _baseline()
            sql_times.append(sql_s)
            _clear_runs()
            engine_s, spent = _code_path()
            _check(conversations)
            engine_times.append(engine_s)
            splits.append(spent)
        engine_s, sql_s = _median(engine_times), _median(sql_times)
        spent = splits[engine_times.index(engine_s)]
        start_s = spent.get("payout_runs_start", 0.0)
        members_s = engine_s - start_s
        print(f"engine (compute_payouts), median of {REPEATS}: {engine_s:.2f} s, "
              f"{calls / engine_s:,.0f} calls/s  (runs: "
              + ", ".join(f"{t:.2f}" for t in engine_times) + ")")
        print(f"  start the runs: {start_s:.2f} s, of which gathering the month's figures "
              f"{spent.get('gather_facts', 0.0):.2f} s")
        print(f"  compute the members: {members_s:.2f} s, "
              f"{members_s / options.managers * 1000:.2f} ms per manager")
        print(f"hand-written SQL GROUP BY, median of {REPEATS}: {sql_s:.2f} s, "
              f"{calls / sql_s:,.0f} calls/s  (runs: "
              + ", ".join(f"{t:.2f}" for t in sql_times) + ")")
        target = ("target ≤ 3×, under 20 s" if not options.small
                  else "targets are judged at full size: at this size both take milliseconds")
        print(f"ratio engine / SQL (medians): {engine_s / sql_s:.2f}×  ({target})")
        _incremental()
        _month_after(engine_s)
        connections.close_all()
    finally:
        if not options.keep:
            _admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
