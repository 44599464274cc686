"""The payroll export (SPEC §7 "paid: exported to payroll"): CSV, or XLSX with every line.

Payroll is of approved (or paid) runs only: a draft or computed month can still change, so the
export refuses it and names the runs that are not final.

The files are for an accountant: headers in the reader's language, people and teams by name,
a CSV the reader's Excel opens as it is (UTF-8 with a BOM; ``;`` and a decimal comma for a
Russian reader), XLSX amounts as numbers formatted with the currency and two decimals, each
rate with its unit, each line in words. Nothing internal (codes, JSON) is written.
"""

import datetime
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from salesops import policy
from salesops.exports import (
    csv_writer,
    money_format,
    percent_format,
    quantity_format,
    spreadsheet_reader,
    xlsx_append,
)
from salesops.formatting import format_month
from salesops.inputs import audit_record
from salesops.models import Team

from .models import LOCKED_STATUSES, LineKind, PayoutRun
from .selectors import EXPORT_KINDS, payout_export_lines, payout_export_rows

AMOUNTS = [*EXPORT_KINDS, "adjustments", "held", "total"]


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
        raise PayrollNotFinal(_("There is no pay computed for %(month)s.")
                              % {"month": format_month(month)})
    not_final = [run for run in runs if run.status not in LOCKED_STATUSES]
    if not_final:
        raise PayrollNotFinal(_(
            "Payroll is exported once a month is approved; not approved yet: %(runs)s."
        ) % {"runs": ", ".join(f"{run.team.name}, {format_month(run.month)} "
                               f"({run.get_status_display().lower()})" for run in not_final)})
    return runs


def payouts_export(*, month: datetime.date, path: Path, file_format: str, team=None,
                   language: str | None = None, by=None) -> int:
    """Write the export in ``language`` (the reader's; the active one by default); returns how
    many people it lists. Refuses a month that is not approved. ``by``, when given, must be
    allowed to export each run, and each export is in the audit trail with who made it."""
    runs = payroll_check_final(month=month, team=team)
    if by is not None:
        for run in runs:
            policy.require(by, policy.EXPORT, "payout_runs", run)
    with translation.override(language or translation.get_language()):
        rows = payout_export_rows(month=month, team=team)
        if file_format == "csv":
            _write_csv(path, month=month, rows=rows)
        else:
            _write_xlsx(path, month=month, rows=rows, team=team)
    if by is not None:
        for run in runs:
            audit_record(action="payroll_exported", obj=run, by=by, before={},
                         after={"team": run.team.code, "month": run.month,
                                "format": file_format, "people": len(rows)})
    return len(rows)


def _columns(rows: list[dict]) -> list[tuple[str, str]]:
    """(key, header) of the file's columns: who, then each component that pays anyone this
    month, then adjustments, held and the total payable."""
    labels = dict(LineKind.choices)
    kinds = [kind for kind in EXPORT_KINDS if any(row[kind] for row in rows)]
    return [
        ("name", _("Employee")), ("login", _("Login")), ("team", _("Team")),
        ("month", _("Month")),
        *((kind, str(labels[kind])) for kind in kinds),
        ("adjustments", _("Adjustments of earlier months")), ("held", _("Held")),
        ("total", _("Total payable")),
    ]


def _values(rows: list[dict], month: datetime.date) -> list[dict]:
    teams = dict(Team.objects.values_list("code", "name"))
    return [{**row, "name": row["name"] or row["login"], "team": teams.get(row["team"], ""),
             "month": format_month(month)} for row in rows]


def _write_csv(path: Path, *, month: datetime.date, rows: list[dict]) -> None:
    reader = spreadsheet_reader()
    columns = _columns(rows)
    with open(path, "w", newline="", encoding=reader.encoding) as out:
        writer = csv_writer(out, delimiter=reader.delimiter)
        writer.writerow([header for _key, header in columns])
        for row in _values(rows, month):
            writer.writerow(reader.row(row[key] for key, _header in columns))


def _write_xlsx(path: Path, *, month: datetime.date, rows: list[dict], team=None) -> None:
    from .earnings.selectors import line_figures

    money = money_format()
    columns = _columns(rows)
    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Payroll"))
    summary.freeze_panes = "B2"
    for index, (key, _header) in enumerate(columns):
        summary.column_dimensions[_letter(index)].width = 28 if key == "name" else 16
    xlsx_append(summary, [header for _key, header in columns], bold=True)
    for row in _values(rows, month):
        xlsx_append(summary, [row[key] for key, _header in columns],
                    [money if key in AMOUNTS else None for key, _header in columns])

    lines = book.create_sheet(_("Lines"))
    lines.freeze_panes = "C2"
    headers = [_("Team"), _("Employee"), _("Login"), _("Month"), _("Component"), _("Detail"),
               _("How it adds up"), _("Quantity"), _("Rate"), _("Amount"), _("Held"),
               _("Correction of")]
    for index, width in enumerate([18, 26, 14, 14, 24, 22, 60, 12, 16, 16, 10, 14]):
        lines.column_dimensions[_letter(index)].width = width
    xlsx_append(lines, headers, bold=True)
    queryset = list(payout_export_lines(month=month, team=team))
    for line, f in zip(queryset, line_figures(queryset), strict=True):
        rate_format = (percent_format(f.rate) if f.percent else money) \
            if f.rate is not None and f.rate_text != "—" else None
        xlsx_append(lines, [
            line.run.team.name, str(line.manager), line.manager.user.username,
            format_month(line.month), f.kind_label, f.detail, f.arithmetic, f.quantity,
            f.rate if rate_format else None, f.amount, _("held") if f.held else "",
            format_month(f.adjusts_month) if f.adjusts_month else "",
        ], [None, None, None, None, None, None, None, quantity_format(f.quantity), rate_format,
            money])
    book.save(path)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
