"""The payroll export (SPEC §7 "paid: exported to payroll"): CSV, or XLSX with every line."""

import datetime
import json
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder
from openpyxl import Workbook

from salesops.exports import csv_writer, xlsx_append

from .selectors import EXPORT_KINDS, payout_export_lines, payout_export_rows

COLUMNS = ["login", "name", "team", *EXPORT_KINDS, "adjustments", "held", "total"]
LINE_COLUMNS = [
    "team", "login", "month", "component", "key", "adjusts_month", "quantity", "rate", "amount",
    "held", "explanation",
]


def payouts_export(*, month: datetime.date, path: Path, file_format: str, team=None) -> int:
    """Write the export; returns how many people it lists. Amounts stay Decimal (as text in
    CSV, as numbers formatted to kopecks in XLSX)."""
    rows = payout_export_rows(month=month, team=team)
    if file_format == "csv":
        with open(path, "w", newline="", encoding="utf-8") as out:
            writer = csv_writer(out)
            writer.writerow(COLUMNS)
            writer.writerows([row[c] for c in COLUMNS] for row in rows)
        return len(rows)
    book = Workbook(write_only=True)
    summary = book.create_sheet("payroll")
    xlsx_append(summary, COLUMNS)
    for row in rows:
        xlsx_append(summary, [row[c] for c in COLUMNS])
    lines = book.create_sheet("lines")
    xlsx_append(lines, LINE_COLUMNS)
    for line in payout_export_lines(month=month, team=team).iterator():
        xlsx_append(lines, [
            line.run.team.code, line.manager.user.username, line.month, line.kind, line.key,
            line.adjusts_month, line.quantity, line.rate, line.amount, line.held,
            json.dumps(line.explanation, cls=DjangoJSONEncoder, ensure_ascii=False)[:32000],
        ])
    book.save(path)
    return len(rows)
