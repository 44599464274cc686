"""The project's own fixtures: one per preset and per trap in CALL-FORMATS.md."""

import datetime

import openpyxl
import pytest

from salesops.models import CallLog, DailyManagerStats, Direction, Outcome

from .conftest import fixture
from .factories import ManagerFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
MSK = datetime.timezone(datetime.timedelta(hours=3))


def test_freepbx_report_matches_managers_by_extension_in_both_directions(run_import):
    anna, boris = ManagerFactory(extension="201"), ManagerFactory(extension="202")
    batch = run_import(fixture("freepbx_cdr_report.csv"))
    assert (batch.preset, batch.created_count, batch.error_count) == ("freepbx", 3, 0)
    out = CallLog.objects.get(manager=anna, talk_s=80)
    assert (out.direction, out.phone, out.duration_s) == (Direction.OUTBOUND, "+79161234567", 95)
    assert out.recording_url == "out-89161234567-201-20261005-100000-1791180000.1.wav"
    inbound = CallLog.objects.get(manager=boris)
    assert (inbound.direction, inbound.phone, inbound.talk_s) == (
        Direction.INBOUND, "+79035556677", 110)


def test_freeswitch_default_template_maps_hangup_causes(run_import):
    ManagerFactory(extension="1001")
    batch = run_import(fixture("freeswitch_default.csv"))
    assert (batch.preset, batch.created_count, batch.error_count) == ("freeswitch", 3, 0)
    assert sorted(CallLog.objects.values_list("external_id", "talk_s", "outcome")) == [
        ("4f4c1c5e-0a4b-4d3a-9d55-6a2d7d9e0001", 60, Outcome.ANSWERED),
        ("4f4c1c5e-0a4b-4d3a-9d55-6a2d7d9e0003", 0, Outcome.NO_ANSWER),
        ("4f4c1c5e-0a4b-4d3a-9d55-6a2d7d9e0004", 0, Outcome.NO_ANSWER),
    ]


def test_twilio_export_in_any_column_order_with_rfc2822_dates(run_import):
    anna = ManagerFactory(extension="", telephony_login="client:anna")
    batch = run_import(fixture("twilio_calls.csv"))
    assert (batch.preset, batch.created_count, batch.error_count) == ("twilio", 4, 0)
    child = CallLog.objects.get(external_id="CA00000000000000000000000000000000")
    assert child.started_at == datetime.datetime(2026, 2, 7, 13, 15, 19, tzinfo=UTC)
    assert (child.duration_s, child.talk_s, child.outcome) == (125, 125, Outcome.ANSWERED)
    unanswered = CallLog.objects.get(external_id="CA22222222222222222222222222222222")
    assert (unanswered.duration_s, unanswered.talk_s) == (0, 0)
    inbound = CallLog.objects.get(external_id="CA44444444444444444444444444444444")
    assert (inbound.manager, inbound.direction, inbound.phone) == (
        anna, Direction.INBOUND, "+79035556677")


def test_vicidial_tab_export_maps_dispositions_and_refuses_absurd_lengths(run_import):
    ManagerFactory(extension="", telephony_login="agent7")
    batch = run_import(fixture("vicidial_export.tsv"))
    assert (batch.preset, batch.created_count, batch.error_count) == ("vicidial", 3, 1)
    assert sorted(CallLog.objects.values_list("phone", "talk_s", "outcome")) == [
        ("+79161234567", 310, Outcome.CONSENT),
        ("+79162223344", 0, Outcome.NO_ANSWER),
        ("+79163334455", 45, Outcome.DECISION_MAKER),
    ]
    error = batch.row_errors.get()
    assert (error.line, error.column, error.value) == (5, "length_in_sec", "70000")
    assert error.reason == "longer than 65000 s: bad data"


def test_cp1251_semicolon_spreadsheet_with_day_first_dates(run_import):
    manager = ManagerFactory(extension="", telephony_login="Иванова")
    batch = run_import(fixture("russian_cp1251_semicolon.csv"))
    assert (batch.preset, batch.created_count, batch.error_count) == ("russian", 3, 1)
    assert "cp1251" in batch.message and "“;”" in batch.message
    first = CallLog.objects.get(external_id="r-1")
    assert first.started_at == datetime.datetime(2026, 1, 27, 15, 7, 24, tzinfo=MSK)
    assert (first.manager, first.duration_s, first.talk_s, first.outcome) == (
        manager, 125, 110, Outcome.PRESENTATION)
    assert (first.phone, first.recording_url) == ("+79161234567", "https://rec.example/1.mp3")
    no_seconds = CallLog.objects.get(external_id="r-2")
    assert no_seconds.started_at == datetime.datetime(2026, 1, 27, 15, 20, tzinfo=MSK)
    assert (no_seconds.duration_s, no_seconds.phone) == (40, "+79162223344")
    inbound = CallLog.objects.get(external_id="r-3")
    assert (inbound.direction, inbound.outcome, inbound.duration_s) == (
        Direction.INBOUND, Outcome.CONSENT, 310)
    error = batch.row_errors.get()
    assert (error.line, error.column, error.value) == (5, "Дата", "31.02.2026")


def test_utf8_bom_does_not_stick_to_the_first_header(run_import):
    manager = ManagerFactory(extension="", telephony_email="ivanova@example.com")
    batch = run_import(fixture("russian_utf8_bom.csv"))
    assert (batch.preset, batch.created_count, batch.error_count) == ("russian", 2, 0)
    call = CallLog.objects.get(talk_s=70)
    assert (call.manager, call.duration_s, call.outcome) == (manager, 90, Outcome.DECISION_MAKER)
    assert call.started_at == datetime.datetime(2026, 10, 5, 10, 0, tzinfo=MSK)


def test_xlsx_with_time_cells_and_integer_phones(run_import, tmp_path):
    manager = ManagerFactory(extension="205")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Дата", "Время", "Оператор", "Номер", "Длительность",
                  "Длительность разговора", "Статус"])
    sheet.append([datetime.date(2026, 10, 5), datetime.time(9, 30, 15), 205, 79161234567,
                  datetime.time(0, 2, 5), 110, "Секретарь"])
    sheet.append([datetime.datetime(2026, 10, 5, 9, 45), None, "205", 89162223344, 40, 0,
                  "недозвон"])
    path = tmp_path / "calls.xlsx"
    workbook.save(path)
    batch = run_import(path)
    assert (batch.preset, batch.created_count, batch.error_count) == ("russian", 2, 0)
    first = CallLog.objects.get(talk_s=110)
    assert first.started_at == datetime.datetime(2026, 10, 5, 9, 30, 15, tzinfo=MSK)
    assert (first.manager, first.duration_s, first.phone, first.outcome) == (
        manager, 125, "+79161234567", Outcome.SECRETARY)
    second = CallLog.objects.get(talk_s=0)
    assert (second.started_at, second.phone) == (
        datetime.datetime(2026, 10, 5, 9, 45, tzinfo=MSK), "+79162223344")


def test_multi_leg_calls_count_once_credited_to_the_leg_that_answered(run_import):
    boris, clara = ManagerFactory(extension="301"), ManagerFactory(extension="302")
    batch = run_import(fixture("asterisk_multileg_21.csv"))
    assert (batch.rows_read, batch.created_count, batch.skipped_count) == (5, 3, 2)
    assert CallLog.objects.count() == 3
    dialled = CallLog.objects.get(external_id="1791360000.10")
    assert (dialled.manager, dialled.talk_s, dialled.outcome) == (boris, 120, Outcome.ANSWERED)
    # Rung at two desks, answered at Clara's: hers.
    ring_group = CallLog.objects.get(external_id="1791363600.15")
    assert (ring_group.manager, ring_group.direction, ring_group.talk_s) == (
        clara, Direction.INBOUND, 60)


def test_a_leg_arriving_in_a_later_file_replaces_the_unanswered_one(run_import, tmp_path):
    boris = ManagerFactory(extension="301")
    lines = fixture("asterisk_multileg_21.csv").read_text().splitlines(keepends=True)
    (tmp_path / "first.csv").write_text(lines[0])
    (tmp_path / "second.csv").write_text(lines[1])
    first = run_import(tmp_path / "first.csv")
    second = run_import(tmp_path / "second.csv")
    assert (first.created_count, second.created_count, second.updated_count) == (1, 0, 1)
    call = CallLog.objects.get()
    assert (call.manager, call.talk_s, call.outcome) == (boris, 120, Outcome.ANSWERED)


def test_daily_aggregates_are_refreshed_for_the_imported_days(run_import):
    boris = ManagerFactory(extension="301")
    ManagerFactory(extension="302")
    run_import(fixture("asterisk_multileg_21.csv"))
    stats = DailyManagerStats.objects.get(manager=boris)
    assert (stats.day, stats.calls, stats.conversations, stats.talk_s, stats.operator_s) == (
        datetime.date(2026, 10, 7), 2, 1, 120, 155)


def test_the_file_time_zone_is_an_import_option(run_import):
    ManagerFactory(extension="201")
    ManagerFactory(extension="202")
    run_import(fixture("freepbx_cdr_report.csv"), time_zone="UTC")
    call = CallLog.objects.get(talk_s=80)
    assert call.started_at == datetime.datetime(2026, 10, 5, 10, 0, tzinfo=UTC)
