"""Celery adapters for the sales floor. Business logic lives in services and selectors."""

from celery import shared_task

from .models import CallLog, Manager


@shared_task(name="salesops.health_check")
def health_check() -> dict:
    """Proves a worker is alive and reaches the database (``manage.py services_status``)."""
    return {"database": "ok", "managers": Manager.objects.count(), "calls": CallLog.objects.count()}
