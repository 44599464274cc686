"""Benchmark: calls posted over HTTP (the batch API and single-event webhooks) beside the file
importer, in the same run on the same PostgreSQL database.

Makes its own database, a team of managers and two integrations (the batch API's token and an
Asterisk CDR webhook), serves the site the production way (gunicorn, DEBUG off), then:
- imports a CSV file in process (the importer's own engine): rows/s, the baseline;
- posts batches of 1 000 new calls to ``POST /api/calls/`` from concurrent clients: calls/s
  over the whole run and the median batch time (target ≥ 10 000 calls/s);
- posts the same batches again (every call already there: nothing written);
- posts single Asterisk CDR events to the webhook: events/s, p50 and p95 (target ≥ 300 events/s,
  p95 < 100 ms);
- applies the requests' tallies (no worker runs) and checks that the day batches counted every
  call posted.

    .venv/bin/python benchmarks/ingest_api.py            # 40 batches, 3 000 events, 100 000 rows
    .venv/bin/python benchmarks/ingest_api.py --small    # CI: 3 batches, 200 events, 5 000 rows

With Redis on 127.0.0.1 the site queues the open month's pay refresh to a broker, as in
production (no worker is run: the refresh is not what is measured); without it the calls are
dated in the previous month, so that no request recomputes pay in process.
"""

import argparse
import datetime
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
DB = "salesops_bench_ingest"
BROKER = "redis://127.0.0.1:6379/12"


def _options():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="3 batches, 200 events, 5 000 rows")
    parser.add_argument("--batches", type=int, default=40, help="batches of --size calls")
    parser.add_argument("--size", type=int, default=1000, help="calls per batch")
    parser.add_argument("--events", type=int, default=3000, help="single webhook events")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the imported file")
    parser.add_argument("--managers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=3, help="concurrent client threads")
    parser.add_argument("--port", type=int, default=8771)
    options = parser.parse_args()
    if options.small:
        options.batches, options.events, options.rows = 3, 200, 5000
    return options


def _broker() -> str:
    try:
        import redis

        redis.Redis.from_url(BROKER, socket_connect_timeout=2).flushdb()
    except Exception:  # noqa: BLE001 - no Redis: the calls go to the previous month
        return ""
    return BROKER


def _database(broker: str) -> None:
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", DB],
                   check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    os.environ.update({"DATABASE_URL": f"{SERVER}/{DB}", "CELERY_BROKER_URL": broker,
                       "LOG_LEVEL": "WARNING"})
    if not os.environ.get("DJANGO_SECRET_KEY"):  # a development key; DEBUG off otherwise
        os.environ.setdefault("DJANGO_DEBUG", "true")
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesops.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world(options):
    from salesops.ingest.services import integration_create
    from salesops.models import Role, Team
    from salesops.services import manager_create

    team = Team.objects.create(code="bench", name="Bench")
    for n in range(options.managers):
        manager = manager_create(username=f"m{n}", role=Role.MANAGER, team=team,
                                 password="bench-pass-123",
                                 active_from=datetime.date(2026, 1, 1))
        type(manager).objects.filter(pk=manager.pk).update(extension=str(1000 + n))
    _api, api_token = integration_create(name="Bench API", source="bench-api", adapter="api")
    hook, hook_token = integration_create(name="Bench Asterisk", source="bench-pbx",
                                          adapter="asterisk")
    return api_token, hook, hook_token


def _start(broker: str) -> datetime.datetime:
    """When the calls start: this month with a broker, else the previous month."""
    now = datetime.datetime.now(datetime.UTC).replace(hour=6, minute=0, second=0,
                                                      microsecond=0)
    first = now.replace(day=1)
    return first if broker else first - datetime.timedelta(days=20)


def _file_rows_per_s(options, start) -> tuple[float, int]:
    from salesops.imports.services import import_file

    header = ["ID", "Оператор", "Дата и время", "Длительность", "Длительность разговора",
              "Номер"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.csv"
        with path.open("w", encoding="utf-8") as handle:
            handle.write(",".join(header) + "\r\n")
            for n in range(options.rows):
                when = start + datetime.timedelta(seconds=n)
                handle.write(f"file-{n},{1000 + n % options.managers},"
                             f"{when:%d.%m.%Y %H:%M:%S},60,30,+7916{n:07d}\r\n")
        began = time.perf_counter()
        batch = import_file(path=path, source="bench-file")
        spent = time.perf_counter() - began
    return batch.created_count / spent, batch.created_count


def _serve(options, broker: str, static_root: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{DB}", "CELERY_BROKER_URL": broker,
           "DJANGO_DEBUG": "false", "LOG_LEVEL": "WARNING",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "DJANGO_STATIC_ROOT": static_root, "DJANGO_SECURE_SSL_REDIRECT": "false",
           "DJANGO_SESSION_COOKIE_SECURE": "false", "DJANGO_CSRF_COOKIE_SECURE": "false",
           "DJANGO_SECURE_HSTS_SECONDS": "0", "SALESOPS_INGEST_THROTTLE": "10000000/minute"}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "salesops.wsgi:application", "--bind", f"127.0.0.1:{options.port}",
         "--workers", str(options.workers), "--timeout", "120", "--log-level", "warning"],
        cwd=REPO, env=env)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", options.port, timeout=5)
            conn.request("GET", "/api/hooks/none/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer")


def _post_all(options, bodies: list[tuple[str, bytes, dict]]) -> tuple[float, list[float]]:
    """POST every (url, body, headers) from ``options.clients`` threads; returns the wall
    time and each request's time. Any answer but 200 stops the benchmark."""
    spent, failures, lock = [], [], threading.Lock()
    queue = list(reversed(bodies))

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", options.port, timeout=120)
        while True:
            with lock:
                if not queue or failures:
                    break
                url, body, headers = queue.pop()
            began = time.perf_counter()
            conn.request("POST", url, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            took = time.perf_counter() - began
            with lock:
                spent.append(took)
                if response.status != 200:
                    failures.append(f"{response.status} {content[:300]!r}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(options.clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"a request failed: {failures[0]}")
    return wall, spent


def _batches(options, token: str, start) -> list[tuple[str, bytes, dict]]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    bodies = []
    for b in range(options.batches):
        calls = [{"external_id": f"api-{b}-{n}",
                  "started_at": (start + datetime.timedelta(seconds=b * options.size + n))
                  .isoformat(),
                  "duration_s": 60, "talk_s": 30, "manager": str(1000 + n % options.managers),
                  "status": "answered", "phone": f"+7916{n:07d}"}
                 for n in range(options.size)]
        bodies.append(("/api/calls/", json.dumps({"calls": calls}).encode(), headers))
    return bodies


def _events(options, hook, token: str, start) -> list[tuple[str, bytes, dict]]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    url = f"/api/hooks/{hook.public_id}/"
    local = datetime.timezone(datetime.timedelta(hours=3))
    return [(url, json.dumps({
        "uniqueid": f"17962{n:05d}.{n}", "linkedid": f"17962{n:05d}.{n}",
        "start": (start + datetime.timedelta(seconds=n)).astimezone(local)
        .strftime("%Y-%m-%d %H:%M:%S"),
        "duration": 100, "billsec": 92, "disposition": "ANSWERED", "accountcode": "",
        "src": str(1000 + n % options.managers), "dst": "79161234567",
        "channel": f"PJSIP/{1000 + n % options.managers}-0000{n:04x}"}).encode(), headers)
        for n in range(options.events)]


def _warm_up(options, api_token, hook, hook_token, start) -> None:
    """Each worker's first requests load code and read the configuration: not measured.
    The calls they post are counted apart (``warm-`` ids)."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_token}"}
    warm = [("/api/calls/", json.dumps({"calls": [{
        "external_id": f"warm-{n}", "started_at": start.isoformat(), "duration_s": 1,
        "manager": "1000"}]}).encode(), headers) for n in range(options.workers * 4)]
    events = _events(options, hook, hook_token, start)[:options.workers * 4]
    _post_all(options, warm + events)


def _tallies_applied() -> int:
    """No worker ran: apply the requests' tallies here (what ``ingest_tallies_apply`` does after
    a burst) and return the calls the day batches counted as created."""
    from django.db.models import Sum

    from salesops.ingest.models import IngestDay, IngestTally
    from salesops.ingest.tallies import tallies_apply
    from salesops.models import ImportBatch

    waiting = IngestTally.objects.count()
    began = time.perf_counter()
    while tallies_apply():
        pass
    print(f"tallies applied afterwards: {waiting} in {time.perf_counter() - began:.2f} s")
    batches = IngestDay.objects.values("batch_id")
    return ImportBatch.objects.filter(pk__in=batches).aggregate(
        created=Sum("created_count"))["created"] or 0


def main() -> None:
    options = _options()
    broker = _broker()
    _database(broker)
    api_token, hook, hook_token = _world(options)
    start = _start(broker)
    print(f"{options.managers} managers; calls dated from {start:%Y-%m-%d}; "
          f"{'broker ' + broker if broker else 'no broker (previous month)'}")
    file_rate, file_rows = _file_rows_per_s(options, start)
    print(f"file importer (baseline, in process): {file_rows} rows, {file_rate:,.0f} rows/s")
    with tempfile.TemporaryDirectory() as static_root:
        server = _serve(options, broker, static_root)
        try:
            _warm_up(options, api_token, hook, hook_token, start)
            batches = _batches(options, api_token, start)
            wall, spent = _post_all(options, batches)
            calls = options.batches * options.size
            api_rate = calls / wall
            print(f"batch API: {options.batches} batches × {options.size} new calls, "
                  f"{options.clients} clients, {options.workers} gunicorn workers: "
                  f"{api_rate:,.0f} calls/s; median batch {statistics.median(spent):.3f} s "
                  f"({options.size / statistics.median(spent):,.0f} calls/s per batch); "
                  f"{api_rate / file_rate:.2f} × the file importer (target ≥ 10 000 calls/s)")
            wall, spent = _post_all(options, batches)
            print(f"batch API again (all present, nothing written): {calls / wall:,.0f} calls/s;"
                  f" median batch {statistics.median(spent):.3f} s")
            wall, spent = _post_all(options, _events(options, hook, hook_token, start))
            ordered = sorted(spent)
            p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
            print(f"webhook (Asterisk CDR, one event per request): {options.events} events, "
                  f"{options.events / wall:,.0f} events/s; p50 "
                  f"{statistics.median(spent) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
                  f"(target ≥ 300 events/s, p95 < 100 ms)")
        finally:
            server.terminate()
            server.wait()
    from django.db import connections

    from salesops.models import CallLog

    stored = CallLog.objects.count()
    expected = (file_rows + options.batches * options.size + options.events
                + options.workers * 4)
    print(f"calls stored: {stored} (expected {expected})")
    counted = _tallies_applied()
    print(f"day batches' counters after the tallies: {counted} calls created "
          f"(expected {expected - file_rows})")
    connections.close_all()
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", DB],
                   check=False)
    if stored != expected:
        raise SystemExit("a call was lost or stored twice")
    if counted != expected - file_rows:
        raise SystemExit("the day batches' counters do not match the calls posted")


if __name__ == "__main__":
    main()
