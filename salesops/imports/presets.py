"""The layouts admins bring (CALL-FORMATS.md), recognised from the data's shape and header
names, never from the file name.

A preset names, for each field of a call, the header names it goes by and, for files without a
header, its column number in each known width. Custom presets saved by an admin
(``ImportPreset``) work the same way.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .synonyms import HEADER_SYNONYMS
from .values import parse_datetime, parse_duration

# Fields of a call record. ``out_key``/``in_key`` name the manager's side when the call goes
# out / comes in; ``agent`` names the manager whatever the direction.
FIELDS = [
    "call_id", "group_id", "started_at", "date", "time", "agent", "src", "dst", "channel",
    "dstchannel", "phone", "duration", "talk", "wrapup", "status", "direction", "recording",
]
_NON_WORD = re.compile(r"[\W_]+")
# How far down a file its header row is looked for (a title, a date range, blank rows above).
HEADER_SCAN_ROWS = 10


def header_key(text) -> str:
    """``"Call Sid"``, ``"call_sid"`` and ``"\\ufeffCallSid"`` are one header."""
    return _NON_WORD.sub("", str(text).casefold())


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    source: str
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    # Files without a header: column count → field → 0-based column.
    layouts: dict[int, dict[str, int]] = field(default_factory=dict)
    shape: Callable[[list, dict[str, int]], bool] | None = None
    status_preset: str = ""  # whose status mapping to use; default: the preset's own name
    # Asterisk's uniqueid names a channel, not a record: one channel writes several records
    # (each dial attempt, ForkCDR), so the record's id adds a fingerprint of its content.
    id_names_channel: bool = False
    # Read by the header names of ``synonyms.py`` rather than a layout of its own: a file it
    # recognises is shown on the mapping screen before it is imported.
    generic: bool = False
    # A saved preset of a headerless file: the records above its data (a title).
    skip_rows: int = 0
    # Day or month first in its dates (``values.DAY_FIRST``/``MONTH_FIRST``), as the admin
    # chose it for an ambiguous column; empty: told by the file's values.
    date_order: str = ""

    @property
    def statuses(self) -> str:
        return self.status_preset or self.name

    def match_header(self, row: list) -> dict[str, int] | None:
        """Field → column when ``row`` is this preset's header row, else None."""
        keys = [header_key(value) for value in row]
        columns = {}
        for name, aliases in self.headers.items():
            for alias in aliases:
                if alias in keys:
                    columns[name] = keys.index(alias)
                    break
        if not self.required or not all(name in columns for name in self.required):
            return None
        return columns

    def match_shape(self, rows: list[list]) -> dict[str, int] | None:
        """Field → column when the headerless ``rows`` have this preset's shape, else None."""
        if not rows:
            return None
        layout = self.layouts.get(len(rows[0]))
        if layout is None or self.shape is None:
            return None
        checked = [row for row in rows[:10] if len(row) == len(rows[0])]
        if all(self.shape(row, layout) for row in checked):
            return dict(layout)
        return None


_ISO_START = re.compile(r"^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}[ T]\d{1,2}:\d{2}")
_DIGITS = re.compile(r"^\s*-?\d+\s*$")
_UUID = re.compile(r"^\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s*$", re.I)
_HANGUP_CAUSE = re.compile(r"^[A-Z][A-Z_]+$")
# Numeric dispositions as CALL-FORMATS.md lists them: ANSWERED 4, NO ANSWER 1, BUSY 2, FAILED 3.
ASTERISK_DISPOSITIONS = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION", "1", "2", "3",
                         "4"}


def _is_datetime(value) -> bool:
    return bool(_ISO_START.match(str(value)))


def _is_int(value) -> bool:
    return isinstance(value, int) or bool(_DIGITS.match(str(value)))


def _asterisk_shape(row, layout) -> bool:
    return (
        _is_datetime(row[layout["started_at"]])
        and _is_int(row[layout["duration"]])
        and _is_int(row[layout["talk"]])
        and str(row[layout["status"]]).strip() in ASTERISK_DISPOSITIONS
    )


def _freeswitch_shape(row, layout) -> bool:
    return (
        _is_datetime(row[layout["started_at"]])
        and _is_int(row[layout["duration"]])
        and bool(_HANGUP_CAUSE.match(str(row[layout["status"]]).strip()))
        and str(row[layout["status"]]).strip() not in ASTERISK_DISPOSITIONS
        and bool(_UUID.match(str(row[layout["call_id"]])))
    )


def _cdr_stats_shape(row, layout) -> bool:
    return (
        _is_int(row[layout["started_at"]])
        and _is_int(row[layout["duration"]])
        and _is_int(row[layout["status"]])
        and bool(_UUID.match(str(row[layout["call_id"]])))
    )


def _vicidial_shape(row, layout) -> bool:
    return _is_datetime(row[layout["started_at"]]) and _is_int(row[layout["duration"]])


_ASTERISK_16 = {
    "src": 1, "dst": 2, "channel": 5, "dstchannel": 6, "started_at": 9, "duration": 12,
    "talk": 13, "status": 14,
}
_ASTERISK_18 = {**_ASTERISK_16, "call_id": 16}
_ASTERISK_21 = {**_ASTERISK_18, "group_id": 19}
# cdr_custom with the sample mapping: clid first, accountcode 16th, sequence last.
_ASTERISK_CUSTOM_19 = {
    "src": 1, "dst": 2, "channel": 4, "dstchannel": 5, "started_at": 8, "duration": 11,
    "talk": 12, "status": 13, "call_id": 16,
}
_VICIDIAL_STANDARD = {"started_at": 0, "phone": 1, "status": 2, "agent": 3, "duration": 30}

_PBX_HEADERS = {
    "call_id": ("uniqueid",),
    "group_id": ("linkedid",),
    "started_at": ("calldate", "start", "starttime"),
    "src": ("src", "cnum"),
    "dst": ("dst",),
    "channel": ("channel",),
    "dstchannel": ("dstchannel",),
    "duration": ("duration",),
    "talk": ("billsec",),
    "status": ("disposition",),
    "recording": ("recordingfile",),
}

BUILT_IN: list[Preset] = [
    Preset(
        name="asterisk", label=gettext_lazy("Asterisk cdr_csv (Master.csv)"), source="asterisk",
        layouts={16: _ASTERISK_16, 18: _ASTERISK_18, 21: _ASTERISK_21},
        shape=_asterisk_shape,
        id_names_channel=True,
    ),
    Preset(
        name="asterisk-custom", label=gettext_lazy("Asterisk cdr_custom (sample mapping)"),
        source="asterisk", layouts={19: _ASTERISK_CUSTOM_19}, shape=_asterisk_shape,
        status_preset="asterisk",
        id_names_channel=True,
    ),
    Preset(
        name="freepbx", label=gettext_lazy("FreePBX CDR Reports"), source="asterisk",
        headers=_PBX_HEADERS, required=("started_at", "src", "dst", "duration", "talk", "status"),
        status_preset="asterisk",
        id_names_channel=True,
    ),
    Preset(
        name="freeswitch", label=gettext_lazy("FreeSWITCH cdr_csv"), source="freeswitch",
        layouts={
            # The "default" template.
            15: {"src": 1, "dst": 2, "started_at": 4, "duration": 7, "talk": 8, "status": 9,
                 "call_id": 10},
            # The "example" template, Asterisk-like with the hangup cause as disposition.
            18: {"src": 1, "dst": 2, "channel": 5, "dstchannel": 6, "started_at": 9,
                 "duration": 12, "talk": 13, "status": 14, "call_id": 16},
        },
        shape=_freeswitch_shape,
    ),
    Preset(
        name="twilio", label=gettext_lazy("Twilio calls export"), source="twilio",
        headers={
            "call_id": ("sid", "callsid"),
            "group_id": ("parentcallsid",),
            "started_at": ("starttime", "datecreated", "date"),
            "src": ("from", "fromformatted"),
            "dst": ("to", "toformatted"),
            "duration": ("duration",),
            "status": ("status",),
            "direction": ("direction",),
        },
        required=("call_id", "started_at", "src", "dst", "duration", "status"),
    ),
    Preset(
        name="vicidial", label=gettext_lazy("VICIdial Export Calls Report"), source="vicidial",
        headers={
            "call_id": ("uniqueid",),
            "started_at": ("calldate",),
            "phone": ("phonenumberdialed", "phonenumber"),
            "status": ("status",),
            "agent": ("user",),
            "duration": ("lengthinsec",),
            "recording": ("recordinglocation",),
        },
        required=("started_at", "agent", "duration", "status"),
        layouts={width: _VICIDIAL_STANDARD for width in range(36, 60)},
        shape=_vicidial_shape,
    ),
    Preset(
        name="cdr-stats", label=gettext_lazy("CDR-Stats import"), source="cdr-stats",
        headers={
            "call_id": ("callid",),
            "started_at": ("startingdate",),
            "agent": ("accountcode",),
            "src": ("calleridnumber",),
            "dst": ("destinationnumber",),
            "duration": ("duration",),
            "talk": ("billsec",),
            "status": ("hangupcauseid",),
            "direction": ("direction",),
        },
        required=("call_id", "started_at", "dst", "duration", "talk"),
        # CallerID, CallerName, Destination, Duration, BillSec, hangupcauseID, uuid, StartDate
        layouts={8: {"src": 0, "channel": 1, "dst": 2, "duration": 3, "talk": 4, "status": 5,
                     "call_id": 6, "started_at": 7}},
        shape=_cdr_stats_shape,
    ),
    Preset(
        # Named "russian" for the status mappings and batches that already use the name.
        name="russian", label=gettext_lazy("Spreadsheet (Russian or English header names)"),
        source="spreadsheet",
        headers={
            name: tuple(dict.fromkeys(header_key(synonym) for synonym in synonyms))
            for name, synonyms in HEADER_SYNONYMS.items()
        },
        required=("duration",),
        generic=True,
    ),
]
BY_NAME = {preset.name: preset for preset in BUILT_IN}


@dataclass
class Detected:
    preset: Preset
    columns: dict[str, int]
    has_header: bool
    header: list = field(default_factory=list)
    # Records above the header (a report's title), or above the data when there is no header.
    skip: int = 0
    date_order: str = ""  # as chosen (a mapping, a saved preset); empty: told by the values

    @property
    def data(self) -> int:
        """Records before the first row of data."""
        return self.skip + (1 if self.has_header else 0)


def date_column(columns: dict[str, int]) -> int | None:
    """The column whose values carry the call's date (a start, a date, or a "time" holding
    both)."""
    for name in ("started_at", "date", "time"):
        if name in columns:
            return columns[name]
    return None


def preset_from_model(saved) -> Preset:
    """A preset an admin saved (``ImportPreset``): header names, or column numbers from 1."""
    if saved.has_header:
        return Preset(
            name=saved.name, label=saved.label, source=saved.source,
            headers={name: (header_key(value),) for name, value in saved.columns.items()},
            required=tuple(saved.columns), date_order=saved.date_order,
        )
    layout = {name: int(value) - 1 for name, value in saved.columns.items()}
    width = max(layout.values()) + 1 if layout else 0
    return Preset(
        name=saved.name, label=saved.label, source=saved.source,
        layouts={width + extra: layout for extra in range(0, 40)},
        shape=_mapped_shape, skip_rows=saved.skip_rows, date_order=saved.date_order,
    )


def _mapped_shape(row, layout) -> bool:
    """A headerless file has a saved preset's shape when its start and duration read as such:
    without this check any file as wide would be taken for it."""
    try:
        if "started_at" in layout:
            parse_datetime(row[layout["started_at"]], datetime.UTC)
        parse_duration(row[layout["duration"]])
    except (ValueError, KeyError, IndexError, OverflowError):
        return False
    return True


def _usable(columns: dict[str, int]) -> bool:
    has_start = "started_at" in columns or "date" in columns or "time" in columns
    return has_start and "duration" in columns


def detect(sample: list[list], *, presets: list[Preset], chosen: str = "") -> Detected:
    """Which preset reads this file, and whether its first row is a header.

    ``chosen`` names the preset the admin picked; empty means: recognise it. Raises
    ``LookupError`` with the reason when nothing fits.
    """
    if not sample:
        raise LookupError(_("The file has no rows."))
    candidates = [p for p in presets if p.name == chosen] if chosen else presets
    if chosen and not candidates:
        raise LookupError(_("There is no preset named “%(name)s”.") % {"name": chosen})
    best, best_rank = None, None
    # A report's title and blank rows may stand above the header: look for it in the first rows.
    for row_index, row in enumerate(sample[:HEADER_SCAN_ROWS]):
        for preset in candidates:
            columns = preset.match_header(row)
            # A preset made for this layout beats the generic header names, whatever their
            # count; of two rows, the one naming more fields, then the first.
            rank = (not preset.generic, len(columns or ()), -row_index)
            if columns and _usable(columns) and (best is None or rank > best_rank):
                best = Detected(preset, columns, True, list(row), skip=row_index,
                                date_order=preset.date_order)
                best_rank = rank
    if best:
        return best
    for preset in candidates:
        columns = preset.match_shape(sample[preset.skip_rows:])
        if columns:
            return Detected(preset, columns, False, skip=preset.skip_rows,
                            date_order=preset.date_order)
    first = ", ".join(str(value) for value in sample[0][:8])
    if chosen:
        raise LookupError(
            _("The file does not look like “%(preset)s”: its first row (%(width)d columns) is "
              "“%(first)s”. Choose another preset, or save a custom preset with this file's "
              "columns.") % {"preset": chosen, "width": len(sample[0]), "first": first[:200]}
        )
    raise LookupError(
        _("Unknown layout: %(width)d columns, first row “%(first)s”. Known layouts: "
          "%(known)s. Choose a preset, or save a custom preset with this file's columns in "
          "the admin.") % {
            "width": len(sample[0]), "first": first[:200],
            "known": ", ".join(str(p.label) for p in presets),
        }
    )
