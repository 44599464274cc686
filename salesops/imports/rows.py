"""Turn one record of a recognised file into a staging row, or a ``RowError`` saying which
column, which value and why. The plan (which column holds what, which parser) is made once per
file; ``convert`` then runs once per record and stays lean.
"""

import datetime
import hashlib
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from salesops.models import ImportRowError, Outcome

from .presets import Detected, date_column
from .values import (
    DAY_FIRST,
    MONTH_FIRST,
    channel_peer,
    date_order,
    manager_key,
    name_key,
    normalise_phone,
    parse_clock,
    parse_date,
    parse_datetime,
    parse_direction,
    parse_duration,
    recording_link,
)
from .vocabulary import status_key

# The columns of the staging table, in this order, for both loaders.
STAGING_COLUMNS = (
    "line", "external_id", "started_at", "duration_s", "talk_s", "wrapup_s", "outcome",
    "direction", "out_key", "out_key2", "in_key", "in_key2", "src_phone", "dst_phone",
    "recording_url", "key_seen", "dup_key", "dup_value",
)
# A second row of a file with the same call id is left out: found by the loader (loaders.py),
# which keeps the ids seen in the database, so the reader's memory does not grow with the file.
DUPLICATE = _lazy("the same call as an earlier row of this file: this row is left out")
MAX_ID = 128
MAX_COLUMN = 100  # ImportRowError.column
NO_ANSWER = int(Outcome.NO_ANSWER)
UNKNOWN_STATUS = ImportRowError.Kind.UNKNOWN_STATUS.value
ANSWERED = int(Outcome.ANSWERED)


class RowError(Exception):
    def __init__(self, column: str, value, reason: str, kind: str = ""):
        super().__init__(reason)
        self.kind = kind  # ImportRowError.Kind: errors an admin fixes by mapping the value
        self.column = str(column)[:MAX_COLUMN]
        self.value = "" if value is None else str(value)[:500]
        self.reason = str(reason)[:300]


@dataclass
class Plan:
    detected: Detected
    zone: ZoneInfo
    statuses: dict[str, int]
    names: dict[str, str] = field(default_factory=dict)
    month_first: bool = False  # "12/03/2026" is December 3rd (``file_date_order``)

    def __post_init__(self):
        header = self.detected.header
        for name, index in self.detected.columns.items():
            if header and index < len(header) and str(header[index]).strip():
                self.names[name] = str(header[index]).strip().lstrip("\ufeff")[:MAX_COLUMN]
            else:
                self.names[name] = _("column %(number)d (%(field)s)") % {
                    "number": index + 1, "field": name,
                }

    @property
    def key_columns(self) -> str:
        fields = ["agent"] if "agent" in self.detected.columns else ["src", "channel", "dst"]
        return " / ".join(self.names[f] for f in fields if f in self.names)[:100]


def _non_finite(value) -> bool:
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return False


def _checked(parse):
    """``parse`` that says so when a number is not finite (``1e400``, ``Infinity``, ``NaN``),
    instead of failing with an overflow nobody catches."""

    def checked(value, *args):
        try:
            return parse(value, *args)
        except (OverflowError, ValueError, TypeError) as exc:
            if _non_finite(value):
                raise ValueError(_("not a finite number")) from None
            if isinstance(exc, ValueError):
                raise
            raise ValueError(str(exc)) from None

    return checked


parse_duration = _checked(parse_duration)
parse_datetime = _checked(parse_datetime)
parse_date = _checked(parse_date)
parse_clock = _checked(parse_clock)


def file_date_order(detected: Detected, sample: list[list]) -> str:
    """Day or month first in the file's dates: as chosen (the mapping, the preset), else as
    its first rows tell (``date_order``). A column that reads both ways and was never asked
    about (an import from the command line) is read day-first, the organisation's way: the
    upload's mapping screen asks instead."""
    if detected.date_order:
        return detected.date_order
    column = date_column(detected.columns)
    if column is None:
        return DAY_FIRST
    found = date_order(row[column] for row in sample[detected.data:] if column < len(row))
    return found if found in (DAY_FIRST, MONTH_FIRST) else DAY_FIRST


def _fingerprint(*parts) -> str:
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=12).hexdigest()


def make_converter(plan: Plan):
    """``convert(values, line) -> tuple`` in ``STAGING_COLUMNS`` order; raises ``RowError``."""
    cols = plan.detected.columns
    names = plan.names
    zone = plan.zone
    month_first = plan.month_first
    person_names: dict[str, str] = {}
    statuses = dict(plan.statuses)
    id_names_channel = plan.detected.preset.id_names_channel
    c_id, c_group = cols.get("call_id"), cols.get("group_id")
    c_start, c_date, c_time = cols.get("started_at"), cols.get("date"), cols.get("time")
    if c_start is None and c_date is None:  # "Время" holding the whole date and time
        c_start, c_time = c_time, None
    c_dur, c_talk, c_wrap = cols["duration"], cols.get("talk"), cols.get("wrapup")
    c_status, c_dir, c_rec = cols.get("status"), cols.get("direction"), cols.get("recording")
    c_agent, c_src, c_dst = cols.get("agent"), cols.get("src"), cols.get("dst")
    c_chan, c_dchan, c_phone = cols.get("channel"), cols.get("dstchannel"), cols.get("phone")
    width = max(cols.values()) + 1
    # A call cannot have started after the file was made: later than this is a wrong date
    # (a year typed 2062, a day-month swap), reported rather than paid in a month to come.
    latest = timezone.now() + datetime.timedelta(seconds=settings.IMPORT_MAX_FUTURE_S)
    phone_columns = ((c_phone, names.get("phone", "")),) if c_phone is not None else (
        (c_src, names.get("src", "")), (c_dst, names.get("dst", "")))

    def phone(values, index, name) -> str:
        try:
            return normalise_phone(cell(values, index))
        except ValueError as exc:
            raise RowError(name, values[index], str(exc)) from None

    def cell(values, index):
        return "" if index is None else values[index]

    def text(values, index) -> str:
        if index is None:
            return ""
        value = values[index]
        return value.strip() if type(value) is str else str(value)

    def convert(values: list, line: int) -> tuple:
        if len(values) < width:
            raise RowError("", len(values), _("%(found)d columns, expected at least %(width)d")
                           % {"found": len(values), "width": width})
        try:
            if c_start is not None:
                started = parse_datetime(values[c_start], zone, month_first)
            elif c_time is None or values[c_time] in ("", None):
                # A date cell with its time.
                started = parse_datetime(values[c_date], zone, month_first)
            else:
                day = parse_date(values[c_date], zone, month_first)
                clock = parse_clock(values[c_time])
                started = datetime.datetime.combine(day, clock, tzinfo=zone)
        except ValueError as exc:
            index = c_start if c_start is not None else c_date
            field_name = "started_at" if c_start is not None else "date"
            if c_start is not None and c_start == cols.get("time"):
                field_name = "time"
            raise RowError(names[field_name], values[index], str(exc)) from None
        if started > latest:
            index = c_start if c_start is not None else c_date
            raise RowError(names.get("started_at" if c_start is not None else "date", ""),
                           values[index], _("in the future: a call cannot start after today"))
        try:
            duration = parse_duration(values[c_dur])
        except ValueError as exc:
            raise RowError(names["duration"], values[c_dur], str(exc)) from None
        talk = None
        if c_talk is not None:
            try:
                talk = parse_duration(values[c_talk])
            except ValueError as exc:
                raise RowError(names["talk"], values[c_talk], str(exc)) from None
        status = text(values, c_status)
        if status:
            outcome = statuses.get(status)
            if outcome is None:
                # Folded once per distinct value of the file, then found as written.
                outcome = statuses.get(status_key(status))
                if outcome is not None:
                    statuses[status] = outcome
            if outcome is None:
                raise RowError(names["status"], status, _(
                    "unknown status: add it to the status mappings, then run the import again"
                ), kind=UNKNOWN_STATUS)
        else:
            outcome = ANSWERED if talk else NO_ANSWER
        if talk is None:  # no talk column: an answered call talked for its whole duration
            talk = duration if outcome != NO_ANSWER else 0
        if talk > duration:
            raise RowError(names.get("talk", ""), talk, _(
                "talk (%(talk)d s) is longer than the call (%(duration)d s)"
            ) % {"talk": talk, "duration": duration})
        wrapup = 0
        if c_wrap is not None:
            try:
                wrapup = parse_duration(values[c_wrap])
            except ValueError as exc:
                raise RowError(names["wrapup"], values[c_wrap], str(exc)) from None
        direction = parse_direction(values[c_dir]) if c_dir is not None else None
        agent = text(values, c_agent)
        src, dst = text(values, c_src), text(values, c_dst)
        peer = channel_peer(text(values, c_chan)) if c_chan is not None else ""
        if agent:
            # A name written whole with a patronymic, or by initials, is looked up as such
            # too (worked out once per distinct value of the file).
            out_key2 = person_names.get(agent)
            if out_key2 is None:
                out_key2 = person_names[agent] = name_key(agent)
            out_key, in_key, in_key2 = agent, "", ""
            seen = agent
        else:
            out_key, out_key2 = src, peer
            in_key = dst
            in_key2 = channel_peer(text(values, c_dchan)) if c_dchan is not None else ""
            seen = " / ".join(v for v in (src, text(values, c_chan), dst) if v)
        if c_phone is not None:
            src_phone = dst_phone = phone(values, *phone_columns[0])
        else:
            src_phone, dst_phone = (phone(values, *phone_columns[0]),
                                    phone(values, *phone_columns[1]))
        recording = ""
        if c_rec is not None:
            try:
                recording = recording_link(values[c_rec])
            except ValueError as exc:
                raise RowError(names["recording"], values[c_rec], str(exc)) from None
        group = text(values, c_group)
        call_id = text(values, c_id)
        if group:
            external_id = group
        elif call_id and not id_names_channel:
            external_id = call_id
        else:
            fingerprint = _fingerprint(started.isoformat(), duration, talk, status, agent, src,
                                       dst, dst_phone)
            external_id = f"{call_id}/{fingerprint}" if call_id else f"fp:{fingerprint}"
        if len(external_id) > MAX_ID:
            raise RowError(names.get("group_id" if group else "call_id", ""), external_id,
                           _("call id longer than %(max)d characters") % {"max": MAX_ID})
        # Legs of one call share a group id (linkedid), not a call id: not duplicates.
        return (
            line, external_id, started, duration, talk, wrapup, outcome, direction,
            manager_key(out_key), manager_key(out_key2), manager_key(in_key), manager_key(in_key2),
            src_phone, dst_phone, recording, seen[:500],
            None if group else external_id, None if group else (call_id or external_id)[:500],
        )

    return convert
