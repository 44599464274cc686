"""One path for every call (issue 21): webhooks, API batches and file rows become calls keyed
by (source, external id), with the importer's manager keys and status mappings; a delivery
changes a stored call only when it carries more, and for an approved month that is an import
conflict, as a re-import's change is (SPEC §6.1, §6.5)."""

import datetime

import pytest

from salesops.imports.services import import_file
from salesops.ingest.calls import calls_ingest
from salesops.ingest.events import CallEvent
from salesops.models import (
    AuditEntry,
    CallLog,
    DailyManagerStats,
    ImportConflict,
    ImportRowError,
    ManagerAlias,
    Outcome,
    PayoutInputChange,
)
from tests.fixtures import hostile

pytestmark = pytest.mark.django_db
MSK = datetime.timezone(datetime.timedelta(hours=3))
IN_NOVEMBER = datetime.datetime(2026, 11, 10, 12, 0, tzinfo=MSK)
IN_DECEMBER = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=MSK)


def event(call_id="c1", *, when=IN_DECEMBER, manager="7001", duration=60, talk=None,
          status="", **more) -> CallEvent:
    return CallEvent(external_id=call_id, started_at=when, duration_s=duration, talk_s=talk,
                     manager=manager, status=status, **more)


def ingest(integration, *events):
    return calls_ingest(events=list(events), source=integration.source,
                        integration=integration)


def file_with(tmp_path, *rows, name="export.csv"):
    path = tmp_path / name
    path.write_text(hostile.csv_text(list(rows)))
    return path


def file_row(call_id, when: datetime.datetime, *, extension="7001", duration=60, talk=10):
    return [call_id, extension, when.strftime("%d.%m.%Y %H:%M:%S"), str(duration), str(talk),
            "+79160000000"]


@pytest.fixture
def pbx(make_integration):
    integration, _token = make_integration("api", source="office-pbx")
    return integration


def test_a_call_posted_twice_is_one_call(pbx, anna):
    first = ingest(pbx, event(talk=30))
    again = ingest(pbx, event(talk=30))
    assert [i.result for i in first.items] == ["created"]
    assert [i.result for i in again.items] == ["present"]
    call = CallLog.objects.get()
    assert (call.source, call.external_id, call.manager, call.talk_s) == (
        "office-pbx", "c1", anna, 30)


def test_deliveries_in_any_order_end_with_the_version_that_carries_most(pbx, anna):
    ringing = event(duration=5, talk=0, status="no answer")
    ended = event(duration=95, talk=80, status="answered")
    ingest(pbx, ended)
    assert [i.result for i in ingest(pbx, ringing).items] == ["present"]
    forward = CallLog.objects.values("duration_s", "talk_s", "outcome").get()
    CallLog.objects.all().delete()
    ingest(pbx, ringing)
    assert [i.result for i in ingest(pbx, ended).items] == ["updated"]
    assert CallLog.objects.values("duration_s", "talk_s", "outcome").get() == forward == {
        "duration_s": 95, "talk_s": 80, "outcome": Outcome.ANSWERED}


def test_two_versions_in_one_request_make_one_call_with_the_one_that_carries_most(pbx, anna):
    outcome = ingest(pbx, event(duration=95, talk=80), event(duration=5, talk=0))
    assert [i.result for i in outcome.items] == ["created", "present"]
    assert CallLog.objects.values_list("talk_s", flat=True).get() == 80


def test_a_webhook_call_later_found_in_a_file_import_is_not_created_again(
        pbx, anna, tmp_path):
    ingest(pbx, event("c1", when=IN_DECEMBER, duration=60, talk=10))
    batch = import_file(path=file_with(tmp_path, file_row("c1", IN_DECEMBER)),
                        source="office-pbx")
    assert (batch.created_count, batch.present_count, batch.updated_count) == (0, 1, 0)
    assert CallLog.objects.count() == 1


def test_a_file_call_posted_later_by_a_webhook_changes_nothing_unless_it_carries_more(
        pbx, anna, boris, tmp_path):
    import_file(path=file_with(tmp_path, file_row("c1", IN_DECEMBER, talk=30)),
                source="office-pbx")
    same = ingest(pbx, event("c1", duration=60, talk=30))
    less = ingest(pbx, event("c1", manager="7002", duration=60, talk=20))
    assert [same.items[0].result, less.items[0].result] == ["present", "present"]
    call = CallLog.objects.get()
    assert (call.manager, call.talk_s) == (anna, 30)
    more = ingest(pbx, event("c1", duration=90, talk=70))
    assert more.items[0].result == "updated"
    call.refresh_from_db()
    assert (call.duration_s, call.talk_s, CallLog.objects.count()) == (90, 70, 1)


def test_a_webhook_carrying_more_for_an_approved_month_becomes_an_import_conflict(
        pbx, anna, approve_november):
    ingest(pbx, event("c1", when=IN_NOVEMBER, duration=60, talk=10))
    approve_november()
    outcome = ingest(pbx, event("c1", when=IN_NOVEMBER, duration=90, talk=70))
    assert outcome.items[0].result == "conflict"
    call = CallLog.objects.get()
    assert (call.duration_s, call.talk_s) == (60, 10)
    conflict = ImportConflict.objects.get()
    assert (conflict.call, conflict.batch_id, conflict.line, conflict.status) == (
        call, outcome.batch_id, 1, ImportConflict.Status.OPEN)
    assert (conflict.new_duration_s, conflict.new_talk_s) == (90, 70)


def test_a_late_call_of_an_approved_month_is_taken_as_late_data(pbx, anna, approve_november):
    approve_november()
    assert ingest(pbx, event("late", when=IN_NOVEMBER)).items[0].result == "created"


def test_managers_are_matched_as_the_importer_matches_them(pbx, anna):
    ManagerAlias.objects.create(value="Agent-Anna", manager=anna)
    outcome = ingest(pbx, event("c1", manager="agent-anna"), event("c2", manager="7001"),
                     event("c3", manager="nobody", manager_alt="7001"))
    assert [i.result for i in outcome.items] == ["created"] * 3
    assert set(CallLog.objects.values_list("manager", flat=True)) == {anna.pk}


def test_unknown_managers_and_statuses_are_queued_for_the_importers_bulk_mapping(pbx, anna):
    outcome = ingest(pbx, event("c1", manager="9999"), event("c2", status="перезвонить"),
                     event("c3"))
    assert [i.result for i in outcome.items] == ["error", "error", "created"]
    assert [(e.field, e.value, e.kind) for e in outcome.items[0].errors] == [
        ("manager", "9999", "manager")]
    assert [(e.field, e.value, e.kind) for e in outcome.items[1].errors] == [
        ("status", "перезвонить", "status")]
    rows = ImportRowError.objects.filter(batch_id=outcome.batch_id).order_by("line")
    assert [(r.line, r.kind, r.value) for r in rows] == [
        (1, "manager", "9999"), (2, "status", "перезвонить")]


def test_an_integration_posts_only_for_the_teams_it_may(make_integration, anna, boris):
    from tests.factories import ManagerFactory, TeamFactory

    other = ManagerFactory(team=TeamFactory(code="south"), extension="8001")
    integration, _token = make_integration("api", source="office-pbx", teams=[anna.team])
    outcome = ingest(integration, event("c1"), event("c2", manager="8001"))
    assert [i.result for i in outcome.items] == ["created", "error"]
    assert not CallLog.objects.filter(manager=other).exists()


def test_a_write_is_audited_marked_and_counted_on_the_dashboard(
        pbx, anna, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = ingest(pbx, event("c1", talk=30))
    entry = AuditEntry.objects.get(action="calls_ingested")
    assert (entry.object_id, entry.after["created"]) == (outcome.batch_id, 1)
    assert PayoutInputChange.objects.filter(manager=anna,
                                            month=datetime.date(2026, 12, 1)).exists()
    stats = DailyManagerStats.objects.get(manager=anna)
    assert (stats.day, stats.calls, stats.talk_s) == (datetime.date(2026, 12, 3), 1, 30)


def test_a_repeated_delivery_writes_nothing(pbx, anna):
    ingest(pbx, event("c1"))
    audits = AuditEntry.objects.count()
    ingest(pbx, event("c1"))
    assert AuditEntry.objects.count() == audits


def test_an_integrations_calls_of_a_day_share_one_import_batch(pbx, anna):
    first = ingest(pbx, event("c1"))
    second = ingest(pbx, event("c2"))
    assert first.batch_id == second.batch_id
    assert set(CallLog.objects.values_list("batch_id", flat=True)) == {first.batch_id}


def test_bad_values_are_item_errors_and_nothing_of_them_is_stored(pbx, anna):
    outcome = ingest(pbx, event("c1", duration=10, talk=20),
                     event("", duration=10),
                     event("c3", when=datetime.datetime(2027, 6, 1, tzinfo=MSK)))
    assert [i.result for i in outcome.items] == ["error"] * 3
    assert [[e.field for e in i.errors] for i in outcome.items] == [
        ["talk_s"], ["external_id"], ["started_at"]]
    assert not CallLog.objects.exists()


@pytest.mark.parametrize("size", [1, 2, 25])
def test_a_request_of_any_size_inserts_each_new_call_once_and_finds_the_rest(pbx, anna, size):
    """A webhook's call or two and an API batch take different statements: both key calls
    by (source, external id)."""
    ids = [f"c{n}" for n in range(size)]
    first = ingest(pbx, *[event(call_id, talk=n) for n, call_id in enumerate(ids)])
    again = ingest(pbx, *[event(call_id, talk=n) for n, call_id in enumerate(ids)],
                   event("new", talk=1))
    assert [item.result for item in first.items] == ["created"] * size
    assert [item.result for item in again.items] == ["present"] * size + ["created"]
    assert dict(CallLog.objects.values_list("external_id", "talk_s")) == {
        **{call_id: n for n, call_id in enumerate(ids)}, "new": 1}
