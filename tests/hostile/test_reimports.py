"""Re-imports: a changed start time is a change like any other (applied in an open month,
undone by a rollback), and a call that a re-import would move into an approved month is a
conflict, left as it is."""

import datetime

import pytest

from payouts.lifecycle import payout_run_approve
from salesops.imports.services import import_batch_rollback
from salesops.models import CallLog, ImportConflict
from tests.factories import ManagerFactory
from tests.fixtures import hostile
from tests.payouts.helpers import NOVEMBER, compute

pytestmark = pytest.mark.django_db
MSK = datetime.timezone(datetime.timedelta(hours=3))


@pytest.fixture
def anna(north):
    return ManagerFactory(team=north, extension=hostile.EXTENSION)


@pytest.fixture
def write(tmp_path):
    def write(name, when):
        path = tmp_path / name
        path.write_text(hostile.csv_text([hostile.row(1, when=when, call_id="c1")]))
        return path

    return write


def test_a_reimport_that_changes_only_the_start_time_updates_the_call_and_counts_it(
        anna, write, run_import):
    run_import(write("first.csv", "2026-12-05 10:00:00"))
    again = run_import(write("again.csv", "2026-12-05 10:05:00"))
    assert (again.updated_count, again.present_count, again.created_count) == (1, 0, 0)
    assert CallLog.objects.get().started_at == datetime.datetime(2026, 12, 5, 10, 5, tzinfo=MSK)
    import_batch_rollback(batch=again)
    assert CallLog.objects.get().started_at == datetime.datetime(2026, 12, 5, 10, 0, tzinfo=MSK)


def test_a_reimport_moving_a_call_into_an_approved_month_is_a_conflict_and_changes_nothing(
        north, anna, write, run_import):
    head = ManagerFactory(team=north, sales_head=True)
    payout_run_approve(run=compute(NOVEMBER, north), approved_by=head.user)
    run_import(write("first.csv", "2026-12-05 10:00:00"))
    stored = CallLog.objects.values().get()
    again = run_import(write("again.csv", "2026-11-28 10:00:00"))
    assert (again.conflict_count, again.updated_count, again.present_count) == (1, 0, 0)
    assert CallLog.objects.values().get() == stored
    conflict = ImportConflict.objects.get()
    assert (conflict.old_started_at, conflict.new_started_at) == (
        datetime.datetime(2026, 12, 5, 10, 0, tzinfo=MSK),
        datetime.datetime(2026, 11, 28, 10, 0, tzinfo=MSK))
