"""A vendor's statement as PDF (fpdf2, DejaVu Sans for Cyrillic) or XLSX, in the reader's
language: its lines as the statement holds them (never recounted), the leads each paid."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from payouts.earnings.statements import statement_document
from payouts.models import LineKind
from salesops.exports import money_format, quantity_format, xlsx_append
from salesops.formatting import format_money, format_month
from salesops.models import Outcome

from .models import VendorStatement, VendorStatementLine

KIND_LABELS = dict(LineKind.choices)
OUTCOME_LABELS = {o.name.lower(): o.label for o in Outcome}


def line_label(line: VendorStatementLine) -> str:
    label = str(KIND_LABELS.get(line.kind, line.kind))
    key = line.key
    if line.adjusts_month:
        key = key.split(":", 2)[-1]
    if key in OUTCOME_LABELS:
        label += f" ({OUTCOME_LABELS[key]})"
    elif key == "clawback" or key.startswith("clawback"):
        label += " — " + _("clawback of a fake lead")
    elif key == "held":
        label += " — " + _("held")
    if line.adjusts_month:
        label += " — " + _("correction of %(month)s") % {"month": format_month(line.adjusts_month)}
    return label


def statement_title(statement: VendorStatement) -> str:
    return _("%(vendor)s: statement for %(month)s") % {
        "vendor": statement.vendor.name, "month": format_month(statement.month)}


def _rows(statement: VendorStatement):
    for line in statement.lines.prefetch_related("sources__milestone"):
        leads = ", ".join(str(s.milestone.lead_id) for s in line.sources.all())
        yield line, line_label(line), leads


def statement_pdf(statement: VendorStatement) -> bytes:
    pdf = statement_document(statement_title(statement), statement.get_status_display(),
                             title_size=14)
    pdf.ln(3)
    widths = (82, 22, 22, 30, 34)
    heads = (_("Line"), _("Quantity"), _("Rate"), _("Amount"), _("Leads"))
    pdf.set_font("DejaVu", "B", 9)
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 7, head, border="B")
    pdf.ln()
    pdf.set_font("DejaVu", "", 8.5)
    for line, label, leads in _rows(statement):
        pdf.cell(widths[0], 6, label[:60])
        pdf.cell(widths[1], 6, f"{line.quantity.normalize():f}", align="R")
        pdf.cell(widths[2], 6, "" if line.rate is None else f"{line.rate.normalize():f}",
                 align="R")
        pdf.cell(widths[3], 6, format_money(line.amount), align="R")
        pdf.cell(widths[4], 6, leads[:30], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(sum(widths[:3]), 7, _("Total payable"), border="T")
    pdf.cell(widths[3], 7, format_money(statement.total), border="T", align="R",
             new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def statement_xlsx(statement: VendorStatement) -> bytes:
    money = money_format()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(format_month(statement.month)[:31])
    xlsx_append(sheet, [statement_title(statement)], bold=True)
    xlsx_append(sheet, [statement.get_status_display()])
    xlsx_append(sheet, [])
    xlsx_append(sheet, [_("Line"), _("Quantity"), _("Rate"), _("Amount"), _("Held"),
                        _("Leads")], bold=True)
    for line, label, leads in _rows(statement):
        xlsx_append(sheet, [label, line.quantity, line.rate, line.amount,
                            _("yes") if line.held else "", leads],
                    [None, quantity_format(line.quantity), money, money])
    xlsx_append(sheet, [])
    xlsx_append(sheet, [_("Total payable"), None, None, statement.total],
                [None, None, None, money], bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
