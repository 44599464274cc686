"""Benchmark: seed_demo against a plain bulk_create of the same calls, on a throwaway database.

    .venv/bin/python benchmarks/seed_demo.py                  # the command's default size
    .venv/bin/python benchmarks/seed_demo.py --small          # CI: a few seconds
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesops_dev \\
        .venv/bin/python benchmarks/seed_demo.py

The baseline is the floor seed_demo cannot beat: the same call rows, already built in memory,
written with one ``CallLog.objects.bulk_create``. The ratio is what generating the calls and
everything around them (people, shifts, plans, leads, payments) costs on top of that.

The script makes its own database next to the configured one, as the test runner does (a
temporary SQLite file, or ``test_<name>_seed_demo_bench`` on PostgreSQL), and drops it at the
end: the developer's data is never touched.
"""

import argparse
import datetime
import os
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A fixed Friday, so runs on different days measure the same data: 30 days back hold
# 22 working days and cross a month boundary.
END = datetime.date(2025, 3, 28)
CALL_FIELDS = (
    "source", "external_id", "manager_id", "started_at", "duration_s", "talk_s", "wrapup_s",
    "direction", "phone", "outcome", "recording_url", "batch_id",
)


def main() -> int:
    args = _parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesops.settings")
    import django

    django.setup()
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    # DEBUG off, as in production: with it on Django keeps a log of every query.
    setup_test_environment(debug=False)
    with tempfile.TemporaryDirectory(prefix="seed-demo-bench-") as tmp:
        where = _use_throwaway_database(Path(tmp))
        old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=())
        try:
            print(f"database: {where}")
            print(f"size: {args.managers} managers, {args.days} days ending {args.end}")
            _run(args)
        finally:
            teardown_databases(old_config, verbosity=0)
            teardown_test_environment()
    return 0


def _parse_args() -> argparse.Namespace:
    # The command's own defaults, without importing Django before it is set up.
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--managers", type=int, default=30)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--end", type=datetime.date.fromisoformat, default=END)
    parser.add_argument(
        "--small", action="store_true", help="3 managers over 2 days, for CI."
    )
    args = parser.parse_args()
    if args.small:
        args.managers, args.days = 3, 2
    return args


def _use_throwaway_database(tmp: Path) -> str:
    from django.db import connection

    test = connection.settings_dict["TEST"]
    if connection.vendor == "sqlite":
        # Not the in-memory default: SQLite on disk is what the site runs on.
        test["NAME"] = str(tmp / "benchmark.sqlite3")
        return f"sqlite, throwaway file {test['NAME']}"
    # Its own name, so a test run going on at the same time keeps its test database.
    test["NAME"] = f"test_{connection.settings_dict['NAME']}_seed_demo_bench"
    return f"{connection.vendor}, throwaway database {test['NAME']}"


def _run(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from salesops.models import CallLog

    started = time.perf_counter()
    call_command(
        "seed_demo", managers=args.managers, days=args.days, seed=args.seed, end=args.end,
        stdout=StringIO(),
    )
    seed_s = time.perf_counter() - started
    calls = CallLog.objects.count()
    if not calls:
        raise SystemExit("seed_demo wrote no calls: pick a range with working days")
    _report("seed_demo", calls, seed_s)

    # Untimed: the same rows rebuilt in memory, and the table emptied for them.
    rows = [CallLog(**values) for values in CallLog.objects.values(*CALL_FIELDS).iterator()]
    CallLog.objects.all().delete()
    if connection.vendor == "postgresql":
        # Reclaim the deleted rows so the baseline writes into a table as clean as seed_demo's.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {CallLog._meta.db_table}")

    started = time.perf_counter()
    with transaction.atomic():
        CallLog.objects.bulk_create(rows, batch_size=5000)
    baseline_s = time.perf_counter() - started
    _report("baseline bulk_create", len(rows), baseline_s)
    print(f"ratio: {seed_s / baseline_s:.1f}x")


def _report(label: str, calls: int, seconds: float) -> None:
    print(f"{label}: {calls} calls in {seconds:.1f} s ({calls / seconds:.0f} calls/s)")


if __name__ == "__main__":
    sys.exit(main())
