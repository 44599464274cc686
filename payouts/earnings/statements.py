"""A manager's monthly statement as PDF (fpdf2, DejaVu Sans for Cyrillic) or XLSX (the safe
writer of ``salesops.exports``).

The totals are the manager's row of the payroll export (``payouts.selectors.payout_export_rows``),
so a statement and payroll never disagree; the lines under them are the month's payout lines.
"""

import io
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _
from fpdf import FPDF
from openpyxl import Workbook

from salesops.exports import xlsx_append
from salesops.formatting import format_money, format_month

from .selectors import APPROVED, PAID, EarningsMonth, number

FONTS = Path(__file__).resolve().parent / "fonts"


def _standing(figures: EarningsMonth) -> str:
    return {APPROVED: _("Approved"), PAID: _("Paid")}.get(
        figures.standing, _("Provisional: the month is not approved yet"))


def _title(figures: EarningsMonth) -> str:
    return _("Pay statement, %(month)s") % {"month": format_month(figures.month)}


def statement_lines(figures: EarningsMonth):
    for f in [*figures.components, *figures.adjustments, *figures.held_lines]:
        label = f.kind_label + (f" ({f.detail})" if f.detail else "")
        if f.held:
            label += " — " + _("held")
        if f.note and not f.held:
            label += f" — {f.note}"
        yield label, f.quantity, f.rate, f.amount, f.held


def totals(row: dict) -> list[tuple[str, Decimal]]:
    return [(_("Adjustments of earlier months"), row["adjustments"]),
            (_("Held"), row["held"]), (_("Total payable"), row["total"])]


def statement_pdf(*, figures: EarningsMonth, row: dict) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(_title(figures))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 9, _title(figures), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    person = figures.manager.user.get_full_name() or figures.manager.user.username
    team = str(figures.manager.team) if figures.manager.team else ""
    pdf.cell(0, 6, " · ".join(x for x in (person, team) if x), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, _standing(figures), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (110, 25, 25, 30)
    pdf.set_font("DejaVu", "B", 9)
    for width, head, align in zip(widths, (_("Line"), _("Quantity"), _("Rate"), _("Amount")),
                                  "LRRR", strict=True):
        pdf.cell(width, 7, head, border="B", align=align)
    pdf.ln()
    pdf.set_font("DejaVu", "", 9)
    for label, quantity, rate, amount, _held in statement_lines(figures):
        pdf.cell(widths[0], 6, label[:70])
        pdf.cell(widths[1], 6, number(quantity), align="R")
        pdf.cell(widths[2], 6, number(rate) if rate is not None else "", align="R")
        pdf.cell(widths[3], 6, format_money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 10)
    for label, amount in totals(row):
        pdf.cell(sum(widths[:3]), 7, label, border="T")
        pdf.cell(widths[3], 7, format_money(amount), border="T", align="R",
                 new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def statement_xlsx(*, figures: EarningsMonth, row: dict) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{figures.month:%Y-%m}")
    xlsx_append(sheet, [_title(figures)])
    xlsx_append(sheet, [figures.manager.user.get_full_name() or figures.manager.user.username,
                        _standing(figures)])
    xlsx_append(sheet, [])
    xlsx_append(sheet, [_("Line"), _("Quantity"), _("Rate"), _("Amount"), _("Held")])
    for label, quantity, rate, amount, held in statement_lines(figures):
        xlsx_append(sheet, [label, quantity, rate, amount, _("yes") if held else ""])
    xlsx_append(sheet, [])
    for label, amount in totals(row):
        xlsx_append(sheet, [label, None, None, amount])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
