"""Every CSV and XLSX the site writes shows formula-looking text as text (issue 8, safe exports):
a leading =, +, -, @, TAB or CR gets a ' in front; XLSX text cells are strings, never formulas;
numbers stay numbers."""

import csv
import datetime
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from leads.models import LeadSource, PaymentKind
from leads.resources import LeadResource
from payouts.export import payouts_export
from payouts.models import ComponentKind
from payouts.partner_export import partner_statements_export
from payouts.partners import partner_statement_compute
from salesops.exports import SafeCSV, SafeXLSX, safe_cell
from salesops.models import ImportBatch, ImportRowError, Role
from tests.factories import (
    LeadFactory,
    ManagerFactory,
    PartnerFactory,
    PaymentFactory,
    TeamFactory,
    UserFactory,
)
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import NOVEMBER, moscow

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("text", [HYPERLINK, "+1-2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_leading_text_gets_a_quote_in_front(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [
    "Anna", "", "1+1", "a=b", Decimal("-500.00"), -5, 3.5, None, datetime.date(2026, 11, 1),
    "-500.00", "+79161234567",
])
def test_numbers_and_ordinary_text_are_written_as_they_are(value):
    assert safe_cell(value) == value


def _xlsx_cells(path_or_bytes, sheet=None):
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    book = load_workbook(source)
    return [cell for row in (book[sheet] if sheet else book.active).iter_rows() for cell in row]


def _assert_text_cell(cells, text):
    """``text`` is in the sheet as the string "'" + text, and no cell is a formula."""
    matching = [cell for cell in cells if cell.value == "'" + text]
    assert matching, f"{text!r} not written as text"
    assert {cell.data_type for cell in matching} == {"s"}
    assert not [cell for cell in cells if cell.data_type == "f"]


# --- import error report (CSV) ---------------------------------------------------------------


@pytest.mark.django_db
def test_import_error_report_neutralises_formula_values(client):
    user = UserFactory(username="admin1", is_staff=True, is_superuser=True)
    ManagerFactory(user=user, admin=True)
    batch = ImportBatch.objects.create(source="asterisk", file_name="@SUM(A1).csv",
                                       status=ImportBatch.Status.DONE)
    ImportRowError.objects.create(batch=batch, line=3, column="name", value=HYPERLINK,
                                  reason="unknown manager")
    ImportRowError.objects.create(batch=batch, line=4, column="talk", value="-6",
                                  reason="negative duration")
    client.force_login(user)
    report = client.get(reverse("imports:errors", args=[batch.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert rows[1:] == [
        ["'@SUM(A1).csv", "3", "name", "'" + HYPERLINK, "unknown manager"],
        ["'@SUM(A1).csv", "4", "talk", "-6", "negative duration"],
    ]


# --- payroll (CSV and XLSX) ------------------------------------------------------------------


@pytest.fixture
def payroll_month(db):
    team = TeamFactory(code="north")
    anna = ManagerFactory(team=team, user__username="anna", user__first_name=HYPERLINK,
                          user__last_name="Petrova")
    plan_for(anna, {"kind": ComponentKind.PER_MINUTE, "rate": Decimal("6")})
    calls(anna, 5, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=60)
    # Payroll is exported from approved runs only (SPEC §7).
    head = ManagerFactory(team=team, role=Role.SALES_HEAD, user__username="head.north")
    call_command("compute_payouts", "2026-11", stdout=StringIO())
    call_command("approve_payouts", "2026-11", "--team", "north", "--by", head.user.username,
                 stdout=StringIO())
    return NOVEMBER


def test_payroll_csv_neutralises_a_formula_in_a_name(payroll_month, tmp_path):
    path = tmp_path / "payroll.csv"
    payouts_export(month=payroll_month, path=path, file_format="csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert (rows[0]["Login"], rows[0]["Employee"], rows[0]["Total payable"]) == (
        "anna", f"'{HYPERLINK} Petrova", "30.00")


def test_payroll_xlsx_writes_a_formula_looking_name_as_a_string(payroll_month, tmp_path):
    path = tmp_path / "payroll.xlsx"
    payouts_export(month=payroll_month, path=path, file_format="xlsx")
    cells = _xlsx_cells(path, "Payroll")
    _assert_text_cell(cells, f"{HYPERLINK} Petrova")
    sheet = load_workbook(path)["Payroll"]
    assert sheet.cell(row=1, column=sheet.max_column).value == "Total payable"
    total = sheet.cell(row=2, column=sheet.max_column)
    assert (total.data_type, Decimal(str(total.value))) == ("n", Decimal("30.00"))


# --- partner statements (CSV and XLSX) -------------------------------------------------------


@pytest.fixture
def statement_month(db):
    partner = PartnerFactory(name="@SUM(A1)", default_percent=Decimal("10"), hold_days=30)
    lead = LeadFactory(source=LeadSource.PARTNER_REFERRED, partner=partner)
    PaymentFactory(lead=lead, amount=Decimal("50000.00"), received_on=datetime.date(2026, 9, 20),
                   kind=PaymentKind.ONE_TIME)
    month = datetime.date(2026, 10, 1)
    partner_statement_compute(partner=partner, month=month)
    return month


def test_partner_statement_csv_neutralises_a_formula_in_a_partner_name(statement_month, tmp_path):
    path = tmp_path / "s.csv"
    partner_statements_export(month=statement_month, path=path)
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][:6] == ["'@SUM(A1)", "October 2026", "0.00", "5000.00", "5000.00", "0.00"]


def test_partner_statement_xlsx_writes_a_formula_looking_name_as_a_string(
    statement_month, tmp_path
):
    path = tmp_path / "s.xlsx"
    partner_statements_export(month=statement_month, path=path)
    for sheet in ("Statements", "Lines"):
        _assert_text_cell(_xlsx_cells(path, sheet), "@SUM(A1)")
    amount = load_workbook(path)["Lines"]["H2"]
    assert (amount.data_type, amount.value) == ("n", 5000)


# --- django-import-export's admin exports ----------------------------------------------------


def test_every_admin_export_offers_only_the_safe_csv_and_xlsx():
    exporters = [a for a in admin.site._registry.values() if hasattr(a, "get_export_formats")]
    assert exporters
    for model_admin in exporters:
        assert model_admin.get_export_formats() == [SafeCSV, SafeXLSX], model_admin


@pytest.fixture
def hostile_lead(db):
    return LeadFactory(name="+1-2", company=HYPERLINK, phone="+79161234567")


def test_admin_csv_export_neutralises_formula_leading_cells(hostile_lead):
    dataset = LeadResource().export(queryset=type(hostile_lead).objects.all())
    rows = list(csv.reader(io.StringIO(SafeCSV().export_data(dataset))))
    header, row = rows
    assert row[header.index("name")] == "'+1-2"
    assert row[header.index("company")] == "'" + HYPERLINK
    assert row[header.index("phone")] == "+79161234567"


def test_admin_xlsx_export_writes_formula_leading_cells_as_strings(hostile_lead):
    dataset = LeadResource().export(queryset=type(hostile_lead).objects.all())
    cells = _xlsx_cells(SafeXLSX().export_data(dataset))
    _assert_text_cell(cells, "+1-2")
    _assert_text_cell(cells, HYPERLINK)
