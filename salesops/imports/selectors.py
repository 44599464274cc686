"""Reads for imports: how telephony names managers, a batch's progress, its error report."""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, replace

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.models import (
    ImportBatch,
    ImportPreset,
    ImportRowError,
    Manager,
    ManagerAlias,
    StatusMapping,
)
from salesops.periods import organisation_zone

from .mapping import ColumnMapping
from .presets import BUILT_IN, Preset, detect, preset_from_model
from .reader import UnreadableFile
from .recognise import Proposal, as_text, column_letter, propose
from .sample import decode as decode_sample
from .values import full_name_keys, initials_key, manager_key, name_key
from .vocabulary import status_key


def _person_keys() -> tuple[list[tuple[int, str, int]], dict[str, set[int]]]:
    """(ranked keys that name one manager each, name key → every manager it may name)."""
    managers = Manager.objects.values_list(
        "pk", "extension", "telephony_login", "telephony_email", "user__username",
        "user__email", "user__first_name", "user__last_name",
    )
    ranked, names, initials = [], {}, {}
    for pk, extension, login, email, username, user_email, first_name, last_name in managers:
        ranked += [(0, extension, pk), (1, login, pk), (2, email, pk), (4, username, pk),
                   (5, user_email, pk)]
        for key in full_name_keys(first_name, last_name):
            names.setdefault(key, set()).add(pk)
        key = initials_key(first_name, last_name)
        if key:
            initials.setdefault(key, set()).add(pk)
    # An alias is the admin's own word: it wins over an account's login or e-mail.
    ranked += [(3, value, pk) for value, pk in ManagerAlias.objects.values_list("value", "manager")]
    ranked += [(6, key, next(iter(pks))) for key, pks in names.items() if len(pks) == 1]
    ranked += [(7, key, next(iter(pks))) for key, pks in initials.items() if len(pks) == 1]
    return ranked, {**initials, **names}


def manager_keys() -> Iterator[tuple[str, int]]:
    """Every (key, manager id) telephony may use for a manager, compared as ``manager_key``
    folds them: the extension first, then the telephony login, the e-mail, the aliases an admin
    mapped, the login and e-mail of the person's account ("manager21"), the full name in either
    order ("Семёнов Илья", "Илья Семенов"; a file's «Иванов Иван Иванович» is looked up without
    its patronymic, ``values.name_key``), and last surname and initial («Иванов И.И.»). A name
    or initials two managers share names neither: the row is asked about in the bulk mapping,
    never given to one of them."""
    seen = set()
    ranked, _names = _person_keys()
    for _rank, value, pk in sorted(ranked, key=lambda item: item[0]):
        key = manager_key((value or "").strip())
        if key and key not in seen:
            seen.add(key)
            yield key, pk


def manager_candidates(values: list[str]) -> dict[str, list[int]]:
    """For each value of a file no key matched, the managers its name or initials may mean
    (two namesakes, «Иванов И.И.» for Иван and Игорь): shown in the bulk mapping, never
    chosen for the admin."""
    _ranked, names = _person_keys()
    found = {}
    for value in values:
        key = manager_key(value)
        pks = names.get(key) or names.get(name_key(value)) or set()
        if len(pks) > 1:
            found[value] = sorted(pks)
    return found


def available_presets() -> list[Preset]:
    return [*BUILT_IN, *(preset_from_model(saved) for saved in ImportPreset.objects.all())]


def status_map(preset: str) -> dict[str, int]:
    """Status value (as ``status_key`` folds it) → outcome: the mappings for any layout (the
    vocabulary and every value an admin mapped), then the layout's own, which win."""
    rows = StatusMapping.objects.filter(preset__in=["", preset]).order_by("preset")
    return {status_key(value): outcome for value, outcome in
            rows.values_list("value", "outcome")}


def batch_progress(batch: ImportBatch) -> dict:
    """What the progress page shows: rows, rows/s, errors so far, ETA, and the summary."""
    now = timezone.now()
    elapsed = ((batch.finished_at or now) - batch.started_at).total_seconds() if (
        batch.started_at) else 0.0
    rate = batch.rows_read / elapsed if elapsed > 0 else 0.0
    fraction = min(batch.bytes_read / batch.bytes_total, 1.0) if batch.bytes_total else 0.0
    if batch.status == ImportBatch.Status.DONE:
        fraction = 1.0
    eta = None
    if batch.status == ImportBatch.Status.RUNNING and 0 < fraction < 1 and elapsed > 0:
        eta = round(elapsed * (1 - fraction) / fraction)
    return {
        "id": batch.pk, "status": batch.status, "status_label": str(batch.get_status_display()),
        "file_name": batch.file_name, "preset": batch.preset, "source": batch.source,
        "dry_run": batch.dry_run, "message": batch.message,
        "rows": batch.rows_read, "rows_per_second": round(rate), "errors": batch.error_count,
        "percent": round(fraction * 100, 1), "eta_seconds": eta,
        "bytes_read": batch.bytes_read, "bytes_total": batch.bytes_total,
        "created": batch.created_count, "present": batch.present_count,
        "skipped": batch.skipped_count, "updated": batch.updated_count,
        "conflicts": batch.conflict_count,
        "finished": batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED,
                                     ImportBatch.Status.ROLLED_BACK),
    }


def batch_errors(batch: ImportBatch) -> QuerySet[ImportRowError]:
    return batch.row_errors.order_by("line", "pk")


def batch_days(batch: ImportBatch) -> set[tuple[int, datetime.date]]:
    """The (manager, day) pairs a batch's calls fall on, on the organisation's calendar."""
    return set(
        batch.calls.annotate(day=TruncDate("started_at", tzinfo=organisation_zone()))
        .values_list("manager_id", "day").distinct()
    )


def batches_visible_to(user) -> QuerySet[ImportBatch]:
    if not (user.is_active and user.is_staff):
        return ImportBatch.objects.none()
    return ImportBatch.objects.select_related("created_by")


def _first_rows(batch: ImportBatch) -> list[list]:
    """The first rows the worker read and kept on the batch: a page never opens the file."""
    sample = decode_sample(batch.sample)
    if not sample:
        raise UnreadableFile(_("The file has not been read yet."))
    return sample


def batch_proposal(batch: ImportBatch, *, header_row: int | None = None) -> Proposal:
    """The batch file's first rows (as the worker kept them) and the column proposed for each
    field, the header read from ``header_row`` when the admin chose it; raises
    ``UnreadableFile`` when there are none."""
    sample = _first_rows(batch)
    statuses = {status_key(value)
                for value in StatusMapping.objects.values_list("value", flat=True)}
    return propose(sample, presets=available_presets(), statuses=statuses,
                   header_row=header_row)


@dataclass(frozen=True)
class UnknownValue:
    """A value the error report names, with how many rows it kept out."""

    value: str
    rows: int
    # A value made of several columns (source / channel / destination of a PBX file) is no
    # name an alias can match: such a manager is found by the extension in their record.
    mappable: bool = True
    # The managers a name or initials may mean (namesakes): the admin chooses, never the import.
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnknownValues:
    managers: list[UnknownValue]
    statuses: list[UnknownValue]
    more_managers: int = 0  # distinct values beyond those listed
    more_statuses: int = 0

    def __bool__(self) -> bool:
        return bool(self.managers or self.statuses)


def batch_unknown_values(batch: ImportBatch, *, limit: int = 50) -> UnknownValues:
    """Unknown managers and statuses of a batch, each value once with its row count, the
    values that kept most rows out first."""
    Kind = ImportRowError.Kind
    found = {}
    for kind in (Kind.UNKNOWN_MANAGER, Kind.UNKNOWN_STATUS):
        groups = (batch.row_errors.filter(kind=kind).values("value")
                  .annotate(rows=Count("pk")).order_by("-rows", "value"))
        listed = list(groups[:limit + 1])
        more = groups.count() - limit if len(listed) > limit else 0
        found[kind] = ([UnknownValue(row["value"], row["rows"],
                                     kind != Kind.UNKNOWN_MANAGER or " / " not in row["value"])
                        for row in listed[:limit]], more)
    managers = found[Kind.UNKNOWN_MANAGER][0]
    namesakes = manager_candidates([item.value for item in managers if item.mappable])
    if namesakes:
        people = {manager.pk: str(manager) for manager in Manager.objects.filter(
            pk__in={pk for pks in namesakes.values() for pk in pks}).select_related("user")}
        managers = [
            replace(item, candidates=tuple(sorted(people[pk] for pk in namesakes[item.value])))
            if item.value in namesakes else item for item in managers]
    return UnknownValues(
        managers=managers, statuses=found[Kind.UNKNOWN_STATUS][0],
        more_managers=found[Kind.UNKNOWN_MANAGER][1], more_statuses=found[Kind.UNKNOWN_STATUS][1],
    )


def managers_to_map() -> QuerySet[Manager]:
    """Whom an unknown manager's value can be mapped to."""
    return Manager.objects.select_related("user").order_by("user__last_name", "user__first_name",
                                                           "user__username")


def batch_columns_left_out(batch: ImportBatch) -> list[str]:
    """The file's columns no field reads ("H · Queue"): listed on the batch's page, never
    dropped silently. A preset's batch reads its file's first rows to tell."""
    if batch.mapping:
        mapping = ColumnMapping.from_json(batch.mapping)
        header = list(mapping.extra.get("header") or [])
        width = int(mapping.extra.get("width") or len(header))
        columns = mapping.columns
    elif batch.preset and batch.file:
        try:
            sample = _first_rows(batch)
            detected = detect(sample, presets=available_presets(), chosen=batch.preset)
        except (UnreadableFile, LookupError, OSError):
            return []  # the batch's own message says what went wrong
        header = [as_text(value) for value in detected.header] if detected.has_header else []
        width = max(len(row) for row in sample[detected.skip:detected.skip + 20])
        columns = detected.columns
    else:
        return []
    used = set(columns.values())
    return [
        f"{column_letter(index)} · {header[index]}" if index < len(header) and header[index]
        else column_letter(index)
        for index in range(width) if index not in used
    ]

