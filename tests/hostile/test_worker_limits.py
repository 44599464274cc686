"""A file that kills its worker uses an attempt each time (counted before the work starts, so
a process that dies used one), and once ``IMPORT_MAX_ATTEMPTS`` are used the batch is failed
instead of being redelivered for ever. No page parses a file to show itself: the worker reads
it and keeps its first rows on the batch."""

import pytest
from django.test import TestCase
from django.urls import reverse

from salesops.imports import reader, services, xlsx
from salesops.imports.services import import_batch_create, import_batch_run
from salesops.models import CallLog, ImportBatch
from tests.factories import ManagerFactory
from tests.fixtures import hostile
from tests.imports.workbooks import english_calls

pytestmark = pytest.mark.django_db
FAILED, RUNNING, DONE = (ImportBatch.Status.FAILED, ImportBatch.Status.RUNNING,
                         ImportBatch.Status.DONE)


class WorkerDied(BaseException):
    """What a killed process looks like from inside: nothing after it runs."""


@pytest.fixture
def batch(tmp_path):
    ManagerFactory(extension=hostile.EXTENSION)
    path = tmp_path / "calls.csv"
    path.write_text(hostile.csv_text(hostile.good_rows(6)))
    with path.open("rb") as handle:
        return import_batch_create(file=handle, file_name="calls.csv")


def test_an_attempt_is_counted_before_the_work_starts_so_a_dying_process_used_one(
        batch, monkeypatch):
    def die(*args, **kwargs):
        raise WorkerDied

    monkeypatch.setattr(services, "_run_locked", die)
    for attempt in (1, 2, 3):
        with pytest.raises(WorkerDied):
            import_batch_run(batch_id=batch.pk)
        batch.refresh_from_db()
        assert (batch.status, batch.attempts) == (RUNNING, attempt)


def test_a_batch_that_used_every_attempt_is_failed_not_run_again(batch, monkeypatch, settings):
    settings.IMPORT_MAX_ATTEMPTS = 3
    ImportBatch.objects.filter(pk=batch.pk).update(status=RUNNING, attempts=3)

    def refuse(*args, **kwargs):
        raise AssertionError("the file was opened again")

    monkeypatch.setattr(services, "open_table", refuse)
    done = import_batch_run(batch_id=batch.pk)
    assert (done.status, done.attempts, done.created_count) == (FAILED, 3, 0)
    assert done.message.startswith("The import was started 3 times and its worker stopped")
    assert CallLog.objects.count() == 0


def test_a_batch_with_attempts_left_runs_to_the_end(batch, settings):
    settings.IMPORT_MAX_ATTEMPTS = 3
    ImportBatch.objects.filter(pk=batch.pk).update(status=RUNNING, attempts=2)
    done = import_batch_run(batch_id=batch.pk)
    assert (done.status, done.attempts, done.created_count) == (DONE, 3, 6)


@pytest.fixture
def admin_client(client, admin_user):
    admin_user.user.is_superuser = True
    admin_user.user.save()
    client.force_login(admin_user.user)
    return client


def test_no_page_of_an_import_parses_its_file(admin_client, tmp_path, monkeypatch):
    path = english_calls(tmp_path / "calls.xlsx", queue=True)
    # The upload only stores the file and queues the worker's look at it.
    with (open(path, "rb") as handle, TestCase.captureOnCommitCallbacks() as queued,
          monkeypatch.context() as patched):
        for module, name in ((reader, "open_table"), (xlsx, "inspect")):
            patched.setattr(module, name, _refuse)
        response = admin_client.post(reverse("imports:upload"), {"file": handle})
    batch = ImportBatch.objects.get()
    assert response.url == reverse("imports:batch", args=[batch.pk])
    for callback in queued:
        callback()  # the worker: reads the first rows, holds the batch for its mapping
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.MAPPING
    assert batch.sample[0][:3] == ["Call ID", "Agent e-mail", "Started"]
    monkeypatch.setattr(reader, "open_table", _refuse)
    monkeypatch.setattr(xlsx, "inspect", _refuse)
    monkeypatch.setattr(xlsx, "open_rows", _refuse)
    assert admin_client.get(response.url).url == reverse("imports:columns", args=[batch.pk])
    columns = admin_client.get(reverse("imports:columns", args=[batch.pk]))
    assert columns.status_code == 200
    assert columns.context["unmatched"] == ["H · Queue"]
    assert admin_client.get(reverse("imports:progress", args=[batch.pk])).status_code == 200


def _refuse(*args, **kwargs):
    raise AssertionError("a file was parsed inside a web request")


def test_the_batch_page_of_a_preset_batch_lists_columns_left_out_without_the_file(
        admin_client, tmp_path, monkeypatch):
    ManagerFactory(telephony_login="client:anna")
    from tests.imports.conftest import fixture

    with fixture("twilio_calls.csv").open("rb") as handle:
        batch = import_batch_create(file=handle, file_name="twilio.csv", preset="twilio")
    import_batch_run(batch_id=batch.pk)
    monkeypatch.setattr(reader, "open_table", _refuse)
    monkeypatch.setattr(xlsx, "inspect", _refuse)
    page = admin_client.get(reverse("imports:batch", args=[batch.pk]))
    assert page.status_code == 200
    assert page.context["unmatched"] == ["I · AccountSid"]
