"""XLSX is bounded: the archive is checked against the limits before any parsing; formula
cells with no saved value are reported, not imported as 0 s; a damaged sheet keeps the rows
committed before it and ends the batch failed, saying so."""

import pytest

from salesops.imports import xlsx
from salesops.models import CallLog, ImportBatch, ImportRowError
from tests.factories import ManagerFactory
from tests.fixtures import hostile

pytestmark = pytest.mark.django_db
DONE, FAILED = ImportBatch.Status.DONE, ImportBatch.Status.FAILED


@pytest.fixture(autouse=True)
def manager():
    return ManagerFactory(extension=hostile.EXTENSION)


@pytest.fixture
def run_xlsx(run_import, tmp_path):
    def run(data: bytes, **options):
        path = tmp_path / "calls.xlsx"
        path.write_bytes(data)
        batch = run_import(path, **options)
        assert batch.status in (DONE, FAILED), "no batch is left running"
        assert CallLog.objects.count() == batch.created_count, "nothing half-written"
        return batch

    return run


@pytest.fixture
def parsing_forbidden(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(xlsx, "open_rows", refuse)


def test_an_xlsx_bomb_is_refused_by_its_compression_ratio_before_parsing(
        run_xlsx, parsing_forbidden):
    data = hostile.xlsx_bomb(unpacked_mb=64)
    assert len(data) < 300 * 1024
    batch = run_xlsx(data)
    assert batch.status == FAILED
    assert batch.message.startswith("The workbook's part xl/sharedStrings.xml is compressed ")
    assert "over the import's limit of 100" in batch.message


def test_a_workbook_unpacking_over_the_size_limit_is_refused_before_parsing(
        run_xlsx, settings, parsing_forbidden):
    settings.IMPORT_XLSX_MAX_UNCOMPRESSED = 8 * 2**20
    batch = run_xlsx(hostile.xlsx_bomb(unpacked_mb=16))
    assert batch.status == FAILED
    assert batch.message == (
        "The workbook unpacks to 15 MB, over the import's limit of 8 MB. Export the call log "
        "as CSV, or split it.")


def test_a_workbook_over_the_cell_limit_is_refused_before_parsing(
        run_xlsx, settings, parsing_forbidden):
    settings.IMPORT_XLSX_MAX_CELLS = 100
    batch = run_xlsx(hostile.xlsx(hostile.xlsx_rows(30)))
    assert batch.status == FAILED
    assert batch.message.startswith("The workbook holds more than 100 cells")


@pytest.mark.parametrize("reader", ["openpyxl", "calamine"])
def test_a_formula_with_no_saved_value_is_reported_not_imported_as_zero(
        run_xlsx, settings, reader):
    settings.IMPORT_XLSX_READER = reader
    batch = run_xlsx(hostile.xlsx_uncached_formula())
    assert (batch.status, batch.created_count) == (DONE, 2)
    assert list(ImportRowError.objects.filter(batch=batch).values_list(
        "line", "column", "value", "reason")) == [(
            3, "Длительность разговора", "=D3/2",
            "a formula with no saved value: open the file in Excel, save it, and upload it "
            "again",
        )]
    assert not CallLog.objects.filter(talk_s=0).exists()


@pytest.mark.parametrize("reader", ["openpyxl", "calamine"])
def test_both_readers_import_the_same_workbook_alike(run_xlsx, settings, reader):
    settings.IMPORT_XLSX_READER = reader
    batch = run_xlsx(hostile.xlsx(hostile.xlsx_rows(50)))
    assert (batch.status, batch.created_count, batch.error_count) == (DONE, 50, 0)
    assert sorted(CallLog.objects.values_list("talk_s", flat=True).distinct()) == [30]


@pytest.mark.parametrize("reader", ["openpyxl", "calamine", "auto"])
def test_malformed_sheet_xml_keeps_every_good_row_before_the_break_then_fails_saying_where(
        run_xlsx, settings, reader):
    settings.IMPORT_XLSX_READER = reader
    batch = run_xlsx(hostile.xlsx_broken_xml(rows=300, broken_at=150), chunk_rows=40)
    assert batch.status == FAILED
    # Line 1 is the header: lines 2–150 are the 149 good rows before the break.
    assert (batch.created_count, batch.rows_read, batch.error_count) == (149, 149, 0)
    assert batch.message.startswith("The workbook is damaged after row 150 (")
