"""Listening before paying: verdicts are pay inputs that change what the vendor is paid
(issue 19; SPEC §6.6). Figures of ``helpers``."""

from decimal import Decimal

import pytest

from leads.models import MilestoneKind
from leads.selectors import lead_status
from payouts.models import ComponentKind as K
from payouts.vendors.qa import QaError, listening_sample, qa_verdict_set
from payouts.vendors.statements import vendor_statement_compute, vendor_statement_finalise
from salesops.inputs.models import PayoutInputChange
from salesops.models import AuditEntry
from tests.factories import UserFactory
from tests.payouts.helpers import DECEMBER

from .helpers import NOVEMBER, contract, vendor_world

pytestmark = pytest.mark.django_db


def test_an_empty_conversation_is_not_paid_as_a_contact():
    """Threshold 30 s: c1 and c4 are conversations (80.00); c4 judged empty → 40.00. Its
    minutes stay paid: 421 s × 3.50 / 60 = 24.56 either way."""
    vendor, world = vendor_world()
    contract(vendor, (K.PER_CONVERSATION, "40.00"), (K.PER_MINUTE, "3.50"), threshold_s=30)
    qa_verdict_set(call=world["c4"], verdict="empty", note="silence for 3 minutes", by=None)
    statement = vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    assert {(line.kind, line.amount) for line in statement.lines.all()} == {
        ("per_conversation", Decimal("40.00")), ("per_minute", Decimal("24.56"))}


def test_an_empty_effective_call_is_not_paid_either():
    """c1 and c3 are effective (2 × 150.00); c3 judged empty → 150.00."""
    vendor, world = vendor_world()
    contract(vendor, (K.PER_EFFECTIVE_CALL, "150.00"))
    qa_verdict_set(call=world["c3"], verdict="empty", by=None)
    assert vendor_statement_compute(vendor=vendor, month=NOVEMBER).total == Decimal("150.00")


def test_a_fake_lead_is_marked_fake_and_clawed_back():
    """L1 judged fake: its lead becomes fake; 3 × 1000.00 − 1000.00 = 2000.00."""
    vendor, world = vendor_world()
    contract(vendor, (K.PER_CONFIRMED_LEAD, "1000.00"))
    owner = UserFactory(is_superuser=True)
    qa_verdict_set(lead=world["L1"], verdict="fake", note="the number is a pizzeria", by=owner)
    assert lead_status(lead=world["L1"]) == MilestoneKind.FAKE
    statement = vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    assert statement.total == Decimal("2000.00")


def test_fine_changes_nothing():
    vendor, world = vendor_world()
    contract(vendor, (K.PER_CONVERSATION, "40.00"), threshold_s=30)
    qa_verdict_set(call=world["c4"], verdict="fine", by=None)
    assert vendor_statement_compute(vendor=vendor, month=NOVEMBER).total == Decimal("80.00")


def test_a_verdict_is_a_pay_input_audited_and_marking_the_month():
    _vendor, world = vendor_world()
    PayoutInputChange.objects.all().delete()
    qa_verdict_set(call=world["c4"], verdict="empty", by=None)
    assert AuditEntry.objects.filter(action="qa_verdict").count() == 1
    assert list(PayoutInputChange.objects.values_list("manager_id", "month")) == [
        (world["pavel"].pk, NOVEMBER)]


def test_a_verdict_on_a_final_month_is_paid_back_on_the_next_draft():
    """November final at 80.00; c4 judged empty afterwards: December's draft −40.00."""
    vendor, world = vendor_world()
    contract(vendor, (K.PER_CONVERSATION, "40.00"), threshold_s=30)
    vendor_statement_finalise(statement=vendor_statement_compute(vendor=vendor, month=NOVEMBER),
                              by=UserFactory())
    qa_verdict_set(call=world["c4"], verdict="empty", by=None)
    december = vendor_statement_compute(vendor=vendor, month=DECEMBER)
    assert [(line.key, line.amount) for line in december.lines.all()] == [
        ("adj:2026-11:", Decimal("-40.00"))]


def test_a_call_is_never_judged_a_fake_lead_nor_a_lead_empty():
    _vendor, world = vendor_world()
    with pytest.raises(QaError):
        qa_verdict_set(call=world["c1"], verdict="fake", by=None)
    with pytest.raises(QaError):
        qa_verdict_set(lead=world["L1"], verdict="empty", by=None)


def test_the_sample_takes_conversations_of_every_outcome_and_the_months_leads():
    """Conversations (15 s+): c1 consent, c3 presentation, c4 decision maker; c2 (10 s) is
    not one. Leads first confirmed in November: L1, L2, L3."""
    vendor, world = vendor_world()
    sample = listening_sample(team_id=vendor.team_id, month=NOVEMBER, per_outcome=1)
    assert [(s.call.pk, s.successful) for s in sample.calls] == [
        (world["c1"].pk, True), (world["c3"].pk, True), (world["c4"].pk, False)]
    assert sorted(s.lead.pk for s in sample.leads) == sorted(
        world[name].pk for name in ("L1", "L2", "L3"))


def test_a_verdict_reads_as_words_in_the_audit_trail():
    from salesops.audit_words import audit_entry_text

    _vendor, world = vendor_world()
    qa_verdict_set(call=world["c4"], verdict="empty", note="silence", by=None)
    entry = AuditEntry.objects.get(action="qa_verdict")
    assert audit_entry_text(entry) == (
        f"Judged call {world['c4'].pk} after listening: empty conversation. silence")
