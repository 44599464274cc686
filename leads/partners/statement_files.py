"""One partner statement as PDF (fpdf2, DejaVu Sans for Cyrillic) or XLSX, in the reader's
language: the totals the statement computation stored (carried in, earned, payable, carried
over; SPEC §5 minimum payout) and its lines."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from payouts.earnings.statements import statement_document
from payouts.models import PartnerStatement
from salesops.exports import money_format, percent_format, xlsx_append
from salesops.formatting import format_day, format_money, format_month


def statement_title(statement: PartnerStatement) -> str:
    return _("Partner statement, %(month)s") % {"month": format_month(statement.month)}


def statement_totals(statement: PartnerStatement) -> list[tuple[str, object]]:
    return [(_("Carried in"), statement.carried_in), (_("Earned this month"), statement.earned),
            (_("Payable"), statement.payable), (_("Carried over"), statement.carried_out)]


def statement_lines(statement: PartnerStatement):
    return (statement.lines.select_related("payment__lead").order_by("payable_on", "pk"))


def _line_words(line) -> str:
    text = f"{line.get_kind_display()}: {line.payment.lead}"
    if line.adjusts_month:
        text += " — " + _("correction of %(month)s") % {"month": format_month(line.adjusts_month)}
    return text


def statement_pdf(statement: PartnerStatement) -> bytes:
    pdf = statement_document(statement_title(statement),
                             f"{statement.partner} · {statement.get_status_display()}")
    pdf.ln(3)
    widths = (90, 30, 20, 20, 30)
    pdf.set_font("DejaVu", "B", 9)
    for width, head in zip(widths, (_("Line"), _("Payment amount"), _("Percent"),
                                    _("Payable on"), _("Amount")), strict=True):
        pdf.cell(width, 7, head, border="B")
    pdf.ln()
    pdf.set_font("DejaVu", "", 8.5)
    for line in statement_lines(statement):
        pdf.cell(widths[0], 6, _line_words(line)[:60])
        pdf.cell(widths[1], 6, format_money(line.base), align="R")
        pdf.cell(widths[2], 6, f"{line.percent}%", align="R")
        pdf.cell(widths[3], 6, format_day(line.payable_on), align="R")
        pdf.cell(widths[4], 6, format_money(line.amount), align="R", new_x="LMARGIN",
                 new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 10)
    for label, amount in statement_totals(statement):
        pdf.cell(sum(widths[:4]), 7, label, border="T")
        pdf.cell(widths[4], 7, format_money(amount), border="T", align="R",
                 new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(0, 7, _("Minimum payout: %(amount)s") % {
        "amount": format_money(statement.partner.minimum_payout)}, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def statement_xlsx(statement: PartnerStatement) -> bytes:
    money = money_format()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(format_month(statement.month)[:31])
    xlsx_append(sheet, [statement_title(statement)], bold=True)
    xlsx_append(sheet, [str(statement.partner), statement.get_status_display()])
    xlsx_append(sheet, [])
    xlsx_append(sheet, [_("Line"), _("Payment amount"), _("Percent"), _("Payable on"),
                        _("Amount")], bold=True)
    for line in statement_lines(statement):
        xlsx_append(sheet, [_line_words(line), line.base, line.percent, line.payable_on,
                            line.amount],
                    [None, money, percent_format(line.percent), "yyyy-mm-dd", money])
    xlsx_append(sheet, [])
    for label, amount in statement_totals(statement):
        xlsx_append(sheet, [label, None, None, None, amount], [None, None, None, None, money])
    xlsx_append(sheet, [_("Minimum payout"), None, None, None, statement.partner.minimum_payout],
                [None, None, None, None, money])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
