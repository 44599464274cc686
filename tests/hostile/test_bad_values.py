"""Bad values are never stored: each becomes a row error naming its line, column and value,
and the good rows around it are kept. Line endings and encodings a user's file may have are
read, not refused."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesops.imports.upload_rules import validate_upload
from salesops.models import CallLog, ImportBatch, ImportRowError
from tests.factories import ManagerFactory
from tests.fixtures import hostile

pytestmark = pytest.mark.django_db
DONE = ImportBatch.Status.DONE


@pytest.fixture(autouse=True)
def manager():
    return ManagerFactory(extension=hostile.EXTENSION)


@pytest.fixture
def run_bytes(run_import, tmp_path):
    def run(data: bytes, name: str = "calls.csv"):
        path = tmp_path / name
        path.write_bytes(data)
        batch = run_import(path)
        assert CallLog.objects.count() == batch.created_count
        return batch

    return run


def errors(batch) -> list[tuple]:
    return list(ImportRowError.objects.filter(batch=batch).order_by("line", "pk")
                .values_list("line", "column", "value", "reason"))


def _with(column: int, value, rows: int = 3, bad: int = 2) -> bytes:
    data = hostile.good_rows(rows)
    data[bad - 1][column] = value
    return hostile.csv_text(data).encode()


@pytest.mark.parametrize("value", ['=HYPERLINK("tel:+0")', "=1+1", "@SUM(A1)", "+cmd|' /c'"])
def test_a_formula_in_the_phone_column_is_a_row_error_naming_it(run_bytes, value):
    batch = run_bytes(_with(5, value.replace(",", ";")))
    assert (batch.status, batch.created_count, batch.error_count) == (DONE, 2, 1)
    assert errors(batch) == [(3, "Номер", value.replace(",", ";"),
                              "a formula, not a phone number")]
    assert not CallLog.objects.filter(phone__in=["+0", "+1", ""]).exists()


def test_a_phone_of_more_than_15_digits_is_a_row_error_not_cut_to_32_characters(run_bytes):
    long = "7" * 62
    batch = run_bytes(_with(5, long))
    assert (batch.created_count, batch.error_count) == (2, 1)
    assert errors(batch) == [(3, "Номер", long,
                              "more than 15 digits: not a phone number (E.164)")]
    assert set(CallLog.objects.values_list("phone", flat=True)) == {"+79160000000"}


def test_a_fifteen_digit_international_number_is_kept(run_bytes):
    batch = run_bytes(_with(5, "+441234567890123"))
    assert (batch.created_count, batch.error_count) == (3, 0)
    assert CallLog.objects.filter(phone="+441234567890123").count() == 1


def test_a_call_dated_in_the_future_is_a_row_error(run_bytes):
    # Today is what the clock says; 2062 is decades past any sane bound.
    batch = run_bytes(_with(2, "2062-10-05 10:00:00"))
    assert (batch.created_count, batch.error_count) == (2, 1)
    assert errors(batch) == [(3, "Дата и время", "2062-10-05 10:00:00",
                              "in the future: a call cannot start after today")]


def test_a_call_dated_beyond_tomorrow_on_a_frozen_clock_is_a_row_error(run_bytes, monkeypatch):
    import datetime

    from django.utils import timezone

    frozen = datetime.datetime(2026, 10, 5, 12, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    data = hostile.good_rows(3)
    data[0][2] = "2026-10-06 12:00:00"  # within a day (Moscow is UTC+3): kept
    data[1][2] = "2026-10-07 10:00:00"  # the day after tomorrow: refused
    batch = run_bytes(hostile.csv_text(data).encode())
    assert (batch.created_count, batch.error_count) == (2, 1)
    assert [e[:3] for e in errors(batch)] == [(3, "Дата и время", "2026-10-07 10:00:00")]


def _xlsx_with_error_cell(error: str) -> bytes:
    """An export whose row 3 talk time is an Excel error cell (a formula that failed)."""
    source = zipfile.ZipFile(io.BytesIO(hostile.xlsx(hostile.xlsx_rows(3))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="E3" t="n"><v>30</v></c>',
                                    f'<c r="E3" t="e"><f>D3/0</f><v>{error}</v></c>'.encode())
                assert error.encode() in data
            target.writestr(info.filename, data)
    return out.getvalue()


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#VALUE!"])
def test_an_excel_error_cell_is_a_row_error_naming_it_not_zero_seconds(
        run_bytes, settings, reader, error):
    settings.IMPORT_XLSX_READER = reader
    batch = run_bytes(_xlsx_with_error_cell(error), name="calls.xlsx")
    assert (batch.created_count, batch.error_count) == (2, 1)
    assert errors(batch) == [(3, "Длительность разговора", error,
                              "an Excel error cell, not a value: correct the formula in the "
                              "file, save it, and upload it again")]
    assert not CallLog.objects.filter(talk_s=0).exists()


def test_an_excel_error_in_a_csv_phone_column_is_a_row_error(run_bytes):
    batch = run_bytes(_with(5, "#N/A"))
    assert errors(batch) == [(3, "Номер", "#N/A", "an Excel error, not a phone number")]


def test_a_duplicated_header_is_reported_naming_it_and_the_column_read(run_bytes):
    header = [*hostile.HEADER, "Длительность"]
    rows = [[*r, "999"] for r in hostile.good_rows(3)]
    batch = run_bytes(hostile.csv_text(rows, header=header).encode())
    assert batch.status == DONE
    assert errors(batch) == [(
        1, "D, G", "Длительность",
        "this header names several columns (D, G): only column D is read; rename the others")]
    assert set(CallLog.objects.values_list("duration_s", flat=True)) == {60}


@pytest.mark.parametrize("value", ["javascript:alert(document.cookie)", "JaVaScRiPt:x",
                                   "data:text/html,<script>x</script>", "file:///etc/passwd",
                                   "//evil.example/x.wav", "vbscript:msgbox"])
def test_a_recording_link_that_is_not_http_is_a_row_error_and_never_stored(run_bytes, value):
    header = [*hostile.HEADER, "Запись"]
    rows = [[*r, "https://pbx.example/rec/1.wav"] for r in hostile.good_rows(3)]
    rows[1][6] = value.replace(",", ";")
    batch = run_bytes(hostile.csv_text(rows, header=header).encode())
    assert (batch.created_count, batch.error_count) == (2, 1)
    assert errors(batch) == [(3, "Запись", value.replace(",", ";"),
                              "a recording link must be an http(s) address")]
    assert set(CallLog.objects.values_list("recording_url", flat=True)) == {
        "https://pbx.example/rec/1.wav"}


def test_a_stored_non_http_recording_is_never_rendered_as_a_link():
    from django.template import Context, Template

    template = Template("{% load salesops_format %}[{{ url|http_link }}]")
    assert template.render(Context({"url": "javascript:alert(1)"})) == "[]"
    assert template.render(Context({"url": "https://pbx.example/1.wav"})) == (
        "[https://pbx.example/1.wav]")


def test_cr_only_line_endings_are_read_as_lines(run_bytes):
    data = hostile.csv_text(hostile.good_rows(5)).replace("\r\n", "\r").encode()
    assert b"\n" not in data
    batch = run_bytes(data)
    assert (batch.status, batch.created_count, batch.error_count) == (DONE, 5, 0)


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-le", True), ("utf-16-be", True),
                                               ("utf-16-le", False)])
def test_a_utf16_file_is_accepted_at_upload_and_imported(run_bytes, encoding, bom):
    data = hostile.encoded(encoding, bom=bom)
    validate_upload(SimpleUploadedFile("calls.csv", data))  # no ValidationError
    batch = run_bytes(data)
    assert (batch.status, batch.created_count) == (DONE, 3)


def test_a_binary_file_named_csv_is_still_refused_at_upload():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_upload(SimpleUploadedFile("calls.csv", bytes(range(256)) * 64))
