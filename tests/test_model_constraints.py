"""The other invariants the schema keeps: plans, shifts, leads, payments, managers."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from leads.models import LeadSource, PaymentKind
from salesops.models import Role
from tests.factories import (
    LeadFactory,
    ManagerFactory,
    MonthlyPlanFactory,
    PartnerFactory,
    PaymentFactory,
    WorkShiftFactory,
)

pytestmark = pytest.mark.django_db


def test_one_monthly_plan_per_manager_and_month():
    plan = MonthlyPlanFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyPlanFactory(manager=plan.manager, month=plan.month)


def test_monthly_plan_month_is_the_first_day():
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyPlanFactory(month=datetime.date(2026, 11, 15))


def test_work_shift_must_end_after_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        shift = WorkShiftFactory.build()
        WorkShiftFactory(started_at=shift.started_at, ended_at=shift.started_at)


def test_manager_extension_is_unique_but_may_be_blank_for_many():
    ManagerFactory(extension="")
    ManagerFactory(extension="")
    ManagerFactory(extension="101")
    with pytest.raises(IntegrityError), transaction.atomic():
        ManagerFactory(extension="101")


def test_sales_floor_roles_need_a_team():
    ManagerFactory(owner=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ManagerFactory(role=Role.MANAGER, team=None)


def test_partner_referred_lead_needs_its_partner():
    LeadFactory(source=LeadSource.PARTNER_REFERRED, partner=PartnerFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(source=LeadSource.PARTNER_REFERRED, partner=None)


def test_lead_from_another_source_cannot_credit_a_partner():
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(source=LeadSource.COLD_CALL, partner=PartnerFactory())


def test_refund_is_a_negative_payment_pointing_at_what_it_reverses():
    payment = PaymentFactory(amount=Decimal("20000.00"))
    refund = PaymentFactory(lead=payment.lead, amount=Decimal("-20000.00"), refund_of=payment)
    assert refund.is_refund
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(lead=payment.lead, amount=Decimal("-1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(lead=payment.lead, amount=Decimal("1.00"), refund_of=payment)


def test_recurring_payment_names_its_period():
    PaymentFactory(kind=PaymentKind.RECURRING, period_start=datetime.date(2026, 10, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(kind=PaymentKind.RECURRING, period_start=None)
