"""Progress for the uploader (issue 12): in the embedded mode (no broker, Celery eager) the
upload returns at once and the import runs on the import thread, outside the request."""

import threading

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from salesops.imports import background, recognition, tasks
from salesops.models import CallLog, ImportBatch

from .conftest import fixture
from .factories import ManagerFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_client(client):
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


def test_the_upload_returns_before_the_import_ends(admin_client, settings, monkeypatch):
    settings.IMPORT_RUN_IN_THREAD = True
    ManagerFactory(telephony_login="client:anna")
    release, running = threading.Event(), threading.Event()
    real_run = recognition.import_batch_run

    def held_run(**kwargs):
        running.set()
        assert release.wait(timeout=30), "the test never released the import"
        return real_run(**kwargs)

    # The worker's first look at the file (recognition) hands it to the run: held here.
    monkeypatch.setattr(recognition, "import_batch_run", held_run)
    with fixture("twilio_calls.csv").open("rb") as handle:
        response = admin_client.post(reverse("imports:upload"), {"file": handle})

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:batch", args=[batch.pk])
    assert running.wait(timeout=10)
    progress = admin_client.get(reverse("imports:progress", args=[batch.pk])).json()
    assert (progress["status"], progress["finished"], CallLog.objects.count()) == (
        "pending", False, 0)

    release.set()
    background._pool().submit(lambda: None).result(timeout=30)  # the thread runs in order
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("done", 4)


def test_with_a_broker_the_upload_queues_the_task_instead(admin_client, settings, monkeypatch):
    settings.IMPORT_RUN_IN_THREAD = True
    queued = []
    # The suite's autouse fixture makes tasks eager and puts the setting back afterwards.
    tasks.import_batch_run_task.app.conf.task_always_eager = False
    # No layout chosen: the worker first recognises the file (then runs it).
    monkeypatch.setattr(tasks.import_batch_recognise_task, "delay", queued.append)
    with fixture("twilio_calls.csv").open("rb") as handle:
        admin_client.post(reverse("imports:upload"), {"file": handle})
    assert queued == [ImportBatch.objects.get().pk]
