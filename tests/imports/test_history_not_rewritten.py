"""History is not rewritten (SPEC §6.5): a re-import never changes a call of a month whose pay
is approved or paid; the new version is a conflict in the batch report, and an admin who
accepts it sees it reach pay as an adjustment in the next open month. Changes to calls of open
months are applied, counted, and undone by a rollback."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payouts.lifecycle import payout_run_approve
from payouts.models import ComponentKind, PayoutLine
from salesops.imports.services import (
    ImportRefused,
    import_batch_rollback,
    import_conflict_accept,
    import_conflict_reject,
)
from salesops.models import AuditEntry, CallLog, DailyManagerStats, ImportConflict, Outcome, Role
from salesops.policy import AccessDenied
from tests.factories import ManagerFactory
from tests.fixtures import hostile
from tests.payouts.factories import person, plan_for
from tests.payouts.helpers import DECEMBER, NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db
IN_NOVEMBER = "2026-11-10 12:00:00"
IN_OCTOBER = "2026-10-10 12:00:00"
HEADER = hostile.HEADER


@pytest.fixture
def anna(team):
    manager = ManagerFactory(team=team, extension="7001")
    plan_for(manager, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("100")},
             conversation_threshold_s=15)
    return manager


@pytest.fixture
def boris(team):
    return ManagerFactory(team=team, extension="7002")


@pytest.fixture
def write(tmp_path):
    def write(name: str, *rows: list[str]):
        path = tmp_path / name
        path.write_text(hostile.csv_text(list(rows)))
        return path

    return write


def call_row(call_id: str, when: str, *, extension="7001", duration=60, talk=10) -> list[str]:
    return [call_id, extension, when, str(duration), str(talk), "+79160000000"]


@pytest.fixture
def approved_november(team, anna, write, run_import):
    first = run_import(write("first.csv", call_row("c1", IN_NOVEMBER, talk=10)))
    assert first.created_count == 1
    head = ManagerFactory(team=team, sales_head=True)
    return payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)


def test_a_reimport_never_changes_a_call_of_an_approved_month(
        approved_november, anna, boris, write, run_import):
    again = run_import(write("again.csv", call_row("c1", IN_NOVEMBER, extension="7002",
                                                   duration=90, talk=70)))
    call = CallLog.objects.get()
    assert (call.manager, call.duration_s, call.talk_s) == (anna, 60, 10)
    assert (again.conflict_count, again.updated_count, again.created_count,
            again.present_count) == (1, 0, 0, 0)
    conflict = ImportConflict.objects.get()
    assert (conflict.batch, conflict.call, conflict.line, conflict.status) == (
        again, call, 2, ImportConflict.Status.OPEN)
    assert (conflict.old_manager, conflict.new_manager) == (anna, boris)
    assert (conflict.old_duration_s, conflict.new_duration_s) == (60, 90)
    assert (conflict.old_talk_s, conflict.new_talk_s) == (10, 70)
    assert (conflict.old_outcome, conflict.new_outcome) == (Outcome.ANSWERED, Outcome.ANSWERED)


def test_the_same_version_again_is_no_conflict(approved_november, write, run_import):
    again = run_import(write("again.csv", call_row("c1", IN_NOVEMBER, talk=10)))
    assert (again.conflict_count, again.present_count) == (0, 1)
    assert not ImportConflict.objects.exists()


def test_accepting_a_conflict_is_audited_and_pays_the_difference_in_the_next_open_month(
        approved_november, team, anna, write, run_import):
    admin = ManagerFactory(admin=True)
    run_import(write("again.csv", call_row("c1", IN_NOVEMBER, duration=90, talk=70)))
    conflict = ImportConflict.objects.get()
    assert not PayoutLine.objects.filter(run=compute(DECEMBER, team),
                                         adjusts_month=NOVEMBER).exists()

    import_conflict_accept(conflict=conflict, by=admin.user)

    call = CallLog.objects.get()
    assert (call.duration_s, call.talk_s) == (90, 70)
    conflict.refresh_from_db()
    assert (conflict.status, conflict.decided_by) == (ImportConflict.Status.ACCEPTED, admin.user)
    audit = AuditEntry.objects.get(action="import_conflict_accept")
    assert (audit.object_id, audit.by, audit.before["talk_s"], audit.after["talk_s"]) == (
        call.pk, admin.user, 10, 70)
    adjustment = PayoutLine.objects.get(run=compute(DECEMBER, team), manager=anna,
                                        adjusts_month=NOVEMBER)
    assert (adjustment.kind, adjustment.amount) == (ComponentKind.PER_CONVERSATION,
                                                    Decimal("100.00"))
    with pytest.raises(ImportRefused):
        import_conflict_accept(conflict=conflict, by=admin.user)


def test_a_change_to_a_call_of_an_open_month_is_applied_counted_and_undone_by_rollback(
        anna, boris, write, run_import):
    run_import(write("first.csv", call_row("c1", IN_OCTOBER, talk=10),
                     call_row("c2", IN_OCTOBER, talk=20)))
    again = run_import(write("again.csv", call_row("c1", IN_OCTOBER, extension="7002",
                                                   duration=90, talk=70),
                             call_row("c2", IN_OCTOBER, talk=20)))
    assert (again.updated_count, again.present_count, again.conflict_count,
            again.created_count) == (1, 1, 0, 0)
    changed = CallLog.objects.get(external_id="c1")
    assert (changed.manager, changed.duration_s, changed.talk_s) == (boris, 90, 70)
    assert DailyManagerStats.objects.get(manager=boris).talk_s == 70

    assert import_batch_rollback(batch=again) == 0

    restored = CallLog.objects.get(external_id="c1")
    assert (restored.manager, restored.duration_s, restored.talk_s) == (anna, 60, 10)
    assert restored.started_at == moscow(2026, 10, 10, 12, 0)
    assert CallLog.objects.count() == 2
    assert not DailyManagerStats.objects.filter(manager=boris).exists()
    assert DailyManagerStats.objects.get(manager=anna).talk_s == 30


# --- the conflicts screen: seen and decided by an admin, never by anyone else ---

CHANGELIST = "admin:salesops_importconflict_changelist"


@pytest.fixture
def conflict(approved_november, write, run_import):
    batch = run_import(write("again.csv", call_row("c1", IN_NOVEMBER, duration=90, talk=70)))
    assert batch.conflict_count == 1
    return ImportConflict.objects.get()


def test_the_batch_page_counts_the_conflicts_and_links_to_them(client, conflict):
    admin = person(Role.ADMIN)
    client.force_login(admin.user)
    page = client.get(reverse("imports:batch", args=[conflict.batch_id]))
    assert page.status_code == 200
    assert page.context["progress"]["conflicts"] == 1
    assert page.context["conflicts_url"] == (
        reverse(CHANGELIST) + f"?batch__id__exact={conflict.batch_id}&status__exact=open")


def test_an_admin_takes_the_files_version_from_the_conflicts_screen(client, conflict):
    admin = person(Role.ADMIN)
    client.force_login(admin.user)
    response = client.post(reverse(CHANGELIST), {
        "action": "accept", "_selected_action": [conflict.pk]}, follow=True)
    assert response.status_code == 200
    conflict.refresh_from_db()
    assert conflict.status == ImportConflict.Status.ACCEPTED
    assert CallLog.objects.get().talk_s == 70


def test_a_sales_head_cannot_decide_a_conflict_at_any_door(client, conflict, team):
    head = person(Role.SALES_HEAD, team)
    with pytest.raises(AccessDenied):
        import_conflict_accept(conflict=conflict, by=head.user)
    with pytest.raises(AccessDenied):
        import_conflict_reject(conflict=conflict, by=head.user)
    client.force_login(head.user)
    response = client.post(reverse(CHANGELIST), {
        "action": "accept", "_selected_action": [conflict.pk]})
    assert response.status_code in (302, 403)
    conflict.refresh_from_db()
    assert conflict.status == ImportConflict.Status.OPEN
    assert CallLog.objects.get().talk_s == 10


def test_a_conflict_is_never_edited_in_a_form(client, conflict):
    admin = person(Role.ADMIN)
    client.force_login(admin.user)
    url = reverse("admin:salesops_importconflict_change", args=[conflict.pk])
    client.post(url, {"new_talk_s": 5, "status": "accepted"})
    conflict.refresh_from_db()
    assert (conflict.status, conflict.new_talk_s) == (ImportConflict.Status.OPEN, 70)
