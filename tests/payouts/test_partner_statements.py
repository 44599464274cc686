"""SPEC §5 partner commission and statements; §8 example 7 to the kopeck."""

import csv
import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from leads.models import LeadSource, PaymentKind
from leads.services import payment_refund
from payouts.models import PartnerStatement, PartnerStatementLine
from payouts.partners import partner_statement_compute
from payouts.tasks import compute_partner_statements
from tests.factories import LeadFactory, PartnerFactory, PaymentFactory

pytestmark = pytest.mark.django_db
SEPTEMBER, OCTOBER = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)
NOVEMBER, DECEMBER = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)


@pytest.fixture
def partner():
    return PartnerFactory(default_percent=Decimal("10"), recurring_months=12, hold_days=30)


@pytest.fixture
def lead(partner):
    return LeadFactory(source=LeadSource.PARTNER_REFERRED, partner=partner)


def _pay(lead, amount, on, *, recurring=False):
    return PaymentFactory(
        lead=lead, amount=Decimal(amount), received_on=on,
        kind=PaymentKind.RECURRING if recurring else PaymentKind.ONE_TIME,
        period_start=on.replace(day=1) if recurring else None,
    )


def _statements(partner, *months):
    return [partner_statement_compute(partner=partner, month=m).payable for m in months]


def test_example_7_partner_statements_0_5000_0_2000(partner, lead):
    _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    refunded = _pay(lead, "20000.00", datetime.date(2026, 10, 20), recurring=True)
    payment_refund(payment=refunded, received_on=datetime.date(2026, 11, 5))
    _pay(lead, "20000.00", datetime.date(2026, 11, 20), recurring=True)
    assert _statements(partner, SEPTEMBER, OCTOBER, NOVEMBER, DECEMBER) == [
        Decimal("0.00"), Decimal("5000.00"), Decimal("0.00"), Decimal("2000.00"),
    ]
    # The refund inside the hold was never paid: no line at all for that payment.
    assert not PartnerStatementLine.objects.filter(payment__in=[refunded, *refunded.refunds.all()])


def test_computing_a_statement_again_or_a_later_month_never_pays_twice(partner, lead):
    _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    assert _statements(partner, OCTOBER, OCTOBER, NOVEMBER) == [
        Decimal("5000.00"), Decimal("5000.00"), Decimal("0.00"),
    ]
    assert PartnerStatementLine.objects.count() == 1


def test_a_refund_after_payout_is_clawed_back_on_the_next_statement(partner, lead):
    payment = _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    assert _statements(partner, OCTOBER) == [Decimal("5000.00")]
    payment_refund(payment=payment, received_on=datetime.date(2026, 11, 3),
                   amount=Decimal("10000.00"))
    _pay(lead, "40000.00", datetime.date(2026, 10, 10))
    november = partner_statement_compute(partner=partner, month=NOVEMBER)
    assert sorted(november.lines.values_list("kind", "amount")) == [
        ("clawback", Decimal("-1000.00")), ("commission", Decimal("4000.00")),
    ]
    assert november.payable == Decimal("3000.00")


def test_recurring_payments_earn_for_n_months_only(partner, lead):
    partner.recurring_months = 2
    partner.save()
    for month in (7, 8, 9):
        _pay(lead, "1000.00", datetime.date(2026, month, 1), recurring=True)
    assert partner_statement_compute(partner=partner, month=DECEMBER).earned == Decimal("200.00")


def test_recurring_for_life_has_no_end(partner, lead):
    partner.recurring_months = None
    partner.save()
    for month in range(1, 11):
        _pay(lead, "1000.00", datetime.date(2026, month, 1), recurring=True)
    assert partner_statement_compute(partner=partner, month=DECEMBER).earned == Decimal("1000.00")


def test_the_minimum_payout_carries_a_small_balance_over(partner, lead):
    partner.minimum_payout = Decimal("3000.00")
    partner.save()
    _pay(lead, "20000.00", datetime.date(2026, 9, 5))
    _pay(lead, "15000.00", datetime.date(2026, 10, 5))
    october = partner_statement_compute(partner=partner, month=OCTOBER)
    assert (october.earned, october.payable, october.carried_out) == (
        Decimal("2000.00"), Decimal("0.00"), Decimal("2000.00"))
    november = partner_statement_compute(partner=partner, month=NOVEMBER)
    assert (november.carried_in, november.payable, november.carried_out) == (
        Decimal("2000.00"), Decimal("3500.00"), Decimal("0.00"))
    assert PartnerStatement.objects.count() == 2


def test_partner_statements_command_writes_csv_and_xlsx(partner, lead, tmp_path):
    _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    out = StringIO()
    call_command("partner_statements", "2026-10", "--output", str(tmp_path / "s.csv"),
                 stdout=out)
    assert "payable 5000.00" in out.getvalue()
    rows = list(csv.reader((tmp_path / "s.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["Partner", "Month", "Carried in", "Earned this month", "Payable",
                       "Carried over", "Status"]
    assert rows[1] == [partner.name, "October 2026", "0.00", "5000.00", "5000.00", "0.00",
                       "Draft"]
    call_command("partner_statements", "2026-10", "--output", str(tmp_path / "s.xlsx"),
                 stdout=out)
    sheet = load_workbook(tmp_path / "s.xlsx")["Lines"]
    assert [c.value for c in sheet[2]][2:8] == [
        "Commission", lead.payments.get().pk, str(lead), 50000, 10, 5000]
    assert (sheet["G2"].number_format, sheet["H2"].number_format) == (
        '#,##0\\ "%"', '"₽"#,##0.00')
    assert PartnerStatementLine.objects.count() == 1


def test_the_statements_task_is_an_idempotent_adapter(partner, lead):
    _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    first = compute_partner_statements.apply(args=["2026-10"]).get()
    again = compute_partner_statements.apply(args=["2026-10", partner.pk]).get()
    assert first == again == [{"partner": partner.pk, "payable": "5000.00"}]
