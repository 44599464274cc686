"""Writes for imports: create a batch from a file, run it, re-run it, roll it back.

``import_batch_run`` is the one engine behind the upload page, the admin, the Celery task and
``manage.py import_calls``. It streams the file in chunks; each chunk's calls, row errors and
the batch's progress commit together, so a run killed mid-file resumes after the last committed
chunk, and the unique (source, external id) makes any repeat harmless (SPEC §6.1).
"""

import contextlib
import logging
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from salesops import policy
from salesops.inputs import (
    Lock,
    audit_record,
    locked_days,
    pay_input_recorded,
    pay_input_writer,
    pay_inputs_recorded_in_bulk,
)
from salesops.models import CallLog, ImportBatch, ImportCallChange, ImportConflict, ImportRowError
from salesops.periods import organisation_zone

from .background import run_batch_soon
from .loaders import loader_class
from .mapping import ColumnMapping, MappingInvalid, detected_from_mapping
from .presets import Detected, detect
from .reader import MAX_HEADER, NUL_SHOWN, UnreadableFile, open_table
from .recognise import column_letter
from .rows import Plan, RowError, file_date_order, make_converter
from .sample import encode as encode_sample
from .selectors import available_presets, batch_days, status_map
from .stats import changed_days, daily_stats_refresh
from .values import MONTH_FIRST

logger = logging.getLogger(__name__)
Status = ImportBatch.Status
# The first key of the advisory locks that keep one runner per batch (PostgreSQL).
LOCK_NAMESPACE = 7401
LOCK_ATTEMPTS = 20


TALK_ONLY = gettext_lazy("The file gives talk time only: each call's duration is taken to be "
                         "its talk time, with no wrap-up.")


class ImportRefused(Exception):
    """The options given cannot work (an unknown time zone or preset)."""


def _check_zone(time_zone: str) -> None:
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ImportRefused(_("Unknown time zone: %(zone)s") % {"zone": time_zone}) from None


def import_batch_create(
    *, file, file_name: str, created_by=None, preset: str = "", time_zone: str = "",
    source: str = "", dry_run: bool = False, mapping: ColumnMapping | None = None,
) -> ImportBatch:
    """Store the uploaded (or local) file and a pending batch for it; nothing is read yet.

    ``mapping``: the columns the admin chose; the run reads the file with it instead of
    recognising the layout (``preset`` is then ignored)."""
    _check_zone(time_zone)
    if mapping is not None:
        try:
            mapping.validate()
        except MappingInvalid as exc:
            raise ImportRefused(str(exc)) from None
    elif preset and preset not in {p.name for p in available_presets()}:
        raise ImportRefused(_("There is no preset named “%(name)s”.") % {"name": preset})
    batch = ImportBatch(
        source=source, file_name=Path(file_name).name[:255], created_by=created_by,
        preset="" if mapping else preset, time_zone=time_zone, dry_run=dry_run,
        mapping=mapping.as_json() if mapping else {},
    )
    batch.file.save(Path(file_name).name, file if isinstance(file, File) else File(file),
                    save=False)
    batch.bytes_total = batch.file.size
    batch.save()
    return batch


def import_batch_start(*, batch: ImportBatch) -> None:
    """Queue the batch's run once the transaction that made it has committed."""
    transaction.on_commit(lambda: run_batch_soon(batch.pk))


def import_batch_recognise_soon(*, batch: ImportBatch) -> None:
    """Queue the worker's first look at a file uploaded without a chosen layout
    (``recognition``): it runs the batch, or holds it for the column mapping."""
    transaction.on_commit(lambda: run_batch_soon(batch.pk, recognise=True))


def import_batch_rerun(
    *, batch: ImportBatch, created_by=None, mapping: ColumnMapping | None = None,
) -> ImportBatch:
    """The same file and options again, as a new batch: after mapping unknown managers or
    statuses (or with another column ``mapping``), only what was missing gets created."""
    if mapping is None and batch.mapping:
        mapping = ColumnMapping.from_json(batch.mapping)
    with batch.file.open("rb") as handle:
        again = import_batch_create(
            file=handle, file_name=batch.file_name, created_by=created_by,
            preset="" if mapping else batch.preset, time_zone=batch.time_zone,
            source=batch.source, dry_run=batch.dry_run, mapping=mapping,
        )
    return again


def import_batch_run_again(*, batch: ImportBatch, by=None) -> ImportBatch:
    """"Run again", from every door (the batch page, the admin's action): a finished batch with
    refused rows continues in the same batch, reading those rows again; any other batch runs
    its file again as a new batch (a rolled-back one, say). Calls a PBX posted
    (``salesops.ingest``) have no file: refused, saying when they come."""
    if not batch.file:
        raise ImportRefused(_("These calls were posted by a PBX: there is no file to run "
                              "again. The calls are taken when they are posted again."))
    if batch.status == Status.DONE and batch.error_count:
        try:
            return import_batch_continue(batch=batch)
        except ImportRefused:
            pass
    again = import_batch_rerun(batch=batch, created_by=by)
    import_batch_start(batch=again)
    return again


# The server session that last held a batch's lock in this process: after a lost connection
# the server may not know yet that it is gone, and it still holds the lock.
_lock_sessions: dict[int, int] = {}


@contextlib.contextmanager
def _run_lock(batch_id: int):
    """One runner per batch. A worker that dies loses its session and so its lock: the
    redelivered task (or a manual re-run) can take over. SQLite runs embedded, in process."""
    if connection.vendor != "postgresql":
        yield True
        return
    locked = False
    with connection.cursor() as cursor:
        # A killed worker's session can take a moment to end on the server: wait a little.
        for attempt in range(LOCK_ATTEMPTS):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, batch_id])
            locked = cursor.fetchone()[0]
            if locked:
                break
            if attempt == 2:
                _end_own_lost_session(cursor, batch_id)
            time.sleep(0.5)
        if locked:
            _lock_sessions[batch_id] = connection.connection.info.backend_pid
    try:
        yield locked
    finally:
        # A lost connection took the lock with it.
        if locked and connection.connection is not None:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, batch_id])
            _lock_sessions.pop(batch_id, None)


def _end_own_lost_session(cursor, batch_id: int) -> None:
    """This process lost its connection while holding the batch's lock, and the server still
    keeps that session (a cut connection is noticed late): end it, so the run goes on."""
    old = _lock_sessions.get(batch_id)
    if old is None or old == connection.connection.info.backend_pid:
        return
    cursor.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
        "AND classid = %s AND objid = %s AND pid = %s AND granted",
        [LOCK_NAMESPACE, batch_id, old])
    logger.warning("import batch %s: ended this worker's lost session %s", batch_id, old)


def _fail(batch: ImportBatch, message: str) -> ImportBatch:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.FAILED, message=message, finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


class _ReadFailure(Exception):
    """The file stopped being readable part way (a damaged XLSX sheet): what came before is
    imported, then the batch fails with this message."""


@pay_input_writer
def import_batch_run(*, batch_id: int, chunk_rows: int | None = None) -> ImportBatch | None:
    """Run (or resume) a batch. Idempotent: a finished batch is left alone.

    Never leaves a batch running: every failure ends it ``failed`` with its reason in the
    organisation's language, keeping the chunks already committed (each chunk is one
    transaction: all of it or none of it), and ``import_batch_resume`` goes on from there. A
    lost database connection is retried a few times before that.
    """
    # The attempt is counted (and committed) before any work: a run whose process dies (out
    # of memory, killed) has used one, and a batch that has used them all is failed here
    # instead of being redelivered to kill worker after worker.
    max_attempts = settings.IMPORT_MAX_ATTEMPTS
    open_statuses = [Status.PENDING, Status.RUNNING]
    claimed = ImportBatch.objects.filter(
        pk=batch_id, status__in=open_statuses, attempts__lt=max_attempts,
    ).update(
        status=Status.RUNNING, attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), timezone.now()), heartbeat_at=timezone.now(),
    )
    if not claimed:
        ImportBatch.objects.filter(
            pk=batch_id, status__in=open_statuses, attempts__gte=max_attempts,
        ).update(status=Status.FAILED, finished_at=timezone.now(), heartbeat_at=timezone.now(),
                 message=attempts_used_message(max_attempts))
        return ImportBatch.objects.filter(pk=batch_id).first()
    for retry in range(DB_RETRIES + 1):
        try:
            return _run_locked(batch_id, chunk_rows)
        except Exception as exc:
            if not _connection_lost(exc):
                logger.exception("import batch %s failed", batch_id)
                return _fail_safely(batch_id, _(
                    "The import stopped on an unexpected error (%(error)s). What was imported "
                    "before it is kept: resume the import once the cause is fixed."
                ) % {"error": f"{type(exc).__name__}: {exc}"[:300]})
            logger.warning("import batch %s lost the database (%s), retry %d", batch_id, exc,
                           retry + 1)
            _reset_connection()
            if retry == DB_RETRIES:
                return _fail_safely(batch_id, _(
                    "The connection to the database was lost and did not come back (%(error)s)."
                    " What was imported before is kept: resume the import."
                ) % {"error": str(exc).strip()[:200]})
            # Backoff: a restarting server, a failover, a network blip get time to pass.
            time.sleep(DB_RETRY_PAUSE_S * 2**retry)
    return None


def _connection_lost(exc: Exception) -> bool:
    """Whether ``exc`` is the database connection going away: Django's wrapped errors, or
    psycopg's own from the COPY and the pipelined load, which bypass Django's cursor; or any
    database error on a connection that is now closed or broken."""
    if isinstance(exc, OperationalError | InterfaceError | psycopg.OperationalError
                  | psycopg.InterfaceError):
        return True
    if isinstance(exc, DatabaseError | psycopg.Error):
        raw = connection.connection
        return raw is None or bool(getattr(raw, "closed", False) or getattr(raw, "broken", False))
    return False


DB_RETRIES = 5
DB_RETRY_PAUSE_S = 1.0  # then 2, 4, 8, 16 s: about half a minute in all


def attempts_used_message(attempts: int) -> str:
    return _(
        "The import was started %(attempts)d times and its worker stopped each time (killed, "
        "or out of memory) without finishing. What was imported is kept. Split the file or "
        "export it as CSV, then resume or upload again."
    ) % {"attempts": attempts}


def _reset_connection() -> None:
    # Inside an atomic block (a test's transaction) the connection is not ours to close.
    if not connection.in_atomic_block:
        with contextlib.suppress(DatabaseError):
            connection.close()


def _fail_safely(batch_id: int, message: str) -> ImportBatch | None:
    """Fail the batch; if even that cannot be written, the watchdog will find it."""
    try:
        return _fail(ImportBatch.objects.get(pk=batch_id), message)
    except DatabaseError:
        logger.exception("import batch %s could not be marked failed", batch_id)
        return None


def _run_locked(batch_id: int, chunk_rows: int | None) -> ImportBatch:
    with _run_lock(batch_id) as locked:
        batch = ImportBatch.objects.get(pk=batch_id)
        if not locked:
            logger.info("import batch %s is being run by another worker", batch_id)
            return batch
        try:
            table = open_table(Path(batch.file.path))
        except UnreadableFile as exc:
            return _fail(batch, str(exc))
        except OSError as exc:
            return _fail(batch, _("The uploaded file cannot be opened (%(error)s). Upload it "
                                  "again.") % {"error": exc.strerror or exc})
        try:
            return _run(batch, table, chunk_rows)
        except (LookupError, MappingInvalid, UnreadableFile) as exc:
            return _fail(batch, str(exc))
        finally:
            table.close()


def _detect(batch: ImportBatch, table) -> Detected:
    if batch.mapping:
        return detected_from_mapping(ColumnMapping.from_json(batch.mapping), table.sample)
    return detect(table.sample, presets=available_presets(), chosen=batch.preset)


def _header_errors(batch: ImportBatch, detected: Detected, line: int) -> list[ImportRowError]:
    """Header names too long to be a column's name, and a name that heads several columns
    (only one of them is read), are reported on the header's line."""
    header = detected.header if detected.has_header else []

    def error(column: str, value, msgid: str, **values) -> ImportRowError:
        # In English with what it names: said in each reader's language when read.
        return ImportRowError(batch_id=batch.pk, line=line, column=column[:100],
                              value=str(value)[:500], reason=(msgid % values)[:300],
                              params={"msgid": msgid, "values": values})

    errors = [
        error(_("column %(number)d") % {"number": index + 1}, name,
              gettext_noop("a header name longer than %(max)d characters"), max=MAX_HEADER)
        for index, name in enumerate(header)
        if len(str(name)) > MAX_HEADER
    ]
    columns: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        key = str(name).strip().casefold()
        if key:
            columns.setdefault(key, []).append(index)
    read = set(detected.columns.values())
    for indexes in columns.values():
        if len(indexes) < 2:
            continue
        letters = ", ".join(column_letter(index) for index in indexes)
        used = [column_letter(index) for index in indexes if index in read]
        if used:
            errors.append(error(letters, header[indexes[0]], gettext_noop(
                "this header names several columns (%(columns)s): only column %(used)s is "
                "read; rename the others"), columns=letters, used=used[0]))
        else:
            errors.append(error(letters, header[indexes[0]], gettext_noop(
                "this header names several columns (%(columns)s); none is read"),
                columns=letters))
    return errors


def _run(batch: ImportBatch, table, chunk_rows: int | None) -> ImportBatch:
    detected = _detect(batch, table)
    if not batch.sample:
        # Kept for the pages (the columns left out), which never open the file themselves.
        ImportBatch.objects.filter(pk=batch.pk).update(sample=encode_sample(table.sample))
    zone = ZoneInfo(batch.time_zone or settings.TIME_ZONE)
    plan = Plan(detected, zone, status_map(detected.preset.statuses),
                month_first=file_date_order(detected, table.sample) == MONTH_FIRST)
    convert = make_converter(plan)
    reading = _Reading(
        batch_id=batch.pk, convert=convert,
        names={index: plan.names[name] for name, index in detected.columns.items()},
    )
    batch.preset = detected.preset.name
    batch.source = batch.source or detected.preset.source
    message = _("Read as “%(preset)s”, %(header)s, %(encoding)s%(delimiter)s.")
    if "duration" not in detected.columns:
        message += " " + str(TALK_ONLY)
    ImportBatch.objects.filter(pk=batch.pk).update(
        preset=batch.preset, source=batch.source, bytes_total=table.bytes_total,
        message=message % {
            "preset": detected.preset.label,
            "header": _("with a header row") if detected.has_header else _("no header row"),
            "encoding": table.encoding or f"XLSX ({table.reader})",
            "delimiter": f", “{table.delimiter}”".replace("\t", "TAB") if table.delimiter else "",
        },
    )
    loader = loader_class()(
        batch_id=batch.pk, source=batch.source, dry_run=batch.dry_run,
        key_column=plan.key_columns, id_column=plan.names.get("call_id", ""),
    )
    if chunk_rows is None:
        chunk_rows = (settings.IMPORT_CHUNK_ROWS if connection.vendor == "postgresql"
                      else settings.IMPORT_SQLITE_CHUNK_ROWS)
    records = table.records()
    header_line = 1
    # The title rows above the header (or the data), then the header itself.
    for _above in islice(records, detected.skip):
        pass
    if detected.has_header:
        header_line = next(records).line
    retry_upto = batch.retry_errors_upto
    fresh = batch.rows_read == 0 and retry_upto is None
    if retry_upto is not None:
        # Continued after values were mapped: only the rows that were refused are read again.
        retried = set(batch.row_errors.filter(
            pk__lte=retry_upto, line__gt=header_line if detected.has_header else 0,
        ).values_list("line", flat=True))
        records = (record for record in records if record.line in retried)
    # Resume: the records before the checkpoint were committed by an earlier attempt.
    for _skipped in islice(records, batch.rows_read):
        pass
    counts_before = _counts(batch)
    loader.start(resume=not fresh)
    try:
        chunk = reading.parse(records, chunk_rows)
        if fresh:
            chunk.errors[:0] = _header_errors(batch, detected, header_line)
        if fresh and not chunk.consumed and not chunk.failure:
            return _fail(batch, _("The file has its header row (line %(line)d) and no calls "
                                  "under it.") % {"line": header_line})
        while chunk.consumed or chunk.failure or chunk.errors:
            following = _load_chunk(batch, table, chunk, records, reading, loader, chunk_rows)
            if chunk.failure:
                raise _ReadFailure(chunk.failure)
            chunk = following
    except _ReadFailure as exc:
        _refresh_days(batch, counts_before)
        return _fail(batch, str(exc))
    finally:
        loader.finish()
    _refresh_days(batch, counts_before)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.DONE, finished_at=timezone.now(), bytes_read=table.bytes_total,
        heartbeat_at=timezone.now(), retry_errors_upto=None,
    )
    batch.refresh_from_db()
    return batch


_COUNTS = ("created_count", "updated_count", "conflict_count", "present_count", "error_count")


def _counts(batch: ImportBatch) -> dict[str, int]:
    return dict(ImportBatch.objects.filter(pk=batch.pk).values(*_COUNTS).get())


def _refresh_days(batch: ImportBatch, counts_before: dict[str, int]) -> None:
    """The batch run's record in the write layer: the dashboard's days refreshed, the months
    of its calls marked changed (SPEC §7: stale for their people, the open month's pay
    recomputed once this commits) and one audit row with what this run wrote."""
    if batch.dry_run:
        return
    days = batch_days(batch) | changed_days(batch=batch)
    daily_stats_refresh(pairs=days)
    counts = _counts(batch)
    pay_inputs_recorded_in_bulk(
        action="import_batch_run", obj=batch, by=batch.created_by, days=days,
        after={name.removesuffix("_count"): counts[name] - counts_before[name]
               for name in _COUNTS},
    )


@dataclass
class _Chunk:
    rows: list[tuple] = field(default_factory=list)
    errors: list[ImportRowError] = field(default_factory=list)
    consumed: int = 0
    failure: str = ""  # the file stopped being readable after these records
    first_line: int = 0  # the lines the chunk's records span
    last_line: int = 0


@dataclass
class _Reading:
    """Records to staging rows and row errors, one chunk at a time."""

    batch_id: int
    convert: callable
    names: dict[int, str]  # column → the name the report gives it

    def _error(self, line: int, column: str, value, reason: str, kind: str = "",
               params: dict | None = None) -> ImportRowError:
        return ImportRowError(
            batch_id=self.batch_id, line=line, column=str(column)[:100],
            value=str(value).replace("\x00", NUL_SHOWN)[:500], reason=str(reason)[:300],
            kind=kind, params=params,
        )

    def parse(self, records, chunk_rows: int) -> _Chunk:
        # Reasons are stored in English and said in each reader's language when read
        # (``ImportRowError.reason_shown``), whoever runs the import.
        with translation.override("en"):
            return self._parse(records, chunk_rows)

    def _parse(self, records, chunk_rows: int) -> _Chunk:
        chunk = _Chunk()
        rows, errors, convert, names = chunk.rows, chunk.errors, self.convert, self.names
        try:
            for record in islice(records, chunk_rows):
                chunk.consumed += 1
                chunk.first_line = chunk.first_line or record.line
                chunk.last_line = record.line
                if record.values is None:
                    errors.append(self._error(
                        record.line, record.column, record.raw, record.reason,
                        params={"msgid": record.problem, "values": record.params}
                        if record.params else None))
                    continue
                if record.errors:
                    used = sorted(set(record.errors) & set(names))
                    if used:
                        errors.append(self._error(
                            record.line, names[used[0]], record.errors[used[0]],
                            _("an Excel error cell, not a value: correct the formula in the "
                              "file, save it, and upload it again")))
                        continue
                if record.formulas:
                    used = sorted(set(record.formulas) & set(names))
                    if used:
                        errors.append(self._error(
                            record.line, names[used[0]], record.formulas[used[0]],
                            _("a formula with no saved value: open the file in Excel, save "
                              "it, and upload it again")))
                        continue
                try:
                    rows.append(convert(record.values, record.line))
                except RowError as exc:
                    errors.append(self._error(record.line, exc.column, exc.value, exc.reason,
                                              exc.kind, exc.params))
                except Exception as exc:  # one odd row must not stop the file
                    logger.warning("row %s could not be read: %r", record.line, exc)
                    errors.append(self._error(record.line, "", record.values,
                                              _("this row could not be read (%(error)s)")
                                              % {"error": exc}))
        except UnreadableFile as exc:
            chunk.failure = str(exc)
        return chunk


def _load_chunk(batch, table, chunk: _Chunk, records, reading, loader, chunk_rows) -> _Chunk:
    """Load ``chunk`` in one transaction with its row errors and the batch's progress, and
    parse the next chunk while the database works on this one; returns the next chunk."""
    with transaction.atomic():
        loader.send(chunk.rows)
        following = _Chunk() if chunk.failure else reading.parse(records, chunk_rows)
        result = loader.wait()
        retried = 0
        if batch.retry_errors_upto is not None and chunk.consumed:
            # The rows read again leave their old errors; those still refused have new ones.
            retried, _by_model = ImportRowError.objects.filter(
                batch_id=batch.pk, pk__lte=batch.retry_errors_upto,
                line__gte=chunk.first_line, line__lte=chunk.last_line,
            ).delete()
        ImportRowError.objects.bulk_create(chunk.errors, batch_size=1000)
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_read=F("rows_read") + chunk.consumed, bytes_read=table.bytes_read(),
            created_count=F("created_count") + result.created,
            present_count=F("present_count") + result.present,
            skipped_count=F("skipped_count") + result.skipped,
            error_count=(F("error_count") + len(chunk.errors) + result.unknown
                         + result.duplicates - retried),
            updated_count=F("updated_count") + result.updated,
            conflict_count=F("conflict_count") + result.conflicts,
            heartbeat_at=timezone.now(),
        )
    return following


def import_batch_continue(*, batch: ImportBatch) -> ImportBatch:
    """Read again, in the same batch, the rows a finished batch refused (after the admin
    mapped managers or statuses): the rows imported stay as they are, the counts add up, the
    errors of the rows now imported go. Queued once the caller's transaction commits."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != Status.DONE:
            raise ImportRefused(_("Only a finished import can run its refused rows again; this "
                                  "one is “%(status)s”.") % {"status": batch.get_status_display()})
        bound = batch.row_errors.aggregate(last=Max("pk"))["last"]
        if bound is None:
            raise ImportRefused(_("No row of this import was refused: there is nothing to run "
                                  "again."))
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=Status.PENDING, attempts=0, finished_at=None, rows_read=0,
            retry_errors_upto=bound,
            message=_("Running again the rows that were refused."),
        )
        import_batch_start(batch=batch)
    batch.refresh_from_db()
    return batch


def import_batch_resume(*, batch: ImportBatch) -> ImportBatch:
    """Go on with a failed batch from its last committed chunk (after the cause is fixed: the
    database is back, a mapping added). Queued once the caller's transaction commits."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != Status.FAILED:
            raise ImportRefused(_("Only a failed import can be resumed; this one is “%(status)s”.")
                                % {"status": batch.get_status_display()})
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=Status.PENDING, attempts=0, finished_at=None,
            message=_("Resumed after line %(rows)d.") % {"rows": batch.rows_read},
        )
        import_batch_start(batch=batch)
    batch.refresh_from_db()
    return batch


@pay_input_writer
def import_batch_rollback(*, batch: ImportBatch, by=None) -> int:
    """Undo the batch: delete every call it created and put back the calls of open months it
    changed, as a whole; its open conflicts are closed; the dashboard's days are refreshed.
    Returns the number of calls deleted."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status in (Status.RUNNING, Status.PENDING):
            raise ImportRefused(_("The import is still running; roll it back when it ends."))
        pairs = batch_days(batch) | changed_days(batch=batch)
        locked = locked_days(pairs)
        if locked:
            # Pay of an approved or paid month is settled (SPEC §6.5): its calls stay.
            raise ImportRefused(_(
                "This import has calls in approved or paid months (%(months)s): it cannot be "
                "rolled back. Correct those calls one by one; the next open month pays the "
                "difference.") % {"months": ", ".join(sorted(
                    {f"{share.month:%Y-%m} · {share.team}" for share in locked.values()}))})
        restored = _restore_changed_calls(batch)
        batch.conflicts.filter(status=ImportConflict.Status.OPEN).update(
            status=ImportConflict.Status.REJECTED, decided_at=timezone.now(),
        )
        _total, by_model = batch.calls.all().delete()
        deleted = by_model.get(CallLog._meta.label, 0)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=Status.ROLLED_BACK,
            message=_("Rolled back on %(when)s: %(count)d calls deleted, %(restored)d calls "
                      "put back as they were.") % {
                "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "count": deleted,
                "restored": restored,
            },
        )
        daily_stats_refresh(pairs=pairs)
        pay_inputs_recorded_in_bulk(
            action="import_batch_rolled_back", obj=batch, by=by, days=pairs,
            after={"deleted": deleted, "restored": restored},
        )
    return deleted


_RESTORED_FIELDS = ("manager_id", "started_at", "duration_s", "talk_s", "direction", "phone",
                    "outcome")


def _restore_changed_calls(batch: ImportBatch) -> int:
    changes = ImportCallChange.objects.filter(batch=batch)
    previous = changes.filter(call=OuterRef("pk"))
    restored = CallLog.objects.filter(pk__in=changes.values("call_id")).update(**{
        name: Subquery(previous.values(name)[:1]) for name in _RESTORED_FIELDS
    })
    changes.delete()
    return restored


@pay_input_writer
def import_conflict_accept(*, conflict: ImportConflict, by) -> CallLog:
    """Take the file's version of a call of an approved or paid month. The month's pay is not
    touched: the next open month's run pays the difference as an adjustment (SPEC §6.5).
    Audited in the same transaction."""
    with transaction.atomic():
        conflict = ImportConflict.objects.select_for_update().get(pk=conflict.pk)
        policy.require(by, policy.DECIDE_CONFLICT, conflict, conflict)
        if conflict.status != ImportConflict.Status.OPEN:
            raise ImportRefused(_("This conflict has already been decided."))
        call = CallLog.objects.select_for_update().get(pk=conflict.call_id)
        before = {name: getattr(call, name) for name in _RESTORED_FIELDS}
        pairs = {_day_of(call)}
        call.manager_id, call.started_at = conflict.new_manager_id, conflict.new_started_at
        call.duration_s, call.talk_s = conflict.new_duration_s, conflict.new_talk_s
        call.outcome, call.direction = conflict.new_outcome, conflict.new_direction
        call.phone = conflict.new_phone
        call.save(update_fields=[name.removesuffix("_id") for name in _RESTORED_FIELDS])
        conflict.status = ImportConflict.Status.ACCEPTED
        conflict.decided_by, conflict.decided_at = by, timezone.now()
        conflict.save(update_fields=["status", "decided_by", "decided_at"])
        # A correction of a locked month's call, admitted by whoever may decide conflicts,
        # with the file's line as its reason; the next open month pays it (SPEC §6.5).
        pay_input_recorded(
            action="import_conflict_accept", obj=call, by=by, before=before,
            after={name: getattr(call, name) for name in _RESTORED_FIELDS},
            days=pairs | {_day_of(call)}, lock=Lock.CORRECTION, may_correct=True,
            reason=_("Import batch %(batch)d, line %(line)d: the file's version taken.")
            % {"batch": conflict.batch_id, "line": conflict.line},
        )
        daily_stats_refresh(pairs=pairs | {_day_of(call)})
    return call


def import_conflict_reject(*, conflict: ImportConflict, by) -> ImportConflict:
    """Keep the stored version; the file's version is set aside, audited."""
    with transaction.atomic():
        conflict = ImportConflict.objects.select_for_update().get(pk=conflict.pk)
        policy.require(by, policy.DECIDE_CONFLICT, conflict, conflict)
        if conflict.status != ImportConflict.Status.OPEN:
            raise ImportRefused(_("This conflict has already been decided."))
        conflict.status = ImportConflict.Status.REJECTED
        conflict.decided_by, conflict.decided_at = by, timezone.now()
        conflict.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(action="import_conflict_reject", obj=conflict, by=by, before={},
                     after={"status": conflict.status})
    return conflict


def _day_of(call: CallLog):
    return call.manager_id, timezone.localtime(call.started_at, organisation_zone()).date()


def import_file(
    *, path: Path, created_by=None, preset: str = "", time_zone: str = "", source: str = "",
    dry_run: bool = False, chunk_rows: int | None = None, mapping: ColumnMapping | None = None,
) -> ImportBatch:
    """Import a local file now, in this process (``manage.py import_calls``, benchmarks)."""
    with Path(path).open("rb") as handle:
        batch = import_batch_create(
            file=handle, file_name=Path(path).name, created_by=created_by, preset=preset,
            time_zone=time_zone, source=source, dry_run=dry_run, mapping=mapping,
        )
    return import_batch_run(batch_id=batch.pk, chunk_rows=chunk_rows)

