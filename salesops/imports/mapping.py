"""Writes of the mapping step: hold a batch for its column mapping, confirm the mapping (and
save it as a preset for the next file of the layout), and map the values a batch's error report
names (managers as aliases, statuses as status mappings) before it runs again.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from salesops.models import ImportBatch, ImportPreset, Manager, ManagerAlias, StatusMapping

from .presets import Detected, Preset
from .selectors import available_presets

Status = ImportBatch.Status
STARTS = ("started_at", "date", "time")


class MappingRefused(Exception):
    """The mapping cannot read a call (no start or duration, a column used twice …)."""


@dataclass(frozen=True)
class ColumnMapping:
    has_header: bool
    columns: dict[str, int]  # field → 0-based column
    header: tuple[str, ...] = ()  # the header row's names, when there is one


def import_batch_await_mapping(*, batch: ImportBatch) -> ImportBatch:
    """Hold a new batch until the admin confirms its columns (the mapping screen)."""
    updated = ImportBatch.objects.filter(pk=batch.pk, status=Status.PENDING).update(
        status=Status.MAPPING
    )
    if not updated:
        raise MappingRefused(_("This import has already started."))
    batch.refresh_from_db()
    return batch


def import_batch_use_preset(*, batch: ImportBatch, proposal) -> ImportBatch:
    """A file a preset was made for: run it with that preset's columns, and keep them on the
    batch so that its page lists the columns the preset leaves out."""
    batch.preset = proposal.preset.name
    batch.mapping = {
        "has_header": proposal.has_header, "columns": dict(proposal.columns),
        "header": list(proposal.header), "width": proposal.width,
    }
    batch.save(update_fields=["preset", "mapping"])
    return batch


def _check(mapping: ColumnMapping, width: int) -> None:
    columns = mapping.columns
    if "duration" not in columns or not any(name in columns for name in STARTS):
        raise MappingRefused(_("Choose at least the column of the start (date and time) and "
                               "the column of the duration."))
    if any(not 0 <= index < width for index in columns.values()):
        raise MappingRefused(_("The file has no such column."))
    used = list(columns.values())
    if len(used) != len(set(used)):
        raise MappingRefused(_("One column is chosen for two fields; choose each column once."))


@transaction.atomic
def import_batch_map_columns(
    *, batch: ImportBatch, mapping: ColumnMapping, width: int, save_as: str = "",
) -> ImportBatch:
    """Confirm the batch's columns; with ``save_as`` also save them as a preset, which then
    recognises the next file of this layout. The batch is pending again: start it."""
    _check(mapping, width)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != Status.MAPPING:
        raise MappingRefused(_("This import has already started."))
    if save_as.strip():
        preset = import_preset_save(label=save_as, mapping=mapping, source=batch.source)
        batch.preset = preset.name
    batch.mapping = {
        "has_header": mapping.has_header, "columns": dict(mapping.columns),
        "header": list(mapping.header), "width": width,
    }
    batch.status = Status.PENDING
    batch.save(update_fields=["mapping", "preset", "status"])
    return batch


def import_preset_save(*, label: str, mapping: ColumnMapping, source: str = "") -> ImportPreset:
    """A custom preset from a confirmed mapping: by header names when the file has a header
    (any file with those headers, in any order), else by column numbers."""
    _check(mapping, max(mapping.columns.values(), default=-1) + 1)
    label = label.strip()[:200]
    if not label:
        raise MappingRefused(_("Give the preset a name."))
    if ImportPreset.objects.filter(label__iexact=label).exists():
        raise MappingRefused(_("A preset named “%(name)s” exists already: choose another name.")
                             % {"name": label})
    # The slug is ASCII (the admin edits it as one); a Russian label gets a numbered slug.
    base = slugify(label)[:56] or "preset"
    taken = {preset.name for preset in available_presets()}
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    if mapping.has_header:
        columns = {field: mapping.header[index] for field, index in mapping.columns.items()}
        if any(not str(name).strip() for name in columns.values()):
            raise MappingRefused(_("A column chosen has no header name: a preset by header "
                                   "names needs every chosen column named."))
    else:
        columns = {field: str(index + 1) for field, index in mapping.columns.items()}
    return ImportPreset.objects.create(
        name=name, label=label, has_header=mapping.has_header, source=source or "spreadsheet",
        columns=columns,
    )


def mapped_layout(batch: ImportBatch, sample: list[list]) -> Detected | None:
    """How the run reads a batch whose columns the admin confirmed; None: detect it."""
    mapping = batch.mapping or {}
    if not mapping.get("columns"):
        return None
    columns = {field: int(index) for field, index in mapping["columns"].items()}
    width = max(len(row) for row in sample) if sample else 0
    if max(columns.values()) >= width:
        raise LookupError(_("The file has fewer columns than its mapping names."))
    preset = next((p for p in available_presets() if p.name == batch.preset), None) or Preset(
        name="", label=_("the column mapping"), source=batch.source or "spreadsheet",
    )
    has_header = bool(mapping.get("has_header"))
    return Detected(preset, columns, has_header, list(sample[0]) if has_header else [])


@transaction.atomic
def import_values_map(
    *, batch: ImportBatch, managers: dict[str, Manager], statuses: dict[str, int],
) -> tuple[int, int]:
    """Map each value once: a manager's value becomes that manager's alias, a status value a
    status mapping for the batch's layout. Returns how many of each were saved."""
    status_preset = batch_status_preset(batch)
    for value, manager in managers.items():
        ManagerAlias.objects.update_or_create(
            value=value.strip()[:150], defaults={"manager": manager}
        )
    for value, outcome in statuses.items():
        StatusMapping.objects.update_or_create(
            preset=status_preset, value=value.strip().casefold()[:100],
            defaults={"outcome": outcome},
        )
    return len(managers), len(statuses)


def batch_status_preset(batch: ImportBatch) -> str:
    """Under which preset a status seen in this batch is mapped ("" for any)."""
    preset = next((p for p in available_presets() if p.name == batch.preset), None)
    return preset.statuses if preset else ""
