"""Open an export as it was saved: CSV in any of the usual encodings and delimiters, or XLSX.

``open_table`` refuses what cannot be read at all (``UnreadableFile`` says why and what would
work) and otherwise yields records one at a time, so memory stays flat whatever the file size.
A record that cannot be read (a NUL byte, a line in another encoding, an unterminated quote, a
formula with no saved value) comes out as a broken ``Record`` with its line and reason: one bad
line never takes the file, or the lines after it, with it.
"""

import codecs
import csv
import io
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from . import xlsx

SAMPLE_BYTES = 64 * 1024
DELIMITERS = [",", ";", "\t", "|"]
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
MAX_HEADER = 100  # ImportRowError.column holds a header name: longer ones are reported
# A quoted field may span lines (RFC 4180); one spanning more is an unterminated quote.
MAX_RECORD_LINES = 50
NUL_SHOWN = "\u2400"  # a NUL byte shown in a report (PostgreSQL text cannot hold NUL)
UnreadableFile = xlsx.UnreadableFile


@dataclass
class Record:
    line: int
    values: list | None  # None: the record itself is broken, see ``problem``
    problem: str = ""
    raw: str = ""
    parsed: list | None = None  # what a broken record parsed as, for layout detection
    column: str = ""  # the column a broken record is broken in, when known
    formulas: dict[int, str] | None = None  # XLSX: column → formula with no saved value
    errors: dict[int, str] | None = None  # XLSX: column → the Excel error it holds (#DIV/0!)
    # A broken record's ``problem`` is a message id in English; these are the values it names
    # (the error report says it in its reader's language).
    params: dict | None = None

    @property
    def reason(self) -> str:
        return self.problem % self.params if self.params else self.problem


@dataclass
class Table:
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    reader: str = ""  # XLSX: which library reads it
    bytes_total: int = 0
    rows_expected: int | None = None
    sample: list[list] = field(default_factory=list)
    _records: Iterator[Record] | None = None
    _position: callable = None
    _close: callable = None

    def records(self) -> Iterator[Record]:
        return self._records

    def bytes_read(self) -> int:
        return self._position() if self._position else 0

    def close(self) -> None:
        if self._close:
            self._close()


def open_table(path: Path, *, sample_rows: int = 20, xlsx_reader: str = "") -> Table:
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if not head.replace(b"\x00", b"").strip(b" \t\r\n\xef\xbb\xbf\xff\xfe"):
        raise UnreadableFile(_("The file is empty. Export the call log again as CSV or XLSX."))
    if head.startswith(XLSX_MAGIC):
        return _open_xlsx(path, size, sample_rows, xlsx_reader or settings.IMPORT_XLSX_READER)
    if head.startswith(OLE_MAGIC):
        raise UnreadableFile(
            _("This is an old binary Excel file (.xls). Save it as XLSX or CSV and upload again.")
        )
    encoding = decide_encoding(head, whole=size <= SAMPLE_BYTES)
    text = head.decode(_python_codec(encoding), errors="replace")
    delimiter = _sniff_delimiter(text)
    # Old Mac exports end lines with CR alone: without this the whole file is one line.
    cr_only = (not encoding.startswith("utf-16") and b"\r" in head and b"\n" not in head)
    return _open_csv(path, size, encoding, delimiter, sample_rows, cr_only=cr_only)


# --- encodings -------------------------------------------------------------------------------

UTF8, UTF8_BOM, CP1251 = "utf-8", "utf-8-sig", "cp1251"
UTF16_LE, UTF16_BE = "utf-16-le", "utf-16-be"


def _python_codec(encoding: str) -> str:
    return "utf-16" if encoding.endswith("-bom") else encoding


def decide_encoding(head: bytes, *, whole: bool = False) -> str:
    """The file's encoding, decided once from its first 64 KB; ``UnreadableFile`` when none fits.

    UTF-16 is told by its BOM or, without one, by the NUL byte in every other position that
    Latin and Cyrillic text has in it. A file that is mostly valid UTF-8 is read as UTF-8, and a
    line in it that is not (one row pasted from a Windows-1251 file) is that row's error.
    """
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if head.startswith(codecs.BOM_UTF16_LE):
        return UTF16_LE + "-bom"
    if head.startswith(codecs.BOM_UTF16_BE):
        return UTF16_BE + "-bom"
    probe = head[:4096]
    half = max(len(probe) // 2, 1)
    odd_nul = probe[1::2].count(0) / half
    even_nul = probe[0::2].count(0) / half
    if odd_nul > 0.3 and even_nul < 0.05:
        return UTF16_LE
    if even_nul > 0.3 and odd_nul < 0.05:
        return UTF16_BE
    nul_share = head.count(0) / len(head)
    controls = sum(head.count(byte) for byte in range(1, 9)) / len(head)
    if nul_share > 0.01 or controls > 0.01:
        raise UnreadableFile(
            _("This is a binary file, not a spreadsheet. Upload the CSV or XLSX export of the "
              "call log.")
        )
    lines = head.split(b"\n")
    if not whole and len(lines) > 1:
        lines = lines[:-1]  # the sample may cut the last line (and a character) in two
    utf8_ok = utf8_bad = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_ok += 1
        except UnicodeDecodeError:
            utf8_bad += 1
    # Windows-1251 text is almost never valid UTF-8 (two Cyrillic bytes in a row are not a
    # UTF-8 sequence): lines that are valid UTF-8 weigh at least as much as lines that are not.
    if utf8_bad == 0 or utf8_ok >= utf8_bad:
        return UTF8
    try:
        head.decode("cp1251")
    except UnicodeDecodeError:
        raise UnreadableFile(
            _("The file's encoding cannot be recognised: it is neither UTF-8, UTF-16 nor "
              "Windows-1251. Save it again as “CSV UTF-8” and upload it.")
        ) from None
    # Excel in Russian locales saves "CSV" in Windows-1251.
    return CP1251


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    if len(text) >= SAMPLE_BYTES // 2 and len(lines) > 1:
        lines = lines[:-1]  # the sample may cut the last line
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if not counts:
            continue
        widest = max(counts)
        consistent = sum(1 for count in counts if count == widest)
        score = (consistent if widest > 1 else 0, widest)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --- CSV -------------------------------------------------------------------------------------


class _LineFeed:
    """Decoded lines for ``csv.reader``. It remembers the lines of the current record (so a
    record that swallowed several lines by an unterminated quote can be reported and its lines
    read again one by one) and which of them were not in the file's encoding or held a NUL."""

    def __init__(self, lines: Iterator[bytes | str], encoding: str):
        self._lines = lines
        self._encoding = encoding
        self.pending: deque[tuple[str, str]] = deque()
        self.taken: list[str] = []
        self.problem = ""  # the first problem among the taken lines
        self.physical = 0  # physical lines read, pushed-back ones not counted twice
        self.first = 0  # the physical line the current record starts on

    def __iter__(self):
        return self

    def __next__(self) -> str:
        taken = self.taken
        if self.pending:
            text, problem = self.pending.popleft()
        else:
            raw = next(self._lines)
            problem = ""
            if type(raw) is bytes:
                try:
                    text = raw.decode(self._encoding)
                except UnicodeDecodeError:
                    text = raw.decode("cp1251", errors="replace")
                    problem = "encoding"
            else:
                text = raw
                if "\ufffd" in text:
                    problem = "encoding"
            if "\x00" in text:
                problem = problem or "nul"
        if not taken:
            self.first = self.physical + 1
        self.physical += 1
        taken.append(text)
        if problem and not self.problem:
            self.problem = problem
        return text

    def push_back(self, lines: list[str]) -> None:
        self.physical -= len(lines)
        self.pending.extendleft(reversed([(line, _line_problem(line)) for line in lines]))

    def reset(self) -> None:
        self.taken.clear()
        self.problem = ""


def _line_problem(text: str) -> str:
    return "nul" if "\x00" in text else ""


def _show(text: str) -> str:
    return text.rstrip("\r\n").replace("\x00", NUL_SHOWN)


def _nul_column(values: list) -> str:
    for index, value in enumerate(values or []):
        if "\x00" in value:
            return _("column %(number)d") % {"number": index + 1}
    return ""


def _csv_records(lines, encoding: str, delimiter: str) -> Iterator[Record]:
    feed = _LineFeed(lines, encoding)
    reader = csv.reader(feed, delimiter=delimiter, skipinitialspace=True)
    taken = feed.taken
    width = None  # the width of the first good one-line record: the header, or the first row
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = feed.first
            yield Record(line, None, N_("unreadable CSV: %(error)s"),
                         _show(taken[0]) if taken else "", params={"error": str(exc)})
            if len(taken) > 1:
                feed.push_back(taken[1:])
            feed.reset()
            continue
        line = feed.first
        if len(taken) > 1 or (values and values[-1].endswith(("\n", "\r"))):
            legal = (
                width is not None and len(values) == width and len(taken) <= MAX_RECORD_LINES
                and not values[-1].endswith(("\n", "\r"))
            )
            if not legal:
                yield Record(line, None, N_("unterminated quote"), _show(taken[0]), values)
                feed.push_back(taken[1:])
                feed.reset()
                continue
        problem = feed.problem
        if problem:
            raw = _show("".join(taken))
            feed.reset()
            if problem == "nul":
                yield Record(line, None, N_("a NUL byte in the line: the file is damaged here"),
                             raw, [v.replace("\x00", "") for v in values],
                             column=_nul_column(values))
            else:
                yield Record(line, None, N_(
                    "this line is not in the file's encoding (%(encoding)s); it reads as "
                    "Windows-1251: save the file again in one encoding"
                ), raw, values, params={"encoding": encoding})
            continue
        feed.reset()
        if values:
            if width is None:
                width = len(values)
            yield Record(line, values)


def _cr_lines(raw, block_size: int = 1 << 20) -> Iterator[bytes]:
    """The lines of a file whose lines end with CR alone, each with its CR."""
    rest = b""
    while block := raw.read(block_size):
        parts = (rest + block).split(b"\r")
        rest = parts.pop()
        for part in parts:
            yield part + b"\r"
    if rest:
        yield rest


def _open_csv(path, size, encoding, delimiter, sample_rows, *, cr_only: bool = False) -> Table:
    raw = path.open("rb")
    if encoding.startswith("utf-16"):
        codec = "utf-16" if encoding.endswith("-bom") else encoding
        stream = io.TextIOWrapper(raw, encoding=codec, errors="replace", newline="")
        lines, per_line = stream, UTF8
        close = stream.close
    else:
        if encoding == UTF8_BOM:
            raw.read(3)
        lines, per_line = raw, (UTF8 if encoding == UTF8_BOM else encoding)
        if cr_only:
            lines = _cr_lines(raw)
        close = raw.close
    table = Table(kind="csv", encoding=encoding.removesuffix("-bom"), delimiter=delimiter,
                  bytes_total=size)
    records = _csv_records(iter(lines), per_line, delimiter)
    buffered, broken = [], []
    for record in records:
        buffered.append(record)
        if record.values is not None:
            table.sample.append(record.values)
        elif record.parsed:
            broken.append(record.parsed)
        if len(table.sample) >= sample_rows:
            break
    if not table.sample:
        # Only broken records so far: their shape still tells the layout, so that each is
        # reported as a row error rather than the file being refused as empty.
        table.sample = broken

    def chained():
        yield from buffered
        yield from records

    table._records = chained()
    table._position = raw.tell
    table._close = close
    return table


# --- XLSX ------------------------------------------------------------------------------------


def _open_xlsx(path, size, sample_rows, reader: str) -> Table:
    facts = xlsx.inspect(path)  # refuses bombs and damaged archives before any parsing
    reader = xlsx.choose_reader(reader, facts)
    rows = xlsx.open_rows(path, reader=reader, facts=facts)
    table = Table(kind="xlsx", reader=reader, bytes_total=size, rows_expected=facts.rows)
    position = [0]
    max_cells = settings.IMPORT_XLSX_MAX_CELLS

    def records():
        cells = 0
        for line, values in rows:
            position[0] = line
            cells += len(values)
            if cells > max_cells:
                raise UnreadableFile(_(
                    "The workbook holds more than %(max)d cells (the import's limit). Split "
                    "it, or export the call log as CSV."
                ) % {"max": max_cells})
            while values and values[-1] == "":
                values.pop()
            if values:
                yield Record(line, values, formulas=facts.uncached.get(line),
                             errors=facts.errors.get(line))

    iterator = records()
    buffered = []
    for record in iterator:
        buffered.append(record)
        table.sample.append(record.values)
        if len(table.sample) >= sample_rows:
            break
    if not buffered:
        rows.close()
        raise UnreadableFile(_("The workbook's first sheet is empty."))

    def chained():
        yield from buffered
        yield from iterator

    table._records = chained()
    # Progress of a workbook is told in rows: bytes of a compressed sheet say little.
    table._position = lambda: int(size * position[0] / facts.rows) if facts.rows else 0
    table._close = rows.close
    return table
