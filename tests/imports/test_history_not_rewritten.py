"""History is not rewritten (SPEC §6.5): a re-import never changes a call of a month whose pay
is approved or paid; the new version is a conflict in the batch report, and an admin who
accepts it sees it reach pay as an adjustment in the next open month. Changes to calls of open
months are applied, counted, and undone by a rollback."""

from decimal import Decimal

import pytest

from leads.models import AuditEntry
from payouts.lifecycle import payout_run_approve
from payouts.models import ComponentKind, PayoutLine
from salesops.imports.services import (
    ImportRefused,
    import_batch_rollback,
    import_conflict_accept,
)
from salesops.models import CallLog, DailyManagerStats, ImportConflict, Outcome
from tests.factories import ManagerFactory
from tests.fixtures import hostile
from tests.payouts.factories import plan_for
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
    assert (conflict.old_outcome, conflict.new_outcome) == (Outcome.SECRETARY, Outcome.SECRETARY)


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
