"""Benchmark: every page a person opens on a working day, each beside the login page.

Loads the payouts benchmark's month (500 managers in teams of 50 × 300 calls × 22 working days,
3.3 M calls; ``benchmarks/payouts.py``'s loader) into its own PostgreSQL database, gives each
team a sales head and the organisation an owner and an admin, keeps the daily figures as
imports do, computes the month, then serves the site the production way (gunicorn,
``--workers 3``, DEBUG off, whitenoise, the README's shared Redis cache) and logs everyone in
through the login form. Each page is then requested by the people who open it, from concurrent
client threads for a bounded time (the earnings dashboard benchmark's ``measure``: each
person's page opened once first, as the first look of the day does). Prints p50 / p95,
requests/s and the p95's ratio to the login page's, measured the same way in the same run.
Target: every daily page p95 < 300 ms.

    .venv/bin/python benchmarks/daily_pages.py             # full size
    .venv/bin/python benchmarks/daily_pages.py --small     # CI: 5 managers × 50 calls × 3 days
    .venv/bin/python benchmarks/daily_pages.py --reuse-db  # keep the loaded database

The pages: a manager's month, a line's "Why?" (the calls it counted, a page of 50), the sales
floor (a head's team; the owner's whole floor), the team month and a person's lines from it,
the owner's overview, and the admin's import page.
"""

import argparse
import importlib.util
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_dashboard", REPO / "benchmarks/dashboard.py")
dash = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dash)
pay = dash.pay
pay.BENCH_DB = os.environ.get("BENCH_DAILY_DB", "salesops_bench_daily")  # never another's
Login, Target = dash.Login, dash.Target
P95_LIMIT_MS = 300


def _options():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="5 managers × 50 calls × 3 days")
    parser.add_argument("--managers", type=int, default=500)
    parser.add_argument("--calls", type=int, default=300, help="calls per manager per day")
    parser.add_argument("--days", type=int, default=22, help="working days")
    parser.add_argument("--users", type=int, default=50, help="managers logged in")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=6, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=15, help="time per page")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse-db", action="store_true",
                        help="reuse a kept database of the same size (and keep it)")
    options = parser.parse_args()
    if options.small:
        options.managers, options.calls, options.days = 5, 50, 3
        options.users, options.seconds = 5, 3
    if options.reuse_db:
        options.keep = True
    options.users = min(options.users, options.managers)
    return options


def _prepare(options) -> None:
    """Heads, an owner and an admin; the month's daily figures (what imports keep); its pay."""
    import datetime
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from salesops.imports.stats import daily_stats_refresh
    from salesops.models import Manager, Role, Team

    password = make_password(dash.PASSWORD)
    people = [(f"head-{team.code}", Role.SALES_HEAD, team)
              for team in Team.objects.order_by("code")]
    people += [("owner", Role.OWNER, None), ("admin", Role.ADMIN, None)]
    for username, role, team in people:
        user = get_user_model().objects.create(username=username, password=password,
                                               is_staff=True)
        Manager.objects.create(user=user, team=team, role=role,
                               active_from=datetime.date(2026, 1, 1))
    days = pay._working_days(options.days)
    started = time.perf_counter()
    daily_stats_refresh(pairs={(pk, day) for pk in Manager.objects.values_list("pk", flat=True)
                               for day in days})
    call_command("compute_payouts", f"{pay.MONTH:%Y-%m}", stdout=StringIO())
    print(f"daily figures and the month's pay computed in {time.perf_counter() - started:.1f} s")


def _logins(options) -> dict[str, list[Login]]:
    """Everyone who opens a daily page, logged in through the form, by role."""
    from salesops.models import Manager, Role

    def log_in(query):
        return [Login(username, pk, team or "", dash._login(options.port, username))
                for username, pk, team in query.values_list("user__username", "pk",
                                                            "team__code")]

    people = Manager.objects.select_related("user", "team").order_by("pk")
    started = time.perf_counter()
    logins = {
        "managers": log_in(people.filter(role=Role.MANAGER)[:options.users]),
        "heads": log_in(people.filter(role=Role.SALES_HEAD)),
        "owner": log_in(people.filter(role=Role.OWNER)),
        "admin": log_in(people.filter(role=Role.ADMIN)),
    }
    print(f"{sum(len(v) for v in logins.values())} people logged in through the form in "
          f"{time.perf_counter() - started:.1f} s")
    return logins


def targets(month, logins: dict[str, list[Login]]) -> list[Target]:
    """The daily pages, each with who opens it; the first is the baseline."""
    from payouts.earnings.selectors import line_address
    from payouts.models import ComponentKind, PayoutRun
    from salesops.models import Manager, Role

    runs = dict(PayoutRun.objects.filter(month=month).values_list("team__code", "pk"))
    first = {}  # team code → the first person the team month lists
    for code, manager_id in (Manager.objects.filter(role=Role.MANAGER)
                             .order_by("user__last_name", "user__username")
                             .values_list("team__code", "pk")):
        first.setdefault(code, manager_id)
    m = f"{month:%Y-%m}"

    def why(login):  # the conversations line: its calls, 50 a page
        return line_address(month=month, manager_id=login.manager_id,
                            kind=ComponentKind.PER_CONVERSATION, key="")

    def person_lines(login):  # from the team month: a person's lines, by component
        return f"/review/runs/{runs[login.team_code]}/people/?manager={first[login.team_code]}"

    managers, heads = logins["managers"], logins["heads"]
    owner, admin = logins["owner"], logins["admin"]
    return [
        Target("login page", lambda _login: "/login/", lambda _all: managers),
        Target("manager: my month", lambda _login: f"/earnings/?month={m}",
               lambda _all: managers, P95_LIMIT_MS),
        Target("manager: a line's Why?", why, lambda _all: managers, P95_LIMIT_MS),
        Target("manager: sales floor", lambda _login: f"/?floor=1&month={m}",
               lambda _all: managers, P95_LIMIT_MS),
        Target("head: team month", lambda _login: f"/review/?month={m}",
               lambda _all: heads, P95_LIMIT_MS),
        Target("head: a person's lines", person_lines, lambda _all: heads, P95_LIMIT_MS),
        Target("head: sales floor", lambda _login: f"/?floor=1&month={m}",
               lambda _all: heads, P95_LIMIT_MS),
        Target("owner: overview", lambda _login: f"/review/overview/?month={m}",
               lambda _all: owner, P95_LIMIT_MS),
        Target("owner: sales floor", lambda _login: f"/?floor=1&month={m}",
               lambda _all: owner, P95_LIMIT_MS),
        Target("admin: import page", lambda _login: "/imports/", lambda _all: admin,
               P95_LIMIT_MS),
    ]


def main():
    options = _options()
    if options.small:
        pay.BENCH_DB += "_small"  # never drops a kept full-size load
    server = None
    try:
        dash.load_month(options, _prepare)
        from django.db import connections

        connections.close_all()
        with tempfile.TemporaryDirectory() as static_root:
            server = dash._serve(options, dash._server_env(static_root))
            print(f"gunicorn: {options.workers} workers; {options.clients} client threads, "
                  f"{options.seconds:g} s per page")
            logins = _logins(options)
            pages = targets(pay.MONTH, logins)
            connections.close_all()
            everyone = [login for group in logins.values() for login in group]
            results = [dash.measure(options, target, everyone) for target in pages]
        baseline = results[0]
        width = max(len(result["name"]) for result in results)
        failed = []
        for result in results:
            ratio = result["p95"] / baseline["p95"]
            verdict = ""
            if result["limit"] is not None:
                ok = result["p95"] < result["limit"]
                verdict = "  target met" if ok else "  TARGET NOT MET"
                if not ok:
                    failed.append(result["name"])
            print(f"{result['name']:<{width}}  p50 {result['p50']:7.1f} ms  "
                  f"p95 {result['p95']:7.1f} ms  {ratio:5.2f}× login p95  "
                  f"{result['rps']:6.1f} req/s ({result['requests']} requests){verdict}")
        print(f"target: every daily page p95 < {P95_LIMIT_MS} ms: "
              + ("met" if not failed else "NOT met: " + ", ".join(failed))
              + (" (targets are judged at full size)" if options.small else ""))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not options.keep:
            pay._admin_sql(f"DROP DATABASE IF EXISTS {pay.BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
