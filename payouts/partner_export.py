"""Partner statements as CSV or XLSX (SPEC §5): one row per statement line, then the totals.

Each statement says whether it is a draft, final or paid; a line that lands late on this
statement for an earlier final month names that month (``adjusts_month``)."""

import datetime
from pathlib import Path

from openpyxl import Workbook

from salesops.exports import csv_writer, xlsx_append

from .models import PartnerStatement, PartnerStatementLine

SUMMARY = ["partner", "month", "carried_in", "earned", "payable", "carried_out", "status"]
LINES = ["partner", "month", "kind", "payment", "lead", "base", "percent", "amount", "payable_on",
         "adjusts_month"]


def partner_statements_rows(*, month: datetime.date) -> tuple[list[list], list[list]]:
    statements = PartnerStatement.objects.filter(month=month).select_related("partner")
    summary = [
        [s.partner.name, f"{s.month:%Y-%m}", s.carried_in, s.earned, s.payable, s.carried_out,
         s.status]
        for s in statements.order_by("partner__name", "pk")
    ]
    lines = [
        [line.statement.partner.name, f"{month:%Y-%m}", line.kind, line.payment_id,
         line.payment.lead_id, line.base, line.percent, line.amount, line.payable_on,
         f"{line.adjusts_month:%Y-%m}" if line.adjusts_month else ""]
        for line in PartnerStatementLine.objects.filter(statement__month=month)
        .select_related("statement__partner", "payment")
        .order_by("statement__partner__name", "payable_on", "pk")
    ]
    return summary, lines


def partner_statements_export(*, month: datetime.date, path: Path) -> int:
    """Write ``month``'s statements to ``path`` (.csv or .xlsx); returns how many partners."""
    summary, lines = partner_statements_rows(month=month)
    if Path(path).suffix.lower() == ".xlsx":
        book = Workbook(write_only=True)
        for title, header, rows in (("statements", SUMMARY, summary), ("lines", LINES, lines)):
            sheet = book.create_sheet(title)
            xlsx_append(sheet, header)
            for row in rows:
                xlsx_append(sheet, row)
        book.save(path)
    else:
        # Decimal stays text in CSV: exact kopecks, no float on the way.
        with open(path, "w", newline="", encoding="utf-8") as out:
            writer = csv_writer(out)
            writer.writerow(SUMMARY)
            writer.writerows(summary)
            writer.writerow([])
            writer.writerow(LINES)
            writer.writerows(lines)
    return len(summary)
