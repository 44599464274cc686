"""Safe spreadsheet exports: the one place every CSV and XLSX writer gets its cells from.

A text cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
some spreadsheets skip before reading one of those) is a formula to Excel and LibreOffice: a
manager named ``=HYPERLINK("http://x","y")`` becomes a live link in the payroll file. Following
OWASP's advice such text is written with a leading ``'``, so it shows as the text it is. Only
text is touched: numbers and Decimals stay numbers, a refund of -500.00 stays -500.00.

XLSX cells are also written with the string data type, so openpyxl never reads text as a formula.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone
from import_export.formats import base_formats
from openpyxl.cell import WriteOnlyCell
from openpyxl.workbook import Workbook

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain number written as text (a refund's "-500.00" in a CSV) cannot be a formula.
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet may show it without running it: text that would start a
    formula gets a leading ``'``; anything else is returned as it is."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and not _NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


class SafeCSVWriter:
    """``csv.writer`` whose rows go through :func:`safe_cell`."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out, **options) -> SafeCSVWriter:
    return SafeCSVWriter(out, **options)


def xlsx_cells(sheet, values: Iterable[Any]) -> list[WriteOnlyCell]:
    """One row of cells for a write-only ``sheet``: text as strings (never formulas), numbers
    and dates as themselves."""
    cells = []
    for value in values:
        value = _xlsx_value(safe_cell(value))
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells


def xlsx_append(sheet, values: Iterable[Any]) -> None:
    sheet.append(xlsx_cells(sheet, values))


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        # Excel has no time zones: the organisation's wall-clock time.
        return timezone.make_naive(value)
    if value is None or isinstance(value, str | int | float | Decimal | datetime.date):
        return value
    return str(value)


# --- django-import-export's admin exports ---------------------------------------------------
# Its own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops a leading "=" and turns every cell,
# numbers included, into text; these formats use the helper above instead (settings.EXPORT_FORMATS).


class SafeCSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        out = _Lines()
        writer = csv_writer(out)
        if dataset.headers:
            writer.writerow(dataset.headers)
        writer.writerows(dataset)
        return "".join(out.lines)


class SafeXLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_sheet_title(dataset.title))
        if dataset.headers:
            xlsx_append(sheet, dataset.headers)
        for row in dataset:
            xlsx_append(sheet, row)
        stream = io.BytesIO()
        book.save(stream)
        return stream.getvalue()


# The admin asks for native numbers and dates only from the formats in this list.
if SafeXLSX not in base_formats.BINARY_FORMATS:
    base_formats.BINARY_FORMATS.append(SafeXLSX)


class _Lines:
    def __init__(self):
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text)


def _sheet_title(title: str | None) -> str:
    cleaned = "".join("-" if ch in "[]:*?/\\" else ch for ch in (title or "Export"))
    return cleaned[:31] or "Export"
