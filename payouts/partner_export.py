"""Partner statements as CSV or XLSX: one row per statement line, then the totals.

Each statement says whether it is a draft, final or paid; a line that lands late on this
statement for an earlier final month names that month. Written for whoever pays partners:
headers and statuses in the reader's language, a CSV their Excel opens as it is (UTF-8 with a
BOM; ``;`` and a decimal comma for a Russian reader), XLSX amounts with the currency, percents
with their sign."""

import datetime
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import Workbook

from salesops.exports import (
    csv_writer,
    money_format,
    percent_format,
    spreadsheet_reader,
    xlsx_append,
)
from salesops.formatting import format_month

from .models import PartnerStatement, PartnerStatementLine


def _summary_header() -> list[str]:
    return [_("Partner"), _("Month"), _("Carried in"), _("Earned this month"), _("Payable"),
            _("Carried over"), _("Status")]


def _lines_header() -> list[str]:
    return [_("Partner"), _("Month"), _("Line"), _("Payment"), _("Lead"), _("Payment amount"),
            _("Percent"), _("Amount"), _("Payable on"), _("Correction of")]


def partner_statements_rows(*, month: datetime.date) -> tuple[list[list], list[list]]:
    statements = PartnerStatement.objects.filter(month=month).select_related("partner")
    summary = [
        [s.partner.name, format_month(s.month), s.carried_in, s.earned, s.payable,
         s.carried_out, s.get_status_display()]
        for s in statements.order_by("partner__name", "pk")
    ]
    lines = [
        [line.statement.partner.name, format_month(month), line.get_kind_display(),
         line.payment_id, str(line.payment.lead), line.base, line.percent, line.amount,
         line.payable_on, format_month(line.adjusts_month) if line.adjusts_month else ""]
        for line in PartnerStatementLine.objects.filter(statement__month=month)
        .select_related("statement__partner", "payment__lead")
        .order_by("statement__partner__name", "payable_on", "pk")
    ]
    return summary, lines


def partner_statements_export(*, month: datetime.date, path: Path) -> int:
    """Write ``month``'s statements to ``path`` (.csv or .xlsx) in the active language;
    returns how many partners."""
    summary, lines = partner_statements_rows(month=month)
    if Path(path).suffix.lower() == ".xlsx":
        money = money_format()
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Statements"))
        xlsx_append(sheet, _summary_header(), bold=True)
        for row in summary:
            xlsx_append(sheet, row, [None, None, money, money, money, money])
        sheet = book.create_sheet(_("Lines"))
        xlsx_append(sheet, _lines_header(), bold=True)
        for row in lines:
            xlsx_append(sheet, row, [None, None, None, None, None, money,
                                     percent_format(row[6]), money, "yyyy-mm-dd"])
        book.save(path)
    else:
        reader = spreadsheet_reader()
        with open(path, "w", newline="", encoding=reader.encoding) as out:
            writer = csv_writer(out, delimiter=reader.delimiter)
            writer.writerow(_summary_header())
            writer.writerows(reader.row(row) for row in summary)
            writer.writerow([])
            writer.writerow(_lines_header())
            writer.writerows(reader.row(row) for row in lines)
    return len(summary)
