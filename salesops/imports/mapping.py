"""A column mapping chosen by an admin at upload, as typed data between the mapping screen and
the import engine: which column (0-based) holds each field of a call, whether the first row is
a header. ``import_batch_create(mapping=...)`` / ``import_batch_rerun(mapping=...)`` store it on
the batch; the run then reads the file with it instead of recognising the layout.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .presets import FIELDS, Detected, Preset, detect


class MappingInvalid(ValueError):
    """The mapping cannot read a call: the message says what is missing."""


@dataclass(frozen=True)
class ColumnMapping:
    columns: dict[str, int]  # field (presets.FIELDS) → 0-based column
    has_header: bool = True
    source: str = ""  # the telephony source calls are stored under; empty: "spreadsheet"
    status_preset: str = ""  # whose status mappings apply besides the general ones
    id_names_channel: bool = False  # the id column names a channel, not a call (Asterisk)
    extra: dict = field(default_factory=dict)  # for the screen's own use; not read here
    # Records above the header (a report's title), or above the data without a header.
    skip: int = 0
    date_order: str = ""  # day or month first, as the admin chose it; empty: from the values

    def validate(self) -> None:
        unknown = sorted(set(self.columns) - set(FIELDS))
        if unknown:
            raise MappingInvalid(_("Unknown fields in the mapping: %(fields)s.")
                                 % {"fields": ", ".join(unknown)})
        if any(not isinstance(i, int) or i < 0 for i in self.columns.values()):
            raise MappingInvalid(_("Columns are numbered from 0."))
        if "duration" not in self.columns:
            raise MappingInvalid(_("Choose the column that holds the call's duration."))
        if not {"started_at", "date", "time"} & set(self.columns):
            raise MappingInvalid(_("Choose the column that holds when the call started."))
        if not {"agent", "src", "dst", "channel"} & set(self.columns):
            raise MappingInvalid(_("Choose the column that names the manager."))

    def as_json(self) -> dict:
        return {
            "columns": dict(self.columns), "has_header": self.has_header, "source": self.source,
            "status_preset": self.status_preset, "id_names_channel": self.id_names_channel,
            "extra": dict(self.extra), "skip": self.skip, "date_order": self.date_order,
        }

    @classmethod
    def from_json(cls, data: dict) -> "ColumnMapping":
        return cls(
            columns={name: int(index) for name, index in data.get("columns", {}).items()},
            has_header=bool(data.get("has_header", True)), source=data.get("source", ""),
            status_preset=data.get("status_preset", ""),
            id_names_channel=bool(data.get("id_names_channel", False)),
            extra=dict(data.get("extra", {})), skip=int(data.get("skip", 0)),
            date_order=str(data.get("date_order", "")),
        )

    @classmethod
    def from_detected(cls, detected: Detected) -> "ColumnMapping":
        """What the engine recognised, as a mapping the screen can show and change."""
        return cls(
            columns=dict(detected.columns), has_header=detected.has_header,
            source=detected.preset.source, status_preset=detected.preset.statuses,
            id_names_channel=detected.preset.id_names_channel, skip=detected.skip,
            date_order=detected.date_order,
        )


CHOSEN = "mapped"


def detected_from_mapping(mapping: ColumnMapping, sample: list[list]) -> Detected:
    mapping.validate()
    preset = Preset(
        name=CHOSEN, label=gettext_lazy("column mapping chosen at upload"),
        source=mapping.source or "spreadsheet", status_preset=mapping.status_preset or CHOSEN,
        id_names_channel=mapping.id_names_channel,
    )
    header = (list(sample[mapping.skip]) if mapping.has_header and len(sample) > mapping.skip
              else [])
    return Detected(preset, dict(mapping.columns), mapping.has_header, header,
                    skip=mapping.skip, date_order=mapping.date_order)


@dataclass
class TablePreview:
    """What the mapping screen shows before an import: the file's first rows, the mapping the
    engine would use (None when it recognises nothing), the columns that mapping leaves out,
    and why the file cannot be read at all (``problem``; then nothing else is filled)."""

    rows: list[list] = field(default_factory=list)
    header: list = field(default_factory=list)
    mapping: ColumnMapping | None = None
    preset: str = ""
    unmatched: list[int] = field(default_factory=list)
    problem: str = ""
    layout_problem: str = ""
    encoding: str = ""
    delimiter: str = ""


def table_preview(*, path, rows: int = 10) -> TablePreview:
    """Read the first ``rows`` records of a stored file and recognise its layout."""
    from .reader import UnreadableFile, open_table
    from .selectors import available_presets

    try:
        table = open_table(path, sample_rows=max(rows, 20))
    except UnreadableFile as exc:
        return TablePreview(problem=str(exc))
    try:
        preview = TablePreview(rows=[list(r) for r in table.sample[:rows]],
                               encoding=table.encoding, delimiter=table.delimiter)
        try:
            detected = detect(table.sample, presets=available_presets())
        except LookupError as exc:
            preview.layout_problem = str(exc)
            return preview
        preview.mapping = ColumnMapping.from_detected(detected)
        preview.preset = detected.preset.name
        preview.header = list(detected.header)
        width = max((len(r) for r in table.sample), default=0)
        used = set(detected.columns.values())
        preview.unmatched = [i for i in range(width) if i not in used]
        return preview
    finally:
        table.close()
