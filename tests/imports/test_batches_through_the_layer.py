"""The call importer is a writer of the pay-input layer (SPEC §5, §6.5, §7): each batch run leaves
one audit row with what it wrote and the months and people it touched, and marks them; a
rollback and an accepted conflict are recorded the same way; and whether a re-imported call's
month is locked is asked as every writer asks: the locked months (``LockedPeriod``) of the team
the person was in on the call's day (dated membership)."""

import datetime

import pytest
import time_machine

from salesops.imports.services import import_batch_rollback, import_conflict_accept
from salesops.inputs import period_lock
from salesops.inputs.membership import membership_transfer
from salesops.models import (
    AuditEntry,
    CallLog,
    ImportConflict,
    Manager,
    PayoutInputChange,
    Role,
    TeamMembership,
)
from tests.factories import ManagerFactory, TeamFactory
from tests.fixtures import hostile
from tests.payouts.factories import person
from tests.payouts.helpers import DECEMBER, NOVEMBER, moscow

pytestmark = pytest.mark.django_db


@pytest.fixture
def north():
    return TeamFactory(code="north", name="North")


@pytest.fixture
def south():
    return TeamFactory(code="south", name="South")


@pytest.fixture
def anna(north):
    manager = person(Role.MANAGER, north, username="anna")
    Manager.objects.filter(pk=manager.pk).update(extension="7001")
    return Manager.objects.get(pk=manager.pk)


@pytest.fixture
def admin():
    return person(Role.ADMIN)


@pytest.fixture
def write(tmp_path):
    def write(name: str, *rows: list[str]):
        path = tmp_path / name
        path.write_text(hostile.csv_text(list(rows)))
        return path

    return write


def call_row(call_id: str, when: str, *, extension="7001", talk=10) -> list[str]:
    return [call_id, extension, when, "90", str(talk), "+79160000000"]


def test_a_batch_run_leaves_one_audit_row_with_what_it_wrote_and_marks_its_months(
        anna, admin, write, run_import):
    batch = run_import(write("calls.csv", call_row("c1", "2026-11-30 12:00:00"),
                             call_row("c2", "2026-12-01 12:00:00"),
                             call_row("c3", "2026-12-02 12:00:00", extension="9999")),
                       created_by=admin.user)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_type, entry.object_id, entry.by) == (
        "import_batch_run", "salesops.importbatch", batch.pk, admin.user)
    assert entry.after == {"created": 2, "updated": 0, "conflict": 0, "present": 0,
                           "error": 1, "months": ["2026-11", "2026-12"], "people": [anna.pk]}
    assert sorted(PayoutInputChange.objects.values_list("manager_id", "month")) == [
        (anna.pk, NOVEMBER), (anna.pk, DECEMBER)]


def test_a_dry_run_writes_nothing_so_it_records_nothing(anna, admin, write, run_import):
    run_import(write("calls.csv", call_row("c1", "2026-12-01 12:00:00")),
               created_by=admin.user, dry_run=True)
    assert (CallLog.objects.count(), AuditEntry.objects.count(),
            PayoutInputChange.objects.count()) == (0, 0, 0)


def test_a_second_run_of_the_same_file_records_that_it_wrote_nothing(
        anna, admin, write, run_import):
    path = write("calls.csv", call_row("c1", "2026-12-01 12:00:00"))
    run_import(path, created_by=admin.user)
    run_import(path, created_by=admin.user)
    second = AuditEntry.objects.order_by("pk").last()
    assert second.after == {"created": 0, "updated": 0, "conflict": 0, "present": 1,
                            "error": 0, "months": [], "people": []}


def test_a_rollback_is_recorded_by_the_layer(anna, admin, write, run_import):
    batch = run_import(write("calls.csv", call_row("c1", "2026-12-01 12:00:00"),
                             call_row("c2", "2026-12-02 12:00:00")), created_by=admin.user)
    PayoutInputChange.objects.all().delete()
    assert import_batch_rollback(batch=batch, by=admin.user) == 2
    entry = AuditEntry.objects.get(action="import_batch_rolled_back")
    assert (entry.by, entry.after) == (admin.user, {"deleted": 2, "restored": 0,
                                                    "months": ["2026-12"], "people": [anna.pk]})
    assert list(PayoutInputChange.objects.values_list("manager_id", "month")) == [
        (anna.pk, DECEMBER)]


def test_an_accepted_conflict_is_a_correction_with_the_files_line_as_its_reason(
        anna, admin, north, write, run_import):
    run_import(write("first.csv", call_row("c1", "2026-11-10 12:00:00", talk=10)))
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    again = run_import(write("again.csv", call_row("c1", "2026-11-10 12:00:00", talk=70)))
    PayoutInputChange.objects.all().delete()
    import_conflict_accept(conflict=ImportConflict.objects.get(), by=admin.user)
    entry = AuditEntry.objects.get(action="import_conflict_accept")
    assert entry.comment == f"Import batch {again.pk}, line 2: the file's version taken."
    assert list(PayoutInputChange.objects.values_list("manager_id", "month")) == [
        (anna.pk, NOVEMBER)]


@time_machine.travel(moscow(2026, 12, 8, 10, 0), tick=False)
def test_a_reimport_judges_each_call_by_the_team_of_its_day(
        anna, north, south, write, run_import):
    """Anna moved from north to south on 20 November; north's November is approved, south's is
    open. Her call of 10 November (north's) is left alone and becomes a conflict; her call of
    25 November (south's) is changed, although both are her November."""
    run_import(write("first.csv", call_row("north-day", "2026-11-10 12:00:00", talk=10),
                     call_row("south-day", "2026-11-25 12:00:00", talk=10)))
    membership_transfer(manager=anna, team=south, since=datetime.date(2026, 11, 20))
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    again = run_import(write("again.csv", call_row("north-day", "2026-11-10 12:00:00", talk=70),
                             call_row("south-day", "2026-11-25 12:00:00", talk=70)))
    assert (again.conflict_count, again.updated_count) == (1, 1)
    assert dict(CallLog.objects.values_list("external_id", "talk_s")) == {
        "north-day": 10, "south-day": 70}
    assert ImportConflict.objects.get().call.external_id == "north-day"


@time_machine.travel(moscow(2026, 12, 8, 10, 0), tick=False)
def test_a_reimport_of_a_call_of_an_approved_team_month_is_a_conflict_after_the_person_left(
        anna, north, south, write, run_import):
    """Anna is in south now; the November she spent in north is approved for north: her
    November call is judged by north's lock, not by her team of today."""
    run_import(write("first.csv", call_row("c1", "2026-11-10 12:00:00", talk=10)))
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    membership_transfer(manager=anna, team=south, since=datetime.date(2026, 12, 1))
    assert Manager.objects.get(pk=anna.pk).team == south
    again = run_import(write("again.csv", call_row("c1", "2026-11-10 12:00:00", talk=70)))
    assert (again.conflict_count, again.updated_count) == (1, 0)
    assert CallLog.objects.get().talk_s == 10


def test_a_person_with_no_membership_rows_is_judged_by_the_current_team(
        north, write, run_import):
    boris = ManagerFactory(team=north, extension="7002")
    assert not TeamMembership.objects.filter(manager=boris).exists()
    run_import(write("first.csv", call_row("c1", "2026-11-10 12:00:00", extension="7002")))
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    again = run_import(write("again.csv", call_row("c1", "2026-11-10 12:00:00",
                                                   extension="7002", talk=70)))
    assert (again.conflict_count, again.updated_count) == (1, 0)


def test_a_person_before_their_first_membership_is_in_no_team(north, south, write, run_import):
    """Days before a person's first membership row belong to no team: no team's lock holds
    them (their current team's approved month does not reach back before they joined it)."""
    carol = ManagerFactory(team=south, extension="7003")
    TeamMembership.objects.create(manager=carol, team=south, since=datetime.date(2026, 11, 15))
    run_import(write("first.csv", call_row("c1", "2026-11-10 12:00:00", extension="7003")))
    period_lock(team_id=south.pk, month=NOVEMBER, status="approved")
    again = run_import(write("again.csv", call_row("c1", "2026-11-10 12:00:00",
                                                   extension="7003", talk=70)))
    assert (again.conflict_count, again.updated_count) == (0, 1)
