"""Thin tasks: keep prepaid vendors' write-offs up with the imported work."""

import logging

from celery import shared_task
from django.conf import settings

from salesops.periods import current_month
from salesops.queueing import queue_once_per_delay

log = logging.getLogger(__name__)


SYNC_KEY = "vendors:balances-sync-queued"


def vendor_balances_sync_soon() -> None:
    """After a change to the open month commits. Each webhook's call is such a change: a burst
    of them becomes one recomputation, not one per call."""
    queue_once_per_delay(vendor_balances_sync, key=SYNC_KEY,
                         delay_s=getattr(settings, "VENDOR_BALANCES_SYNC_DELAY_S", 30))


@shared_task(name="vendors.balances_sync")
def vendor_balances_sync() -> list[str]:
    """Recompute every draft month of each prepaid vendor and the open month (each writes off
    the work not written off yet): a late call of a month still in draft is written off too."""
    from .models import Vendor, VendorStatement
    from .statements import VendorStatementError, vendor_statement_compute

    month = current_month()
    synced = []
    for vendor in Vendor.objects.filter(prepaid=True):
        drafts = set(vendor.statements.filter(status=VendorStatement.Status.DRAFT)
                     .values_list("month", flat=True))
        if not vendor.statements.filter(month=month).exclude(
                status=VendorStatement.Status.DRAFT).exists():
            drafts.add(month)
        for draft in sorted(drafts):
            try:
                vendor_statement_compute(vendor=vendor, month=draft)
            except VendorStatementError as error:
                log.warning("vendors: %s %s not written off: %s", vendor.code, draft, error)
                continue
            synced.append(f"{vendor.code}:{draft:%Y-%m}")
    return synced
