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

from salesops.exports import money_format, percent_format, quantity_format, xlsx_append
from salesops.formatting import format_money, format_month

from .selectors import APPROVED, PAID, EarningsMonth

FONTS = Path(__file__).resolve().parent / "fonts"


def statement_document(title: str, subtitle: str, *, title_size: int = 15) -> FPDF:
    """The first page of a statement (a person's, a partner's, a vendor's): A4 with fonts that
    write Cyrillic, the title, then a line that says whose it is."""
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", title_size)
    pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, subtitle, new_x="LMARGIN", new_y="NEXT")
    return pdf


def _standing(figures: EarningsMonth) -> str:
    return {APPROVED: _("Approved"), PAID: _("Paid")}.get(
        figures.standing, _("Provisional: the month is not approved yet"))


def _title(figures: EarningsMonth) -> str:
    return _("Pay statement, %(month)s") % {"month": format_month(figures.month)}


def statement_lines(figures: EarningsMonth):
    """(label, line figure) for each line: paid components, corrections, then held ones."""
    for f in [*figures.components, *figures.adjustments, *figures.held_lines]:
        label = f.kind_label + (f" ({f.detail})" if f.detail else "")
        if f.held:
            label += " — " + _("held")
        if f.note and not f.held:
            label += f" — {f.note}"
        yield label, f


def totals(row: dict) -> list[tuple[str, Decimal]]:
    return [(_("Adjustments of earlier months"), row["adjustments"]),
            (_("Held"), row["held"]), (_("Total payable"), row["total"])]


def statement_pdf(*, figures: EarningsMonth, row: dict) -> bytes:
    person = figures.manager.user.get_full_name() or figures.manager.user.username
    team = str(figures.manager.team) if figures.manager.team else ""
    pdf = statement_document(_title(figures), " · ".join(x for x in (person, team) if x))
    pdf.cell(0, 6, _standing(figures), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (78, 80, 32)
    pdf.set_font("DejaVu", "B", 9)
    for width, head, align in zip(widths, (_("Line"), _("How it adds up"), _("Amount")),
                                  "LLR", strict=True):
        pdf.cell(width, 7, head, border="B", align=align)
    pdf.ln()
    pdf.set_font("DejaVu", "", 8.5)
    for label, f in statement_lines(figures):
        top = pdf.get_y()
        pdf.multi_cell(widths[0], 5, label, new_x="RIGHT", new_y="TOP")
        pdf.multi_cell(widths[1], 5, f.arithmetic, new_x="RIGHT", new_y="TOP")
        pdf.cell(widths[2], 5, format_money(f.amount), align="R")
        pdf.set_y(max(pdf.get_y(), top) + 5 * max(
            len(pdf.multi_cell(widths[0], 5, label, dry_run=True, output="LINES")),
            len(pdf.multi_cell(widths[1], 5, f.arithmetic, dry_run=True, output="LINES"))))
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 10)
    for label, amount in totals(row):
        pdf.cell(sum(widths[:2]), 7, label, border="T")
        pdf.cell(widths[2], 7, format_money(amount), border="T", align="R",
                 new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def statement_xlsx(*, figures: EarningsMonth, row: dict) -> bytes:
    """The statement as a workbook: amounts as numbers with the currency and two decimals,
    each rate with its unit, each line's sum in words."""
    money = money_format()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(format_month(figures.month)[:31])
    for index, width in enumerate([40, 70, 12, 18, 18, 10]):
        sheet.column_dimensions["ABCDEF"[index]].width = width
    xlsx_append(sheet, [_title(figures)], bold=True)
    xlsx_append(sheet, [figures.manager.user.get_full_name() or figures.manager.user.username,
                        _standing(figures)])
    xlsx_append(sheet, [])
    xlsx_append(sheet, [_("Line"), _("How it adds up"), _("Quantity"), _("Rate"), _("Amount"),
                        _("Held")], bold=True)
    for label, f in statement_lines(figures):
        has_rate = f.rate is not None and f.rate_text != "—"
        xlsx_append(sheet, [label, f.arithmetic, f.quantity, f.rate if has_rate else None,
                            f.amount, _("yes") if f.held else ""],
                    [None, None, quantity_format(f.quantity),
                     (percent_format(f.rate) if f.percent else money) if has_rate else None,
                     money])
    xlsx_append(sheet, [])
    for label, amount in totals(row):
        xlsx_append(sheet, [label, None, None, None, amount], [None, None, None, None, money],
                    bold=label == _("Total payable"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
