"""The one write layer for pay inputs (SPEC §6.5, §7): a locked month's calls are not edited,
late data is admitted and marked, targets of an approved month change only as a correction, and
every write is audited and marks the months it feeds."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from leads.ownership import lead_pay_days, lead_reassign
from leads.services import lead_create, lead_milestone_set, payment_create
from salesops.inputs import MonthLocked, period_lock
from salesops.inputs.activity import call_delete, call_save, target_set
from salesops.models import AuditEntry, CallLog, MonthlyPlan, PayoutInputChange, Role
from tests.factories import CallFactory, TeamFactory
from tests.payouts.factories import person
from tests.payouts.helpers import DECEMBER, NOVEMBER, moscow

pytestmark = pytest.mark.django_db


@pytest.fixture
def north():
    return TeamFactory(code="north", name="North")


@pytest.fixture
def anna(north):
    return person(Role.MANAGER, north, username="anna")


@pytest.fixture
def admin():
    return person(Role.ADMIN)


def test_a_call_of_an_approved_month_is_neither_changed_nor_deleted(anna, north, admin):
    call = CallFactory(manager=anna, started_at=moscow(2026, 11, 10, 10, 0), talk_s=40)
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    call.talk_s = 10
    with pytest.raises(MonthLocked, match="locked"):
        call_save(call=call, by=admin.user)
    with pytest.raises(MonthLocked):
        call_delete(call=CallLog.objects.get(pk=call.pk), by=admin.user)
    assert CallLog.objects.get(pk=call.pk).talk_s == 40
    assert not AuditEntry.objects.exists()
    assert not PayoutInputChange.objects.exists()


def test_a_late_call_for_an_approved_month_is_admitted_marked_and_audited(anna, north, admin):
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    call = CallFactory.build(manager=anna, started_at=moscow(2026, 11, 10, 10, 0))
    call_save(call=call, by=admin.user)
    assert list(PayoutInputChange.objects.values_list("manager_id", "month")) == [
        (anna.pk, NOVEMBER)]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_id, entry.by) == ("call_added", call.pk, admin.user)


def test_a_call_moved_into_an_approved_month_is_refused(anna, north, admin):
    call = CallFactory(manager=anna, started_at=moscow(2026, 12, 2, 10, 0))
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    call.started_at = moscow(2026, 11, 30, 10, 0)
    with pytest.raises(MonthLocked):
        call_save(call=call, by=admin.user)
    assert CallLog.objects.get(pk=call.pk).started_at == moscow(2026, 12, 2, 10, 0)


def test_a_target_of_an_approved_month_changes_only_as_a_correction_with_a_reason(
    anna, north, admin
):
    head = person(Role.SALES_HEAD, north)
    target_set(manager=anna, month=NOVEMBER, conversations=1200, confirmed_leads=20,
               revenue=Decimal("100000"), by=head.user)
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    PayoutInputChange.objects.all().delete()
    for by, reason in ((head.user, "lower it"), (admin.user, "")):
        with pytest.raises(MonthLocked):
            target_set(manager=anna, month=NOVEMBER, conversations=900, confirmed_leads=20,
                       revenue=Decimal("100000"), by=by, reason=reason)
    assert MonthlyPlan.objects.get(manager=anna).target_conversations == 1200
    assert not PayoutInputChange.objects.exists()
    target_set(manager=anna, month=NOVEMBER, conversations=900, confirmed_leads=20,
               revenue=Decimal("100000"), by=admin.user, reason="the plan was set wrong")
    assert MonthlyPlan.objects.get(manager=anna).target_conversations == 900
    entry = AuditEntry.objects.get(action="targets_changed")
    assert (entry.before["target_conversations"], entry.after["target_conversations"],
            entry.comment, entry.by) == (1200, 900, "the plan was set wrong", admin.user)
    assert list(PayoutInputChange.objects.values_list("manager_id", "month")) == [
        (anna.pk, NOVEMBER)]


@time_machine.travel(moscow(2026, 12, 8, 10, 0), tick=False)
def test_a_reassigned_lead_credits_each_item_to_the_owner_of_its_day(anna, north, admin):
    boris = person(Role.MANAGER, north, username="boris")
    lead = lead_create(owner=anna, source="cold_call", phone="+79161230001",
                       created_at=moscow(2026, 11, 1, 9, 0))
    lead_milestone_set(lead=lead, kind="confirmed", at=moscow(2026, 11, 5, 12, 0))
    payment_create(lead=lead, amount=Decimal("1000"), received_on=datetime.date(2026, 11, 20))
    lead_reassign(lead=lead, owner=boris, by=admin.user, reason="Anna left the account")
    payment_create(lead=lead, amount=Decimal("500"), received_on=datetime.date(2026, 12, 8))
    assert lead_pay_days(lead_ids=[lead.pk]) == {
        (anna.pk, datetime.date(2026, 11, 5)), (anna.pk, datetime.date(2026, 11, 20)),
        (boris.pk, datetime.date(2026, 12, 8))}
    entry = AuditEntry.objects.get(action="lead_reassigned")
    assert (entry.before, entry.after, entry.comment) == (
        {"owner": anna.pk}, {"owner": boris.pk, "since": "2026-12-08"}, "Anna left the account")
    assert DECEMBER in set(PayoutInputChange.objects.filter(manager=boris)
                           .values_list("month", flat=True))


def test_a_reassignment_reaching_into_an_approved_month_is_refused(anna, north, admin):
    boris = person(Role.MANAGER, north, username="boris")
    lead = lead_create(owner=anna, source="cold_call", phone="+79161230002",
                       created_at=moscow(2026, 11, 1, 9, 0))
    payment_create(lead=lead, amount=Decimal("1000"), received_on=datetime.date(2026, 11, 20))
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    with pytest.raises(MonthLocked):
        lead_reassign(lead=lead, owner=boris, by=admin.user,
                      since=datetime.date(2026, 11, 10))
    lead.refresh_from_db()
    assert lead.owner == anna
    assert lead_pay_days(lead_ids=[lead.pk]) == {(anna.pk, datetime.date(2026, 11, 20))}
