"""The upload page, its progress JSON and the downloadable error report."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from salesops.models import CallLog, ImportBatch

from .conftest import sample
from .factories import ManagerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


def test_an_admin_uploads_a_file_and_gets_the_summary_and_error_report(
    admin_client, django_capture_on_commit_callbacks
):
    ManagerFactory(extension="test")
    with (sample("asterisk-testsuite_cdrlib_good.csv").open("rb") as handle,
          django_capture_on_commit_callbacks(execute=True)):
        response = admin_client.post(reverse("imports:upload"), {"file": handle, "preset": ""})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:batch", args=[batch.pk])
    progress = admin_client.get(reverse("imports:progress", args=[batch.pk])).json()
    assert {k: progress[k] for k in ("status", "rows", "created", "present", "errors",
                                     "percent", "finished")} == {
        "status": "done", "rows": 5, "created": 4, "present": 0, "errors": 1,
        "percent": 100.0, "finished": True,
    }
    page = admin_client.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert "talk (7 s) is longer than the call (5 s)" in page
    report = admin_client.get(reverse("imports:errors", args=[batch.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        ["file", "line", "column", "value", "reason"],
        ["asterisk-testsuite_cdrlib_good.csv", "2", "column 14 (talk)", "7",
         "talk (7 s) is longer than the call (5 s)"],
    ]


def test_an_unknown_time_zone_is_refused_before_anything_is_stored(admin_client):
    with sample("asterisk-testsuite_cdrlib_good.csv").open("rb") as handle:
        response = admin_client.post(reverse("imports:upload"),
                                     {"file": handle, "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Unknown time zone." in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_manager_cannot_open_the_import_page(client):
    manager = ManagerFactory()
    client.force_login(manager.user)
    assert client.get(reverse("imports:upload")).status_code == 403
    assert CallLog.objects.count() == 0
