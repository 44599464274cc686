"""Which column of a file holds which field of a call, proposed from its first rows: by a preset
made for the layout, else by header names (``synonyms.py``), else by the data's shape. The admin
confirms or changes the proposal on the mapping screen; nothing here writes.
"""

import datetime
import re
from dataclasses import dataclass, field

from .presets import HEADER_SCAN_ROWS, Preset, date_column, detect, header_key
from .synonyms import HEADER_SYNONYMS
from .values import AMBIGUOUS, DIRECTIONS, date_order, parse_datetime, parse_duration
from .vocabulary import status_key

PREVIEW_ROWS = 8
# A header containing one of these keys is proposed for its field (the longest key wins);
# shorter keys ("id", "to") would be found inside unrelated words.
MIN_CONTAINED_KEY = 4
_SYNONYM_KEYS = {
    field_name: tuple(dict.fromkeys(header_key(name) for name in names))
    for field_name, names in HEADER_SYNONYMS.items()
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://\S+$", re.I)
_ID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|CA[0-9a-f]{32}"
                 r"|\d{9,11}\.\d{1,6})$", re.I)
_PHONE = re.compile(r"^\+?[\d\s()\-]{10,20}$")
_TOKEN = re.compile(r"^[\w.:/-]+$")
_DATE_AND_TIME = re.compile(r"\d.*[ T,]\d{1,2}:\d{2}")
_ALL_KEYS = frozenset(key for keys in _SYNONYM_KEYS.values() for key in keys)
_LONG_KEYS = tuple(key for key in _ALL_KEYS if len(key) >= MIN_CONTAINED_KEY + 2)
# Two header names (or four cells containing one) make a header row.
MIN_HEADER_SCORE = 4


class How:
    PRESET = "preset"
    HEADER = "header"
    SHAPE = "shape"


@dataclass
class Proposal:
    """A file's first rows and the column proposed for each field."""

    width: int
    has_header: bool
    header: list[str]
    rows: list[list[str]]  # the first data rows, as text
    columns: dict[str, int] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    preset: Preset | None = None
    header_row: int = 0  # records above the header (or above the data, without a header)
    candidates: list[str] = field(default_factory=list)  # the first rows, for the header choice
    # Day or month first in the start column (``values.date_order``); when AMBIGUOUS, the
    # first values with their two readings (text, day first, month first).
    date_order: str = ""
    date_examples: list[tuple] = field(default_factory=list)

    @property
    def dates_ambiguous(self) -> bool:
        return self.date_order == AMBIGUOUS

    @property
    def header_number(self) -> int:
        """The header's row as the screen counts rows (from 1, the empty ones left out)."""
        return self.header_row + 1

    @property
    def known(self) -> bool:
        """A preset made for this layout reads it: import without asking."""
        return self.preset is not None and not self.preset.generic

    def column_name(self, index: int) -> str:
        letter = column_letter(index)
        if self.has_header and index < len(self.header) and self.header[index]:
            return f"{letter} · {self.header[index]}"
        return letter

    @property
    def unmatched(self) -> list[int]:
        used = set(self.columns.values())
        return [index for index in range(self.width) if index not in used]


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: as a spreadsheet names its columns."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def as_text(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip().lstrip("\ufeff")


def propose(sample: list[list], *, presets: list[Preset], statuses: set[str],
            header_row: int | None = None) -> Proposal:
    """The proposal for a file whose first records are ``sample`` (not empty).

    ``header_row``: the record the admin says is the header (0-based); None: found here, as
    the row among the first ones whose cells best match the header names (``synonyms.py``),
    so that a report's title above the header is passed over."""
    width = max(len(row) for row in sample)
    try:
        detected = detect(sample, presets=presets)
    except LookupError:
        detected = None
    if detected and not detected.preset.generic and header_row in (None, detected.skip):
        skip = detected.skip
        header = [as_text(value) for value in sample[skip]] if detected.has_header else []
        data = sample[skip + 1:] if detected.has_header else sample[skip:]
        proposal = Proposal(
            width=width, has_header=detected.has_header, header=header,
            rows=_preview(data, width), columns=dict(detected.columns),
            how=dict.fromkeys(detected.columns, How.PRESET), preset=detected.preset,
            header_row=skip, candidates=_candidates(sample),
        )
        _read_dates(proposal, data, detected.date_order)
        return proposal
    if header_row is not None:
        skip, has_header = min(max(header_row, 0), len(sample) - 1), True
    else:
        skip, score = find_header_row(sample)
        has_header = score >= MIN_HEADER_SCORE or _looks_like_header(sample)
        if score < MIN_HEADER_SCORE:
            skip = 0
    header = [as_text(value) for value in sample[skip]] if has_header else []
    data = sample[skip + 1:] if has_header else sample[skip:]
    proposal = Proposal(width=width, has_header=has_header, header=header,
                        rows=_preview(data, width),
                        preset=detected.preset if detected else None,
                        header_row=skip, candidates=_candidates(sample))
    if has_header:
        _match_headers(proposal)
    _match_shapes(proposal, data, statuses)
    _read_dates(proposal, data, "")
    return proposal


def header_score(row: list) -> int:
    """How much ``row`` reads as a header: 2 for each cell that is a header name of
    ``synonyms.py``, 1 for a cell containing one; cells that are numbers or dates score 0."""
    score = 0
    for value in row:
        if not isinstance(value, str):
            continue
        key = header_key(value)
        if not key:
            continue
        if key in _ALL_KEYS:
            score += 2
        elif any(synonym in key for synonym in _LONG_KEYS):
            score += 1
    return score


def find_header_row(sample: list[list]) -> tuple[int, int]:
    """(index, score) of the row among the first ones that best reads as a header; the first
    of equals. A title above the header ("Отчёт по звонкам за ноябрь") names no field."""
    best, best_score = 0, 0
    for index, row in enumerate(sample[:HEADER_SCAN_ROWS]):
        score = header_score(row)
        if score > best_score:
            best, best_score = index, score
    return best, best_score


def _candidates(sample: list[list]) -> list[str]:
    """The first rows as the mapping screen offers them for the header: their first cells."""
    return [" · ".join(text for text in map(as_text, row[:4]) if text)[:80]
            for row in sample[:HEADER_SCAN_ROWS]]


def _preview(rows: list[list], width: int) -> list[list[str]]:
    return [[as_text(value) for value in row] + [""] * (width - len(row))
            for row in rows[:PREVIEW_ROWS]]


def _looks_like_header(sample: list[list]) -> bool:
    """A first row of words over rows holding numbers or dates is a header row."""
    first = sample[0]
    if any(isinstance(value, int | float | datetime.date) for value in first):
        return False
    texts = [as_text(value) for value in first if as_text(value)]
    if not texts or any(_reads_as_number_or_date(text) for text in texts):
        return False
    rest = sample[1:]
    return not rest or any(
        _reads_as_number_or_date(as_text(value)) or not isinstance(value, str)
        for row in rest[:5] for value in row
    )


def _reads_as_number_or_date(text: str) -> bool:
    try:
        parse_duration(text)
        return text != ""
    except (ValueError, OverflowError):
        pass
    return bool(_DATE_AND_TIME.search(text))


def _match_headers(proposal: Proposal) -> None:
    keys = [header_key(name) for name in proposal.header]
    taken = set()
    # Whole names first, for every field, before any name is found inside a longer header.
    for field_name, synonyms in _SYNONYM_KEYS.items():
        for index, key in enumerate(keys):
            if key and key in synonyms and index not in taken:
                proposal.columns[field_name] = index
                proposal.how[field_name] = How.HEADER
                taken.add(index)
                break
    for index, key in enumerate(keys):
        if index in taken or not key:
            continue
        best, best_length = None, 0
        for field_name, synonyms in _SYNONYM_KEYS.items():
            if field_name in proposal.columns:
                continue
            for synonym in synonyms:
                if len(synonym) >= MIN_CONTAINED_KEY and synonym in key and len(synonym) > \
                        best_length:
                    best, best_length = field_name, len(synonym)
        if best:
            proposal.columns[best] = index
            proposal.how[best] = How.HEADER
            taken.add(index)


def _match_shapes(proposal: Proposal, data: list[list], statuses: set[str]) -> None:
    """Fields still unmatched, from what the unmatched columns hold."""
    durations = []
    for index in proposal.unmatched:
        values = [row[index] for row in data[:20] if index < len(row) and as_text(row[index])]
        if not values:
            continue
        kind = _shape_of(values, statuses)
        if not kind and _TOKEN.match("".join(map(as_text, values))) and len(values) > 1 and \
                len(set(map(as_text, values))) == len(values):
            kind = "call_id"  # a distinct word per row, nothing else: the record's id
        if kind == "duration":
            durations.append(index)
        elif kind and kind not in proposal.columns:
            proposal.columns[kind] = index
            proposal.how[kind] = How.SHAPE
    # Of two duration columns the one never shorter is the call, the other the talk.
    free = [name for name in ("duration", "talk") if name not in proposal.columns]
    durations.sort(key=lambda index: -sum(_seconds(row, index) for row in data[:20]))
    for name, index in zip(free, durations, strict=False):
        proposal.columns[name] = index
        proposal.how[name] = How.SHAPE


def _seconds(row: list, index: int) -> int:
    try:
        return parse_duration(row[index]) if index < len(row) else 0
    except (ValueError, OverflowError):
        return 0


def _shape_of(values: list, statuses: set[str]) -> str:
    texts = [as_text(value) for value in values]
    if all(_EMAIL.match(text) for text in texts):
        return "agent"
    if all(_URL.match(text) for text in texts):
        return "recording"
    if all(_ID.match(text) for text in texts):
        return "call_id"
    if all(isinstance(value, datetime.datetime) or (
            isinstance(value, str) and _DATE_AND_TIME.search(value) and _reads_as_date(value))
           for value in values):
        return "started_at"
    folded = [text.casefold() for text in texts]
    if all(text in DIRECTIONS and not text.isdigit() for text in folded):
        return "direction"
    if all(status_key(text) in statuses and not text.isdigit() for text in folded):
        return "status"
    if all(_PHONE.match(text) and 10 <= sum(ch.isdigit() for ch in text) <= 15
           for text in texts):
        return "phone"
    try:
        for value in values:
            parse_duration(value)
    except (ValueError, OverflowError):
        return ""
    return "duration"


def _reads_as_date(text: str) -> bool:
    for month_first in (False, True):
        try:
            parse_datetime(text, datetime.UTC, month_first)
        except (ValueError, OverflowError):
            continue
        return True
    return False


DATE_EXAMPLES = 3


def _read_dates(proposal: Proposal, data: list[list], chosen: str) -> None:
    """How the start column's dates read: settled by the values (or the preset), or
    ambiguous, with the first rows read both ways for the admin to tell."""
    column = date_column(proposal.columns)
    if column is None:
        return
    values = [row[column] for row in data if column < len(row)]
    proposal.date_order = chosen or date_order(values)
    if proposal.date_order != AMBIGUOUS:
        return
    for value in values:
        if len(proposal.date_examples) == DATE_EXAMPLES:
            break
        readings = []
        for month_first in (False, True):
            try:
                # Wall-clock, as written: shown without a time zone's shift.
                readings.append(parse_datetime(value, datetime.UTC, month_first)
                                .replace(tzinfo=None))
            except (ValueError, OverflowError):
                readings.append(None)
        proposal.date_examples.append((as_text(value), *readings))

