"""Writes of the mapping step at upload: hold a new batch for its column mapping, confirm the
mapping the admin chose (and save it as a preset that then recognises the next file of the
layout), and map the values a batch's error report names (managers as aliases, statuses as
status mappings) before the file runs again. The mapping itself is ``mapping.ColumnMapping``,
which the import engine reads.
"""

from dataclasses import replace

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from salesops.models import ImportBatch, ImportPreset, Manager, ManagerAlias, StatusMapping

from .mapping import CHOSEN, ColumnMapping, MappingInvalid
from .selectors import available_presets
from .vocabulary import status_key

Status = ImportBatch.Status
STARTS = ("started_at", "date", "time")


class MappingRefused(Exception):
    """The mapping cannot read a call (no start or duration, a column used twice …)."""


def import_batch_await_mapping(*, batch: ImportBatch) -> ImportBatch:
    """Hold a new batch until the admin confirms its columns (the mapping screen)."""
    updated = ImportBatch.objects.filter(pk=batch.pk, status=Status.PENDING).update(
        status=Status.MAPPING
    )
    if not updated:
        raise MappingRefused(_("This import has already started."))
    batch.refresh_from_db()
    return batch


def import_batch_use_preset(*, batch: ImportBatch, preset: str) -> ImportBatch:
    """A file a preset was made for is run with that preset, without asking."""
    batch.preset = preset
    batch.save(update_fields=["preset"])
    return batch


def _check(columns: dict[str, int], width: int) -> None:
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
    *, batch: ImportBatch, columns: dict[str, int], has_header: bool, header: list[str],
    width: int, save_as: str = "", skip: int = 0, date_order: str = "",
) -> ImportBatch:
    """Confirm the batch's columns; with ``save_as`` also save them as a preset, which then
    recognises the next file of this layout. The batch is pending again: start it."""
    _check(columns, width)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != Status.MAPPING:
        raise MappingRefused(_("This import has already started."))
    mapping = ColumnMapping(
        columns=dict(columns), has_header=has_header, source=batch.source,
        # What the batch page lists as left out.
        extra={"header": list(header) if has_header else [], "width": width}, skip=skip,
        date_order=date_order,
    )
    try:
        mapping.validate()
    except MappingInvalid as exc:
        raise MappingRefused(str(exc)) from None
    if save_as.strip():
        preset = import_preset_save(label=save_as, mapping=mapping, header=header,
                                    source=batch.source)
        # Statuses mapped for this batch then apply to the next file of the layout too.
        mapping = replace(mapping, status_preset=preset.name)
    batch.mapping = mapping.as_json()
    batch.preset = ""
    batch.status = Status.PENDING
    batch.save(update_fields=["mapping", "preset", "status"])
    return batch


def import_preset_save(
    *, label: str, mapping: ColumnMapping, header: list[str], source: str = "",
) -> ImportPreset:
    """A custom preset from a confirmed mapping: by header names when the file has a header
    (any file with those headers, in any order), else by column numbers."""
    label = label.strip()[:200]
    if not label:
        raise MappingRefused(_("Give the preset a name."))
    if ImportPreset.objects.filter(label__iexact=label).exists():
        raise MappingRefused(_("A preset named “%(name)s” exists already: choose another name.")
                             % {"name": label})
    if mapping.has_header:
        columns = {field: str(header[index]).strip() if index < len(header) else ""
                   for field, index in mapping.columns.items()}
        if not all(columns.values()):
            raise MappingRefused(_("A column chosen has no header name: a preset by header "
                                   "names needs every chosen column named."))
    else:
        columns = {field: str(index + 1) for field, index in mapping.columns.items()}
    # The slug is ASCII (the admin edits it as one); a Russian label gets a numbered slug.
    base = slugify(label)[:56] or "preset"
    taken = {preset.name for preset in available_presets()} | {CHOSEN}
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    return ImportPreset.objects.create(
        name=name, label=label, has_header=mapping.has_header, source=source or "spreadsheet",
        columns=columns, skip_rows=mapping.skip, date_order=mapping.date_order,
    )


@transaction.atomic
def import_values_map(
    *, batch: ImportBatch, managers: dict[str, Manager], statuses: dict[str, int],
) -> tuple[int, int]:
    """Map each value once: a manager's value becomes that manager's alias, a status value a
    status mapping for any layout: every later file that says it, whatever its columns, reads
    it so (the admin edits it in one place, the status mappings). Returns how many of each
    were saved."""
    for value, manager in managers.items():
        ManagerAlias.objects.update_or_create(
            value=value.strip()[:150], defaults={"manager": manager}
        )
    for value, outcome in statuses.items():
        StatusMapping.objects.update_or_create(
            preset="", value=status_key(value)[:100],
            defaults={"outcome": outcome},
        )
    return len(managers), len(statuses)

