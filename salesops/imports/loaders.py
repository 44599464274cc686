"""Write chunks of staging rows to the database, set-based, never a duplicate (SPEC §6.1).

PostgreSQL: rows stream through ``COPY`` into a temporary staging table, then one
``INSERT … SELECT … ON CONFLICT`` per chunk resolves managers by JOIN and inserts the calls.
SQLite (the embedded mode): the same rules in Python, with ``bulk_create(ignore_conflicts=True)``.

Both apply the same rules: a row whose manager is unknown becomes a row error with the value
seen; rows sharing an id (legs of one call) count once, credited to the leg that talked longest;
a leg with a longer talk than the stored one replaces it.
"""

from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.utils.translation import gettext_lazy as _
from psycopg import ClientCursor, generators, waiting
from psycopg.pq import ExecStatus

from salesops.models import CallLog, Direction, ImportRowError

from .rows import STAGING_COLUMNS
from .selectors import manager_keys

UNKNOWN_MANAGER = _("unknown manager: map this value to a manager (manager aliases), then re-run")


@dataclass
class ChunkResult:
    rows: int = 0  # rows that reached the loader (parsed without error)
    created: int = 0
    present: int = 0
    skipped: int = 0  # further legs of a call counted once
    unknown: int = 0


class PostgresLoader:
    def __init__(self, *, batch_id: int, source: str, dry_run: bool, key_column: str):
        self.batch_id, self.source, self.dry_run = batch_id, source, dry_run
        self.key_column = key_column

    def start(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS import_staging, import_keys")
            cursor.execute(
                "CREATE TEMP TABLE import_staging (line integer, external_id text, "
                "started_at timestamptz, duration_s integer, talk_s integer, wrapup_s integer, "
                "outcome smallint, direction text, out_key text, out_key2 text, in_key text, "
                "in_key2 text, src_phone text, dst_phone text, recording_url text, "
                "key_seen text)"
            )
            cursor.execute(
                "CREATE TEMP TABLE import_keys (key text PRIMARY KEY, manager_id bigint)"
            )
            # Read before COPY starts: the connection can run no other query during a COPY.
            keys = list(manager_keys())
            with cursor.cursor.copy("COPY import_keys (key, manager_id) FROM STDIN") as copy:
                for row in keys:
                    copy.write_row(row)
            cursor.execute("ANALYZE import_keys")

    def finish(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS import_staging, import_keys")

    def send(self, rows: list[tuple]) -> None:
        """COPY the chunk into staging and send the load without waiting for it: the caller
        parses the next chunk on this core while PostgreSQL inserts on the other."""
        self._count = len(rows)
        if not rows:
            return
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE import_staging")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # Check the foreign keys inside the load, which overlaps the parsing of the next
            # chunk, rather than at COMMIT, which overlaps nothing.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            columns = ", ".join(STAGING_COLUMNS)
            with cursor.cursor.copy(f"COPY import_staging ({columns}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
        params = {
            "batch": self.batch_id, "source": self.source, "column": self.key_column,
            "reason": str(UNKNOWN_MANAGER), "kind": ImportRowError.Kind.UNKNOWN_MANAGER.value,
            "out": Direction.OUTBOUND, "in": Direction.INBOUND,
        }
        raw = connection.connection
        query = ClientCursor(raw).mogrify(_DRY_RUN_SQL if self.dry_run else _LOAD_SQL, params)
        pgconn = raw.pgconn
        pgconn.send_query(query.encode())
        waiting.wait(generators.send(pgconn), pgconn.socket)

    def wait(self) -> ChunkResult:
        if not self._count:
            return ChunkResult()
        pgconn = connection.connection.pgconn
        values, failure = None, None
        for result in waiting.wait(generators.fetch_many(pgconn), pgconn.socket):
            if result.status == ExecStatus.TUPLES_OK:
                values = [int(result.get_value(0, column)) for column in range(4)]
            elif result.status != ExecStatus.COMMAND_OK:
                failure = result.error_message.decode(errors="replace")
        if failure or values is None:
            raise DatabaseError(failure or "the chunk's load returned nothing")
        unknown, distinct, created, resolved = values
        return ChunkResult(
            rows=self._count, created=created, present=distinct - created,
            skipped=resolved - distinct, unknown=unknown,
        )


_RESOLVED = """
WITH matched AS (
    SELECT s.*, COALESCE(o1.manager_id, o2.manager_id) AS m_out,
           COALESCE(i1.manager_id, i2.manager_id) AS m_in
    FROM import_staging s
    LEFT JOIN import_keys o1 ON o1.key = NULLIF(s.out_key, '')
    LEFT JOIN import_keys o2 ON o2.key = NULLIF(s.out_key2, '')
    LEFT JOIN import_keys i1 ON i1.key = NULLIF(s.in_key, '')
    LEFT JOIN import_keys i2 ON i2.key = NULLIF(s.in_key2, '')
), directed AS (
    SELECT m.*, COALESCE(m.direction, CASE WHEN m.m_out IS NULL AND m.m_in IS NOT NULL
                                           THEN %(in)s ELSE %(out)s END) AS dir
    FROM matched m
), resolved AS (
    SELECT d.*,
           CASE WHEN d.dir = %(in)s THEN COALESCE(d.m_in, d.m_out)
                ELSE COALESCE(d.m_out, d.m_in) END AS manager_id,
           CASE WHEN d.dir = %(in)s THEN d.src_phone ELSE d.dst_phone END AS phone
    FROM directed d
), unknown AS (
    INSERT INTO salesops_importrowerror (batch_id, line, "column", value, reason, kind)
    SELECT %(batch)s, line, %(column)s, LEFT(key_seen, 500), %(reason)s, %(kind)s
    FROM resolved WHERE manager_id IS NULL
    RETURNING 1
), best AS (
    SELECT DISTINCT ON (external_id) * FROM resolved WHERE manager_id IS NOT NULL
    ORDER BY external_id, talk_s DESC, outcome DESC, line
)"""

_LOAD_SQL = _RESOLVED + """, inserted AS (
    INSERT INTO salesops_calllog AS c (source, external_id, manager_id, started_at, duration_s,
        talk_s, wrapup_s, direction, phone, outcome, recording_url, batch_id)
    SELECT %(source)s, external_id, manager_id, started_at, duration_s, talk_s, wrapup_s, dir,
           LEFT(phone, 32), outcome, recording_url, %(batch)s
    FROM best
    ON CONFLICT (source, external_id) DO UPDATE SET
        manager_id = EXCLUDED.manager_id, started_at = EXCLUDED.started_at,
        duration_s = EXCLUDED.duration_s, talk_s = EXCLUDED.talk_s,
        direction = EXCLUDED.direction, phone = EXCLUDED.phone, outcome = EXCLUDED.outcome
    WHERE EXCLUDED.talk_s > c.talk_s
    RETURNING (xmax = 0) AS created
)
SELECT (SELECT count(*) FROM unknown), (SELECT count(*) FROM best),
       (SELECT count(*) FILTER (WHERE created) FROM inserted),
       (SELECT count(*) FROM resolved WHERE manager_id IS NOT NULL)
"""

_DRY_RUN_SQL = _RESOLVED + """
SELECT (SELECT count(*) FROM unknown), (SELECT count(*) FROM best),
       (SELECT count(*) FROM best b WHERE NOT EXISTS (
            SELECT 1 FROM salesops_calllog c
            WHERE c.source = %(source)s AND c.external_id = b.external_id)),
       (SELECT count(*) FROM resolved WHERE manager_id IS NOT NULL)
"""


class SqliteLoader:
    """The embedded mode's loader: small chunks, the same rules as the SQL above."""

    LOOKUP_BATCH = 500

    def __init__(self, *, batch_id: int, source: str, dry_run: bool, key_column: str):
        self.batch_id, self.source, self.dry_run = batch_id, source, dry_run
        self.key_column = key_column
        self.keys: dict[str, int] = {}

    def start(self) -> None:
        self.keys = {}
        for key, manager_id in manager_keys():
            self.keys.setdefault(key, manager_id)

    def finish(self) -> None:
        self.keys = {}

    def _resolve(self, row) -> tuple[int | None, str, str]:
        keys = self.keys
        m_out = keys.get(row[8]) or keys.get(row[9])
        m_in = keys.get(row[10]) or keys.get(row[11])
        direction = row[7] or (Direction.INBOUND if m_out is None and m_in else Direction.OUTBOUND)
        if direction == Direction.INBOUND:
            return m_in or m_out, direction, row[12]
        return m_out or m_in, direction, row[13]

    def send(self, rows: list[tuple]) -> None:
        self._rows = rows

    def wait(self) -> ChunkResult:
        result = ChunkResult()
        errors, best = [], {}
        for row in self._rows:
            result.rows += 1
            manager_id, direction, phone = self._resolve(row)
            if manager_id is None:
                errors.append(ImportRowError(
                    batch_id=self.batch_id, line=row[0], column=self.key_column,
                    value=row[15][:500], reason=str(UNKNOWN_MANAGER),
                    kind=ImportRowError.Kind.UNKNOWN_MANAGER,
                ))
                continue
            call = CallLog(
                source=self.source, external_id=row[1], manager_id=manager_id,
                started_at=row[2], duration_s=row[3], talk_s=row[4], wrapup_s=row[5],
                outcome=row[6], direction=direction, phone=phone[:32], recording_url=row[14],
                batch_id=self.batch_id,
            )
            kept = best.get(row[1])
            if kept is None or (call.talk_s, call.outcome) > (kept.talk_s, kept.outcome):
                best[row[1]] = call
        resolved = result.rows - len(errors)
        ImportRowError.objects.bulk_create(errors)
        existing = self._existing(list(best))
        new = [call for key, call in best.items() if key not in existing]
        if not self.dry_run:
            CallLog.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
            for key, (pk, talk_s) in existing.items():
                leg = best[key]
                if leg.talk_s > talk_s:  # a longer leg of a call already stored
                    CallLog.objects.filter(pk=pk).update(
                        manager_id=leg.manager_id, started_at=leg.started_at,
                        duration_s=leg.duration_s, talk_s=leg.talk_s, direction=leg.direction,
                        phone=leg.phone, outcome=leg.outcome,
                    )
        result.unknown = len(errors)
        result.created = len(new)
        result.present = len(best) - len(new)
        result.skipped = resolved - len(best)
        return result

    def _existing(self, external_ids: list[str]) -> dict[str, tuple[int, int]]:
        found = {}
        for start in range(0, len(external_ids), self.LOOKUP_BATCH):
            part = external_ids[start:start + self.LOOKUP_BATCH]
            found.update(
                (external_id, (pk, talk_s))
                for external_id, pk, talk_s in CallLog.objects.filter(
                    source=self.source, external_id__in=part
                ).values_list("external_id", "pk", "talk_s")
            )
        return found


def loader_class():
    return PostgresLoader if connection.vendor == "postgresql" else SqliteLoader

