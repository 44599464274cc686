"""What an upload may be (issue 8): not larger than SALESOPS_UPLOAD_MAX_MB, a CSV/TXT/TSV text
or an XLSX workbook by name and by content; refused uploads store nothing. Files of finished
batches are deleted after SALESOPS_UPLOAD_RETENTION_DAYS; the batches and reports stay."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from leads.resources import LeadResource
from salesops.imports.retention import import_files_delete_expired
from salesops.imports.upload_rules import CheckedImportForm, validate_upload
from salesops.models import ImportBatch, ImportRowError
from salesops.tasks import delete_expired_import_files

from .conftest import sample
from .factories import ManagerFactory

CSV = b"calldate,src,dst,billsec\n2026-11-02 10:00:00,101,+79161234567,30\n"


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["calldate", "src"])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


@pytest.mark.parametrize(("name", "content"), [
    ("calls.csv", CSV),
    ("calls.TXT", CSV),
    ("calls.tsv", CSV.replace(b",", b"\t")),
    ("calls.csv", "Дата;Менеджер\n02.11.2026;Иванова\n".encode("cp1251")),
    ("calls.csv", "\ufeffДата;Менеджер\n".encode()),
    ("calls.xlsx", None),
])
def test_csv_txt_tsv_text_and_xlsx_workbooks_are_accepted(name, content):
    validate_upload(SimpleUploadedFile(name, content if content is not None else _xlsx()))


@pytest.mark.parametrize(("name", "content", "code"), [
    ("calls.exe", CSV, "file_type"),
    ("calls", CSV, "file_type"),
    ("calls.xls", CSV, "file_type"),
    ("calls.csv", b"MZ\x90\x00\x03\x00\x00\x00", "not_text"),
    ("calls.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_text"),
    ("calls.csv", None, "not_text"),  # a workbook renamed .csv
    ("calls.xlsx", CSV, "not_xlsx"),
    ("calls.csv", b"", "empty"),
])
def test_other_types_and_disguised_files_are_refused(name, content, code):
    with pytest.raises(ValidationError) as refused:
        validate_upload(SimpleUploadedFile(name, content if content is not None else _xlsx()))
    assert refused.value.code == code


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.SALESOPS_UPLOAD_MAX_MB = 1
    validate_upload(SimpleUploadedFile("calls.csv", CSV + b"x" * (1024 * 1024 - len(CSV))))
    with pytest.raises(ValidationError) as refused:
        validate_upload(SimpleUploadedFile("calls.csv", CSV + b"x" * (1024 * 1024)))
    assert refused.value.code == "too_large"
    assert refused.value.messages == [
        "The file is 1.0\xa0MB; the largest file accepted is 1.0\xa0MB."
    ]


@pytest.fixture
def admin_client(client, db):
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


@pytest.mark.django_db
def test_the_upload_page_refuses_a_large_file_and_stores_nothing(admin_client, settings):
    settings.SALESOPS_UPLOAD_MAX_MB = 1
    big = SimpleUploadedFile("calls.csv", CSV * (1024 * 1024 // len(CSV) + 1))
    response = admin_client.post(reverse("imports:upload"), {"file": big})
    assert response.status_code == 200
    assert "the largest file accepted is 1.0" in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_the_upload_page_refuses_a_program_named_csv_and_stores_nothing(admin_client):
    fake = SimpleUploadedFile("calls.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00")
    response = admin_client.post(reverse("imports:upload"), {"file": fake})
    assert response.status_code == 200
    assert "The file is named .csv but is not a text file." in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_the_upload_page_still_takes_a_real_export(
    admin_client, django_capture_on_commit_callbacks
):
    ManagerFactory(extension="test")
    with (sample("asterisk-testsuite_cdrlib_good.csv").open("rb") as handle,
          django_capture_on_commit_callbacks(execute=True)):
        response = admin_client.post(reverse("imports:upload"), {"file": handle})
    assert response.status_code == 302
    assert ImportBatch.objects.get().created_count == 4


def test_the_admin_import_form_applies_the_same_rules(settings):
    from import_export.formats.base_formats import CSV as CSVFormat

    settings.SALESOPS_UPLOAD_MAX_MB = 1

    def form(upload):
        return CheckedImportForm(
            formats=[CSVFormat], resources=[LeadResource], data={"format": "0"},
            files={"import_file": upload},
        )

    assert form(SimpleUploadedFile("calls.csv", CSV)).is_valid()
    refused = form(SimpleUploadedFile("calls.csv", b"MZ\x90\x00\x03"))
    assert not refused.is_valid()
    assert refused.errors["import_file"] == ["The file is named .csv but is not a text file."]


def test_every_admin_import_screen_uses_the_checked_form(rf):
    from django.contrib import admin

    importers = [a for a in admin.site._registry.values() if hasattr(a, "get_import_form_class")]
    assert importers
    for model_admin in importers:
        assert issubclass(model_admin.get_import_form_class(rf.get("/")), CheckedImportForm)


# --- retention -------------------------------------------------------------------------------

NOW = datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.UTC)


def _batch(status, *, finished_days_ago, name="calls.csv"):
    batch = ImportBatch.objects.create(
        source="asterisk", file_name=name, status=status,
        finished_at=NOW - datetime.timedelta(days=finished_days_ago)
        if finished_days_ago is not None else None,
    )
    batch.file.save(name, ContentFile(CSV))
    ImportRowError.objects.create(batch=batch, line=2, value="x", reason="unknown manager")
    return batch


@pytest.mark.django_db
def test_files_of_batches_finished_before_the_retention_are_deleted_batches_stay(
    settings, django_capture_on_commit_callbacks
):
    settings.SALESOPS_UPLOAD_RETENTION_DAYS = 30
    old_done = _batch(ImportBatch.Status.DONE, finished_days_ago=31)
    old_failed = _batch(ImportBatch.Status.FAILED, finished_days_ago=40)
    paths = [Path(old_done.file.path), Path(old_failed.file.path)]
    assert all(path.exists() for path in paths)

    with django_capture_on_commit_callbacks(execute=True):
        deleted = import_files_delete_expired(now=NOW)

    assert (deleted.batches, deleted.bytes) == (2, 2 * len(CSV))
    old_done.refresh_from_db()
    old_failed.refresh_from_db()
    assert (old_done.file.name, old_failed.file.name) == ("", "")
    assert not any(path.exists() for path in paths)
    # What was imported, and why rows were not, is still there.
    assert old_done.file_name == "calls.csv" and old_done.row_errors.count() == 1


@pytest.mark.django_db
def test_recent_and_unfinished_batches_keep_their_files(settings):
    settings.SALESOPS_UPLOAD_RETENTION_DAYS = 30
    recent = _batch(ImportBatch.Status.DONE, finished_days_ago=29)
    running = _batch(ImportBatch.Status.RUNNING, finished_days_ago=None)
    ImportBatch.objects.filter(pk=running.pk).update(
        created_at=NOW - datetime.timedelta(days=90))

    assert import_files_delete_expired(now=NOW).batches == 0

    for batch in (recent, running):
        batch.refresh_from_db()
        assert batch.file.name and batch.file.storage.exists(batch.file.name)


@pytest.mark.django_db
def test_the_retention_comes_from_the_setting_and_a_second_run_finds_nothing(settings):
    settings.SALESOPS_UPLOAD_RETENTION_DAYS = 7
    batch = _batch(ImportBatch.Status.ROLLED_BACK, finished_days_ago=8)
    assert import_files_delete_expired(now=NOW).batches == 1
    assert import_files_delete_expired(now=NOW).batches == 0
    batch.refresh_from_db()
    assert batch.file.name == ""


@pytest.mark.django_db
def test_the_nightly_task_deletes_expired_files(settings, django_capture_on_commit_callbacks):
    settings.SALESOPS_UPLOAD_RETENTION_DAYS = 30
    batch = _batch(ImportBatch.Status.DONE, finished_days_ago=0)
    path = Path(batch.file.path)
    ImportBatch.objects.filter(pk=batch.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_expired_import_files.delay().get() == 1
    batch.refresh_from_db()
    assert batch.file.name == ""
    assert not path.exists()


def test_the_task_is_on_the_beat_schedule(settings):
    from salesops.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["imports-delete-expired-files"]
    assert entry["task"] == "salesops.imports.delete_expired_files"
    assert entry["task"] in app.tasks
