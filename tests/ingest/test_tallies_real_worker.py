"""The real path of the tallies: calls posted in a burst, one run of ``ingest_tallies_apply``
queued after the delay and taken by a real worker on PostgreSQL, which brings the day batch's
counters and the dashboard's day up to the calls."""

import time

import pytest
from django.core.cache import cache

from salesops.ingest import tallies, tasks
from salesops.ingest.models import IngestTally
from salesops.models import DailyManagerStats, ImportBatch
from tests.ingest.test_one_path import event, ingest
from tests.realservices import celery_worker

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def frozen_clock():
    """The real clock here: a task queued with a countdown runs at a time the worker reads."""
    yield


def test_a_burst_of_posted_calls_is_counted_by_one_run_on_a_real_worker(
        make_integration, anna, settings, monkeypatch):
    settings.INGEST_TALLY_DELAY_S = 1
    pbx, _token = make_integration("api", source="office-pbx")
    with celery_worker() as (process, queue):
        sent = []
        real_apply_async = tasks.ingest_tallies_apply.apply_async

        def to_the_workers_queue(**options):
            sent.append(options)
            return real_apply_async(queue=queue, **options)

        monkeypatch.setattr(tasks.ingest_tallies_apply, "apply_async", to_the_workers_queue)
        cache.delete(tallies.QUEUED_KEY)
        outcomes = [ingest(pbx, event(f"c{n}", talk=10 * n)) for n in range(1, 4)]
        deadline = time.monotonic() + 90
        while IngestTally.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert process.poll() is None, "worker died"
    assert sent == [{"countdown": 1}]
    assert not IngestTally.objects.exists()
    batch = ImportBatch.objects.get(pk=outcomes[0].batch_id)
    assert (batch.rows_read, batch.created_count) == (3, 3)
    stats = DailyManagerStats.objects.get(manager=anna)
    assert (stats.calls, stats.talk_s) == (3, 60)
