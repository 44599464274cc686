"""Re-importing the same or an overlapping file creates no new calls (SPEC §6.1); a batch can
be rolled back as a whole."""

import pytest

from salesops.imports.services import import_batch_rollback
from salesops.models import CallLog, DailyManagerStats, ImportBatch

from .conftest import fixture, sample
from .factories import ManagerFactory

pytestmark = pytest.mark.django_db


def test_reimporting_the_same_file_creates_no_calls(run_import):
    ManagerFactory(extension="test")
    first = run_import(sample("asterisk-testsuite_cdrlib_good.csv"))
    again = run_import(sample("asterisk-testsuite_cdrlib_good.csv"))
    assert (first.created_count, again.created_count, again.present_count) == (4, 0, 4)
    assert again.error_count == 1  # the bad row is reported again, never half-written
    assert CallLog.objects.count() == 4


def test_an_overlapping_file_creates_only_the_new_calls(run_import, tmp_path):
    ManagerFactory(extension="", telephony_login="Иванова")
    lines = fixture("russian_cp1251_semicolon.csv").read_bytes().splitlines(keepends=True)
    (tmp_path / "early.csv").write_bytes(b"".join(lines[:3]))
    (tmp_path / "all.csv").write_bytes(b"".join(lines))
    early = run_import(tmp_path / "early.csv")
    later = run_import(tmp_path / "all.csv")
    assert (early.created_count, later.created_count, later.present_count) == (2, 1, 2)
    assert CallLog.objects.count() == 3


def test_rows_without_a_call_id_are_deduplicated_by_their_content(run_import):
    ManagerFactory(extension="", telephony_email="ivanova@example.com")
    first = run_import(fixture("russian_utf8_bom.csv"))
    again = run_import(fixture("russian_utf8_bom.csv"))
    assert (first.created_count, again.created_count, again.present_count) == (2, 0, 2)
    assert all(c.startswith("fp:") for c in CallLog.objects.values_list("external_id", flat=True))


def test_a_dry_run_checks_everything_and_writes_no_call(run_import):
    ManagerFactory(extension="test")
    batch = run_import(sample("asterisk-testsuite_cdrlib_good.csv"), dry_run=True)
    assert (batch.status, batch.created_count, batch.error_count) == (
        ImportBatch.Status.DONE, 4, 1)
    assert CallLog.objects.count() == 0


def test_rolling_back_a_batch_deletes_its_calls_and_their_daily_figures(run_import):
    boris = ManagerFactory(extension="301")
    ManagerFactory(extension="302")
    kept = ManagerFactory(extension="test")
    other = run_import(sample("asterisk-testsuite_cdrlib_good.csv"))
    batch = run_import(fixture("asterisk_multileg_21.csv"))
    assert DailyManagerStats.objects.filter(manager=boris).exists()
    assert import_batch_rollback(batch=batch) == 3
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.ROLLED_BACK
    assert not CallLog.objects.filter(batch=batch).exists()
    assert CallLog.objects.filter(batch=other, manager=kept).count() == 4
    assert not DailyManagerStats.objects.filter(manager=boris).exists()
