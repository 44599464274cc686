"""Benchmark: ``compare_plans`` of two plans over the benchmark month (500 managers × 300 calls
× 22 days, 3.3 M calls) against one payout computation of that month (issue 19: within 3×).

The month is ``benchmarks/payouts.py``'s (the same load, on a PostgreSQL database of its own,
created and dropped here). Each side is timed three times and the medians are compared: the
payout computation through ``manage.py compute_payouts`` (every run a first computation), the
what-if through ``manage.py compare_plans YYYY-MM --plan bench --plan bench-results`` over every
team, writing its JSON. A what-if writes no run: the runs are counted before and after.

    .venv/bin/python benchmarks/compare_plans.py            # full size
    .venv/bin/python benchmarks/compare_plans.py --small    # 5 managers × 50 calls × 3 days (CI)
"""

import importlib.util
import tempfile
import time
from io import StringIO
from pathlib import Path


def _load_pay_benchmark():
    """``benchmarks/payouts.py`` under another name: its own name is the app's."""
    spec = importlib.util.spec_from_file_location(
        "pay_benchmark", Path(__file__).resolve().parent / "payouts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_pay_benchmark()
REPEATS = 3


def _second_plan() -> None:
    """A per-result contract over the same month: per differentiated minute, per confirmed
    lead and per arrived client."""
    from decimal import Decimal

    from payouts.models import (
        CompensationPlan,
        ComponentKind,
        ComponentRate,
        PlanComponent,
        PlanVersion,
    )

    if CompensationPlan.objects.filter(code="bench-results").exists():
        return
    plan = CompensationPlan.objects.create(code="bench-results", name="Bench results")
    version = PlanVersion.objects.create(plan=plan, number=1, effective_from=bench.MONTH,
                                         minute_rounding="per_call_up")
    minutes = PlanComponent.objects.create(version=version,
                                           kind=ComponentKind.DIFFERENTIATED_MINUTES)
    ComponentRate.objects.bulk_create(ComponentRate(component=minutes, outcome=o, rate=r)
                                      for o, r in ((3, Decimal("2")), (4, Decimal("3")),
                                                   (5, Decimal("4"))))
    PlanComponent.objects.create(version=version, kind=ComponentKind.PER_CONFIRMED_LEAD,
                                 rate=Decimal("800"))
    PlanComponent.objects.create(version=version, kind=ComponentKind.PER_ARRIVED_CLIENT,
                                 rate=Decimal("1500"))


def _what_if(out: Path) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("compare_plans", f"{bench.MONTH:%Y-%m}", "--plan", "bench", "--plan",
                 "bench-results", "--format", "json", "--output", str(out), stdout=StringIO())
    return time.perf_counter() - started


def main():
    options = bench._options()
    bench.BENCH_DB = "salesops_bench_compare" + ("_small" if options.small else "")
    bench._admin_sql(f"DROP DATABASE IF EXISTS {bench.BENCH_DB} WITH (FORCE)",
                     f"CREATE DATABASE {bench.BENCH_DB}")
    try:
        bench._setup_django()
        from django.core.management import call_command
        from django.db import connections

        from payouts.models import PayoutRun

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        calls = bench._build(options)
        print(f"built {options.managers} managers, {calls:,} calls in "
              f"{time.perf_counter() - started:.1f} s")
        _second_plan()
        bench._baseline()  # warm the cache for both contenders alike
        out = Path(tempfile.mkdtemp()) / "what-if.json"
        pay_times, what_if_times = [], []
        for _ in range(REPEATS):
            bench._clear_runs()
            pay_s, _spent = bench._code_path()
            pay_times.append(pay_s)
            runs = PayoutRun.objects.count()
            what_if_times.append(_what_if(out))
            assert PayoutRun.objects.count() == runs, "a what-if wrote a run"
        pay_s, what_if_s = bench._median(pay_times), bench._median(what_if_times)
        print(f"one payout computation (compute_payouts), median of {REPEATS}: {pay_s:.2f} s "
              "(runs: " + ", ".join(f"{t:.2f}" for t in pay_times) + ")")
        print(f"compare_plans, two plans, every team, median of {REPEATS}: {what_if_s:.2f} s "
              "(runs: " + ", ".join(f"{t:.2f}" for t in what_if_times) + ")")
        target = ("target ≤ 3×" if not options.small
                  else "the target is judged at full size")
        print(f"ratio compare_plans / payout computation (medians): {what_if_s / pay_s:.2f}× "
              f"({target})")
        connections.close_all()
    finally:
        bench._admin_sql(f"DROP DATABASE IF EXISTS {bench.BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
