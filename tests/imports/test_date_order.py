"""Dates as exports write them (issue 17): day or month first is told by the column's values (a
first field above 12 is a day, a second one above 12 too); AM/PM, ISO, Excel serials and epoch
seconds are read; a column every value of which reads both ways is asked about once on the
mapping screen, showing three rows read both ways, and a preset saved from it keeps the
answer."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group

from salesops.imports.values import (
    AMBIGUOUS,
    DAY_FIRST,
    MONTH_FIRST,
    date_order,
    parse_clock,
    parse_datetime,
)
from salesops.models import CallLog, ImportBatch, ImportPreset

from .factories import ManagerFactory
from .test_column_mapping import upload

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
UTC = datetime.UTC


def test_a_first_field_above_12_settles_the_column_as_day_first():
    assert date_order(["03/04/2026 10:00", "13/04/2026 10:00"]) == DAY_FIRST


def test_a_second_field_above_12_settles_the_column_as_month_first():
    assert date_order(["12/03/2026 11:46 AM", "12/13/2026 01:15 PM"]) == MONTH_FIRST


def test_a_column_whose_every_date_reads_both_ways_is_ambiguous():
    assert date_order(["12/03/2026 11:46 AM", "01/02/2026 09:00 AM"]) == AMBIGUOUS


def test_dates_with_dots_are_day_first_and_iso_dates_ask_nothing():
    assert date_order(["05.10.2026 10:00", "06.10.2026 10:00"]) == DAY_FIRST
    assert date_order(["2026-10-05 10:00:00", datetime.datetime(2026, 10, 5)]) == ""


@pytest.mark.parametrize(("value", "month_first", "expected"), [
    ("12/03/2026 11:46 AM", True, datetime.datetime(2026, 12, 3, 11, 46, tzinfo=MSK)),
    ("12/03/2026 11:46 PM", True, datetime.datetime(2026, 12, 3, 23, 46, tzinfo=MSK)),
    ("12/03/2026 12:05 AM", True, datetime.datetime(2026, 12, 3, 0, 5, tzinfo=MSK)),
    ("12/03/2026 12:05 PM", True, datetime.datetime(2026, 12, 3, 12, 5, tzinfo=MSK)),
    ("12/03/2026 11:46 AM", False, datetime.datetime(2026, 3, 12, 11, 46, tzinfo=MSK)),
    ("3/7/2026 1:02:03 p.m.", True, datetime.datetime(2026, 3, 7, 13, 2, 3, tzinfo=MSK)),
    ("27.01.2026 15:07", True, datetime.datetime(2026, 1, 27, 15, 7, tzinfo=MSK)),
    ("2026-01-27T15:07:00", True, datetime.datetime(2026, 1, 27, 15, 7, tzinfo=MSK)),
    ("46049.5", False, datetime.datetime(2026, 1, 27, 12, 0, tzinfo=MSK)),
    (46049.5, True, datetime.datetime(2026, 1, 27, 12, 0, tzinfo=MSK)),
    ("1769526000", False, datetime.datetime(2026, 1, 27, 15, 0, tzinfo=UTC)),
])
def test_us_dates_with_am_pm_iso_excel_serials_and_epochs_are_read(value, month_first,
                                                                   expected):
    assert parse_datetime(value, MSK, month_first) == expected


def test_an_hour_above_12_with_am_or_pm_is_an_error():
    with pytest.raises(ValueError, match="12-hour clock"):
        parse_datetime("12/03/2026 13:46 PM", MSK, True)


def test_a_time_column_with_am_pm_is_read():
    assert parse_clock("11:46 PM") == datetime.time(23, 46)
    assert parse_clock("12:00 AM") == datetime.time(0, 0)


def us_dialer(path, dates, *, first=1):
    lines = ["Call ID,Agent,Call Date,Duration,Talk Time,Disposition,Phone Number"]
    lines += [f"d-{number},anna@example.com,{date},95,80,ANSWERED,+12025550{number:03d}"
              for number, date in enumerate(dates, start=first)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_dialer_file_with_us_dates_imports_each_call_on_its_day(tmp_path, run_import):
    ManagerFactory(telephony_email="anna@example.com")
    batch = run_import(us_dialer(tmp_path / "dialer.csv", [
        "11/30/2026 11:46 AM", "11/03/2026 04:05 PM", "11/13/2026 09:00 AM"]), time_zone="UTC")
    assert (batch.created_count, batch.error_count) == (3, 0)
    assert sorted(CallLog.objects.values_list("started_at", flat=True)) == [
        datetime.datetime(2026, 11, 3, 16, 5, tzinfo=UTC),
        datetime.datetime(2026, 11, 13, 9, 0, tzinfo=UTC),
        datetime.datetime(2026, 11, 30, 11, 46, tzinfo=UTC)]


@pytest.fixture
def admin_client(client):
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


AMBIGUOUS_DATES = ["11/03/2026 11:46 AM", "11/04/2026 09:15 AM", "11/05/2026 02:30 PM",
                   "11/06/2026 10:00 AM"]


def test_an_ambiguous_column_is_asked_once_showing_three_rows_read_both_ways(
    admin_client, tmp_path
):
    response = upload(admin_client, us_dialer(tmp_path / "dialer.csv", AMBIGUOUS_DATES))
    batch = ImportBatch.objects.get()
    page = admin_client.get(response.url)
    proposal = page.context["proposal"]
    assert proposal.dates_ambiguous
    assert proposal.date_examples == [
        ("11/03/2026 11:46 AM", datetime.datetime(2026, 3, 11, 11, 46),
         datetime.datetime(2026, 11, 3, 11, 46)),
        ("11/04/2026 09:15 AM", datetime.datetime(2026, 4, 11, 9, 15),
         datetime.datetime(2026, 11, 4, 9, 15)),
        ("11/05/2026 02:30 PM", datetime.datetime(2026, 5, 11, 14, 30),
         datetime.datetime(2026, 11, 5, 14, 30)),
    ]
    form = page.context["form"]
    data = {f.html_name: f.value() for f in form if f.value() not in (None, False, "")}
    refused = admin_client.post(response.url, data)
    assert refused.status_code == 200
    assert "reads both ways" in refused.content.decode()
    assert ImportBatch.objects.get(pk=batch.pk).status == "mapping"


def test_the_answer_is_used_and_saved_with_the_preset(
    admin_client, tmp_path, django_capture_on_commit_callbacks
):
    ManagerFactory(telephony_email="anna@example.com")
    response = upload(admin_client, us_dialer(tmp_path / "dialer.csv", AMBIGUOUS_DATES))
    batch = ImportBatch.objects.get()
    form = admin_client.get(response.url).context["form"]
    data = {f.html_name: f.value() for f in form if f.value() not in (None, False, "")}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(response.url, {**data, "date_order": MONTH_FIRST,
                                         "save_as": "US dialer"})
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("done", 4)
    assert {call.started_at.astimezone(MSK).date() for call in CallLog.objects.all()} == {
        datetime.date(2026, 11, day) for day in (3, 4, 5, 6)}
    assert ImportPreset.objects.get().date_order == MONTH_FIRST

    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client, us_dialer(tmp_path / "next.csv", [
            "10/01/2026 10:00 AM", "10/02/2026 10:00 AM"], first=11))
    second = ImportBatch.objects.latest("pk")
    assert (second.status, second.preset, second.created_count) == ("done", "us-dialer", 2)
    assert sorted(call.started_at.astimezone(MSK).date()
                  for call in CallLog.objects.filter(batch=second)) == [
        datetime.date(2026, 10, 1), datetime.date(2026, 10, 2)]
