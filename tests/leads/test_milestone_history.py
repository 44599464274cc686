"""SPEC §2: a lead's milestones are an append-only history — corrections are new rows with a
reason — and SPEC §6.2: whatever the history says, a milestone pays once, never zero times
for a lead that did reach it."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from leads.models import LeadMilestone, LeadSource, MilestoneKind
from leads.selectors import NEW, lead_status
from leads.services import (
    MilestoneHistoryError,
    lead_create,
    lead_milestone_correct,
    lead_milestone_delete,
    lead_milestone_set,
    lead_milestone_update,
)
from payouts.lifecycle import payout_run_approve
from payouts.models import ComponentKind, PaidItem
from salesops.models import AuditEntry, Role
from tests.factories import ManagerFactory
from tests.payouts.factories import person, plan_for
from tests.payouts.helpers import DECEMBER, NOVEMBER, amounts, compute, moscow

pytestmark = pytest.mark.django_db
OCTOBER = datetime.date(2026, 10, 1)
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="triggers are PostgreSQL's")


@pytest.fixture
def anna(team):
    manager = ManagerFactory(team=team)
    plan_for(manager, {"kind": ComponentKind.PER_CONFIRMED_LEAD, "rate": Decimal("500")})
    return manager


@pytest.fixture
def head(team):
    return person(Role.SALES_HEAD, team)


@pytest.fixture
def lead(anna):
    lead = lead_create(owner=anna, source=LeadSource.COLD_CALL, phone="89161234567",
                       created_at=moscow(2026, 10, 1, 10, 0))
    lead_milestone_set(lead=lead, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 10, 10, 10, 0),
                       by=anna.user)
    return lead


def _history(lead):
    return list(lead.milestones.order_by("pk").values_list("kind", "corrects", "reason"))


def test_deleting_or_editing_an_october_confirmation_is_refused(lead, head):
    confirmation = lead.milestones.get()
    with pytest.raises(MilestoneHistoryError, match="cannot be deleted"):
        lead_milestone_delete(milestone=confirmation, by=head.user)
    with pytest.raises(MilestoneHistoryError, match="cannot be changed"):
        lead_milestone_update(milestone=confirmation, at=moscow(2026, 11, 1, 10, 0))
    assert _history(lead) == [("confirmed", None, "")]
    assert lead_status(lead=lead) == MilestoneKind.CONFIRMED


@on_postgresql
def test_the_database_refuses_to_delete_or_edit_milestone_rows(lead):
    confirmation = lead.milestones.get()
    for change in (
        lambda: LeadMilestone.objects.filter(pk=confirmation.pk).delete(),
        lambda: LeadMilestone.objects.filter(pk=confirmation.pk).update(
            at=moscow(2026, 11, 1, 10, 0)),
        lambda: LeadMilestone.objects.filter(pk=confirmation.pk).update(kind="lost"),
        lambda: lead.delete(),
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            change()
    assert LeadMilestone.objects.get(pk=confirmation.pk).at == moscow(2026, 10, 10, 10, 0)


def test_a_correction_row_turns_the_lead_unconfirmed_with_its_reason(lead, head):
    confirmation = lead.milestones.get()
    correction = lead_milestone_correct(
        milestone=confirmation, reason="confirmed on the wrong lead", by=head.user
    )
    assert lead_status(lead=lead) == NEW
    assert _history(lead) == [
        ("confirmed", None, ""), ("correction", confirmation.pk, "confirmed on the wrong lead"),
    ]
    assert (correction.set_by, correction.corrects) == (head.user, confirmation)
    entry = AuditEntry.objects.get(action="milestone_corrected")
    assert (entry.object_id, entry.by, entry.comment) == (
        lead.pk, head.user, "confirmed on the wrong lead")
    assert (entry.before["status"], entry.after["status"]) == ("confirmed", NEW)


def test_a_correction_needs_a_reason_and_someone_who_decides_on_the_lead(lead, anna, head):
    confirmation = lead.milestones.get()
    with pytest.raises(MilestoneHistoryError, match="reason"):
        lead_milestone_correct(milestone=confirmation, reason="  ", by=head.user)
    with pytest.raises(MilestoneHistoryError, match="may not correct"):
        lead_milestone_correct(milestone=confirmation, reason="mine", by=anna.user)
    assert _history(lead) == [("confirmed", None, "")]
    assert not AuditEntry.objects.filter(action="milestone_corrected").exists()


def test_a_row_is_corrected_once_and_a_correction_is_not_corrected(lead, head):
    confirmation = lead.milestones.get()
    correction = lead_milestone_correct(milestone=confirmation, reason="wrong", by=head.user)
    with pytest.raises(MilestoneHistoryError, match="already corrected"):
        lead_milestone_correct(milestone=confirmation, reason="again", by=head.user)
    with pytest.raises(MilestoneHistoryError, match="cannot be corrected"):
        lead_milestone_correct(milestone=correction, reason="undo", by=head.user)
    with pytest.raises(MilestoneHistoryError):
        lead_milestone_set(lead=lead, kind=MilestoneKind.CORRECTION)
    assert LeadMilestone.objects.count() == 2


def test_a_lead_confirmed_again_in_november_after_a_correction_is_still_paid_once(
    team, anna, head, lead
):
    october = payout_run_approve(run=compute(OCTOBER, team), approved_by=head.user)
    assert amounts(october, anna) == {("per_confirmed_lead", ""): Decimal("500.00")}
    lead_milestone_correct(milestone=lead.milestones.get(), reason="confirmed too early",
                           by=head.user)
    lead_milestone_set(lead=lead, kind=MilestoneKind.CONFIRMED,
                       at=moscow(2026, 11, 12, 10, 0), by=anna.user)
    # October keeps the one payment; November neither pays it again nor takes it back.
    assert amounts(compute(NOVEMBER, team), anna) == {}
    assert PaidItem.objects.filter(item_id=lead.pk, item_kind="lead").count() == 1


def test_a_voided_paid_confirmation_is_taken_back_and_paid_again_when_the_lead_gets_there(
    team, anna, head, lead
):
    payout_run_approve(run=compute(OCTOBER, team), approved_by=head.user)
    lead_milestone_correct(milestone=lead.milestones.get(), reason="not a real consent",
                           by=head.user)
    november = compute(NOVEMBER, team)
    assert amounts(november, anna) == {
        ("per_confirmed_lead", "adj:2026-10:"): Decimal("-500.00")}
    payout_run_approve(run=november, approved_by=head.user)
    lead_milestone_set(lead=lead, kind=MilestoneKind.CONFIRMED,
                       at=moscow(2026, 12, 3, 10, 0), by=anna.user)
    # Paid in October, taken back in November, owed again in December: once in all.
    assert amounts(compute(DECEMBER, team), anna) == {
        ("per_confirmed_lead", "adj:2026-10:"): Decimal("500.00")}


def test_a_voided_fake_mark_is_not_clawed_back(team, anna, head, lead):
    payout_run_approve(run=compute(OCTOBER, team), approved_by=head.user)
    fake = lead_milestone_set(lead=lead, kind=MilestoneKind.FAKE,
                              at=moscow(2026, 11, 5, 10, 0))
    lead_milestone_correct(milestone=fake, reason="marked fake by mistake", by=head.user)
    assert lead_status(lead=lead) == MilestoneKind.CONFIRMED
    assert amounts(compute(NOVEMBER, team), anna) == {}
