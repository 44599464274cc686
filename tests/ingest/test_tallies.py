"""A day batch's counters and the dashboard's daily figures follow a burst of posted calls,
not each request: every request leaves a tally in its own transaction; applying the tallies
adds them to the batch once and recounts the days they touched from the calls."""

import datetime

import pytest
from django.conf import settings as django_settings

from salesops.ingest.models import IngestTally
from salesops.ingest.tallies import tallies_apply
from salesops.models import CallLog, DailyManagerStats, ImportBatch
from tests.ingest.test_one_path import event, ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def pbx(make_integration):
    integration, _token = make_integration("api", source="office-pbx")
    return integration


def test_each_request_that_writes_leaves_one_tally_and_a_repeated_delivery_none(pbx, anna):
    ingest(pbx, event("c1", talk=30), event("c2", talk=0, status="no answer"))
    ingest(pbx, event("c1", talk=30))
    tally = IngestTally.objects.get()
    assert (tally.rows, tally.created, tally.present, tally.updated, tally.conflicts,
            tally.errors) == (2, 2, 0, 0, 0, 0)
    assert tally.days == [[anna.pk, "2026-12-03"]]


def test_applying_the_tallies_adds_them_to_the_day_batch_once(pbx, anna):
    first = ingest(pbx, event("c1", talk=30), event("c2", manager="nobody"))
    ingest(pbx, event("c3", talk=10))
    assert tallies_apply() == 2
    assert tallies_apply() == 0
    batch = ImportBatch.objects.get(pk=first.batch_id)
    assert (batch.rows_read, batch.created_count, batch.present_count, batch.error_count) == (
        3, 2, 0, 1)
    assert not IngestTally.objects.exists()


def test_applying_the_tallies_recounts_the_dashboards_days_from_the_calls(pbx, anna):
    ingest(pbx, event("c1", talk=30), event("c2", talk=45))
    assert not DailyManagerStats.objects.exists()
    tallies_apply()
    stats = DailyManagerStats.objects.get(manager=anna)
    assert (stats.day, stats.calls, stats.talk_s) == (datetime.date(2026, 12, 3), 2, 75)


def test_a_call_removed_before_the_tallies_are_applied_is_not_counted(pbx, anna):
    """The days are recounted from the calls as they are then, never added up from tallies."""
    ingest(pbx, event("c1", talk=30), event("c2", talk=45))
    tallies_apply()
    ingest(pbx, event("c3", talk=5))
    CallLog.objects.filter(external_id="c1").delete()
    tallies_apply()
    assert DailyManagerStats.objects.values_list("calls", "talk_s").get() == (2, 50)


def test_a_burst_of_requests_queues_one_run_after_the_delay(
        pbx, anna, settings, queued_with_a_broker, django_capture_on_commit_callbacks):
    from salesops.ingest import tasks

    settings.INGEST_TALLY_DELAY_S = 5
    queued = queued_with_a_broker(tasks.ingest_tallies_apply)
    for call_id in ("c1", "c2", "c3"):
        with django_capture_on_commit_callbacks(execute=True):
            ingest(pbx, event(call_id))
    assert queued == [{"countdown": 5}]
    assert IngestTally.objects.count() == 3


def test_the_beat_sweeps_the_tallies_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["ingest-tallies"]
    assert (entry["task"], entry["schedule"]) == ("salesops.ingest.tallies_apply", 60.0)


def test_in_process_the_tallies_are_applied_when_the_request_commits(
        pbx, anna, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = ingest(pbx, event("c1", talk=30))
    assert ImportBatch.objects.get(pk=outcome.batch_id).created_count == 1
    assert DailyManagerStats.objects.get(manager=anna).calls == 1
    assert not IngestTally.objects.exists()
