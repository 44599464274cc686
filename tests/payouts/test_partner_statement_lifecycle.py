"""SPEC §5, §6.5: a partner statement goes draft → final → paid; a final month is never
rewritten (late data lands on the next statement, naming the month it corrects); the carried
balance chains from one statement to the next; a paid statement is immutable."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from leads.models import LeadSource
from leads.services import payment_refund
from payouts.models import PartnerStatement, PartnerStatementLine
from payouts.partners import (
    PartnerStatementError,
    PartnerStatementLocked,
    partner_statement_compute,
    partner_statement_finalise,
    partner_statement_mark_paid,
    partner_statements_compute,
)
from payouts.tasks import compute_last_month_partner_statements
from salesops.models import AuditEntry, Role
from salesops.periods import current_month, next_month
from tests.factories import LeadFactory, PartnerFactory, PaymentFactory
from tests.payouts.factories import person

pytestmark = pytest.mark.django_db
AUGUST, SEPTEMBER = datetime.date(2026, 8, 1), datetime.date(2026, 9, 1)
OCTOBER, NOVEMBER = datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)
Status = PartnerStatement.Status
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="triggers are PostgreSQL's")


@pytest.fixture
def partner():
    return PartnerFactory(default_percent=Decimal("10"), hold_days=30)


@pytest.fixture
def lead(partner):
    return LeadFactory(source=LeadSource.PARTNER_REFERRED, partner=partner)


@pytest.fixture
def admin():
    return person(Role.ADMIN).user


def _pay(lead, amount, on):
    return PaymentFactory(lead=lead, amount=Decimal(amount), received_on=on)


def _final(partner, month, by):
    return partner_statement_finalise(
        statement=partner_statement_compute(partner=partner, month=month), by=by
    )


def _figures(statement):
    statement.refresh_from_db()
    return (statement.status, statement.carried_in, statement.earned, statement.payable,
            statement.carried_out)


def _lines(statement):
    return sorted(statement.lines.values_list("kind", "amount", "adjusts_month"))


def test_a_final_statement_is_not_rewritten_by_a_recompute(partner, lead, admin):
    _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    october = _final(partner, OCTOBER, admin)
    before = (_figures(october), _lines(october), october.computed_at)
    _pay(lead, "10000.00", datetime.date(2026, 9, 25))  # due in October, recorded late
    with pytest.raises(PartnerStatementLocked, match="final"):
        partner_statement_compute(partner=partner, month=OCTOBER)
    assert partner_statements_compute(month=OCTOBER) == [october]
    october.refresh_from_db()
    assert (_figures(october), _lines(october), october.computed_at) == before
    assert before[0] == ("final", Decimal("0.00"), Decimal("5000.00"), Decimal("5000.00"),
                         Decimal("0.00"))


def test_a_late_payment_in_a_final_month_appears_as_an_adjustment_on_the_next(
    partner, lead, admin
):
    _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    october = _final(partner, OCTOBER, admin)
    late = _pay(lead, "10000.00", datetime.date(2026, 9, 25))
    november = partner_statement_compute(partner=partner, month=NOVEMBER)
    assert _lines(november) == [("commission", Decimal("1000.00"), OCTOBER)]
    assert november.lines.get().payment == late
    assert (november.carried_from, _figures(november)) == (
        october, ("draft", Decimal("0.00"), Decimal("1000.00"), Decimal("1000.00"),
                  Decimal("0.00")))
    assert _lines(october) == [("commission", Decimal("5000.00"), None)]


def test_a_late_refund_inside_the_hold_of_a_final_month_is_an_adjustment_on_the_next(
    partner, lead, admin
):
    payment = _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    _final(partner, OCTOBER, admin)
    # Refunded before the commission became payable (20 October), recorded after October closed.
    payment_refund(payment=payment, received_on=datetime.date(2026, 10, 10),
                   amount=Decimal("20000.00"))
    november = partner_statement_compute(partner=partner, month=NOVEMBER)
    assert _lines(november) == [("adjustment", Decimal("-2000.00"), OCTOBER)]
    assert _figures(november) == ("draft", Decimal("0.00"), Decimal("-2000.00"),
                                  Decimal("0.00"), Decimal("-2000.00"))
    # Computing it again corrects nothing twice.
    partner_statement_compute(partner=partner, month=NOVEMBER)
    assert _lines(november) == [("adjustment", Decimal("-2000.00"), OCTOBER)]


def test_balances_chain_across_three_final_months_including_a_below_minimum_carry(
    partner, lead, admin
):
    partner.minimum_payout = Decimal("3000.00")
    partner.save()
    _pay(lead, "20000.00", datetime.date(2026, 7, 5))   # payable 4 August: 2 000
    _pay(lead, "5000.00", datetime.date(2026, 8, 3))    # payable 2 September: 500
    _pay(lead, "10000.00", datetime.date(2026, 9, 1))   # payable 1 October: 1 000
    august = _final(partner, AUGUST, admin)
    september = _final(partner, SEPTEMBER, admin)
    october = _final(partner, OCTOBER, admin)
    assert [_figures(s) for s in (august, september, october)] == [
        ("final", Decimal("0.00"), Decimal("2000.00"), Decimal("0.00"), Decimal("2000.00")),
        ("final", Decimal("2000.00"), Decimal("500.00"), Decimal("0.00"), Decimal("2500.00")),
        ("final", Decimal("2500.00"), Decimal("1000.00"), Decimal("3500.00"), Decimal("0.00")),
    ]
    assert (august.carried_from, september.carried_from, october.carried_from) == (
        None, august, september)


def test_the_carried_balance_follows_the_statement_before_until_it_is_final(partner, lead):
    partner.minimum_payout = Decimal("3000.00")
    partner.save()
    _pay(lead, "20000.00", datetime.date(2026, 7, 5))
    august = partner_statement_compute(partner=partner, month=AUGUST)
    september = partner_statement_compute(partner=partner, month=SEPTEMBER)
    assert (september.carried_from, september.carried_in) == (august, Decimal("2000.00"))
    _pay(lead, "5000.00", datetime.date(2026, 7, 10))  # late for August, still a draft
    september = partner_statement_compute(partner=partner, month=SEPTEMBER)
    assert _figures(august) == ("draft", Decimal("0.00"), Decimal("2500.00"), Decimal("0.00"),
                                Decimal("2500.00"))
    assert september.carried_in == Decimal("2500.00")
    assert _lines(august) == [("commission", Decimal("500.00"), None),
                              ("commission", Decimal("2000.00"), None)]


def test_months_become_final_in_order_and_only_once_they_have_ended(partner, lead, admin):
    _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    partner_statement_compute(partner=partner, month=SEPTEMBER)
    october = partner_statement_compute(partner=partner, month=OCTOBER)
    with pytest.raises(PartnerStatementError, match="2026-09"):
        partner_statement_finalise(statement=october, by=admin)
    assert _figures(october)[0] == Status.DRAFT
    month = SEPTEMBER
    while month < current_month():
        assert _final(partner, month, admin).status == Status.FINAL
        month = next_month(month)
    this_month = partner_statement_compute(partner=partner, month=current_month())
    with pytest.raises(PartnerStatementError, match="not ended"):
        partner_statement_finalise(statement=this_month, by=admin)
    assert _figures(this_month)[0] == Status.DRAFT


def test_only_the_owner_or_an_admin_closes_or_pays_a_partners_month(partner, lead, admin, team):
    _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    october = partner_statement_compute(partner=partner, month=OCTOBER)
    head = person(Role.SALES_HEAD, team).user
    with pytest.raises(PartnerStatementError, match="may not"):
        partner_statement_finalise(statement=october, by=head)
    october = partner_statement_finalise(statement=october, by=person(Role.OWNER).user)
    with pytest.raises(PartnerStatementError, match="may not"):
        partner_statement_mark_paid(statement=october, by=head)
    assert PartnerStatement.objects.get(pk=october.pk).status == Status.FINAL


def test_a_paid_statement_is_immutable(partner, lead, admin):
    _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    with pytest.raises(PartnerStatementLocked, match="final"):
        partner_statement_mark_paid(
            statement=partner_statement_compute(partner=partner, month=OCTOBER), by=admin)
    october = partner_statement_mark_paid(statement=_final(partner, OCTOBER, admin), by=admin)
    assert (october.status, october.paid_by) == (Status.PAID, admin)
    before = (_figures(october), _lines(october))
    with pytest.raises(PartnerStatementLocked):
        partner_statement_mark_paid(statement=october, by=admin)
    with pytest.raises(PartnerStatementLocked):
        partner_statement_finalise(statement=october, by=admin)
    with pytest.raises(PartnerStatementLocked):
        partner_statement_compute(partner=partner, month=OCTOBER)
    assert (_figures(october), _lines(october)) == before
    assert list(AuditEntry.objects.filter(object_id=october.pk).order_by("pk")
                .values_list("action", "by")) == [
        ("partner_statement_finalised", admin.pk), ("partner_statement_paid", admin.pk)]


@on_postgresql
def test_the_database_refuses_to_change_a_final_or_paid_statement(partner, lead, admin):
    payment = _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    october = _final(partner, OCTOBER, admin)
    line = october.lines.get()
    changes = (
        lambda: PartnerStatement.objects.filter(pk=october.pk).update(payable=Decimal("1.00")),
        lambda: PartnerStatement.objects.filter(pk=october.pk).update(status="draft"),
        lambda: PartnerStatement.objects.filter(pk=october.pk).delete(),
        lambda: PartnerStatementLine.objects.filter(pk=line.pk).update(amount=Decimal("1.00")),
        lambda: PartnerStatementLine.objects.filter(pk=line.pk).delete(),
        lambda: PartnerStatementLine.objects.create(
            statement=october, kind="adjustment", payment=payment, base=Decimal("1.00"),
            percent=Decimal("10"), amount=Decimal("0.10"), payable_on=payment.received_on,
            adjusts_month=OCTOBER),
    )
    for change in changes:
        with pytest.raises(IntegrityError, match="SPEC 5"), transaction.atomic():
            change()
    partner_statement_mark_paid(statement=october, by=admin)
    for change in changes[:2]:
        with pytest.raises(IntegrityError, match="SPEC 5"), transaction.atomic():
            change()
    with pytest.raises(IntegrityError, match="SPEC 5"), transaction.atomic():
        PartnerStatement.objects.filter(pk=october.pk).update(paid_at=None, status="final")
    assert _figures(october)[:4] == ("paid", Decimal("0.00"), Decimal("5000.00"),
                                     Decimal("5000.00"))


def test_the_job_on_the_1st_closes_every_ended_month_and_computes_this_months_draft(
    partner, lead
):
    this_month = current_month()
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    before_last = (last_month - datetime.timedelta(days=1)).replace(day=1)
    _pay(lead, "50000.00", before_last - datetime.timedelta(days=20))
    _pay(lead, "10000.00", last_month + datetime.timedelta(days=2))
    partner_statement_compute(partner=partner, month=before_last)  # a draft left open
    closed = compute_last_month_partner_statements.apply().get()
    assert [(c["month"], c["payable"]) for c in closed] == [
        (f"{before_last:%Y-%m}", "5000.00"), (f"{last_month:%Y-%m}", "0.00")]
    assert list(partner.statements.order_by("month").values_list("month", "status")) == [
        (before_last, "final"), (last_month, "final"), (this_month, "draft")]
    # The second payment becomes payable early this month: on this month's draft.
    assert PartnerStatement.objects.get(month=this_month).earned == Decimal("1000.00")
    assert compute_last_month_partner_statements.apply().get() == []


def test_the_command_makes_a_month_final_and_marks_it_paid(partner, lead, admin, tmp_path):
    _pay(lead, "50000.00", datetime.date(2026, 9, 20))
    out = StringIO()
    call_command("partner_statements", "2026-10", "--finalise", "--by", admin.username,
                 "--output", str(tmp_path / "final.csv"), stdout=out)
    assert "1 partner statements for 2026-10 made final, payable 5000.00" in out.getvalue()
    written = (tmp_path / "final.csv").read_text(encoding="utf-8-sig")
    assert written.splitlines()[1].endswith(",Final")
    call_command("partner_statements", "2026-10", "--mark-paid", "--by", admin.username,
                 stdout=out)
    assert PartnerStatement.objects.get(month=OCTOBER).status == Status.PAID
    with pytest.raises(CommandError, match="--by"):
        call_command("partner_statements", "2026-11", "--finalise", "--output",
                     str(tmp_path / "x.csv"))
