"""A file that cannot be read at all is refused with a message saying why and what would work."""

import pytest

from salesops.models import CallLog, ImportBatch

pytestmark = pytest.mark.django_db


def _refused(run_import, path):
    batch = run_import(path)
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.created_count == 0 and CallLog.objects.count() == 0
    return batch.message


def test_an_empty_file_is_refused(run_import, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"\n\n")
    assert _refused(run_import, tmp_path / "empty.csv") == (
        "The file is empty. Export the call log again as CSV or XLSX.")


def test_a_binary_file_is_refused(run_import, tmp_path):
    (tmp_path / "photo.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    assert _refused(run_import, tmp_path / "photo.csv").startswith(
        "This is a binary file, not a spreadsheet.")


def test_an_old_xls_workbook_is_refused_with_what_to_do(run_import, tmp_path):
    (tmp_path / "calls.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert "Save it as XLSX or CSV" in _refused(run_import, tmp_path / "calls.xls")


def test_a_zip_that_is_not_a_workbook_is_refused(run_import, tmp_path):
    (tmp_path / "calls.xlsx").write_bytes(b"PK\x03\x04" + b"junk" * 50)
    assert "is not an XLSX workbook" in _refused(run_import, tmp_path / "calls.xlsx")


def test_an_unknown_layout_is_refused_naming_the_known_ones(run_import, tmp_path):
    (tmp_path / "notes.csv").write_text("name,comment\nAnna,called twice\nBoris,on leave\n")
    message = _refused(run_import, tmp_path / "notes.csv")
    assert message.startswith("Unknown layout: 2 columns, first row “name, comment”.")
    assert "Asterisk cdr_csv" in message and "save a custom preset" in message


def test_a_file_that_is_not_the_chosen_preset_is_refused(run_import, tmp_path):
    (tmp_path / "notes.csv").write_text("name,comment\nAnna,called twice\n")
    batch = run_import(tmp_path / "notes.csv", preset="twilio")
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.message.startswith("The file does not look like “twilio”")
