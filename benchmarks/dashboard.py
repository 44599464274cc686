"""Benchmark: the managers' earnings dashboard under concurrent use, beside the login page.

Loads the payouts benchmark's month (500 managers × 300 calls × 22 working days, 3.3 M calls;
``benchmarks/payouts.py``'s loader) into its own PostgreSQL database, keeps the daily figures
as imports do, computes the month, then serves the site the production way (the README's
gunicorn command, ``--workers 3``, DEBUG off, whitenoise for static files), logs 50 managers
in through the login form and, for a bounded time, requests pages from concurrent client
threads. Each target is measured the same way; the login page is measured in the same run as
the baseline. Prints p50 / p95 and requests/s for each.

    .venv/bin/python benchmarks/dashboard.py             # full size
    .venv/bin/python benchmarks/dashboard.py --small     # CI: 5 managers × 50 calls × 3 days
    .venv/bin/python benchmarks/dashboard.py --reuse-db  # keep the loaded database

Another page is measured by adding a ``Target`` to ``targets()``: a name, the URL for a given
logged-in user, and which users request it.
"""

import argparse
import http.client
import importlib.util
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_payouts", REPO / "benchmarks/payouts.py")
pay = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pay)
pay.BENCH_DB = "salesops_bench_dash"  # its own database: never the payouts benchmark's
PASSWORD = "bench"  # the loader's password for every login


@dataclass(frozen=True)
class Login:
    username: str
    manager_id: int
    team_code: str
    cookies: str  # the Cookie header of the logged-in session


@dataclass(frozen=True)
class Target:
    name: str
    url: Callable[[Login], str]
    users: Callable[[list[Login]], list[Login]]
    p95_limit_ms: float | None = None


def targets(month) -> list[Target]:
    """The pages measured, in order; the first is the baseline the others are compared with."""
    return [
        Target("login page", lambda _login: "/login/", lambda logins: logins),
        Target("earnings dashboard", lambda _login: f"/earnings/?month={month:%Y-%m}",
               lambda logins: logins, p95_limit_ms=150),
    ]


def _options():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="5 managers × 50 calls × 3 days")
    parser.add_argument("--managers", type=int, default=500)
    parser.add_argument("--calls", type=int, default=300, help="calls per manager per day")
    parser.add_argument("--days", type=int, default=22, help="working days")
    parser.add_argument("--users", type=int, default=50, help="managers logged in")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=6, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=20, help="time per target")
    parser.add_argument("--port", type=int, default=8765)
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
    """The month's daily figures (what imports keep) and its payout runs, computed."""
    from io import StringIO

    from django.core.management import call_command

    from salesops.imports.stats import daily_stats_refresh
    from salesops.models import Manager

    days = pay._working_days(options.days)
    started = time.perf_counter()
    daily_stats_refresh(pairs={(pk, day) for pk in Manager.objects.values_list("pk", flat=True)
                               for day in days})
    call_command("compute_payouts", f"{pay.MONTH:%Y-%m}", stdout=StringIO())
    print(f"daily figures and the month's pay computed in {time.perf_counter() - started:.1f} s")


# The README's production settings share one Redis cache between the gunicorn workers; the
# benchmark uses a database number of its own and empties it first (nothing kept from an
# earlier run). Without Redis each worker keeps its own cache in memory.
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13")


def _cache_url() -> str:
    import redis

    try:
        redis.Redis.from_url(CACHE_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError:
        print(f"no Redis at {CACHE_URL}: each gunicorn worker caches in its own memory")
        return "locmemcache://"
    return CACHE_URL


def _server_env(static_root: str) -> dict:
    base = pay.SERVER.rsplit("/", 1)[0]
    return {
        **os.environ,
        "DATABASE_URL": f"{base}/{pay.BENCH_DB}",
        "DJANGO_CACHE_URL": _cache_url(),
        "LOG_LEVEL": "WARNING",  # not a line per login
        "CELERY_BROKER_URL": "",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": static_root,
        # Plain HTTP on the loopback: no proxy in front to end TLS.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SESSION_COOKIE_SECURE": "false",
        "DJANGO_CSRF_COOKIE_SECURE": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
    }


def _serve(options, env) -> subprocess.Popen:
    python = str(Path(sys.executable))
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=REPO,
                   env=env, check=True)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "salesops.wsgi:application", "--bind", f"127.0.0.1:{options.port}",
         "--workers", str(options.workers), "--timeout", "120", "--log-level", "warning"],
        cwd=REPO, env=env,
    )
    for _ in range(100):
        try:
            _get(options.port, "/login/", "")
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer")


def _get(port: int, url: str, cookies: str, conn=None) -> int:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", url, headers={"Cookie": cookies} if cookies else {})
    response = conn.getresponse()
    response.read()
    if own:
        conn.close()
    return response.status


def _cookies(response, jar: dict) -> None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name] = rest.split(";", 1)[0]


def _login(port: int, username: str) -> str:
    """Log in through the login form, as a browser does; returns the Cookie header."""
    jar: dict[str, str] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    page = response.read().decode()
    _cookies(response, jar)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({"username": username, "password": PASSWORD,
                      "csrfmiddlewaretoken": token})
    conn.request("POST", "/login/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        "Referer": f"http://127.0.0.1:{port}/login/",
    })
    response = conn.getresponse()
    response.read()
    _cookies(response, jar)
    conn.close()
    if response.status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"{username} could not log in ({response.status})")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _logins(options) -> list[Login]:
    from salesops.models import Manager

    people = list(Manager.objects.select_related("user", "team").order_by("pk")
                  .values_list("user__username", "pk", "team__code")[:options.users])
    started = time.perf_counter()
    logins = [Login(username, pk, team, _login(options.port, username))
              for username, pk, team in people]
    print(f"{len(logins)} managers logged in through the form in "
          f"{time.perf_counter() - started:.1f} s")
    return logins


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(options, target: Target, logins: list[Login]) -> dict:
    """``options.clients`` threads request the target for ``options.seconds``, each cycling
    over the target's users on its own keep-alive connection."""
    users = target.users(logins)
    # Warm up first: each worker's first request loads templates, catalogues and locale
    # data, and each person's page is opened once, as after a computation the first look
    # builds it (``cold_build`` measures that). The figures are of the site in use.
    warm = {target.url(login): login for login in users}
    for _ in range(options.workers):
        for url, login in warm.items():
            _get(options.port, url, "" if url == "/login/" else login.cookies)
    latencies: list[float] = []
    failures = []
    lock = threading.Lock()
    deadline = time.perf_counter() + options.seconds

    def client(index: int):
        conn = http.client.HTTPConnection("127.0.0.1", options.port, timeout=30)
        mine, n = [], index
        while time.perf_counter() < deadline:
            login = users[n % len(users)]
            n += options.clients
            cookies = "" if target.url(login) == "/login/" else login.cookies
            started = time.perf_counter()
            status = _get(options.port, target.url(login), cookies, conn)
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
        raise RuntimeError(f"{target.name}: {len(failures)} answers were not 200: "
                           f"{sorted(set(failures))}")
    return {"name": target.name, "requests": len(latencies),
            "p50": _percentile(latencies, 0.50) * 1000, "p95": _percentile(latencies, 0.95) * 1000,
            "rps": len(latencies) / elapsed, "limit": target.p95_limit_ms}


def cold_build(logins: list[Login], month, repeats: int = 3) -> float:
    """Median milliseconds, in this process, to build one person's month page from the
    database (what a page costs the first time after its pay changed)."""
    import statistics

    from django.conf import settings
    from django.template.loader import render_to_string
    from django.test.utils import override_settings
    from django.utils import translation

    from payouts.earnings import selectors
    from salesops.models import Manager

    managers = Manager.objects.select_related("user", "team").in_bulk(
        [login.manager_id for login in logins])
    spent = []
    # This process has no collected static files: plain static URLs are enough here.
    plain = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with translation.override("ru"), override_settings(STORAGES=plain):
        for _ in range(repeats):
            for login in logins:
                started = time.perf_counter()
                figures = selectors.earnings_month(manager=managers[login.manager_id],
                                                   month=month)
                render_to_string("earnings/_month_body.html", {
                    "e": figures, "own": True, "statements":
                    selectors.statements(manager=managers[login.manager_id])})
                spent.append(time.perf_counter() - started)
    return statistics.median(spent) * 1000


def load_month(options, prepare) -> None:
    """The benchmark's own database with the payouts benchmark's month in it (reused when
    ``--reuse-db`` finds a load of the same size), then ``prepare(options)`` on a new load."""
    reuse = options.reuse_db and pay._existing_load(options)
    if not reuse:
        pay._admin_sql(f"DROP DATABASE IF EXISTS {pay.BENCH_DB} WITH (FORCE)",
                       f"CREATE DATABASE {pay.BENCH_DB}")
    pay._setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not reuse:
        started = time.perf_counter()
        calls = pay._build(options)
        print(f"built {options.managers} managers, {calls:,} calls in "
              f"{time.perf_counter() - started:.1f} s")
        prepare(options)
        if options.keep:
            pay._admin_sql(f"COMMENT ON DATABASE {pay.BENCH_DB} IS '{pay._size_tag(options)}'")


def main():
    options = _options()
    if options.small:
        pay.BENCH_DB += "_small"  # never drops a kept full-size load
    server = None
    try:
        load_month(options, _prepare)
        from django.db import connections

        connections.close_all()
        with tempfile.TemporaryDirectory() as static_root:
            server = _serve(options, _server_env(static_root))
            print(f"gunicorn: {options.workers} workers; {options.clients} client threads, "
                  f"{options.seconds:g} s per page")
            logins = _logins(options)
            connections.close_all()
            results = [measure(options, target, logins) for target in targets(pay.MONTH)]
        cold_ms = cold_build(logins, pay.MONTH)
        connections.close_all()
        baseline = results[0]
        for result in results:
            ratio = result["p95"] / baseline["p95"]
            verdict = ""
            if result["limit"] is not None:
                ok = result["p95"] < result["limit"] and ratio < 3
                verdict = (f"  target p95 < {result['limit']:g} ms and < 3× the login page: "
                           + ("met" if ok else "NOT met"))
            print(f"{result['name']}: p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, "
                  f"{result['rps']:.1f} requests/s ({result['requests']} requests; "
                  f"p95 {ratio:.2f}× the login page's){verdict}")
        print(f"building one person's month page from the database (the first look after "
              f"their pay changed), in process: median {cold_ms:.1f} ms")
        if options.small:
            print("(targets are judged at full size)")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not options.keep:
            pay._admin_sql(f"DROP DATABASE IF EXISTS {pay.BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
