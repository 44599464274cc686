"""Small helpers shared by the payout tests: compute a month in process and read it back."""

import datetime
from decimal import Decimal

from payouts.models import PayoutLine, PayoutRun
from payouts.tasks import compute_payout_run
from salesops.periods import organisation_zone

NOVEMBER = datetime.date(2026, 11, 1)
DECEMBER = datetime.date(2026, 12, 1)


def moscow(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=organisation_zone())


def compute(month: datetime.date, team, *, requested_by=None) -> PayoutRun:
    compute_payout_run.apply(kwargs={
        "month": f"{month:%Y-%m}", "team_id": team.pk,
        "requested_by_id": requested_by.pk if requested_by else None, "synchronous": True,
    })
    return PayoutRun.objects.get(month=month, team=team)


def amounts(run: PayoutRun, manager=None) -> dict[tuple[str, str], Decimal]:
    lines = PayoutLine.objects.filter(run=run)
    if manager is not None:
        lines = lines.filter(manager=manager)
    return {(line.kind, line.key): line.amount for line in lines}


def total(run: PayoutRun, manager=None) -> Decimal:
    return sum(amounts(run, manager).values(), Decimal("0.00"))


def snapshot(run: PayoutRun) -> list[tuple]:
    return sorted(
        PayoutLine.objects.filter(run=run).values_list(
            "manager_id", "kind", "key", "quantity", "rate", "amount"
        )
    )
