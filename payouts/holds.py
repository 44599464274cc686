"""What keeps a run from being approved: pending decisions that hold money (SPEC §5, §7).

Approval requires every exception in the run to be decided. An exception is "in" the run when
its lead belongs to one of the run's members, or a held item of the run's lines names it.
A held item whose decision has been made since the computation also blocks: the run must be
computed again so that it pays what was decided, instead of locking a month that still shows
it held.
"""

from decimal import Decimal

from django.db.models import Q, Sum

from .models import (
    CommissionException,
    Decision,
    ExceptionKind,
    ExceptionStatus,
    PayoutLineItem,
    PayoutRun,
)


def pending_holds_for_run(*, run: PayoutRun) -> list:
    """Pending decisions affecting ``run``; approval is refused while this is not empty."""
    held_exceptions = PayoutLineItem.objects.filter(
        line__run=run, decision=Decision.HELD, exception__isnull=False
    ).values("exception_id")
    pending = list(
        CommissionException.objects.filter(status=ExceptionStatus.PENDING)
        .exclude(kind=ExceptionKind.PARTNER_CREDIT)
        .filter(Q(lead__owner__in=run.members.values("manager_id")) | Q(pk__in=held_exceptions))
        .order_by("pk")
    )
    decided_since = list(
        CommissionException.objects.filter(pk__in=held_exceptions)
        .exclude(status=ExceptionStatus.PENDING)
        .order_by("pk")
    )
    return pending + [f"{exception} was decided after the computation" for exception in
                      decided_since]


def held_by_exception(*, run: PayoutRun) -> dict[int, Decimal]:
    """Exception id → the amount its held items hold in ``run`` (SPEC §5): the exceptions that
    affect this run's lines, whatever the component. An exception on a lead this run does not
    pay holds nothing here."""
    return dict(
        PayoutLineItem.objects.filter(line__run=run, decision=Decision.HELD,
                                      exception__isnull=False)
        .values("exception").annotate(total=Sum("amount")).order_by("exception")
        .values_list("exception", "total")
    )
