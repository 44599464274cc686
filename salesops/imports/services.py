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

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from payouts.changes import payout_inputs_changed_on_days
from salesops.models import CallLog, ImportBatch, ImportRowError

from .background import run_batch_soon
from .loaders import loader_class
from .mapping import ColumnMapping, MappingInvalid, detected_from_mapping
from .presets import Detected, detect
from .reader import UnreadableFile, open_table
from .rows import Plan, RowError, make_converter
from .selectors import available_presets, batch_days, status_map
from .stats import daily_stats_refresh

logger = logging.getLogger(__name__)
Status = ImportBatch.Status
# The first key of the advisory locks that keep one runner per batch (PostgreSQL).
LOCK_NAMESPACE = 7401
LOCK_ATTEMPTS = 20


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
        for _attempt in range(LOCK_ATTEMPTS):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, batch_id])
            locked = cursor.fetchone()[0]
            if locked:
                break
            time.sleep(0.5)
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, batch_id])


def _fail(batch: ImportBatch, message: str) -> ImportBatch:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.FAILED, message=message, finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


def import_batch_run(*, batch_id: int, chunk_rows: int | None = None) -> ImportBatch | None:
    """Run (or resume) a batch. Idempotent: a finished batch is left alone."""
    claimed = ImportBatch.objects.filter(
        pk=batch_id, status__in=[Status.PENDING, Status.RUNNING]
    ).update(
        status=Status.RUNNING, attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), timezone.now()),
    )
    if not claimed:
        return ImportBatch.objects.filter(pk=batch_id).first()
    with _run_lock(batch_id) as locked:
        batch = ImportBatch.objects.get(pk=batch_id)
        if not locked:
            logger.info("import batch %s is being run by another worker", batch_id)
            return batch
        try:
            table = open_table(Path(batch.file.path))
        except UnreadableFile as exc:
            return _fail(batch, str(exc))
        try:
            return _run(batch, table, chunk_rows)
        except (LookupError, MappingInvalid) as exc:
            return _fail(batch, str(exc))
        finally:
            table.close()


def _detect(batch: ImportBatch, table) -> Detected:
    if batch.mapping:
        return detected_from_mapping(ColumnMapping.from_json(batch.mapping), table.sample)
    return detect(table.sample, presets=available_presets(), chosen=batch.preset)


def _run(batch: ImportBatch, table, chunk_rows: int | None) -> ImportBatch:
    detected = _detect(batch, table)
    zone = ZoneInfo(batch.time_zone or settings.TIME_ZONE)
    plan = Plan(detected, zone, status_map(detected.preset.statuses))
    convert = make_converter(plan)
    batch.preset = detected.preset.name
    batch.source = batch.source or detected.preset.source
    ImportBatch.objects.filter(pk=batch.pk).update(
        preset=batch.preset, source=batch.source, bytes_total=table.bytes_total,
        message=_("Read as “%(preset)s”, %(header)s, %(encoding)s%(delimiter)s.") % {
            "preset": detected.preset.label,
            "header": _("with a header row") if detected.has_header else _("no header row"),
            "encoding": table.encoding or "XLSX",
            "delimiter": f", “{table.delimiter}”".replace("\t", "TAB") if table.delimiter else "",
        },
    )
    loader = loader_class()(
        batch_id=batch.pk, source=batch.source, dry_run=batch.dry_run,
        key_column=plan.key_columns,
    )
    if chunk_rows is None:
        chunk_rows = (settings.IMPORT_CHUNK_ROWS if connection.vendor == "postgresql"
                      else settings.IMPORT_SQLITE_CHUNK_ROWS)
    records = table.records()
    if detected.has_header:
        next(records)
    # Resume: the records before the checkpoint were committed by an earlier attempt.
    for _skipped in islice(records, batch.rows_read):
        pass
    loader.start()
    try:
        chunk = _parse_chunk(batch, records, convert, chunk_rows)
        while chunk.consumed:
            chunk = _load_chunk(batch, table, chunk, records, convert, loader, chunk_rows)
    finally:
        loader.finish()
    if not batch.dry_run:
        days = batch_days(batch)
        daily_stats_refresh(pairs=days)
        # SPEC §7: the months these calls fall in are stale for their people, and the open
        # month's pay is recomputed for them once this commits.
        payout_inputs_changed_on_days(days=days)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.DONE, finished_at=timezone.now(), bytes_read=table.bytes_total
    )
    batch.refresh_from_db()
    return batch


@dataclass
class _Chunk:
    rows: list[tuple] = field(default_factory=list)
    errors: list[ImportRowError] = field(default_factory=list)
    consumed: int = 0


def _parse_chunk(batch, records, convert, chunk_rows: int) -> _Chunk:
    chunk = _Chunk()
    rows, errors = chunk.rows, chunk.errors
    for record in islice(records, chunk_rows):
        chunk.consumed += 1
        if record.values is None:
            errors.append(ImportRowError(
                batch_id=batch.pk, line=record.line, column="", value=record.raw[:500],
                reason=record.problem[:300],
            ))
            continue
        try:
            rows.append(convert(record.values, record.line))
        except RowError as exc:
            errors.append(ImportRowError(
                batch_id=batch.pk, line=record.line, column=exc.column, value=exc.value,
                reason=exc.reason, kind=exc.kind,
            ))
    return chunk


def _load_chunk(batch, table, chunk: _Chunk, records, convert, loader, chunk_rows) -> _Chunk:
    """Load ``chunk`` in one transaction with its row errors and the batch's progress, and
    parse the next chunk while the database works on this one; returns the next chunk."""
    with transaction.atomic():
        loader.send(chunk.rows)
        following = _parse_chunk(batch, records, convert, chunk_rows)
        result = loader.wait()
        ImportRowError.objects.bulk_create(chunk.errors, batch_size=1000)
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_read=F("rows_read") + chunk.consumed, bytes_read=table.bytes_read(),
            created_count=F("created_count") + result.created,
            present_count=F("present_count") + result.present,
            skipped_count=F("skipped_count") + result.skipped,
            error_count=F("error_count") + len(chunk.errors) + result.unknown,
        )
    return following


def import_batch_rollback(*, batch: ImportBatch) -> int:
    """Delete every call the batch created, as a whole, and refresh the dashboard's days."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == Status.RUNNING:
            raise ImportRefused(_("The import is still running; roll it back when it ends."))
        pairs = batch_days(batch)
        _total, by_model = batch.calls.all().delete()
        deleted = by_model.get(CallLog._meta.label, 0)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=Status.ROLLED_BACK,
            message=_("Rolled back on %(when)s: %(count)d calls deleted.") % {
                "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "count": deleted,
            },
        )
        daily_stats_refresh(pairs=pairs)
        payout_inputs_changed_on_days(days=pairs)
    return deleted


def import_file(
    *, path: Path, created_by=None, preset: str = "", time_zone: str = "", source: str = "",
    dry_run: bool = False, chunk_rows: int | None = None,
) -> ImportBatch:
    """Import a local file now, in this process (``manage.py import_calls``, benchmarks)."""
    with Path(path).open("rb") as handle:
        batch = import_batch_create(
            file=handle, file_name=Path(path).name, created_by=created_by, preset=preset,
            time_zone=time_zone, source=source, dry_run=dry_run,
        )
    return import_batch_run(batch_id=batch.pk, chunk_rows=chunk_rows)

