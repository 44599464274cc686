"""Thin tasks: keep prepaid vendors' write-offs up with the imported work."""

import logging

from celery import current_app, shared_task

from salesops.periods import current_month

log = logging.getLogger(__name__)


def vendor_balances_sync_soon() -> None:
    """After a change to the open month commits: in process at once, else queued."""
    if current_app.conf.task_always_eager:
        vendor_balances_sync.apply()
    else:
        vendor_balances_sync.delay()


@shared_task(name="vendors.balances_sync")
def vendor_balances_sync() -> list[str]:
    """Recompute the open month's draft of every prepaid vendor (it writes off the work)."""
    from .models import Vendor, VendorStatement
    from .statements import VendorStatementError, vendor_statement_compute

    month = current_month()
    synced = []
    for vendor in Vendor.objects.filter(prepaid=True).exclude(
            statements__month=month, statements__status__in=[
                VendorStatement.Status.FINAL, VendorStatement.Status.PAID]):
        try:
            vendor_statement_compute(vendor=vendor, month=month)
        except VendorStatementError as error:
            log.warning("vendors: %s not written off: %s", vendor.code, error)
            continue
        synced.append(vendor.code)
    return synced
