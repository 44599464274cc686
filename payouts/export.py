"""The payroll export (SPEC §7 "paid: exported to payroll"): CSV, or XLSX with every line.

Payroll is of approved (or paid) runs only: a draft or computed month can still change, so the
export refuses it and names the runs that are not final.
"""

import datetime
import json
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _
from openpyxl import Workbook

from salesops.exports import csv_writer, xlsx_append

from .models import LOCKED_STATUSES, PayoutRun
from .selectors import EXPORT_KINDS, payout_export_lines, payout_export_rows

COLUMNS = ["login", "name", "team", *EXPORT_KINDS, "adjustments", "held", "total"]
LINE_COLUMNS = [
    "team", "login", "month", "component", "key", "adjusts_month", "quantity", "rate", "amount",
    "held", "explanation",
]


class PayrollNotFinal(Exception):
    """The month (or team) has runs that are not approved: payroll would not be final."""


def payroll_check_final(*, month: datetime.date, team=None) -> list[PayoutRun]:
    """The runs a payroll export of ``month`` covers; refuses unless every one is approved
    or paid (SPEC §7), naming the others."""
    runs = PayoutRun.objects.filter(month=month).select_related("team").order_by("team__code")
    if team is not None:
        runs = runs.filter(team=team)
    runs = list(runs)
    if not runs:
        raise PayrollNotFinal(_("There is no payout run for %(month)s.")
                              % {"month": f"{month:%Y-%m}"})
    not_final = [run for run in runs if run.status not in LOCKED_STATUSES]
    if not_final:
        raise PayrollNotFinal(_(
            "Payroll is exported from approved runs only; not final: %(runs)s (SPEC §7)."
        ) % {"runs": ", ".join(f"{run.team.code} {run.month:%Y-%m} ({run.status})"
                               for run in not_final)})
    return runs


def payouts_export(*, month: datetime.date, path: Path, file_format: str, team=None) -> int:
    """Write the export; returns how many people it lists. Amounts stay Decimal (as text in
    CSV, as numbers formatted to kopecks in XLSX). Refuses a month that is not approved."""
    payroll_check_final(month=month, team=team)
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
