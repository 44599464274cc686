"""Large work ends properly: the error report is a file that finishes, or says it was capped
and where every error is counted; a call log too large for the admin's preview goes to the
background import; another file that large is refused, saying so, with nothing stored."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from salesops.imports.services import import_batch_create
from salesops.models import CallLog, ImportBatch, ImportRowError, MonthlyPlan
from tests.factories import ManagerFactory
from tests.fixtures import hostile

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    admin_user.user.is_superuser = True
    admin_user.user.save()
    client.force_login(admin_user.user)
    return client


def _report(client, batch) -> list[list[str]]:
    response = client.get(reverse("imports:errors", args=[batch.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def failed_batch(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(hostile.csv_text(hostile.good_rows(1)))
    with path.open("rb") as handle:
        batch = import_batch_create(file=handle, file_name="calls.csv")
    ImportRowError.objects.bulk_create(
        ImportRowError(batch=batch, line=line, column="Номер", value=str(line), reason="bad")
        for line in range(2, 27))
    ImportBatch.objects.filter(pk=batch.pk).update(status="done", error_count=25)
    return batch


def test_an_error_report_over_its_cap_ends_saying_so_and_where_all_are_counted(
        admin_client, failed_batch, settings):
    settings.IMPORT_ERROR_REPORT_MAX_ROWS = 10
    rows = _report(admin_client, failed_batch)
    assert len(rows) == 1 + 10 + 1
    assert rows[10] == ["calls.csv", "11", "Номер", "11", "bad"]
    assert rows[-1] == ["calls.csv", "", "", "", (
        "The report stops here: it lists the first 10 of 25 errors. The import's page counts "
        "them all and groups unknown values; fix these and run the file again for the rest.")]


def test_an_error_report_under_its_cap_is_the_whole_file(admin_client, failed_batch, settings):
    settings.IMPORT_ERROR_REPORT_MAX_ROWS = 25
    rows = _report(admin_client, failed_batch)
    assert len(rows) == 26
    assert rows[-1] == ["calls.csv", "26", "Номер", "26", "bad"]


def _big_calls_csv(size_mb: int) -> bytes:
    rows = hostile.good_rows(size_mb * 1024 * 1024 // 60 + 1)
    return hostile.csv_text(rows).encode()


def test_a_call_log_too_large_for_the_admins_preview_runs_in_the_background(
        admin_client, settings):
    settings.SALESOPS_ADMIN_IMPORT_PREVIEW_MAX_MB = 1
    ManagerFactory(extension=hostile.EXTENSION)
    data = _big_calls_csv(2)
    upload = SimpleUploadedFile("calls.csv", data, "text/csv")
    with TestCase.captureOnCommitCallbacks() as queued:
        response = admin_client.post("/admin/salesops/calllog/import/",
                                     {"import_file": upload, "format": "0", "resource": "0"})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:batch", args=[batch.pk])
    assert CallLog.objects.count() == 0  # nothing was imported inside the request
    assert len(queued) == 1


def test_another_file_too_large_for_the_preview_is_refused_saying_so_with_nothing_stored(
        admin_client, settings):
    settings.SALESOPS_ADMIN_IMPORT_PREVIEW_MAX_MB = 1
    header = "manager,month,target_conversations,target_confirmed_leads,target_revenue\n"
    data = (header + "9999,2026-11-01,1200,20,1000000.00\n" * 40_000).encode()
    upload = SimpleUploadedFile("plans.csv", data, "text/csv")
    response = admin_client.post("/admin/salesops/monthlyplan/import/",
                                 {"import_file": upload, "format": "0", "resource": "0"})
    assert response.status_code == 200
    assert "this screen previews files up to 1.0" in response.content.decode()
    assert MonthlyPlan.objects.count() == 0
    assert ImportBatch.objects.count() == 0
