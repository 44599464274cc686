"""Workbooks built to exhaust the worker are refused before any cell is allocated, or read by
the streaming reader: the used range is checked from every reference, not the sheet's own
claim, and the unpacked size of the parts the readers hold in memory is bounded itself."""

import io
import os
import zipfile

import pytest

from salesops.imports import xlsx
from salesops.models import CallLog, ImportBatch, ImportRowError
from tests.factories import ManagerFactory
from tests.fixtures import hostile

pytestmark = pytest.mark.django_db
FAILED, DONE = ImportBatch.Status.FAILED, ImportBatch.Status.DONE


@pytest.fixture(autouse=True)
def manager():
    return ManagerFactory(extension=hostile.EXTENSION)


@pytest.fixture
def parsing_forbidden(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(xlsx, "open_rows", refuse)


@pytest.fixture
def run_xlsx(run_import, tmp_path):
    def run(data: bytes):
        path = tmp_path / "calls.xlsx"
        path.write_bytes(data)
        return run_import(path)

    return run


def _with_sheet(edit) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(hostile.xlsx(hostile.xlsx_rows(3))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            target.writestr(info.filename, data)
    return out.getvalue()


def far_cell(ref: str, *, dimension: str = "A1:F4") -> bytes:
    """The export with one more cell at ``ref``, and a sheet that claims ``dimension``."""
    def edit(data):
        data = data.replace(b'<dimension ref="A1:F4"', f'<dimension ref="{dimension}"'.encode())
        row = ''.join(c for c in ref if c.isdigit())
        return data.replace(b"</sheetData>",
                            f'<row r="{row}"><c r="{ref}" t="n"><v>1</v></c></row>'
                            f"</sheetData>".encode())
    return _with_sheet(edit)


def test_one_cell_at_xfd1048576_is_refused_before_any_cell_is_allocated(
        run_xlsx, parsing_forbidden):
    data = far_cell("XFD1048576")
    assert len(data) < 10 * 1024
    batch = run_xlsx(data)
    assert (batch.status, batch.created_count, CallLog.objects.count()) == (FAILED, 0, 0)
    assert batch.message.startswith("The workbook holds more than 30000000 cells")
    assert ImportRowError.objects.count() == 0


def test_a_far_cell_hidden_behind_a_small_dimension_is_found(run_xlsx, parsing_forbidden):
    batch = run_xlsx(far_cell("ZZ900000", dimension="A1:B2"))
    assert batch.status == FAILED
    assert batch.message.startswith("The workbook holds more than 30000000 cells")


def test_a_far_cell_within_the_limit_is_read_by_the_streaming_reader_not_calamine(
        tmp_path, settings):
    path = tmp_path / "calls.xlsx"
    path.write_bytes(far_cell("Z200000"))
    facts = xlsx.inspect(path)
    assert (facts.rows, facts.columns) == (200_000, 26)
    assert xlsx.choose_reader("auto", facts) == "openpyxl"


def test_a_far_cell_within_the_limit_imports_the_real_rows(run_xlsx, settings):
    settings.IMPORT_XLSX_MAX_CELLS = 30_000_000
    batch = run_xlsx(far_cell("F20000"))
    # The far cell's row has one number and nothing else: its row's error.
    assert (batch.status, batch.created_count, batch.error_count) == (DONE, 3, 1)


def _shared_strings_workbook(megabytes: int) -> bytes:
    """Shared strings of random text (compressed about twice: no ratio check catches it)."""
    source = zipfile.ZipFile(io.BytesIO(hostile.xlsx(hostile.xlsx_rows(2))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                target.writestr(info.filename, source.read(info.filename))
        with target.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                       b'spreadsheetml/2006/main">')
            for _ in range(megabytes * 16):
                part.write(b"<si><t>" + os.urandom(32 * 1024).hex().encode() + b"</t></si>")
            part.write(b"</sst>")
    return out.getvalue()


def test_shared_strings_over_their_own_limit_are_refused_before_parsing(
        run_xlsx, settings, parsing_forbidden):
    settings.IMPORT_XLSX_MAX_SHARED_STRINGS = 1 * 2**20
    data = _shared_strings_workbook(2)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml")
    assert info.file_size / info.compress_size < 3  # passes the ratio check
    batch = run_xlsx(data)
    assert (batch.status, CallLog.objects.count()) == (FAILED, 0)
    assert batch.message == ("The workbook's shared strings unpack to more than 1 MB, over the "
                             "import's limit. Export the call log as CSV, or split it.")


def test_a_part_unpacking_to_more_than_its_header_says_is_refused_as_damaged(
        run_xlsx, parsing_forbidden):
    data = bytearray(_with_sheet(lambda sheet: sheet))
    size = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml").file_size
    # The central directory's entry for the sheet claims half its real size.
    entry = bytes(data).index(b"xl/worksheets/sheet1.xml", bytes(data).index(b"PK\x01\x02")) - 46
    assert bytes(data[entry:entry + 4]) == b"PK\x01\x02"
    data[entry + 24:entry + 28] = (size // 2).to_bytes(4, "little")
    batch = run_xlsx(bytes(data))
    assert (batch.status, CallLog.objects.count()) == (FAILED, 0)
    assert batch.message.startswith("The workbook is damaged (")


def test_shared_strings_that_no_reader_holds_within_the_memory_budget_are_refused(
        run_xlsx, settings, parsing_forbidden):
    settings.IMPORT_XLSX_MEMORY_BUDGET = 1 * 2**20
    batch = run_xlsx(_shared_strings_workbook(2))
    assert (batch.status, CallLog.objects.count()) == (FAILED, 0)
    assert batch.message == (
        "The workbook's shared strings (2 MB) with a sheet this large need more memory than "
        "the import allows. Export the call log as CSV, or split it.")


def test_the_reader_is_chosen_by_what_its_structures_cost(tmp_path, settings):
    path = tmp_path / "strings.xlsx"
    path.write_bytes(_shared_strings_workbook(2))
    facts = xlsx.inspect(path)
    settings.IMPORT_XLSX_MEMORY_BUDGET = 8 * 2**20  # calamine: about 4 MB
    assert xlsx.choose_reader("auto", facts) == "calamine"
    settings.IMPORT_XLSX_CALAMINE_MAX_CELLS = 0  # calamine ruled out: openpyxl, about 12 MB
    settings.IMPORT_XLSX_MEMORY_BUDGET = 16 * 2**20
    assert xlsx.choose_reader("auto", facts) == "openpyxl"
