"""A file's first rows as the worker read them, kept on the batch (``ImportBatch.sample``) so
that the pages show the mapping screen and the columns left out without opening the file: no
page parses a file inside a request (a workbook built to exhaust memory would take the web
worker with it). Values keep their types (the layout is recognised from them)."""

import datetime

from .reader import UnreadableFile, open_table

SAMPLE_ROWS = 20
MAX_TEXT = 200  # a cell's text kept for the preview


def encode(rows: list[list]) -> list[list]:
    return [[_encode(value) for value in row] for row in rows]


def decode(rows: list[list]) -> list[list]:
    return [[_decode(value) for value in row] for row in rows or []]


def _encode(value):
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, int | float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"time": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"seconds": value.total_seconds()}
    return str(value).replace("\x00", "\u2400")[:MAX_TEXT]


def _decode(value):
    if not isinstance(value, dict):
        return value
    if "datetime" in value:
        return datetime.datetime.fromisoformat(value["datetime"])
    if "date" in value:
        return datetime.date.fromisoformat(value["date"])
    if "time" in value:
        return datetime.time.fromisoformat(value["time"])
    if "seconds" in value:
        return datetime.timedelta(seconds=value["seconds"])
    return ""


def read_sample(path) -> list[list]:
    """The first rows of the file at ``path`` (the worker's side); ``UnreadableFile`` when it
    cannot be read at all."""
    table = open_table(path, sample_rows=SAMPLE_ROWS)
    try:
        sample = table.sample
    finally:
        table.close()
    if not sample:
        raise UnreadableFile("")
    return encode(sample)
