"""Write chunks of staging rows to the database, set-based, never a duplicate (SPEC §6.1).

PostgreSQL: rows stream through ``COPY`` into a temporary staging table, then one
``INSERT … SELECT … ON CONFLICT`` per chunk resolves managers by JOIN and inserts the calls.
SQLite (the embedded mode): the same rules in Python, with ``bulk_create(ignore_conflicts=True)``.

Both apply the same rules: a second row of the file with the same call id is a row error (the
ids seen are kept in the database, ``import_seen``, not in the worker's memory: a 10-million-row
file costs no more memory than a small one); a row whose manager is unknown becomes a row error
with the value seen; rows sharing a group id (legs of one call) count once, credited to the leg
that talked longest; a later leg of the same file with a longer talk replaces the one stored.

History is not rewritten: a call already stored by another batch whose new version differs
(manager, start, duration, talk, outcome) is changed only when neither its old nor its new month
is approved or paid for the team the manager was in on the call's day (``LockedPeriod`` and dated
membership, as every writer of the layer asks: ``salesops.inputs.locks``); its previous values
are kept (``ImportCallChange``) so that a rollback restores them. Otherwise it is left as it is
and the new version is reported as an ``ImportConflict`` for an admin to accept or not.
"""

from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from psycopg import ClientCursor, generators, waiting
from psycopg.pq import ExecStatus

from salesops.inputs import locked_days
from salesops.models import (
    CallLog,
    Direction,
    ImportCallChange,
    ImportConflict,
    ImportRowError,
)
from salesops.periods import organisation_zone

from .rows import DUPLICATE, STAGING_COLUMNS
from .selectors import manager_keys

UNKNOWN_MANAGER = _("unknown manager: map this value to a manager (manager aliases), then re-run")


def english(message) -> str:
    """A reason as stored: in English, said in the reader's language when read."""
    with translation.override("en"):
        return str(message)


@dataclass
class ChunkResult:
    rows: int = 0  # rows that reached the loader (parsed without error)
    created: int = 0
    present: int = 0
    skipped: int = 0  # further legs of a call counted once
    unknown: int = 0
    updated: int = 0  # calls of open months another batch stored, changed (undone by rollback)
    conflicts: int = 0  # calls of approved or paid months left alone, reported
    duplicates: int = 0  # rows whose call id an earlier row of the file had: row errors


class PostgresLoader:
    def __init__(self, *, batch_id: int, source: str, dry_run: bool, key_column: str,
                 id_column: str = ""):
        self.batch_id, self.source, self.dry_run = batch_id, source, dry_run
        self.key_column, self.id_column = key_column, id_column

    def start(self, *, resume: bool = False) -> None:
        """``resume``: the batch committed chunks before (a retry, a resume): the call ids it
        stored are seen already."""
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS import_staging, import_keys, import_seen")
            cursor.execute(
                "CREATE TEMP TABLE import_staging (line integer, external_id text, "
                "started_at timestamptz, duration_s integer, talk_s integer, wrapup_s integer, "
                "outcome smallint, direction text, out_key text, out_key2 text, in_key text, "
                "in_key2 text, src_phone text, dst_phone text, recording_url text, "
                "key_seen text, dup_key text, dup_value text)"
            )
            cursor.execute("CREATE TEMP TABLE import_seen (key text PRIMARY KEY)")
            if resume and not self.dry_run:
                cursor.execute(_SEEN_BEFORE_SQL, {"batch": self.batch_id})
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
            cursor.execute("DROP TABLE IF EXISTS import_staging, import_keys, import_seen")

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
            "reason": english(UNKNOWN_MANAGER),
            "kind": ImportRowError.Kind.UNKNOWN_MANAGER.value,
            "id_column": self.id_column[:100], "duplicate": english(DUPLICATE),
            "out": Direction.OUTBOUND, "in": Direction.INBOUND, "zone": organisation_zone().key,
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
                values = [int(result.get_value(0, column)) for column in range(7)]
            elif result.status != ExecStatus.COMMAND_OK:
                failure = result.error_message.decode(errors="replace")
        if failure or values is None:
            raise DatabaseError(failure or "the chunk's load returned nothing")
        unknown, distinct, created, resolved, updated, conflicts, duplicates = values
        return ChunkResult(
            rows=self._count, created=created, present=distinct - created - updated - conflicts,
            skipped=resolved - distinct, unknown=unknown, updated=updated, conflicts=conflicts,
            duplicates=duplicates,
        )


# The call ids a batch already stored, created or changed: seen by a resumed run.
_SEEN_BEFORE_SQL = """
INSERT INTO import_seen (key)
SELECT c.external_id FROM salesops_calllog c WHERE c.batch_id = %(batch)s
UNION SELECT c.external_id FROM salesops_calllog c
    JOIN salesops_importcallchange h ON h.call_id = c.id AND h.batch_id = %(batch)s
UNION SELECT c.external_id FROM salesops_calllog c
    JOIN salesops_importconflict k ON k.call_id = c.id AND k.batch_id = %(batch)s
ON CONFLICT DO NOTHING
"""

# Rows whose call id is new to the file keep their first row (by line); the others, and rows
# whose id an earlier chunk had, are row errors.
_DEDUPLICATED = """
WITH fresh AS (
    INSERT INTO import_seen (key)
    SELECT DISTINCT dup_key FROM import_staging WHERE dup_key IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING key
), firsts AS (
    SELECT DISTINCT ON (s.dup_key) s.line FROM import_staging s JOIN fresh f ON f.key = s.dup_key
    ORDER BY s.dup_key, s.line
), duplicates AS (
    INSERT INTO salesops_importrowerror (batch_id, line, "column", value, reason, kind)
    SELECT %(batch)s, line, %(id_column)s, LEFT(dup_value, 500), %(duplicate)s, ''
    FROM import_staging
    WHERE dup_key IS NOT NULL AND line NOT IN (SELECT line FROM firsts)
    RETURNING 1
), kept AS (
    SELECT * FROM import_staging
    WHERE dup_key IS NULL OR line IN (SELECT line FROM firsts)
)"""

_RESOLVED = _DEDUPLICATED + """, matched AS (
    SELECT s.*, COALESCE(o1.manager_id, o2.manager_id) AS m_out,
           COALESCE(i1.manager_id, i2.manager_id) AS m_in
    FROM kept s
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

# The stored versions of the chunk's calls, and which of them this chunk changes: a call of
# this batch (a longer leg in a later chunk), or another batch's call whose version differs.
# ``locked``: its old or its new day lies in a locked month (``salesops_lockedperiod``) of the team
# the person was in that day: their membership row with the latest ``since`` on or before it; a
# person with no rows at all is in their current team (``salesops.inputs.membership``).
def _team_on(manager: str, day: str) -> str:
    return f"""COALESCE(
            (SELECT t.team_id FROM salesops_teammembership t
             WHERE t.manager_id = {manager} AND t.since <= {day}
             ORDER BY t.since DESC LIMIT 1),
            (SELECT m.team_id FROM salesops_manager m WHERE m.id = {manager} AND NOT EXISTS (
                SELECT 1 FROM salesops_teammembership t WHERE t.manager_id = {manager})))"""


def _locked_on(manager: str, started: str) -> str:
    day = f"({started} AT TIME ZONE %(zone)s)::date"
    return (f"(p.team_id = {_team_on(manager, day)}"
            f" AND p.month = date_trunc('month', {day})::date)")


_JUDGED = """, existing AS (
    SELECT b.*, c.id AS call_pk, c.manager_id AS old_manager, c.started_at AS old_started,
           c.duration_s AS old_duration, c.talk_s AS old_talk, c.outcome AS old_outcome,
           c.direction AS old_direction, c.phone AS old_phone,
           c.batch_id IS NOT DISTINCT FROM %(batch)s AS own
    FROM best b
    JOIN salesops_calllog c ON c.source = %(source)s AND c.external_id = b.external_id
), judged AS (
    SELECT e.*, (NOT e.own AND EXISTS (
        SELECT 1 FROM salesops_lockedperiod p
        WHERE """ + _locked_on("e.old_manager", "e.old_started") + """
           OR """ + _locked_on("e.manager_id", "e.started_at") + """
    )) AS locked
    FROM existing e
    WHERE CASE WHEN e.own THEN e.talk_s > e.old_talk
               ELSE (e.manager_id, e.started_at, e.duration_s, e.talk_s, e.outcome)
                    IS DISTINCT FROM (e.old_manager, e.old_started, e.old_duration, e.old_talk,
                                      e.old_outcome)
          END
)"""

_LOAD_SQL = _RESOLVED + _JUDGED + """, conflicts AS (
    INSERT INTO salesops_importconflict (batch_id, call_id, line, old_manager_id, new_manager_id,
        old_started_at, new_started_at, old_duration_s, new_duration_s, old_talk_s, new_talk_s,
        old_outcome, new_outcome, new_direction, new_phone, status)
    SELECT %(batch)s, call_pk, line, old_manager, manager_id, old_started, started_at,
           old_duration, duration_s, old_talk, talk_s, old_outcome, outcome, dir,
           LEFT(phone, 32), 'open'
    FROM judged WHERE locked
    ON CONFLICT (batch_id, call_id) DO NOTHING
    RETURNING 1
), remembered AS (
    INSERT INTO salesops_importcallchange (batch_id, call_id, manager_id, started_at, duration_s,
        talk_s, direction, phone, outcome)
    SELECT %(batch)s, call_pk, old_manager, old_started, old_duration, old_talk, old_direction,
           old_phone, old_outcome
    FROM judged WHERE NOT locked AND NOT own
    ON CONFLICT (batch_id, call_id) DO NOTHING
    RETURNING 1
), updated AS (
    UPDATE salesops_calllog c SET manager_id = j.manager_id, started_at = j.started_at,
        duration_s = j.duration_s, talk_s = j.talk_s, direction = j.dir,
        phone = LEFT(j.phone, 32), outcome = j.outcome
    FROM judged j WHERE c.id = j.call_pk AND NOT j.locked
    RETURNING NOT j.own AS counted
), inserted AS (
    INSERT INTO salesops_calllog (source, external_id, manager_id, started_at, duration_s,
        talk_s, wrapup_s, direction, phone, outcome, recording_url, batch_id)
    SELECT %(source)s, external_id, manager_id, started_at, duration_s, talk_s, wrapup_s, dir,
           LEFT(phone, 32), outcome, recording_url, %(batch)s
    FROM best
    -- Stored calls conflict and are left to the UPDATE above (both see the same snapshot).
    ON CONFLICT (source, external_id) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM unknown), (SELECT count(*) FROM best),
       (SELECT count(*) FROM inserted),
       (SELECT count(*) FROM resolved WHERE manager_id IS NOT NULL),
       (SELECT count(*) FILTER (WHERE counted) FROM updated),
       (SELECT count(*) FROM conflicts), (SELECT count(*) FROM duplicates)
"""

_DRY_RUN_SQL = _RESOLVED + _JUDGED + """
SELECT (SELECT count(*) FROM unknown), (SELECT count(*) FROM best),
       (SELECT count(*) FROM best b WHERE NOT EXISTS (
            SELECT 1 FROM existing e WHERE e.external_id = b.external_id)),
       (SELECT count(*) FROM resolved WHERE manager_id IS NOT NULL),
       (SELECT count(*) FROM judged WHERE NOT locked AND NOT own),
       (SELECT count(*) FROM judged WHERE locked), (SELECT count(*) FROM duplicates)
"""


class SqliteLoader:
    """The embedded mode's loader: small chunks, the same rules as the SQL above."""

    LOOKUP_BATCH = 500

    def __init__(self, *, batch_id: int, source: str, dry_run: bool, key_column: str,
                 id_column: str = ""):
        self.batch_id, self.source, self.dry_run = batch_id, source, dry_run
        self.key_column, self.id_column = key_column, id_column
        self.keys: dict[str, int] = {}
        self.seen: set[str] = set()

    def start(self, *, resume: bool = False) -> None:
        self.keys = {}
        for key, manager_id in manager_keys():
            self.keys.setdefault(key, manager_id)
        self.seen = set()
        if resume and not self.dry_run:
            self.seen.update(CallLog.objects.filter(batch_id=self.batch_id)
                             .values_list("external_id", flat=True))

    def finish(self) -> None:
        self.keys, self.seen = {}, set()

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
        errors, best, lines = [], {}, {}
        seen = self.seen
        for row in self._rows:
            result.rows += 1
            if row[16] is not None:
                if row[16] in seen:
                    errors.append(ImportRowError(
                        batch_id=self.batch_id, line=row[0], column=self.id_column[:100],
                        value=row[17][:500], reason=english(DUPLICATE)))
                    result.duplicates += 1
                    continue
                seen.add(row[16])
            manager_id, direction, phone = self._resolve(row)
            if manager_id is None:
                errors.append(ImportRowError(
                    batch_id=self.batch_id, line=row[0], column=self.key_column,
                    value=row[15][:500], reason=english(UNKNOWN_MANAGER),
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
                lines[row[1]] = row[0]
        resolved = result.rows - len(errors)
        ImportRowError.objects.bulk_create(errors)
        existing = self._existing(list(best))
        new = [call for key, call in best.items() if key not in existing]
        changed = []
        for key, stored in existing.items():
            leg = best[key]
            own = stored.batch_id == self.batch_id
            if own:
                if leg.talk_s > stored.talk_s:  # a longer leg of a call of this file
                    changed.append((stored, leg, True))
            elif _version(leg) != _version(stored):
                changed.append((stored, leg, False))
        locked = _locked_days([(s, leg) for s, leg, own in changed if not own])
        conflicts, remembered, updates = [], [], []
        for stored, leg, own in changed:
            if not own and (_day(stored) in locked or _day(leg) in locked):
                conflicts.append(_conflict(self.batch_id, stored, leg, lines[leg.external_id]))
                continue
            if not own:
                remembered.append(_change(self.batch_id, stored))
            updates.append((stored.pk, leg))
        if not self.dry_run:
            CallLog.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
            ImportConflict.objects.bulk_create(conflicts, ignore_conflicts=True)
            ImportCallChange.objects.bulk_create(remembered, ignore_conflicts=True)
            for pk, leg in updates:
                CallLog.objects.filter(pk=pk).update(
                    manager_id=leg.manager_id, started_at=leg.started_at,
                    duration_s=leg.duration_s, talk_s=leg.talk_s, direction=leg.direction,
                    phone=leg.phone, outcome=leg.outcome,
                )
        result.unknown = len(errors) - result.duplicates
        result.created = len(new)
        result.conflicts = len(conflicts)
        result.updated = len(remembered)
        result.present = len(best) - len(new) - result.updated - result.conflicts
        result.skipped = resolved - len(best)
        return result

    def _existing(self, external_ids: list[str]) -> dict[str, CallLog]:
        found = {}
        for start in range(0, len(external_ids), self.LOOKUP_BATCH):
            part = external_ids[start:start + self.LOOKUP_BATCH]
            found.update(
                (call.external_id, call)
                for call in CallLog.objects.filter(source=self.source, external_id__in=part)
            )
        return found


def _version(call: CallLog) -> tuple:
    """What a re-import may not change silently (SPEC §6.5): who, when, how long, what came of
    it. A new start can move a call into another month, approved or not."""
    return (call.manager_id, call.started_at, call.duration_s, call.talk_s, call.outcome)


def _day(call: CallLog) -> tuple[int, object]:
    return (call.manager_id, call.started_at.astimezone(organisation_zone()).date())


def _locked_days(changed: list[tuple[CallLog, CallLog]]) -> set[tuple[int, object]]:
    """The (manager, day) pairs among ``changed`` that lie in a locked month of the team the
    person was in that day (the layer's own test, ``salesops.inputs.locked_days``)."""
    return set(locked_days({_day(call) for both in changed for call in both}))


def _conflict(batch_id: int, stored: CallLog, leg: CallLog, line: int) -> ImportConflict:
    return ImportConflict(
        batch_id=batch_id, call_id=stored.pk, line=line,
        old_manager_id=stored.manager_id, new_manager_id=leg.manager_id,
        old_started_at=stored.started_at, new_started_at=leg.started_at,
        old_duration_s=stored.duration_s, new_duration_s=leg.duration_s,
        old_talk_s=stored.talk_s, new_talk_s=leg.talk_s,
        old_outcome=stored.outcome, new_outcome=leg.outcome,
        new_direction=leg.direction, new_phone=leg.phone[:32],
    )


def _change(batch_id: int, stored: CallLog) -> ImportCallChange:
    return ImportCallChange(
        batch_id=batch_id, call_id=stored.pk, manager_id=stored.manager_id,
        started_at=stored.started_at, duration_s=stored.duration_s, talk_s=stored.talk_s,
        direction=stored.direction, phone=stored.phone, outcome=stored.outcome,
    )


def loader_class():
    return PostgresLoader if connection.vendor == "postgresql" else SqliteLoader

