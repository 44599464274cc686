"""SPEC §7 inquiries: a manager asks about a line of own pay; another person decides it."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from payouts.inquiries import InquiryError, inquiries_visible_to, inquiry_decide, inquiry_raise
from payouts.models import ComponentKind, InquiryStatus, PayoutInquiry, PayoutLine
from salesops.models import AuditEntry, Role
from salesops.policy import AccessDenied
from tests.factories import TeamFactory
from tests.payouts.factories import calls, person, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(team):
    manager = person(Role.MANAGER, team, username="anna")
    plan_for(manager, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("50")})
    calls(manager, 4, started_at=moscow(2026, 11, 10, 12), duration_s=120, talk_s=90)
    return manager


@pytest.fixture
def line(anna, team):
    run = compute(NOVEMBER, team)
    return PayoutLine.objects.get(run=run, manager=anna)


@pytest.fixture
def head(team):
    return person(Role.SALES_HEAD, team, username="head")


def test_a_manager_asks_about_a_line_of_own_pay_and_the_question_is_audited(anna, line):
    inquiry = inquiry_raise(line=line, comment="calls missing on the 14th", raised_by=anna.user)
    assert (inquiry.status, inquiry.manager, inquiry.line, inquiry.amount_seen) == (
        InquiryStatus.OPEN, anna, line, line.amount)
    assert AuditEntry.objects.filter(action="inquiry_raised", object_id=inquiry.pk).count() == 1


def test_a_manager_cannot_ask_about_another_managers_line(team, line):
    boris = person(Role.MANAGER, team, username="boris")
    with pytest.raises(AccessDenied):
        inquiry_raise(line=line, comment="this lead was mine", raised_by=boris.user)
    assert PayoutInquiry.objects.count() == 0


def test_a_question_needs_words(anna, line):
    with pytest.raises(InquiryError):
        inquiry_raise(line=line, comment="  ", raised_by=anna.user)
    assert PayoutInquiry.objects.count() == 0


def test_one_open_question_per_line(anna, line):
    inquiry_raise(line=line, comment="calls missing", raised_by=anna.user)
    with pytest.raises(InquiryError):
        inquiry_raise(line=line, comment="calls missing again", raised_by=anna.user)
    assert PayoutInquiry.objects.count() == 1


def test_the_teams_sales_head_decides_and_the_decision_is_audited(anna, line, head):
    inquiry = inquiry_raise(line=line, comment="calls missing", raised_by=anna.user)
    inquiry_decide(inquiry=inquiry, accepted=True, comment="re-import ordered",
                   decided_by=head.user)
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.decided_by, inquiry.decision_comment) == (
        InquiryStatus.ACCEPTED, head.user, "re-import ordered")
    assert AuditEntry.objects.filter(action="inquiry_accepted", object_id=inquiry.pk).exists()


def test_a_rejection_needs_the_deciders_reason(anna, line, head):
    inquiry = inquiry_raise(line=line, comment="this lead was mine", raised_by=anna.user)
    with pytest.raises(InquiryError):
        inquiry_decide(inquiry=inquiry, accepted=False, comment="", decided_by=head.user)
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.OPEN


def test_another_teams_sales_head_cannot_decide(anna, line):
    other_head = person(Role.SALES_HEAD, TeamFactory(code="south"), username="south-head")
    inquiry = inquiry_raise(line=line, comment="calls missing", raised_by=anna.user)
    with pytest.raises(AccessDenied):
        inquiry_decide(inquiry=inquiry, accepted=True, comment="", decided_by=other_head.user)
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.OPEN


def test_a_decided_inquiry_is_not_decided_again(anna, line, head):
    inquiry = inquiry_raise(line=line, comment="calls missing", raised_by=anna.user)
    inquiry_decide(inquiry=inquiry, accepted=False, comment="calls were there",
                   decided_by=head.user)
    with pytest.raises(InquiryError):
        inquiry_decide(inquiry=inquiry, accepted=True, comment="", decided_by=head.user)


def test_the_database_refuses_a_decision_by_the_one_who_asked(anna, line):
    inquiry = inquiry_raise(line=line, comment="calls missing", raised_by=anna.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutInquiry.objects.filter(pk=inquiry.pk).update(
            status=InquiryStatus.ACCEPTED, decided_by=anna.user, decided_at=inquiry.raised_at)


def test_a_recomputation_keeps_the_question_and_its_line_is_found_again(anna, line, team):
    inquiry = inquiry_raise(line=line, comment="calls missing", raised_by=anna.user)
    compute(NOVEMBER, team)
    inquiry.refresh_from_db()
    current = PayoutLine.objects.get(run=inquiry.run, manager=anna, kind=inquiry.line_kind,
                                     key=inquiry.line_key)
    assert inquiry.status == InquiryStatus.OPEN and current.amount == inquiry.amount_seen


def test_a_manager_reads_own_inquiries_and_a_head_his_teams(anna, line, head):
    inquiry = inquiry_raise(line=line, comment="calls missing", raised_by=anna.user)
    boris = person(Role.MANAGER, anna.team, username="boris")
    other_head = person(Role.SALES_HEAD, TeamFactory(code="south"), username="south-head")
    assert list(inquiries_visible_to(anna.user)) == [inquiry]
    assert list(inquiries_visible_to(head.user)) == [inquiry]
    assert list(inquiries_visible_to(boris.user)) == []
    assert list(inquiries_visible_to(other_head.user)) == []
