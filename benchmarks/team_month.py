"""Benchmark: the sales head's team month (payouts.review) under concurrent use, beside the
login page, measured as the earnings dashboard's benchmark measures its page.

Loads the payouts benchmark's month (500 managers in teams of 50 × 300 calls × 22 working days,
3.3 M calls; ``benchmarks/payouts.py``'s loader) into its own PostgreSQL database, gives each
team a sales head, keeps the daily figures as imports do, computes the month, then serves the
site the production way (gunicorn, ``--workers 3``, DEBUG off, whitenoise), logs each head in
through the login form and, for a bounded time, requests the heads' team months (50 people
each) from concurrent client threads. The login page is measured in the same run as the
baseline. Prints p50 / p95 and requests/s for each. Target: team month p95 < 300 ms.

    .venv/bin/python benchmarks/team_month.py             # full size
    .venv/bin/python benchmarks/team_month.py --small     # CI: 5 managers × 50 calls × 3 days
    .venv/bin/python benchmarks/team_month.py --reuse-db  # keep the loaded database
"""

import argparse
import http.client
import importlib.util
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The server, the form login and the figures are the earnings dashboard benchmark's own, so the
# two pages are measured the same way; its ``pay`` (the payouts loader) gets this script's
# database, which its functions then use.
_spec = importlib.util.spec_from_file_location("bench_dashboard", REPO / "benchmarks/dashboard.py")
dash = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dash)
pay = dash.pay
pay.BENCH_DB = "salesops_bench_review"  # its own database: never another benchmark's
_server_env, _serve, _get, _login, _percentile = (
    dash._server_env, dash._serve, dash._get, dash._login, dash._percentile)
PASSWORD = "bench"  # the loader's password for every login
P95_LIMIT_MS = 300


def _options():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="5 managers × 50 calls × 3 days")
    parser.add_argument("--managers", type=int, default=500)
    parser.add_argument("--calls", type=int, default=300, help="calls per manager per day")
    parser.add_argument("--days", type=int, default=22, help="working days")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=6, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=20, help="time per page")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse-db", action="store_true",
                        help="reuse a kept database of the same size (and keep it)")
    options = parser.parse_args()
    if options.small:
        options.managers, options.calls, options.days = 5, 50, 3
        options.seconds = 3
    if options.reuse_db:
        options.keep = True
    return options


def _prepare(options) -> None:
    """A sales head per team, the month's daily figures (what imports keep) and its pay."""
    import datetime
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from salesops.imports.stats import daily_stats_refresh
    from salesops.models import Manager, Role, Team

    password = make_password(PASSWORD)
    for team in Team.objects.order_by("code"):
        user = get_user_model().objects.create(username=f"head-{team.code}", password=password)
        Manager.objects.create(user=user, team=team, role=Role.SALES_HEAD,
                               active_from=datetime.date(2026, 1, 1))
    days = pay._working_days(options.days)
    started = time.perf_counter()
    daily_stats_refresh(pairs={(pk, day) for pk in Manager.objects.values_list("pk", flat=True)
                               for day in days})
    call_command("compute_payouts", f"{pay.MONTH:%Y-%m}", stdout=StringIO())
    print(f"daily figures and the month's pay computed in {time.perf_counter() - started:.1f} s")


def measure(options, name: str, requests: list[tuple[str, str]]) -> dict:
    """``options.clients`` threads request (url, cookies) pairs in turn for ``options.seconds``,
    each on its own keep-alive connection."""
    latencies: list[float] = []
    failures = []
    lock = threading.Lock()
    deadline = time.perf_counter() + options.seconds

    def client(index: int):
        conn = http.client.HTTPConnection("127.0.0.1", options.port, timeout=30)
        mine, n = [], index
        while time.perf_counter() < deadline:
            url, cookies = requests[n % len(requests)]
            n += options.clients
            started = time.perf_counter()
            status = _get(options.port, url, cookies, conn)
            mine.append(time.perf_counter() - started)
            if status != 200:
                failures.append(status)
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(options.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{name}: {len(failures)} answers were not 200: "
                           f"{sorted(set(failures))}")
    return {"name": name, "requests": len(latencies), "rps": len(latencies) / elapsed,
            "p50": _percentile(latencies, 0.50) * 1000, "p95": _percentile(latencies, 0.95) * 1000}


def main():
    options = _options()
    if options.small:
        pay.BENCH_DB += "_small"  # never drops a kept full-size load
    server = None
    try:
        dash.load_month(options, _prepare)
        from django.db import connections

        from salesops.models import Manager, Role

        heads = list(Manager.objects.filter(role=Role.SALES_HEAD).order_by("team__code")
                     .values_list("user__username", flat=True))
        connections.close_all()
        with tempfile.TemporaryDirectory() as static_root:
            server = _serve(options, _server_env(static_root))
            cookies = [_login(options.port, head) for head in heads]
            print(f"gunicorn: {options.workers} workers; {options.clients} client threads, "
                  f"{options.seconds:g} s per page; {len(heads)} sales heads logged in")
            month = f"{pay.MONTH:%Y-%m}"
            baseline = measure(options, "login page", [("/login/", "")])
            # The first view of each team month fills the cache of its conversation-pattern
            # aggregate (per computation of the run), as the first head to open it would.
            for jar in cookies:
                _get(options.port, f"/review/?month={month}", jar)
            result = measure(options, "team month (50 people)",
                             [(f"/review/?month={month}", jar) for jar in cookies])
        for row in (baseline, result):
            print(f"{row['name']}: p50 {row['p50']:.1f} ms, p95 {row['p95']:.1f} ms, "
                  f"{row['rps']:.1f} requests/s ({row['requests']} requests)")
        verdict = "met" if result["p95"] < P95_LIMIT_MS else "NOT met"
        print(f"target team month p95 < {P95_LIMIT_MS} ms: {verdict}"
              + (" (targets are judged at full size)" if options.small else ""))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not options.keep:
            pay._admin_sql(f"DROP DATABASE IF EXISTS {pay.BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
