"""Value parsers for call exports. Each takes a cell (text from CSV, or a native XLSX value)
and returns the value or raises ``ValueError`` with a reason a person can act on.

They are on the hot path (one call per cell, millions of rows): the common shape is tried
first and the rest only when it fails.
"""

import datetime
import re
from email.utils import parsedate_to_datetime

UTC = datetime.UTC
# VICIdial treats longer calls as bad data (CALL-FORMATS.md); no real call lasts 18 hours.
MAX_DURATION_S = 65_000
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # noqa: DTZ001 - a wall-clock origin
# A time after the date, with an optional AM/PM ("11:46 AM", "11:46:05 p.m.").
_TIME_PART = (r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?"
              r"(?:\s*([AaPp])\.?[Mm]\.?)?)?$")
# Day and month in either order ("27.01.2026", "12/03/2026"): which one, the column decides.
_DAY_FIRST = re.compile(r"(\d{1,2})([./-])(\d{1,2})[./-](\d{4})" + _TIME_PART)
_YEAR_FIRST = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})" + _TIME_PART)
_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?$")
_HALF_DAY = re.compile(r"\s*([AaPp])\.?[Mm]\.?$")
_NOT_DIGIT = re.compile(r"[^\d]")
# What a phone number is written with; anything else (a SIP address, "Anonymous") is kept as
# text. E.164 numbers have at most 15 digits.
_PHONE_LIKE = re.compile(r"[+\d\s().\-/]+")
MAX_PHONE_DIGITS = 15


def parse_duration(value) -> int:
    """Seconds from ``75``, ``"75"``, ``"01:15"``, ``"00:01:15"``, an XLSX time or timedelta."""
    if type(value) is str:
        try:
            seconds = int(value)
        except ValueError:
            seconds = _duration_from_text(value.strip())
    elif isinstance(value, bool) or value is None:
        raise ValueError("not a duration")
    elif isinstance(value, int | float):
        seconds = round(value)
    elif isinstance(value, datetime.timedelta):
        seconds = round(value.total_seconds())
    elif isinstance(value, datetime.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
    else:
        raise ValueError("not a duration")
    if seconds < 0:
        raise ValueError("negative duration")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"longer than {MAX_DURATION_S} s: bad data")
    return seconds


def _duration_from_text(text: str) -> int:
    if not text:
        return 0
    match = _CLOCK.match(text)
    if match:
        hours, minutes, seconds = match.groups()
        if int(seconds) > 59 or (hours is not None and int(minutes) > 59):
            raise ValueError("not a duration (minutes or seconds over 59)")
        return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    try:
        return round(float(text.replace(",", ".")))
    except ValueError:
        raise ValueError("not a duration (seconds, MM:SS or HH:MM:SS)") from None


DAY_FIRST, MONTH_FIRST = "dmy", "mdy"
AMBIGUOUS = "?"
# Dates written with dots are day-first wherever they are written (27.01.2026); slashes and
# dashes are either (US exports write 12/03/2026 for December 3rd).
_DOTTED = "."


def date_order(values) -> str:
    """Which of day and month comes first in a column's dates: ``DAY_FIRST`` or ``MONTH_FIRST``
    when the values settle it (a first field above 12 is a day, a second one above 12 a day
    too), ``AMBIGUOUS`` when every value reads both ways, ``""`` when no value is a date of that
    form (ISO, an epoch, an Excel date: the order is not a question)."""
    day_first = month_first = seen = False
    for value in values:
        if type(value) is not str:
            continue
        match = _DAY_FIRST.match(value.strip())
        if not match:
            continue
        seen = True
        first, separator, second = int(match.group(1)), match.group(2), int(match.group(3))
        if separator == _DOTTED or first > 12:
            day_first = True
        elif second > 12:
            month_first = True
    if day_first or month_first:
        # Both at once is no order at all: day-first, and the rows that do not read are errors.
        return DAY_FIRST if day_first else MONTH_FIRST
    return AMBIGUOUS if seen else ""


def parse_datetime(value, zone: datetime.tzinfo, month_first: bool = False
                   ) -> datetime.datetime:
    """An aware datetime; wall-clock values are read in ``zone`` (the file's time zone).
    ``month_first``: "12/03/2026" is December 3rd (the column's order, ``date_order``)."""
    if type(value) is str:
        try:
            # Only "YYYY-…": fromisoformat also reads digit runs such as epochs, wrongly.
            if value[4:5] != "-":
                raise ValueError
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            parsed = _datetime_from_text(value.strip(), month_first)
    elif isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, datetime.date):
        parsed = datetime.datetime.combine(value, datetime.time.min)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parsed = _datetime_from_number(value)
    else:
        raise ValueError("not a date and time")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    if not 1990 <= parsed.year <= 2100:
        raise ValueError("date out of range (1990–2100)")
    return parsed


def _datetime_from_text(text: str, month_first: bool = False) -> datetime.datetime:
    if not text:
        raise ValueError("empty date")
    match = _DAY_FIRST.match(text)
    if match:
        day, separator, month, year, hour, minute, second, half = match.groups()
        if month_first and separator != _DOTTED:
            day, month = month, day
        return _build(year, month, day, _hour(hour, half), minute, second)
    match = _YEAR_FIRST.match(text)
    if match:
        year, month, day, hour, minute, second, half = match.groups()
        return _build(year, month, day, _hour(hour, half), minute, second)
    if text[:1].isalpha():  # RFC 2822, as Twilio writes it: "Sat, 07 Feb 2009 13:15:19 +0000"
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise ValueError("not a date and time") from None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(
            "not a date and time (ISO, DD.MM.YYYY HH:MM[:SS], YYYY/M/D H:MM, RFC 2822, "
            "Excel serial or Unix epoch)"
        ) from None
    return _datetime_from_number(number)


def _hour(hour, half):
    """The hour of a 12-hour clock read on a 24-hour one: 12 AM is 0, 1 PM is 13."""
    if not half or hour is None:
        return hour
    hour = int(hour)
    if not 1 <= hour <= 12:
        raise ValueError("not a time: an hour of a 12-hour clock (AM/PM) is 1 to 12")
    return hour % 12 + (12 if half in "Pp" else 0)


def _build(year, month, day, hour, minute, second) -> datetime.datetime:
    try:
        return datetime.datetime(  # noqa: DTZ001 - made aware by the caller
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError as exc:
        raise ValueError(f"not a date: {exc}") from None


def _datetime_from_number(number: float) -> datetime.datetime:
    """Excel serial days (a wall-clock value) or Unix epoch seconds / milliseconds (UTC)."""
    if 20_000 <= number < 80_000:
        return _EXCEL_EPOCH + datetime.timedelta(days=number)
    if number >= 1e11:
        number /= 1000
    if 6e8 <= number < 4.2e9:
        return datetime.datetime.fromtimestamp(number, UTC)
    raise ValueError("a number that is neither an Excel date nor a Unix time")


def parse_clock(value) -> datetime.time:
    """The time-of-day column of a file that splits date and time."""
    if isinstance(value, datetime.time):
        return value
    if isinstance(value, datetime.datetime):
        return value.time()
    if isinstance(value, datetime.timedelta):
        return _clock_of(round(value.total_seconds()))
    if isinstance(value, float) and 0 <= value < 1:  # an Excel time stored as a day fraction
        return _clock_of(round(value * 86400))
    text = str(value).strip()
    half = _HALF_DAY.search(text)
    if half:
        text = text[:half.start()]
    match = _CLOCK.match(text)
    if not match:
        raise ValueError("not a time of day (HH:MM[:SS], or with AM/PM)")
    hours, minutes, seconds = match.groups()
    if hours is None:
        hours, minutes, seconds = minutes, seconds, "0"
    try:
        return datetime.time(int(_hour(hours, half and half.group(1))), int(minutes),
                             int(seconds))
    except ValueError as exc:
        raise ValueError(f"not a time of day: {exc}") from None


def _clock_of(seconds: int) -> datetime.time:
    seconds %= 86400
    return datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def parse_date(value, zone: datetime.tzinfo, month_first: bool = False) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return parse_datetime(value, zone, month_first).date()


def normalise_phone(value) -> str:
    """Phones stay text; Russian numbers become E.164 (``8 916 …``, ``+7 (916) …`` and
    ``916…`` are one number). XLSX integers lost their ``+``: ``79161234567`` gets it back.
    Short internal numbers and foreign numbers keep their digits (and their ``+``).

    ``ValueError`` for what is no phone number: a formula (``=HYPERLINK(…)``), an Excel error
    (``#N/A``), a number of more than 15 digits."""
    if type(value) is not str:
        if value is None:
            return ""
        value = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    text = value.strip()
    if not text:
        return ""
    if text[0] == "=" or (text[0] in "+-@" and len(text) > 1 and text[1].isalpha()):
        raise ValueError("a formula, not a phone number")
    if text[0] == "#" and text.upper() in _EXCEL_ERRORS:
        raise ValueError("an Excel error, not a phone number")
    digits = _NOT_DIGIT.sub("", text)
    if not digits:
        return text[:32]
    if _PHONE_LIKE.fullmatch(text):
        significant = digits[2:] if text.startswith("00") else digits
        if len(significant) > MAX_PHONE_DIGITS:
            raise ValueError(f"more than {MAX_PHONE_DIGITS} digits: not a phone number (E.164)")
    if len(digits) == 11 and digits[0] in "78" and not text.startswith("+"):
        return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9":
        return "+7" + digits
    if text.startswith("+") or (len(digits) == 11 and digits[0] == "7"):
        return "+" + digits
    if text.startswith("00") and len(digits) > 10:
        return "+" + digits[2:]
    return digits[:32]


_EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!",
                           "#SPILL!", "#CALC!", "#GETTING_DATA"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def recording_link(value) -> str:
    """A recording's address as stored: an http(s) URL, or a PBX's bare file name
    (``recordingfile``: no scheme, never shown as a link). ``ValueError`` for an address of
    any other scheme (``javascript:``, ``data:``, ``file:``)."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if len(text) > 500:
        raise ValueError("a recording link longer than 500 characters")
    scheme = _SCHEME.match(text)
    if scheme is None:
        if text.startswith("//") or "\\" in text[:2]:
            raise ValueError("a recording link must be an http(s) address")
        return text
    if scheme.group(1).lower() not in ("http", "https") or not text[len(scheme.group(0)):
                                                               ].startswith("//"):
        raise ValueError("a recording link must be an http(s) address")
    return text


_CHANNEL = re.compile(r"^[A-Za-z0-9_]+/([^@;]+?)(?:-[0-9a-fA-F]{6,})?(?:[@;].*)?$")


def channel_peer(value: str) -> str:
    """The endpoint in an Asterisk channel name: ``SIP/test-02897fd8`` → ``test``,
    ``PJSIP/101-00000a1c`` → ``101``, ``Local/101@from-internal-0001;1`` → ``101``."""
    match = _CHANNEL.match(value)
    return match.group(1) if match else value


DIRECTIONS = {
    "in": "in", "inbound": "in", "incoming": "in", "входящий": "in", "входящие": "in",
    "входящая": "in", "вх": "in", "1": "in",
    "out": "out", "outbound": "out", "outgoing": "out", "outbound-api": "out",
    "outbound-dial": "out", "исходящий": "out", "исходящие": "out", "исходящая": "out",
    "исх": "out", "2": "out",
}


def parse_direction(value) -> str | None:
    """``"in"``/``"out"``, or None when the value says nothing (then the manager match decides)."""
    return DIRECTIONS.get(str(value).strip().casefold())


def manager_key(value: str) -> str:
    """How a manager's name or id is compared: case-insensitive, ё read as е, spaces collapsed,
    so that "Семёнов  Илья" in a file finds the manager Семенов Илья. On the hot path: one call
    per row."""
    if not value:
        return ""
    key = value.casefold().replace("ё", "е")
    return " ".join(key.split()) if "  " in key or "\t" in key or "\xa0" in key else key.strip()


def full_name_keys(first_name: str, last_name: str) -> tuple[str, ...]:
    """A person's full name in both orders ("Илья Семёнов", "Семёнов Илья"), as keys; when the
    first name holds a patronymic too ("Иван Иванович"), also the first name alone."""
    first, last = manager_key(first_name), manager_key(last_name)
    if not (first and last):
        return ()
    keys = [f"{first} {last}", f"{last} {first}"]
    given = first.split()[0]
    if given != first:
        keys += [f"{given} {last}", f"{last} {given}"]
    return tuple(keys)


def initials_key(first_name: str, last_name: str) -> str:
    """A person as initials name them: surname and the first name's initial ("иванов и")."""
    first, last = manager_key(first_name), manager_key(last_name)
    if not (first and last):
        return ""
    return f"{last} {first[0]}"


# The endings of Russian patronymics (Иванович, Ильич, Петровна, Кузьминична) and the Turkic
# оглы / кызы written after the father's name.
_PATRONYMIC_ENDINGS = ("вич", "вна", "ична", "ьич", "лич", "оглы", "кызы", "улы")


def name_key(value: str) -> str:
    """The key a person's name in a file is matched by when it is written whole or by initials:
    «Иванов Иван Иванович» → "иванов иван" (the patronymic left out, the order kept),
    «Иванов И.И.», «Иванов И. И.», «И.И. Иванов» → "иванов и" (surname and first initial).
    ``""`` for what is no such name (a login, an e-mail, two plain words)."""
    key = manager_key(value)
    if not key or "@" in key or any(ch.isdigit() for ch in key):
        return ""
    tokens = key.replace(".", ". ").split()
    words = [token for token in tokens if len(token.rstrip(".")) > 1]
    initials = [token.rstrip(".") for token in tokens if len(token.rstrip(".")) == 1]
    if "." in key and len(words) == 1 and 1 <= len(initials) <= 2:
        return f"{words[0]} {initials[0]}"
    if len(tokens) == 3 and not initials:
        kept = [word for word in tokens if not word.endswith(_PATRONYMIC_ENDINGS)]
        if len(kept) == 2:
            return " ".join(kept)
    return ""

