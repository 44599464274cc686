"""A vendor's prepaid balance for work paid by time (issue 19).

Top-ups add money; the work the vendor's statement prices by time (per minute, per hour,
differentiated minutes) is written off as it is imported: each computation of a month's draft
writes off the difference between the month's work now and what was written off for it so
far, so the balance always equals top-ups less the work done. The balance may go below zero —
work was done — but never silently: the page says so in red and the vendor's contact (or the
owners) get a mail when it falls below the threshold, once until the next top-up.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from payouts.models import ComponentKind
from salesops.formatting import format_money
from salesops.inputs import audit_record
from salesops.models import Manager, Role
from salesops.periods import month_start, next_month, organisation_zone

from .models import BalanceEntry, Vendor

ZERO = Decimal("0.00")
# The components that price time: what a prepaid balance pays for.
TIME_COMPONENTS = {ComponentKind.PER_MINUTE, ComponentKind.PER_HOUR,
                   ComponentKind.DIFFERENTIATED_MINUTES}


class BalanceError(Exception):
    pass


@dataclass(frozen=True)
class BalanceState:
    balance: Decimal
    threshold: Decimal | None
    below_threshold: bool
    negative: bool
    daily_spend: Decimal
    # The day the balance runs out at the current pace (None: nothing spent lately).
    runs_out_on: datetime.date | None


def vendor_balance(vendor: Vendor) -> Decimal:
    return vendor.balance.aggregate(total=Sum("amount"))["total"] or ZERO


@transaction.atomic
def vendor_balance_top_up(*, vendor: Vendor, amount: Decimal, by, note: str = "") -> BalanceEntry:
    if amount <= 0:
        raise BalanceError(_("A top-up is a positive amount."))
    Vendor.objects.select_for_update().get(pk=vendor.pk)
    entry = BalanceEntry.objects.create(vendor=vendor, kind=BalanceEntry.Kind.TOP_UP,
                                        amount=amount, at=timezone.now(), by=by, note=note)
    audit_record(action="vendor_top_up", obj=entry, by=by, before={},
                 after={"vendor": vendor.code, "amount": amount})
    if vendor_balance(vendor) >= (vendor.low_balance_threshold or ZERO):
        Vendor.objects.filter(pk=vendor.pk).update(low_balance_warned=False)
        vendor.low_balance_warned = False
    return entry


def work_cost(lines) -> Decimal:
    """What the month's lines charge for time."""
    return sum((line.amount for line in lines
                if line.kind in TIME_COMPONENTS and not line.held), ZERO)


@transaction.atomic
def vendor_balance_write_off(*, vendor: Vendor, month: datetime.date, lines) -> Decimal:
    """Write off the month's time work not written off yet; returns what was written off now
    (negative when a correction gives money back)."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    done = vendor.balance.filter(kind=BalanceEntry.Kind.WRITE_OFF, month=month).aggregate(
        total=Sum("amount"))["total"] or ZERO
    delta = -work_cost(lines) - done
    if delta:
        BalanceEntry.objects.create(
            vendor=vendor, kind=BalanceEntry.Kind.WRITE_OFF, amount=delta, month=month,
            at=timezone.now())
    _warn_if_low(vendor)
    return delta


def _warn_if_low(vendor: Vendor) -> None:
    balance = vendor_balance(vendor)
    threshold = vendor.low_balance_threshold
    low = balance < 0 or (threshold is not None and balance < threshold)
    if not low or vendor.low_balance_warned:
        return
    recipients = [vendor.notify_email] if vendor.notify_email else list(
        Manager.objects.filter(role=Role.OWNER).exclude(user__email="")
        .values_list("user__email", flat=True))
    subject = (_("%(vendor)s: the prepaid balance is negative")
               if balance < 0 else _("%(vendor)s: the prepaid balance is low")) % {
        "vendor": vendor.name}
    body = _("The balance of %(vendor)s is %(balance)s (warning below %(threshold)s). "
             "Top it up to keep the work paid.") % {
        "vendor": vendor.name, "balance": format_money(balance),
        "threshold": format_money(threshold or ZERO)}
    if recipients:
        transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL,
                                                recipients))
    Vendor.objects.filter(pk=vendor.pk).update(low_balance_warned=True)
    vendor.low_balance_warned = True


def balance_state(vendor: Vendor, *, today: datetime.date | None = None) -> BalanceState:
    """The balance, and when it runs out at the pace of the current month's work (or the last
    month's, early in a month)."""
    today = today or timezone.now().astimezone(organisation_zone()).date()
    balance = vendor_balance(vendor)
    month = month_start(today)
    spent = -(vendor.balance.filter(kind=BalanceEntry.Kind.WRITE_OFF, month=month)
              .aggregate(total=Sum("amount"))["total"] or ZERO)
    days = (today - month).days + 1
    if spent <= 0:
        previous = month_start(month - datetime.timedelta(days=1))
        spent = -(vendor.balance.filter(kind=BalanceEntry.Kind.WRITE_OFF, month=previous)
                  .aggregate(total=Sum("amount"))["total"] or ZERO)
        days = (next_month(previous) - previous).days
    daily = (spent / days).quantize(Decimal("0.01")) if spent > 0 else ZERO
    runs_out = None
    if daily > 0 and balance > 0:
        runs_out = today + datetime.timedelta(days=int(max(balance, ZERO) / daily))
    threshold = vendor.low_balance_threshold
    return BalanceState(
        balance=balance, threshold=threshold,
        below_threshold=threshold is not None and balance < threshold,
        negative=balance < 0, daily_spend=daily, runs_out_on=runs_out)
