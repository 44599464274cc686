"""Payroll files an accountant opens: read here the way Excel reads them.

Excel opens a CSV by double-click: with a byte-order mark it reads UTF-8, without one the
system's ANSI code page (cp1251 in Russia: Cyrillic comes out garbled); it splits fields on the
locale's list separator (";" in Russia, "," in England) and reads a number with the locale's
decimal mark (1234,50 / 1234.50), anything else as text. The XLSX shows amounts by their number
format: two decimals and the currency; a rate by its own (5 is "5 %", 500 is "500,00 ₽")."""

import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from leads.models import LeadSource
from payouts.export import payouts_export
from payouts.lifecycle import payout_run_approve
from payouts.models import ComponentKind
from salesops.models import AuditEntry
from tests.factories import LeadFactory, PaymentFactory, TeamFactory
from tests.payouts.factories import calls, person, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db
BOM = b"\xef\xbb\xbf"
EXCEL_LOCALES = {"ru-RU": (";", ","), "en-GB": (",", ".")}


def excel_opens_csv(raw: bytes, locale: str) -> list[list]:
    """The cells Excel shows for ``raw`` opened in ``locale``: numbers as Decimal, else text."""
    separator, decimal_mark = EXCEL_LOCALES[locale]
    text = raw[len(BOM):].decode("utf-8") if raw.startswith(BOM) else raw.decode("cp1251")
    number = re.compile(r"-?\d+(?:" + re.escape(decimal_mark) + r"\d+)?")
    return [[Decimal(cell.replace(decimal_mark, ".")) if number.fullmatch(cell) else cell
             for cell in row]
            for row in csv.reader(io.StringIO(text), delimiter=separator)]


@pytest.fixture
def approved_month(db):
    """A team called «Север»: Анна Петрова, paid per minute and 5 % of revenue."""
    from salesops.models import Role

    team = TeamFactory(code="north", name="Отдел «Север»")
    anna = person(Role.MANAGER, team, username="anna")
    anna.user.first_name, anna.user.last_name = "Анна", "Петрова"
    anna.user.save()
    plan_for(anna, {"kind": ComponentKind.PER_MINUTE, "rate": Decimal("6.50")},
             {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("5")})
    calls(anna, 10, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=120)
    lead = LeadFactory(owner=anna, source=LeadSource.COLD_CALL)
    PaymentFactory(lead=lead, amount=Decimal("24690.00"), received_on=NOVEMBER.replace(day=9))
    head = person(Role.SALES_HEAD, team, username="head.north")
    run = payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)
    return run, head


def test_a_russian_readers_payroll_csv_opens_in_excel_with_its_columns_numbers_and_cyrillic(
    approved_month, tmp_path
):
    path = tmp_path / "payroll.csv"
    payouts_export(month=NOVEMBER, path=path, file_format="csv", language="ru")
    raw = path.read_bytes()
    assert raw.startswith(BOM)
    header, row = excel_opens_csv(raw, "ru-RU")
    assert header == ["Сотрудник", "Логин", "Отдел", "Месяц", "За минуту оператора",
                      "Процент от выручки", "Корректировки прошлых месяцев", "Отложено",
                      "Итого к выплате"]
    # 20 min × 6,50 ₽ = 130,00 ₽; 5 % of 24 690,00 ₽ = 1 234,50 ₽.
    assert row == ["Анна Петрова", "anna", "Отдел «Север»", "ноябрь 2026",
                   Decimal("130.00"), Decimal("1234.50"), Decimal("0.00"), Decimal("0.00"),
                   Decimal("1364.50")]


def test_an_english_readers_payroll_csv_opens_with_commas_and_decimal_points(
    approved_month, tmp_path
):
    path = tmp_path / "payroll.csv"
    payouts_export(month=NOVEMBER, path=path, file_format="csv", language="en")
    header, row = excel_opens_csv(path.read_bytes(), "en-GB")
    assert header[:4] == ["Employee", "Login", "Team", "Month"]
    assert header[-1] == "Total payable"
    assert row[:4] == ["Анна Петрова", "anna", "Отдел «Север»", "November 2026"]
    assert row[-1] == Decimal("1364.50")


def test_payroll_xlsx_amounts_are_numbers_with_the_rouble_and_two_decimals(
    approved_month, tmp_path
):
    path = tmp_path / "payroll.xlsx"
    payouts_export(month=NOVEMBER, path=path, file_format="xlsx", language="ru")
    book = load_workbook(path)
    assert book.sheetnames == ["Ведомость", "Строки"]
    total = book["Ведомость"].cell(row=2, column=9)
    assert (total.data_type, Decimal(str(total.value))) == ("n", Decimal("1364.50"))
    assert total.number_format == '#,##0.00\\ "₽"'


def test_payroll_xlsx_gives_each_rate_its_unit_and_each_line_in_words(
    approved_month, tmp_path
):
    path = tmp_path / "payroll.xlsx"
    payouts_export(month=NOVEMBER, path=path, file_format="xlsx", language="en")
    sheet = load_workbook(path)["Lines"]
    header = [cell.value for cell in sheet[1]]
    assert header == ["Team", "Employee", "Login", "Month", "Component", "Detail",
                      "How it adds up", "Quantity", "Rate", "Amount", "Held", "Correction of"]
    rows = {row[4].value: row for row in sheet.iter_rows(min_row=2)}
    minutes, revenue = rows["Per operator minute"], rows["Percent of revenue"]
    assert (minutes[8].value, minutes[8].number_format) == (6.5, '"₽"#,##0.00')
    assert (revenue[8].value, revenue[8].number_format) == (5, '#,##0\\ "%"')
    assert minutes[6].value == "20 min × ₽6.50 per minute = ₽130.00"
    assert revenue[6].value == "5\u00a0% of ₽24,690.00 in payments = ₽1,234.50"
    assert revenue[5].value == "Cold call"


def test_nothing_internal_is_written_in_the_payroll_files(approved_month, tmp_path):
    for file_format in ("csv", "xlsx"):
        path = tmp_path / f"payroll.{file_format}"
        payouts_export(month=NOVEMBER, path=path, file_format=file_format, language="en")
        if file_format == "csv":
            cells = [c for row in excel_opens_csv(path.read_bytes(), "en-GB") for c in row]
        else:
            book = load_workbook(path)
            cells = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
        text = " ".join(str(c) for c in cells if c is not None)
        assert "SPEC" not in text and "{" not in text
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text  # no codes like per_minute


def test_the_payroll_downloaded_from_the_page_is_in_the_readers_language_and_in_the_history(
    client, approved_month
):
    run, head = approved_month
    client.force_login(head.user)
    response = client.get(f"/review/runs/{run.pk}/export/?format=csv",
                          HTTP_ACCEPT_LANGUAGE="ru")
    header, row = excel_opens_csv(response.content, "ru-RU")
    assert (header[0], row[0], row[-1]) == ("Сотрудник", "Анна Петрова", Decimal("1364.50"))
    entry = AuditEntry.objects.get(action="payroll_exported")
    assert (entry.by, entry.object_id, entry.after["format"]) == (head.user, run.pk, "csv")
