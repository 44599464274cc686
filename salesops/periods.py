"""The pay period is the organisation's calendar month (SPEC §3)."""

import datetime
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def organisation_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware [start, end) instants of ``month`` in the organisation's time zone."""
    zone = organisation_zone()
    first = month_start(month)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(next_month(first), datetime.time.min, tzinfo=zone)
    return start, end


def month_of(instant: datetime.datetime) -> datetime.date:
    """The month an instant belongs to, read on the organisation's wall clock."""
    return month_start(instant.astimezone(organisation_zone()).date())


def current_month() -> datetime.date:
    return month_of(timezone.now())


def month_text(month: datetime.date) -> str:
    """``date(2026, 11, 1)`` → ``"2026-11"``; the year always in four digits (``strftime``
    writes year 923 as "923")."""
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(text: str) -> datetime.date:
    """``"2026-11"`` → ``date(2026, 11, 1)``; raises ValueError on anything else."""
    # ASCII digits only (str.isdigit also takes other scripts' digits), and a month of at most
    # two: "2026-99999999999999999999" was an overflow, not a ValueError.
    match = _MONTH.fullmatch(text) if isinstance(text, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise ValueError(f"not a month (YYYY-MM): {str(text)[:20]!r}")
    return datetime.date(int(match.group(1)), int(match.group(2)), 1)


_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
