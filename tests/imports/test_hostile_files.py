"""Hostile files: every bad row is reported with its file, line, column, value and reason;
every good row is kept; no batch is left running; nothing is half-written."""

import pytest

from salesops.models import CallLog, ImportBatch, ImportRowError
from tests.factories import ManagerFactory
from tests.fixtures import hostile

pytestmark = pytest.mark.django_db
DONE, FAILED = ImportBatch.Status.DONE, ImportBatch.Status.FAILED


@pytest.fixture(autouse=True)
def manager():
    return ManagerFactory(extension=hostile.EXTENSION)


@pytest.fixture
def run_bytes(run_import, tmp_path):
    def run(data: bytes, name: str = "calls.csv", **options):
        path = tmp_path / name
        path.write_bytes(data)
        batch = run_import(path, **options)
        assert batch.status in (DONE, FAILED), "no batch is left running"
        assert CallLog.objects.count() == batch.created_count, "nothing half-written"
        return batch

    return run


def errors(batch) -> list[tuple]:
    return list(ImportRowError.objects.filter(batch=batch).order_by("line", "pk")
                .values_list("line", "column", "value", "reason"))


def test_a_nul_byte_after_the_first_64_kb_is_its_rows_error_and_every_other_row_is_kept(run_bytes):
    data = hostile.nul_after_64_kb(rows=2000, bad=1800)
    assert data.index(b"\x00") > 64 * 1024
    batch = run_bytes(data)
    assert (batch.status, batch.created_count, batch.error_count) == (DONE, 1999, 1)
    assert errors(batch) == [(
        1801, "column 6", "c1800,7001,2026-10-05 08:00:00,60,30,+7916\u24000000000",
        "a NUL byte in the line: the file is damaged here",
    )]
    assert batch.file_name == "calls.csv"


def test_non_finite_numbers_are_reported_as_such(run_bytes):
    batch = run_bytes(hostile.non_finite())
    assert (batch.status, batch.created_count) == (DONE, 1)
    assert errors(batch) == [
        (2, "Длительность", "1e400", "not a finite number"),
        (3, "Длительность", "Infinity", "not a finite number"),
        (4, "Длительность", "NaN", "not a finite number"),
        (5, "Длительность разговора", "-inf", "not a finite number"),
    ]


def test_a_header_name_over_100_characters_is_reported_and_the_rows_are_kept(run_bytes):
    data = hostile.overlong_header()
    batch = run_bytes(data)
    long_name = data.decode().splitlines()[0].split(",")[-1]
    assert (batch.status, batch.created_count) == (DONE, 3)
    assert errors(batch) == [
        (1, "column 7", long_name, "a header name longer than 100 characters"),
    ]


def test_an_empty_file_is_refused_as_empty(run_bytes):
    batch = run_bytes(hostile.empty())
    assert (batch.status, batch.message) == (
        FAILED, "The file is empty. Export the call log again as CSV or XLSX.")


def test_a_header_only_file_fails_saying_it_has_no_calls(run_bytes):
    batch = run_bytes(hostile.header_only())
    assert (batch.status, batch.message, batch.created_count) == (
        FAILED, "The file has its header row (line 1) and no calls under it.", 0)


def test_a_duplicate_call_id_inside_one_file_is_reported_and_the_first_row_kept(run_bytes):
    batch = run_bytes(hostile.duplicate_ids())
    assert (batch.status, batch.created_count) == (DONE, 3)
    assert errors(batch) == [
        (4, "ID", "c1", "the same call as an earlier row of this file: this row is left out"),
    ]
    assert CallLog.objects.get(external_id="c1").started_at.minute == 1


def test_an_impossible_date_is_reported(run_bytes):
    batch = run_bytes(hostile.impossible_date())
    assert (batch.status, batch.created_count) == (DONE, 2)
    assert errors(batch) == [
        (3, "Дата и время", "2026-02-30 10:00:00", "not a date: day is out of range for month"),
    ]


def test_talk_longer_than_the_call_is_reported(run_bytes):
    batch = run_bytes(hostile.talk_over_duration())
    assert (batch.status, batch.created_count) == (DONE, 2)
    assert errors(batch) == [
        (3, "Длительность разговора", "45", "talk (45 s) is longer than the call (20 s)"),
    ]


def test_a_quoted_field_spanning_lines_is_one_field_rfc_4180(run_bytes):
    batch = run_bytes(hostile.multi_line_quoted_field())
    assert (batch.status, batch.created_count, batch.rows_read) == (DONE, 3, 4)
    assert errors(batch) == [
        (6, "Длительность", "oops", "not a duration (seconds, MM:SS or HH:MM:SS)"),
    ]


def test_an_unterminated_quote_is_its_rows_error_and_the_rows_after_it_are_kept(run_bytes):
    batch = run_bytes(hostile.unterminated_quote())
    assert (batch.status, batch.created_count) == (DONE, 3)
    assert errors(batch) == [
        (3, "", 'c2,7001,2026-10-05 08:02:02,60,30,"+79160000000', "unterminated quote"),
    ]


@pytest.mark.parametrize(("encoding", "bom", "label"), [
    ("utf-8", False, "utf-8"), ("utf-8", True, "utf-8-sig"), ("cp1251", False, "cp1251"),
    ("utf-16-le", True, "utf-16-le"), ("utf-16-le", False, "utf-16-le"),
    ("utf-16-be", False, "utf-16-be"),
])
def test_the_encoding_is_decided_per_file(run_bytes, encoding, bom, label):
    batch = run_bytes(hostile.encoded(encoding, bom=bom))
    assert (batch.status, batch.created_count, batch.error_count) == (DONE, 3, 0)
    assert f", {label}, " in batch.message


def test_one_cp1251_row_in_a_utf8_file_is_that_rows_error_in_readable_text(run_bytes):
    batch = run_bytes(hostile.cp1251_row_in_utf8())
    assert (batch.status, batch.created_count) == (DONE, 3)
    assert errors(batch) == [(
        4, "", "c3,7001,2026-10-05 08:03:03,60,30,нет номера",
        "this line is not in the file's encoding (utf-8); it reads as Windows-1251: save the "
        "file again in one encoding",
    )]


def test_an_encoding_that_cannot_be_decided_is_refused_clearly(run_bytes):
    batch = run_bytes(hostile.undecidable_encoding())
    assert (batch.status, batch.created_count) == (FAILED, 0)
    assert batch.message.startswith("The file's encoding cannot be recognised")


def test_a_batch_run_with_an_explicit_column_mapping_reads_the_columns_chosen(run_import, tmp_path):
    from salesops.imports.mapping import ColumnMapping, table_preview

    path = tmp_path / "odd.csv"
    path.write_text("Who,When,Length,Spoken\n7001,2026-10-05 10:00:00,60,30\n")
    preview = table_preview(path=path)
    assert (preview.mapping, preview.rows[0]) == (None, ["Who", "When", "Length", "Spoken"])
    assert preview.layout_problem.startswith("Unknown layout: 4 columns")
    mapping = ColumnMapping(columns={"agent": 0, "started_at": 1, "duration": 2, "talk": 3})
    batch = run_import(path, mapping=mapping)
    assert (batch.status, batch.created_count, batch.error_count) == (ImportBatch.Status.DONE,
                                                                      1, 0)
    assert batch.mapping["columns"] == {"agent": 0, "started_at": 1, "duration": 2, "talk": 3}
    assert CallLog.objects.get().talk_s == 30
