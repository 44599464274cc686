"""The payroll export (SPEC §7 "paid: exported to payroll"): CSV, or XLSX with every line."""

import csv
import datetime
import json
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder
from openpyxl import Workbook

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
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        return len(rows)
    book = Workbook(write_only=True)
    summary = book.create_sheet("payroll")
    summary.append(COLUMNS)
    for row in rows:
        summary.append([row[c] for c in COLUMNS])
    lines = book.create_sheet("lines")
    lines.append(LINE_COLUMNS)
    for line in payout_export_lines(month=month, team=team).iterator():
        lines.append([
            line.run.team.code, line.manager.user.username, line.month, line.kind, line.key,
            line.adjusts_month, line.quantity, line.rate, line.amount, line.held,
            json.dumps(line.explanation, cls=DjangoJSONEncoder, ensure_ascii=False)[:32000],
        ])
    book.save(path)
    return len(rows)
