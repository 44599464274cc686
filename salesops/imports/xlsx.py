"""XLSX, bounded: the archive is checked before any parsing (a 300 KB file can hold gigabytes of
XML), and formula cells with no saved value are found so they are reported, not read as empty.

Two readers: python-calamine (Rust, ~10x faster, but loads the whole sheet: its memory grows
with the sheet) and openpyxl in read-only mode (streams in flat memory, slower).
``settings.IMPORT_XLSX_READER`` picks one; the default, "auto", takes calamine for a sheet whose
XML is at most ``IMPORT_XLSX_CALAMINE_MAX_BYTES`` (64 MB: ~100 MB of memory) and openpyxl above,
so memory stays bounded whatever the file. benchmarks/import_calls.py measures both.
"""

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]")
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAX_UNCACHED = 10_000  # rows with an unsaved formula remembered; more is a file to re-save
SCAN_BLOCK = 1 << 20


class UnreadableFile(Exception):
    """The file as a whole cannot be imported; the message says why and what would work."""


@dataclass
class XlsxFacts:
    sheet: str  # the first sheet's member in the archive
    sheet_bytes: int = 0  # its XML, unpacked
    rows: int = 0  # from the sheet's dimension, when it has one
    columns: int = 0
    # line → column (0-based) → the formula, for formula cells with no saved value
    uncached: dict[int, dict[int, str]] = field(default_factory=dict)


def column_index(letters: bytes | str) -> int:
    number = 0
    for char in letters if isinstance(letters, str) else letters.decode():
        number = number * 26 + ord(char) - 64
    return number - 1


def inspect(path: Path) -> XlsxFacts:
    """Check the archive against the limits, find the first sheet, its size and its formulas
    with no saved value. Nothing here builds a cell in memory."""
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
            raise UnreadableFile(_(
                "The workbook unpacks to %(size)d MB, over the import's limit of %(max)d MB. "
                "Export the call log as CSV, or split it."
            ) % {"size": total // 2**20, "max": settings.IMPORT_XLSX_MAX_UNCOMPRESSED // 2**20})
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > 1 << 20 and ratio > settings.IMPORT_XLSX_MAX_RATIO:
                raise UnreadableFile(_(
                    "The workbook's part %(name)s is compressed %(ratio)d times, over the "
                    "import's limit of %(max)d: it is not an export. Save the call log as CSV."
                ) % {"name": info.filename[:80], "ratio": ratio,
                     "max": settings.IMPORT_XLSX_MAX_RATIO})
        sheet = _first_sheet(archive)
        facts = XlsxFacts(sheet=sheet, sheet_bytes=archive.getinfo(sheet).file_size)
        try:
            _scan_sheet(archive, facts)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise UnreadableFile(
                _("The workbook is damaged (%(error)s). Save it again in Excel, or export the "
                  "call log as CSV.") % {"error": exc}
            ) from None
    if facts.rows * max(facts.columns, 1) > settings.IMPORT_XLSX_MAX_CELLS:
        raise UnreadableFile(_(
            "The workbook holds more than %(max)d cells (the import's limit). Split it, or "
            "export the call log as CSV."
        ) % {"max": settings.IMPORT_XLSX_MAX_CELLS})
    return facts


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
    """One streaming pass over the sheet's XML: its dimension, and formula cells with no
    value (``<f>`` without ``<v>``), which both readers would give as empty cells."""
    tail = b""
    first = True
    with archive.open(facts.sheet) as stream:
        while True:
            block = stream.read(SCAN_BLOCK)
            if not block:
                break
            data = tail + block
            if first:
                first = False
                match = _DIMENSION.search(data[:4096])
                if match and match.group(3):
                    facts.rows = int(match.group(4))
                    facts.columns = column_index(match.group(3)) + 1
            cut = data.rfind(b"<c ")
            cut = cut if cut > 0 else len(data)
            if b"<f" in data[:cut] and len(facts.uncached) < MAX_UNCACHED:
                _find_uncached(data[:cut], facts)
            tail = data[cut:]
            if len(tail) > SCAN_BLOCK:  # no cell start for a whole block: not a cell
                tail = b""
    if tail and b"<f" in tail:
        _find_uncached(tail, facts)


def _find_uncached(data: bytes, facts: XlsxFacts) -> None:
    for cell in _CELL.finditer(data):
        body = cell.group(2)
        if not body or b"<f" not in body or _VALUE.search(body):
            continue
        ref = _REF.search(cell.group(1))
        if not ref:
            continue
        formula = _FORMULA.search(body)
        text = (formula.group(1) or b"").decode(errors="replace") if formula else ""
        row = facts.uncached.setdefault(int(ref.group(2)), {})
        row[column_index(ref.group(1))] = "=" + text


class _Rows:
    """(line, values) for each row of the first sheet; ``close()`` frees the workbook."""

    def __init__(self, iterator, close):
        self._iterator, self.close = iterator, close

    def __iter__(self):
        return self._iterator


def choose_reader(reader: str, facts: XlsxFacts) -> str:
    if reader == "auto":
        small = facts.sheet_bytes <= settings.IMPORT_XLSX_CALAMINE_MAX_BYTES
        return "calamine" if small else "openpyxl"
    return reader


def open_rows(path: Path, *, reader: str, facts: XlsxFacts) -> _Rows:
    if choose_reader(reader, facts) == "calamine":
        return _calamine_rows(path)
    return _openpyxl_rows(path)


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
    except Exception as exc:  # calamine's errors: XmlError, ZipError, CalamineError
        raise UnreadableFile(
            _("The workbook is damaged (%(error)s). Save it again in Excel, or export the "
              "call log as CSV.") % {"error": str(exc)[:200]}
        ) from None
    first = sheet.start[0] + 1 if sheet.start else 1

    def rows():
        # calamine gives every number as a float: 205.0 would not match extension 205.
        for offset, values in enumerate(sheet.iter_rows()):
            yield first + offset, [
                int(v) if type(v) is float and v.is_integer() else v for v in values
            ]

    return _Rows(rows(), workbook.close)
