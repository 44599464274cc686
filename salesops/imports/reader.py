"""Open an export as it was saved: CSV in any of the usual encodings and delimiters, or XLSX.

``open_table`` refuses what cannot be read at all (``UnreadableFile`` says why and what would
work) and otherwise yields records one at a time, so memory stays flat whatever the file size.
"""

import codecs
import csv
import io
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

SAMPLE_BYTES = 64 * 1024
DELIMITERS = [",", ";", "\t", "|"]
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


class UnreadableFile(Exception):
    """The file as a whole cannot be imported; the message says why and what would work."""


@dataclass
class Record:
    line: int
    values: list | None  # None: the record itself is broken, see ``problem``
    problem: str = ""
    raw: str = ""
    parsed: list | None = None  # what a broken record parsed as, for layout detection


@dataclass
class Table:
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
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


def open_table(path: Path, *, sample_rows: int = 20) -> Table:
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if not head.strip():
        raise UnreadableFile(_("The file is empty. Export the call log again as CSV or XLSX."))
    if head.startswith(XLSX_MAGIC):
        return _open_xlsx(path, size, sample_rows)
    if head.startswith(OLE_MAGIC):
        raise UnreadableFile(
            _("This is an old binary Excel file (.xls). Save it as XLSX or CSV and upload again.")
        )
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnreadableFile(
            _("This is a binary file, not a spreadsheet. Upload the CSV or XLSX export of the "
              "call log.")
        )
    encoding = _sniff_encoding(head)
    text = head.decode(encoding, errors="replace")
    delimiter = _sniff_delimiter(text)
    return _open_csv(path, size, encoding, delimiter, sample_rows)


def _sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=len(head) < SAMPLE_BYTES)
    except UnicodeDecodeError:
        # Excel in Russian locales saves "CSV" in Windows-1251.
        return "cp1251"
    return "utf-8"


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    if len(text) >= SAMPLE_BYTES and len(lines) > 1:
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


class _LineFeed:
    """Lines for ``csv.reader`` that remembers the lines of the current record, so a record
    that swallowed several lines (an unterminated quote) can be reported and its lines read
    again one by one: one bad quote never takes the rest of the file with it."""

    def __init__(self, lines):
        self._lines = lines
        self.pending: deque[str] = deque()
        self.taken: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.pending.popleft() if self.pending else next(self._lines)
        self.taken.append(line)
        return line


def _csv_records(stream, delimiter: str) -> Iterator[Record]:
    feed = _LineFeed(iter(stream))
    reader = csv.reader(feed, delimiter=delimiter, skipinitialspace=True)
    line = 0
    taken = feed.taken
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line += 1
            yield Record(line, None, _("unreadable CSV: %(error)s") % {"error": exc},
                         "".join(taken))
            taken.clear()
            continue
        line += 1
        if len(taken) > 1 or (values and "\n" in values[-1]):
            yield Record(line, None, _("unterminated quote"), taken[0].rstrip("\r\n"), values)
            feed.pending.extendleft(reversed(taken[1:]))
            taken.clear()
            continue
        taken.clear()
        if values:
            yield Record(line, values)


def _open_csv(path, size, encoding, delimiter, sample_rows) -> Table:
    raw = path.open("rb")
    stream = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    table = Table(kind="csv", encoding=encoding, delimiter=delimiter, bytes_total=size)
    records = _csv_records(stream, delimiter)
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
    table._close = stream.close
    return table


def _open_xlsx(path, size, sample_rows) -> Table:
    import openpyxl  # imported here: CSV imports never pay for it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a ZIP that is not a workbook raises many different errors
        raise UnreadableFile(
            _("This ZIP file is not an XLSX workbook (%(error)s). Save the call log as XLSX "
              "or CSV.") % {"error": exc}
        ) from None
    sheet = workbook.worksheets[0]
    table = Table(kind="xlsx", bytes_total=size, rows_expected=sheet.max_row)
    rows_read = [0]

    def records():
        for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows_read[0] = line
            values = ["" if value is None else value for value in row]
            while values and values[-1] == "":
                values.pop()
            if values:
                yield Record(line, values)

    iterator = records()
    buffered = []
    for record in iterator:
        buffered.append(record)
        table.sample.append(record.values)
        if len(table.sample) >= sample_rows:
            break
    if not buffered:
        workbook.close()
        raise UnreadableFile(_("The workbook's first sheet is empty."))

    def chained():
        yield from buffered
        yield from iterator

    table._records = chained()
    # Progress of a workbook is told in rows: bytes of a compressed sheet say little.
    table._position = lambda: (
        int(size * rows_read[0] / sheet.max_row) if sheet.max_row else 0
    )
    table._close = workbook.close
    return table
