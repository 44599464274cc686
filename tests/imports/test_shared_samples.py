"""Every real file from a public test suite (tests/fixtures/cdr) behaves as a user would expect."""

import csv
import datetime

import pytest

from salesops.models import CallLog, Direction, ImportBatch, Outcome

from .conftest import sample
from .factories import ManagerAliasFactory, ManagerFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def test_headerless_asterisk_file_keeps_its_first_row(run_import):
    manager = ManagerFactory(extension="", telephony_login="dsp")
    batch = run_import(sample("asterisk-testsuite_self_test_Master.csv"))
    assert batch.status == ImportBatch.Status.DONE
    assert batch.preset == "asterisk"
    assert (batch.rows_read, batch.created_count, batch.error_count) == (2, 2, 0)
    calls = CallLog.objects.order_by("started_at")
    assert [(c.duration_s, c.talk_s, c.outcome, c.manager) for c in calls] == [
        (7, 7, Outcome.ANSWERED, manager), (7, 7, Outcome.ANSWERED, manager),
    ]
    # Asterisk wrote local time; the file's zone defaults to the organisation's: Moscow, which
    # in April 2010 kept summer time (UTC+4).
    assert calls[0].started_at == datetime.datetime(2010, 4, 1, 20, 26, 32, tzinfo=UTC)
    assert calls[0].phone == "1"


def test_asterisk_dispositions_import_and_billsec_over_duration_is_reported(run_import):
    manager = ManagerFactory(extension="test")
    batch = run_import(sample("asterisk-testsuite_cdrlib_good.csv"))
    assert (batch.rows_read, batch.created_count, batch.present_count) == (5, 4, 0)
    assert batch.error_count == 1
    error = batch.row_errors.get()
    assert (error.line, error.column, error.value) == (2, "column 14 (talk)", "7")
    assert error.reason == "talk (7 s) is longer than the call (5 s)"
    calls = CallLog.objects.filter(manager=manager)
    assert sorted((c.talk_s, c.outcome) for c in calls) == [
        (0, Outcome.NO_ANSWER), (0, Outcome.NO_ANSWER), (0, Outcome.NO_ANSWER),
        (5, Outcome.ANSWERED),
    ]
    assert {c.direction for c in calls} == {Direction.OUTBOUND}
    assert {c.phone for c in calls} == {"100"}


def test_unterminated_quote_is_reported_not_silently_dropped(run_import):
    ManagerFactory(extension="test")
    batch = run_import(sample("asterisk-testsuite_cdrlib_buggy.csv"))
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.rows_read, batch.created_count, batch.error_count) == (1, 0, 1)
    error = batch.row_errors.get()
    assert (error.line, error.reason) == (1, "unterminated quote")
    assert error.value.endswith('"1231977075.0","')
    assert CallLog.objects.count() == 0


def test_unknown_manager_is_reported_with_the_value_seen_then_mapped_and_rerun(run_import):
    from salesops.imports.services import import_batch_rerun, import_batch_run

    batch = run_import(sample("asterisk-testsuite_self_test_Master.csv"))
    assert (batch.created_count, batch.error_count) == (0, 2)
    errors = list(batch.row_errors.values_list("line", "value", "reason"))
    assert [(line, value) for line, value, _reason in errors] == [
        (1, "Console/dsp / 1"), (2, "Console/dsp / 1"),
    ]
    assert errors[0][2].startswith("unknown manager")
    manager = ManagerAliasFactory(value="DSP").manager  # aliases compare without case
    again = import_batch_rerun(batch=batch)
    again = import_batch_run(batch_id=again.pk)
    assert (again.created_count, again.error_count) == (2, 0)
    assert CallLog.objects.filter(manager=manager).count() == 2


def test_cdr_stats_file_with_a_header_imports_inbound_calls(run_import):
    manager = ManagerFactory(extension="1000")
    batch = run_import(sample("cdr-stats_CDRImport-2015-10-26.csv"))
    assert (batch.preset, batch.rows_read, batch.created_count, batch.error_count) == (
        "cdr-stats", 5, 5, 0)
    first = CallLog.objects.get(external_id="96aa82fe-7bd1-11e5-a230-5c514f6a0f72")
    assert (first.manager, first.duration_s, first.talk_s) == (manager, 55, 50)
    assert (first.direction, first.phone, first.outcome) == (
        Direction.INBOUND, "904151440", Outcome.ANSWERED)


def test_cdr_stats_headerless_epoch_file_strips_spaces_and_reports_negative_billsec(run_import):
    path = sample("cdr-stats_import_cdr_100.txt")
    with path.open() as handle:
        names = [row[1].strip() for row in csv.reader(handle)]
    for name in names:
        ManagerFactory(telephony_login=name)
    batch = run_import(path)
    assert (batch.preset, batch.rows_read, batch.created_count, batch.error_count) == (
        "cdr-stats", 100, 99, 1)
    error = batch.row_errors.get()
    assert (error.column, error.value, error.reason) == (
        "column 5 (talk)", "-6", "negative duration")
    first = CallLog.objects.get(external_id="47bbf17a-95f4-11e1-84f9-00231470a30c")
    assert first.started_at == datetime.datetime.fromtimestamp(1336101842, UTC)
    assert (first.duration_s, first.talk_s, first.phone) == (88, 78, "650200000")
    assert first.manager.telephony_login == "abbey1"
