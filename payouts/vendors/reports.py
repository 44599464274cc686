"""The pilot report and the what-if comparison written as JSON or XLSX (the commands' and the
pages' downloads). JSON fields are documented in the README; money is a string of a Decimal."""

import io
import json

from django.utils.translation import gettext as _
from openpyxl import Workbook

from salesops.exports import money_format, xlsx_append

from .pilots import PilotReport


def pilot_json(report: PilotReport) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2)


def pilot_xlsx(report: PilotReport) -> bytes:
    money = money_format()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Funnel"))
    xlsx_append(sheet, [report.pilot.name], bold=True)
    xlsx_append(sheet, [_("Step"), _("Count"), _("Conversion")], bold=True)
    for step in report.funnel:
        xlsx_append(sheet, [step.label, step.count, step.conversion], [None, None, "0.00%"])
    xlsx_append(sheet, [])
    xlsx_append(sheet, [_("Minutes"), report.minutes])
    xlsx_append(sheet, [_("Hours"), report.hours])
    sheet = book.create_sheet(_("Prices"))
    rows = [
        (_("Cost of the work"), report.cost),
        (_("Cost per conversation"), report.cost_per_conversation),
        (_("Cost per confirmed lead"), report.cost_per_confirmed),
        (_("Cost per arrived client"), report.cost_per_arrived),
        (_("Break-even per confirmed lead"), report.break_even_confirmed.at_cost),
        (_("Per confirmed lead with the margin"), report.break_even_confirmed.with_margin),
        (_("Break-even per arrived client"), report.break_even_arrived.at_cost),
        (_("Per arrived client with the margin"), report.break_even_arrived.with_margin),
    ]
    xlsx_append(sheet, [_("Margin"), report.margin], [None, "0.00%"])
    for label, value in rows:
        xlsx_append(sheet, [label, value], [None, money])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def comparison_json(comparison) -> str:
    return json.dumps(comparison.to_json(), ensure_ascii=False, indent=2)


def comparison_xlsx(comparison) -> bytes:
    money = money_format()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Plans"))
    xlsx_append(sheet, [_("Plan"), _("Total"), _("Confirmed leads"), _("Cost per confirmed lead"),
                        _("Arrived clients"), _("Cost per arrived client"),
                        _("Paid twice")], bold=True)
    for p in comparison.plans:
        xlsx_append(sheet, [p.name, p.total, p.confirmed, p.per_confirmed, p.arrived,
                            p.per_arrived, sum((o.amount for o in p.double_paid), 0)],
                    [None, money, None, money, None, money, money])
    sheet = book.create_sheet(_("People"))
    names = [p.name for p in comparison.plans]
    xlsx_append(sheet, [_("Payee"), *names,
                        *[_("%(plan)s against %(first)s") % {"plan": n, "first": names[0]}
                          for n in names[1:]]], bold=True)
    for row in comparison.differences():
        values = [row["payee"], *row["amounts"], *row["against_first"]]
        xlsx_append(sheet, values, [None] + [money] * (len(values) - 1))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
