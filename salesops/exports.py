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
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from import_export.formats import base_formats
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.workbook import Workbook

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
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


def xlsx_cells(sheet, values: Iterable[Any], formats: Iterable[str | None] = (),
               *, bold: bool = False) -> list[WriteOnlyCell]:
    """One row of cells for a write-only ``sheet``: text as strings (never formulas), numbers
    and dates as themselves; ``formats`` gives a cell's number format (money with its currency,
    a rate with its unit), in the order of ``values``."""
    cells = []
    for value, number_format in itertools.zip_longest(values, formats):
        value = _xlsx_value(safe_cell(value))
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if number_format and not isinstance(value, str):
            cell.number_format = number_format
        if bold:
            cell.font = BOLD
        cells.append(cell)
    return cells


def xlsx_append(sheet, values: Iterable[Any], formats: Iterable[str | None] = (),
                *, bold: bool = False) -> None:
    sheet.append(xlsx_cells(sheet, values, formats, bold=bold))


# --- files a person opens in a spreadsheet ---------------------------------------------------


@dataclass(frozen=True)
class SpreadsheetReader:
    """How a reader's spreadsheet opens a CSV: Excel in a Russian locale splits on ``;`` and
    reads ``1234,50`` as a number; in English on ``,`` with ``1234.50``. Both need the BOM to
    read UTF-8 (Cyrillic names) as UTF-8."""

    language: str
    delimiter: str
    decimal_mark: str

    @property
    def encoding(self) -> str:
        return "utf-8-sig"  # UTF-8 with the byte-order mark

    def number(self, value: Any) -> Any:
        """A number as this reader's spreadsheet reads it back as a number (no grouping)."""
        if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
            return str(value).replace(".", self.decimal_mark)
        return value

    def row(self, values: Iterable[Any]) -> list[Any]:
        return [self.number(value) for value in values]


def spreadsheet_reader(language: str | None = None) -> SpreadsheetReader:
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    if language in SEMICOLON_LANGUAGES:
        return SpreadsheetReader(language, ";", ",")
    return SpreadsheetReader(language, ",", ".")


# Languages whose Excel uses a decimal comma, hence a semicolon between fields.
SEMICOLON_LANGUAGES = {"ru", "uk", "be", "kk", "de", "fr", "es", "it"}


def money_format(currency: str | None = None, language: str | None = None) -> str:
    """An Excel number format for money: two decimals, grouped, with the currency's symbol
    where the reader's language puts it ("1 234,50 ₽", "₽1,234.50")."""
    from .formatting import currency_symbol

    symbol = currency_symbol(currency or settings.SALESOPS_CURRENCY)
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    if language in SEMICOLON_LANGUAGES:
        return f'#,##0.00\\ "{symbol}"'
    return f'"{symbol}"#,##0.00'


def quantity_format(value) -> str:
    """A count or quantity, grouped, with as many decimals as it has (Excel would show "28."
    for 28 with a format that allows decimals)."""
    return "#,##0" if _whole(value) else "#,##0.####"


def percent_format(value) -> str:
    """A rate in percent: the number with a "%" after it (5 is 5 %, not 500 %)."""
    return '#,##0\\ "%"' if _whole(value) else '#,##0.####\\ "%"'


def _whole(value) -> bool:
    return value is None or Decimal(str(value)) == Decimal(str(value)).to_integral_value()


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
