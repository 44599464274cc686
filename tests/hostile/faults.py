"""Faults for the real-worker tests: a TCP proxy in front of PostgreSQL that cuts a connection in
the middle of a COPY, and a Redis server of the test's own (on a port of this branch's range),
so that restarting it never touches the shared one."""

import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager, suppress

from django.db import connection

from tests.realservices import skip_or_fail

PROXY_PORT = 8262
REDIS_PORT = 8263


class CuttingProxy:
    """Forwards 127.0.0.1:``port`` to PostgreSQL. The ``cut_at``-th time a client sends
    ``marker`` (a COPY into the import's staging table), that connection is closed both ways
    in the middle of its COPY, as a server restart or a network cut would; every other
    connection, before and after, is forwarded untouched."""

    def __init__(self, *, port: int = PROXY_PORT, marker: bytes = b"COPY import_staging",
                 cut_at: int = 3):
        db = connection.settings_dict
        self.target = (db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))
        self.port, self.marker, self.cut_at = port, marker, cut_at
        self.seen = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._server.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, _address = self._server.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(self.target)
            pair = (client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream, pair, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair, False),
                             daemon=True).start()

    def _pump(self, source, target, pair, from_client):
        try:
            while data := source.recv(65536):
                target.sendall(data)
                if from_client and self.marker in data:
                    with self._lock:
                        self.seen += 1
                        cut = self.seen == self.cut_at
                    if cut:
                        # Let the COPY's first rows through, then cut it off.
                        time.sleep(0.05)
                        self.cuts += 1
                        for end in pair:  # shutdown first: it wakes the other direction's recv
                            with suppress(OSError):
                                end.shutdown(socket.SHUT_RDWR)
                            end.close()
                        return
        except OSError:
            pass
        finally:
            for end in pair:
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    @property
    def url(self) -> str:
        db = connection.settings_dict
        user = db.get("USER") or "postgres"
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return f"postgres://{user}{password}@127.0.0.1:{self.port}/{db['NAME']}"


class OwnRedis:
    """A redis-server of the test's own on ``REDIS_PORT``: started, restarted, stopped."""

    def __init__(self, port: int = REDIS_PORT):
        if shutil.which("redis-server") is None:
            skip_or_fail("redis-server is not installed")
        self.port = port
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--logfile", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the test's redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self, *, down_for: float = 1.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


@contextmanager
def own_redis():
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
