"""The real path: a Celery worker process on the configured broker, reading PostgreSQL."""

import pytest

from salesops.tasks import health_check
from tests.factories import CallFactory
from tests.realservices import celery_worker

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


def test_real_worker_runs_a_task_against_the_same_database():
    CallFactory.create_batch(3)
    with celery_worker() as (process, queue):
        result = health_check.apply_async(queue=queue).get(timeout=90)
        assert process.poll() is None, "worker died"
    assert result == {"database": "ok", "managers": 3, "calls": 3}
