"""SPEC §6.3 duplicates: phones in any spelling, tax ids, resolution by a sales head, audit."""

import datetime
import doctest
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from leads import phones
from leads.models import DuplicateState, LeadSource, MilestoneKind, Payment
from leads.phones import phone_normalise
from leads.services import LeadError, duplicate_resolve, lead_create, lead_milestone_set
from payouts.exceptions import commission_exception_approve, commission_exception_request
from payouts.models import ComponentKind, ExceptionKind, PayoutLine
from payouts.partners import partner_statement_compute
from salesops.models import AuditEntry, Role
from tests.factories import ManagerFactory, PartnerFactory, PaymentFactory
from tests.payouts.factories import person, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(team):
    return ManagerFactory(team=team)


@pytest.fixture
def boris(team):
    return ManagerFactory(team=team)


@pytest.fixture
def head(team):
    return person(Role.SALES_HEAD, team)


def _lead(owner, phone="", *, day=1, **fields):
    fields.setdefault("source", LeadSource.COLD_CALL)
    return lead_create(owner=owner, phone=phone, created_at=moscow(2026, 11, day, 10, 0),
                       **fields)


@pytest.mark.parametrize("spelling", ["8 916 123-45-67", "+7 (916) 123 45 67", "9161234567"])
def test_phone_spellings_normalise_to_one_e164_number(spelling):
    assert phone_normalise(spelling) == "+79161234567"


def test_a_non_phone_is_refused():
    with pytest.raises(ValidationError):
        phone_normalise("call me maybe")


def test_duplicate_detected_across_phone_spellings(anna, boris):
    first = _lead(anna, "8 916 123-45-67", day=1)
    second = _lead(boris, "+7 (916) 123 45 67", day=2)
    third = _lead(boris, "9161234567", day=3)
    assert first.duplicate_state == ""
    assert (second.duplicate_of, second.duplicate_state) == (first, DuplicateState.PENDING)
    # First touch: every later lead points at the earliest open one.
    assert third.duplicate_of == first


def test_duplicate_detected_by_tax_id(anna, boris):
    first = _lead(anna, "", tax_id="7707083893", day=1)
    assert _lead(boris, "", tax_id="7707 083893", day=2).duplicate_of == first


def test_a_lost_or_fake_lead_is_not_open_so_no_duplicate(anna, boris):
    first = _lead(anna, "89161234567", day=1)
    lead_milestone_set(lead=first, kind=MilestoneKind.LOST, at=moscow(2026, 11, 2, 10, 0))
    assert _lead(boris, "+79161234567", day=3).duplicate_of is None


def test_a_pending_duplicate_holds_its_per_lead_pay(team, anna, boris):
    plan_for(boris, {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")})
    _lead(anna, "89161234567", day=1)
    newcomer = _lead(boris, "9161234567", day=2)
    lead_milestone_set(lead=newcomer, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 11, 3, 9, 0))
    line = PayoutLine.objects.get(run=compute(NOVEMBER, team), manager=boris)
    assert (line.key, line.amount, line.held) == ("held", Decimal("500.00"), True)


@pytest.mark.parametrize(
    ("resolution", "paid"),
    [
        (DuplicateState.KEEP_FIRST, {}),
        (DuplicateState.CREDIT_NEWCOMER, {("per_confirmed_lead", "", False): Decimal("500.00")}),
    ],
)
def test_resolving_a_duplicate_decides_the_newcomers_pay(team, anna, boris, head, resolution,
                                                         paid):
    plan_for(boris, {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")})
    _lead(anna, "89161234567", day=1)
    newcomer = _lead(boris, "9161234567", day=2)
    lead_milestone_set(lead=newcomer, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 11, 3, 9, 0))
    duplicate_resolve(lead=newcomer, resolution=resolution, by=head.user, comment="checked")
    lines = PayoutLine.objects.filter(run=compute(NOVEMBER, team), manager=boris)
    assert {(x.kind, x.key, x.held): x.amount for x in lines} == paid
    entry = AuditEntry.objects.get(object_id=newcomer.pk, object_type="leads.lead",
                                   action=f"duplicate_{resolution}")
    assert (entry.action, entry.by, entry.before["duplicate_state"],
            entry.after["duplicate_state"]) == (
        f"duplicate_{resolution}", head.user, "pending", resolution)


def test_merging_moves_milestones_and_payments_to_the_first_lead(anna, boris, head):
    first = _lead(anna, "89161234567", day=1)
    newcomer = _lead(boris, "9161234567", day=2)
    payment = PaymentFactory(lead=newcomer)
    lead_milestone_set(lead=newcomer, kind=MilestoneKind.CONFIRMED)
    duplicate_resolve(lead=newcomer, resolution=DuplicateState.MERGED, by=head.user)
    assert Payment.objects.get(pk=payment.pk).lead == first
    assert list(first.milestones.values_list("kind", flat=True)) == ["confirmed"]
    assert not newcomer.milestones.exists()


def test_a_duplicate_is_resolved_once_and_only_by_a_sales_head(team, anna, boris, head):
    _lead(anna, "89161234567", day=1)
    newcomer = _lead(boris, "9161234567", day=2)
    with pytest.raises(LeadError, match="may not"):
        duplicate_resolve(lead=newcomer, resolution=DuplicateState.KEEP_FIRST, by=anna.user)
    duplicate_resolve(lead=newcomer, resolution=DuplicateState.KEEP_FIRST, by=head.user)
    with pytest.raises(LeadError, match="not a duplicate waiting for a decision"):
        duplicate_resolve(lead=newcomer, resolution=DuplicateState.MERGED, by=head.user)


def test_partner_credit_waits_for_the_duplicate_decision(anna, boris, head):
    partner = PartnerFactory(default_percent=Decimal("10"))
    _lead(anna, "89161234567", day=1)
    newcomer = _lead(boris, "9161234567", day=2, source=LeadSource.PARTNER_REFERRED,
                     partner=partner)
    PaymentFactory(lead=newcomer, amount=Decimal("1000.00"), received_on=datetime.date(2026, 9, 1))
    assert partner_statement_compute(partner=partner, month=NOVEMBER).earned == Decimal("0.00")
    duplicate_resolve(lead=newcomer, resolution=DuplicateState.CREDIT_NEWCOMER, by=head.user)
    assert partner_statement_compute(partner=partner, month=NOVEMBER).earned == Decimal("100.00")


def test_phone_and_tax_id_doctests():
    assert doctest.testmod(phones).failed == 0


def test_an_approved_exception_credits_a_partner_on_a_kept_first_duplicate(anna, boris, head):
    partner = PartnerFactory(default_percent=Decimal("10"))
    _lead(anna, "89161234567", day=1)
    newcomer = _lead(boris, "9161234567", day=2, source=LeadSource.PARTNER_REFERRED,
                     partner=partner)
    PaymentFactory(lead=newcomer, amount=Decimal("1000.00"), received_on=datetime.date(2026, 9, 1))
    duplicate_resolve(lead=newcomer, resolution=DuplicateState.KEEP_FIRST, by=head.user)
    assert partner_statement_compute(partner=partner, month=NOVEMBER).earned == Decimal("0.00")
    exception = commission_exception_request(
        lead=newcomer, kind=ExceptionKind.PARTNER_CREDIT, requested_by=boris.user,
        reason="the partner brought the client back after the first lead went cold",
    )
    commission_exception_approve(exception=exception, approved_by=head.user)
    assert partner_statement_compute(partner=partner, month=NOVEMBER).earned == Decimal("100.00")
