"""Celery adapters for the sales floor. Business logic lives in services and selectors."""

from celery import shared_task

from .imports.admin_files import admin_files_delete_stale
from .imports.retention import import_files_delete_expired
from .models import CallLog, Manager


@shared_task(name="salesops.health_check")
def health_check() -> dict:
    """Proves a worker is alive and reaches the database (``manage.py services_status``)."""
    return {"database": "ok", "managers": Manager.objects.count(), "calls": CallLog.objects.count()}


@shared_task(name="salesops.imports.delete_expired_files")
def delete_expired_import_files() -> int:
    """Nightly (beat): the retention of uploaded call logs. Returns how many files went."""
    # With them, the admin's import previews that were never confirmed.
    admin_files_delete_stale()
    return import_files_delete_expired().batches
