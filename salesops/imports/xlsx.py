"""XLSX, bounded: the archive is checked before any parsing (a 300 KB file can hold gigabytes of
XML), and formula cells with no saved value are found so they are reported, not read as empty.

What is checked, in one streaming pass over the parts the readers read (nothing here builds a
cell in memory):
- the unpacked size of each part, counted while unpacking, not taken from the archive's
  directory (a part that unpacks to more than it declares fails its CRC: damaged), against
  ``IMPORT_XLSX_MAX_UNCOMPRESSED`` for the sheet and ``IMPORT_XLSX_MAX_SHARED_STRINGS`` for the
  shared strings, which both readers hold in memory whole;
- the compression ratio of each part;
- the used range: the largest row and column any cell or row names (``r="XFD1048576"``) and
  the sheet's ``<dimension>``, whichever is larger — both readers allocate by it, so one far
  cell in a tiny file would have been a 512 GB allocation;
- well-formedness of the sheet's XML (expat): a sheet broken part way is read up to the last
  whole row before the break (``open_rows`` reads a copy cut there), then reported damaged;
- formula cells with no saved value, and Excel error cells (``#DIV/0!``), by position.

Two readers: python-calamine (Rust, ~10x faster, but loads the whole sheet: its memory grows
with the used range) and openpyxl in read-only mode (streams in flat memory, slower).
``settings.IMPORT_XLSX_READER`` picks one; the default, "auto", takes calamine for a sheet of at
most ``IMPORT_XLSX_CALAMINE_MAX_BYTES`` of XML and ``IMPORT_XLSX_CALAMINE_MAX_CELLS`` cells in its
used range, openpyxl otherwise, so memory stays bounded whatever the file.
benchmarks/import_calls.py and benchmarks/hostile_memory.py measure both.
"""

import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]")
_VALUE_TEXT = re.compile(rb"<(?:\w+:)?v>([^<]*)<")
_ERROR_TYPE = re.compile(rb'\bt="e"')
# The row number of every cell and row reference; the column letters of those past Z.
_ROW_NUMBER = re.compile(rb' r="[A-Z]{0,3}([0-9]+)"')
_WIDE_COLUMN = re.compile(rb' r="([A-Z]{2,})[0-9]+"')
_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAX_UNCACHED = 10_000  # rows with an unsaved formula remembered; more is a file to re-save
SCAN_BLOCK = 1 << 20
SHARED_STRINGS = "xl/sharedStrings.xml"
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!",
                          "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


class UnreadableFile(Exception):
    """The file as a whole cannot be imported; the message says why and what would work."""


@dataclass
class XlsxFacts:
    sheet: str  # the first sheet's member in the archive
    sheet_bytes: int = 0  # its XML, unpacked (counted)
    shared_strings_bytes: int = 0
    rows: int = 0  # the used range: the largest row any reference names, or the dimension's
    columns: int = 0
    # line → column (0-based) → the formula, for formula cells with no saved value
    uncached: dict[int, dict[int, str]] = field(default_factory=dict)
    # line → column (0-based) → the error an Excel error cell holds ("#DIV/0!")
    errors: dict[int, dict[int, str]] = field(default_factory=dict)
    # A sheet whose XML breaks: the offset of the end of the last whole row before the break,
    # and that row's number (0: no whole row before it).
    broken: str = ""
    good_bytes: int = 0
    good_rows: int = 0

    @property
    def cells(self) -> int:
        return self.rows * max(self.columns, 1)


def column_index(letters: bytes | str) -> int:
    number = 0
    for char in letters if isinstance(letters, str) else letters.decode():
        number = number * 26 + ord(char) - 64
    return number - 1


def _damaged_archive(exc) -> UnreadableFile:
    return UnreadableFile(
        _("The workbook is damaged (%(error)s). Save it again in Excel, or export the call "
          "log as CSV.") % {"error": exc}
    )


def _too_many_cells() -> UnreadableFile:
    return UnreadableFile(_(
        "The workbook holds more than %(max)d cells (the import's limit). Split it, or export "
        "the call log as CSV."
    ) % {"max": settings.IMPORT_XLSX_MAX_CELLS})


def inspect(path: Path) -> XlsxFacts:
    """Check the archive against the limits, find the first sheet, its used range, whether its
    XML is whole, and its formulas with no saved value and error cells."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(
            _("This ZIP file is not an XLSX workbook (%(error)s). Save the call log as XLSX "
              "or CSV.") % {"error": exc}
        ) from None
    with archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        if total > settings.IMPORT_XLSX_MAX_UNCOMPRESSED:
            raise _too_large(total)
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > 1 << 20 and ratio > settings.IMPORT_XLSX_MAX_RATIO:
                raise UnreadableFile(_(
                    "The workbook's part %(name)s is compressed %(ratio)d times, over the "
                    "import's limit of %(max)d: it is not an export. Save the call log as CSV."
                ) % {"name": info.filename[:80], "ratio": ratio,
                     "max": settings.IMPORT_XLSX_MAX_RATIO})
        sheet = _first_sheet(archive)
        facts = XlsxFacts(sheet=sheet)
        try:
            _check_other_parts(archive, infos, facts)
            _scan_sheet(archive, facts)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _damaged_archive(exc) from None
    if facts.cells > settings.IMPORT_XLSX_MAX_CELLS:
        raise _too_many_cells()
    return facts


def _too_large(size: int) -> UnreadableFile:
    return UnreadableFile(_(
        "The workbook unpacks to %(size)d MB, over the import's limit of %(max)d MB. "
        "Export the call log as CSV, or split it."
    ) % {"size": size // 2**20, "max": settings.IMPORT_XLSX_MAX_UNCOMPRESSED // 2**20})


def _check_other_parts(archive: zipfile.ZipFile, infos, facts: XlsxFacts) -> None:
    """Unpack every part a reader reads besides the sheet, counting what really comes out
    (the directory's sizes are what the archive claims); other sheets and media are never
    read."""
    for info in infos:
        name = info.filename
        if name == facts.sheet or name.startswith(("xl/worksheets/", "xl/media/")):
            continue
        limit = (settings.IMPORT_XLSX_MAX_SHARED_STRINGS if name == SHARED_STRINGS
                 else settings.IMPORT_XLSX_MAX_UNCOMPRESSED)
        size = 0
        with archive.open(info) as stream:
            while block := stream.read(SCAN_BLOCK):
                size += len(block)
                if size > limit:
                    if name == SHARED_STRINGS:
                        raise UnreadableFile(_(
                            "The workbook's shared strings unpack to more than %(max)d MB, over "
                            "the import's limit. Export the call log as CSV, or split it."
                        ) % {"max": limit // 2**20})
                    raise _too_large(size)
        if name == SHARED_STRINGS:
            facts.shared_strings_bytes = size
def _first_sheet(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        first = next(el for el in workbook.iter() if el.tag.endswith("}sheet"))
        target = next(
            el.get("Target") for el in rels if el.get("Id") == first.get(_NS_REL)
        )
        member = target.lstrip("/") if target.startswith("/") else str(
            PurePosixPath("xl") / target)
        if member in names:
            return member
    except (KeyError, StopIteration, ElementTree.ParseError):
        pass
    sheets = sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    if not sheets:
        raise UnreadableFile(_("This ZIP file is not an XLSX workbook (no worksheet in it). "
                               "Save the call log as XLSX or CSV."))
    return sheets[0]


def _scan_sheet(archive: zipfile.ZipFile, facts: XlsxFacts) -> None:
    """One streaming pass over the sheet's XML: its size, dimension and used range, whether it
    is well-formed (and where the last whole row before a break ends), and the formula cells
    with no value and the error cells, which both readers would give as empty cells."""
    parser = expat.ParserCreate()
    tail = b""
    data_start = 0  # offset of ``data`` in the sheet
    broken_at = None
    rows = columns = 0
    with archive.open(facts.sheet) as stream:
        while True:
            block = stream.read(SCAN_BLOCK)
            facts.sheet_bytes += len(block)
            if facts.sheet_bytes > settings.IMPORT_XLSX_MAX_UNCOMPRESSED:
                raise _too_large(facts.sheet_bytes)
            data = tail + block
            if data_start == 0 and not tail:
                match = _DIMENSION.search(data[:4096])
                if match and match.group(3):
                    rows, columns = int(match.group(4)), column_index(match.group(3)) + 1
            try:
                parser.Parse(block, not block)
            except expat.ExpatError as exc:
                facts.broken = str(exc)
                broken_at = parser.ErrorByteIndex
            # Cells are cut at the last cell start, so none is seen in two pieces.
            cut = data.rfind(b"<c ") if block and broken_at is None else len(data)
            cut = cut if cut > 0 else len(data)
            if broken_at is not None:
                cut = min(cut, max(broken_at - data_start, 0))
            whole = data[:cut]
            rows, columns = _used_range(whole, rows, columns)
            ends = [match.end() for match in _ROW_END.finditer(whole)]
            if ends:
                facts.good_bytes = data_start + ends[-1]
            if (b"<f" in whole or _ERROR_TYPE.search(whole)) and len(facts.uncached) < MAX_UNCACHED:
                _find_unreadable_cells(whole, facts)
            if not block or broken_at is not None:
                break
            tail = data[cut:]
            if len(tail) > SCAN_BLOCK:  # no cell start for a whole block: not a cell
                tail = b""
            data_start += cut
    facts.rows, facts.columns = rows, columns
    if facts.broken:
        facts.good_rows = _last_row_number(archive, facts)


_REF_ANY = re.compile(rb' r="([A-Z]{0,3})([0-9]+)"')


def _used_range(data: bytes, rows: int, columns: int) -> tuple[int, int]:
    """The largest row and column any reference in ``data`` names, with those so far."""
    pairs = _REF_ANY.findall(data)
    if not pairs:
        return rows, columns
    letters, numbers = zip(*pairs, strict=True)
    longest = max(map(len, numbers))
    rows = max(rows, int(max(n for n in numbers if len(n) == longest)))
    widest = max(map(len, letters))
    top = max(letters) if widest <= 1 else max(x for x in letters if len(x) == widest)
    return rows, max(columns, column_index(top) + 1 if top else 0)


def _last_row_number(archive: zipfile.ZipFile, facts: XlsxFacts) -> int:
    """The number of the last whole row before a break (re-read up to it: a damaged sheet
    only)."""
    if not facts.good_bytes:
        return 0
    left, last = facts.good_bytes, b""
    with archive.open(facts.sheet) as stream:
        while left > 0:
            block = stream.read(min(SCAN_BLOCK, left))
            if not block:
                break
            left -= len(block)
            last = (last + block)[-(64 * 1024):]
    start = last.rfind(b"<row")
    match = re.search(rb'\br="([0-9]+)"', last[start:]) if start >= 0 else None
    return int(match.group(1)) if match else 0


def _find_unreadable_cells(data: bytes, facts: XlsxFacts) -> None:
    for cell in _CELL.finditer(data):
        attributes, body = cell.group(1), cell.group(2)
        if not body:
            continue
        is_error = _ERROR_TYPE.search(attributes)
        if not is_error and (b"<f" not in body or _VALUE.search(body)):
            continue
        ref = _REF.search(attributes)
        if not ref:
            continue
        line, column = int(ref.group(2)), column_index(ref.group(1))
        if is_error:
            value = _VALUE_TEXT.search(body)
            text = value.group(1).decode(errors="replace") if value else "#VALUE!"
            facts.errors.setdefault(line, {})[column] = text[:32]
            continue
        formula = _FORMULA.search(body)
        text = (formula.group(1) or b"").decode(errors="replace") if formula else ""
        facts.uncached.setdefault(line, {})[column] = "=" + text


class _Rows:
    """(line, values) for each row of the first sheet; ``close()`` frees the workbook."""

    def __init__(self, iterator, close):
        self._iterator, self.close = iterator, close

    def __iter__(self):
        return self._iterator


# What each reader's own structures cost, measured (benchmarks/hostile_memory.py): calamine
# holds about twice the shared strings' XML and 32 bytes a cell of the used range; openpyxl
# streams the sheet but holds the shared strings as Python strings, six times their XML.
CALAMINE_PER_STRING_BYTE, CALAMINE_PER_CELL, OPENPYXL_PER_STRING_BYTE = 2, 32, 6


def _calamine_cost(facts: XlsxFacts) -> int:
    return facts.shared_strings_bytes * CALAMINE_PER_STRING_BYTE + facts.cells * CALAMINE_PER_CELL


def choose_reader(reader: str, facts: XlsxFacts) -> str:
    """"auto": calamine when its whole-sheet structures fit the memory budget, else openpyxl,
    which streams; ``UnreadableFile`` when neither fits (shared strings too large for the
    streaming reader with a sheet too large for calamine)."""
    if reader != "auto":
        return reader
    budget = settings.IMPORT_XLSX_MEMORY_BUDGET
    if (facts.sheet_bytes <= settings.IMPORT_XLSX_CALAMINE_MAX_BYTES
            and facts.cells <= settings.IMPORT_XLSX_CALAMINE_MAX_CELLS
            and _calamine_cost(facts) <= budget):
        return "calamine"
    if facts.shared_strings_bytes * OPENPYXL_PER_STRING_BYTE <= budget:
        return "openpyxl"
    raise UnreadableFile(_(
        "The workbook's shared strings (%(strings)d MB) with a sheet this large need more "
        "memory than the import allows. Export the call log as CSV, or split it."
    ) % {"strings": facts.shared_strings_bytes // 2**20})


def open_rows(path: Path, *, reader: str, facts: XlsxFacts) -> _Rows:
    """The sheet's rows. A sheet whose XML breaks is read from a copy cut after its last whole
    row; once those rows are read, ``UnreadableFile`` says where it broke."""
    if not facts.broken:
        return _open(path, choose_reader(reader, facts))
    folder = tempfile.mkdtemp(prefix="salesops-xlsx-")
    copy = Path(folder) / "repaired.xlsx"
    try:
        _write_cut_copy(path, copy, facts)
        rows = _open(copy, choose_reader(reader, facts))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise

    def read():
        yield from rows
        raise _damaged(facts.good_rows, facts.broken)

    def close():
        try:
            rows.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return _Rows(read(), close)


def _open(path: Path, reader: str) -> _Rows:
    if reader == "calamine":
        return _calamine_rows(path)
    return _openpyxl_rows(path)


def _write_cut_copy(path: Path, copy: Path, facts: XlsxFacts) -> None:
    """The workbook with its sheet cut after the last whole row and closed properly."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED,
                                                          compresslevel=1) as target:
        for info in source.infolist():
            if info.filename != facts.sheet:
                if not info.filename.startswith(("xl/worksheets/", "xl/media/")):
                    target.writestr(info.filename, source.read(info.filename))
                continue
            with source.open(info) as stream, target.open(info.filename, "w") as out:
                left = facts.good_bytes
                head = b""
                while left > 0:
                    block = stream.read(min(SCAN_BLOCK, left))
                    if not block:
                        break
                    if not head:
                        head = block[:4096]
                    out.write(block)
                    left -= len(block)
                if not facts.good_bytes:
                    # No whole row: the sheet's opening, up to its data, and nothing more.
                    head = head or stream.read(4096)
                    opening = re.search(rb"<(?:\w+:)?sheetData[^>]*>", head)
                    if opening is None:
                        raise UnreadableFile(_damaged(0, facts.broken).args[0])
                    out.write(head[:opening.end()])
                prefix = re.search(rb"<(\w+:)?sheetData\b", head)
                ns = prefix.group(1) or b"" if prefix else b""
                out.write(b"</" + ns + b"sheetData></" + ns + b"worksheet>")
    os.chmod(copy, 0o600)


def _damaged(line: int, exc: Exception) -> UnreadableFile:
    return UnreadableFile(
        _("The workbook is damaged after row %(line)d (%(error)s). Save it again in Excel, or "
          "export the call log as CSV.") % {"line": line, "error": str(exc)[:200]}
    )


def _openpyxl_rows(path: Path) -> _Rows:
    import openpyxl  # imported here: CSV imports never pay for it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # a damaged workbook raises many different errors
        raise UnreadableFile(
            _("This ZIP file is not an XLSX workbook (%(error)s). Save the call log as XLSX "
              "or CSV.") % {"error": str(exc)[:200]}
        ) from None

    def rows():
        line = 0
        try:
            for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):  # noqa: B007
                yield line, ["" if value is None else value for value in row]
        except Exception as exc:  # malformed XML inside the sheet
            raise _damaged(line, exc) from None

    return _Rows(rows(), workbook.close)


def _calamine_rows(path: Path) -> _Rows:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception:  # calamine's errors: XmlError, ZipError, CalamineError
        # What calamine refuses whole, openpyxl may still read row by row (and say where it
        # stops): the rows before a problem are kept.
        return _openpyxl_rows(path)
    first = sheet.start[0] + 1 if sheet.start else 1

    def rows():
        # calamine gives every number as a float: 205.0 would not match extension 205.
        for offset, values in enumerate(sheet.iter_rows()):
            yield first + offset, [
                int(v) if type(v) is float and v.is_integer() else v for v in values
            ]

    return _Rows(rows(), workbook.close)
