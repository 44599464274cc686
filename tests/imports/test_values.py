"""Value parsers: every shape CALL-FORMATS.md lists."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from leads.phones import phone_normalise
from salesops.imports.values import (
    channel_peer,
    normalise_phone,
    parse_datetime,
    parse_duration,
)

MSK = ZoneInfo("Europe/Moscow")
UTC = datetime.UTC


@pytest.mark.parametrize(("value", "seconds"), [
    ("75", 75), (" 75 ", 75), ("01:15", 75), ("00:01:15", 75), ("1:02:03", 3723), ("", 0),
    (75, 75), (75.4, 75), (datetime.time(0, 1, 15), 75), (datetime.timedelta(minutes=2), 120),
])
def test_durations_are_read_in_every_usual_shape(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(("value", "reason"), [
    ("-6", "negative duration"), ("70000", "longer than 65000 s: bad data"),
    ("1:75", "not a duration (minutes or seconds over 59)"),
    ("soon", "not a duration (seconds, MM:SS or HH:MM:SS)"),
])
def test_bad_durations_say_why(value, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_duration(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-01-27 15:07:24", datetime.datetime(2026, 1, 27, 15, 7, 24, tzinfo=MSK)),
    ("27.01.2026 15:07:24", datetime.datetime(2026, 1, 27, 15, 7, 24, tzinfo=MSK)),
    ("27.01.2026 15:07", datetime.datetime(2026, 1, 27, 15, 7, tzinfo=MSK)),
    ("2020/2/10 22:41", datetime.datetime(2020, 2, 10, 22, 41, tzinfo=MSK)),
    ("Sat, 07 Feb 2009 13:15:19 +0000", datetime.datetime(2009, 2, 7, 13, 15, 19, tzinfo=UTC)),
    ("1336101842", datetime.datetime(2012, 5, 4, 3, 24, 2, tzinfo=UTC)),
    ("1336101842000", datetime.datetime(2012, 5, 4, 3, 24, 2, tzinfo=UTC)),
    (46049.5, datetime.datetime(2026, 1, 27, 12, 0, tzinfo=MSK)),
    ("2026-01-27T12:00:00+00:00", datetime.datetime(2026, 1, 27, 12, 0, tzinfo=UTC)),
])
def test_datetimes_are_read_in_every_usual_shape(value, expected):
    parsed = parse_datetime(value, MSK)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_an_impossible_date_is_an_error():
    with pytest.raises(ValueError, match="day is out of range for month"):
        parse_datetime("31.02.2026 10:00", MSK)


@pytest.mark.parametrize(("value", "phone"), [
    ("8 (916) 123-45-67", "+79161234567"), ("+7 916 123 45 67", "+79161234567"),
    ("9161234567", "+79161234567"), (79161234567, "+79161234567"), (89161234567.0, "+79161234567"),
    ("+34798400122", "+34798400122"), ("0049301234567", "+49301234567"), ("100", "100"),
    ("", ""),
])
def test_phones_stay_text_and_are_normalised(value, phone):
    assert normalise_phone(value) == phone


@pytest.mark.parametrize(("channel", "peer"), [
    ("SIP/test-02897fd8", "test"), ("PJSIP/101-00000a1c", "101"), ("Console/dsp", "dsp"),
    ("Local/101@from-internal-00000001;1", "101"),
])
def test_the_endpoint_is_read_from_an_asterisk_channel(channel, peer):
    assert channel_peer(channel) == peer


@pytest.mark.parametrize(
    "spelling", ["8 916 123-45-67", "+7 (916) 123 45 67", "9161234567", 79161234567]
)
def test_calls_and_leads_spell_a_russian_number_the_same_way(spelling):
    # The importer has its own fast normaliser (it runs per row at tens of thousands of rows a
    # second); a call must still meet its lead on the same E.164 number (SPEC §2, §6.3).
    assert normalise_phone(spelling) == phone_normalise(str(spelling)) == "+79161234567"
