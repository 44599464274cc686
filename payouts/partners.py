"""Partner commission and monthly statements (SPEC §5, §6.6; §8 example 7).

A partner earns ``percent`` of every payment on the leads they referred — one-time payments,
and recurring ones for ``recurring_months`` from the lead's first recurring period (or for
life). A commission becomes payable ``hold_days`` after the payment: it appears on the
statement of the month it becomes payable in. A refund received before that day reduces it (a
full refund cancels it: never paid); a refund received later is clawed back on the statement
of the month it arrives. The minimum payout carries a small balance over to the next month.

Each payment earns its commission once and each refund claws back once, kept by a unique key on
the statement lines (SPEC §6.4): a statement picks up every item due by its month's end that no
other statement has taken, so late data lands on the next statement computed.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from leads.models import DUPLICATE_UNPAID, Partner, Payment, PaymentKind
from salesops.money import round_money
from salesops.periods import month_start, next_month

from .models import (
    CommissionException,
    ExceptionKind,
    ExceptionStatus,
    PartnerLineKind,
    PartnerStatement,
    PartnerStatementLine,
)

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def add_months(day: datetime.date, months: int) -> datetime.date:
    for _ in range(months):
        day = next_month(day)
    return day


def _credited_lead_ids(partner: Partner) -> set[int]:
    """Leads whose payments credit ``partner``: referred by them and not a duplicate waiting for
    or denied credit (SPEC §6.3), plus duplicates an approved exception credits to them."""
    own = set(
        partner.leads.exclude(duplicate_state__in=DUPLICATE_UNPAID).values_list("pk", flat=True)
    )
    exceptions = CommissionException.objects.filter(
        kind=ExceptionKind.PARTNER_CREDIT, status=ExceptionStatus.APPROVED
    ).filter(Q(partner=partner) | Q(partner__isnull=True, lead__partner=partner))
    return own | set(exceptions.values_list("lead_id", flat=True))


def _recurring_ends(lead_ids: set[int], months: int | None) -> dict[int, datetime.date]:
    """The first period start no longer earning commission, per lead (SPEC §5 "N months")."""
    if months is None:
        return {}
    firsts = (
        Payment.objects.filter(lead_id__in=lead_ids, kind=PaymentKind.RECURRING,
                               refund_of__isnull=True)
        .values("lead_id").annotate(first=Min("period_start")).order_by()
    )
    return {row["lead_id"]: add_months(month_start(row["first"]), months) for row in firsts}


def partner_statement_lines(*, partner: Partner, month: datetime.date) -> list[dict]:
    """Every commission and clawback due on or before ``month``'s end not yet on a statement
    other than this month's own."""
    end = next_month(month)
    lead_ids = _credited_lead_ids(partner)
    ends = _recurring_ends(lead_ids, partner.recurring_months)
    taken = PartnerStatementLine.objects.exclude(statement__partner=partner,
                                                 statement__month=month)
    taken_commissions = set(taken.filter(kind=PartnerLineKind.COMMISSION)
                            .values_list("payment_id", flat=True))
    taken_clawbacks = set(taken.filter(kind=PartnerLineKind.CLAWBACK)
                          .values_list("payment_id", flat=True))
    hold = datetime.timedelta(days=partner.hold_days)
    percent = partner.default_percent
    lines = []
    payments = (
        Payment.objects.filter(lead_id__in=lead_ids, refund_of__isnull=True)
        .prefetch_related("refunds").order_by("received_on", "pk")
    )
    for payment in payments:
        if payment.kind == PaymentKind.RECURRING and payment.lead_id in ends \
                and payment.period_start >= ends[payment.lead_id]:
            continue
        payable_on = payment.received_on + hold
        inside = [r for r in payment.refunds.all() if r.received_on < payable_on]
        after = [r for r in payment.refunds.all() if r.received_on >= payable_on]
        base = payment.amount + sum((r.amount for r in inside), ZERO)
        if base <= 0:
            continue  # refunded inside the hold: never paid (SPEC §5)
        if payable_on < end and payment.pk not in taken_commissions:
            lines.append({
                "kind": PartnerLineKind.COMMISSION, "payment": payment, "base": base,
                "payable_on": payable_on,
                "explanation": {"received_on": payment.received_on, "amount": payment.amount,
                                "refunded_inside_hold": [r.pk for r in inside],
                                "hold_days": partner.hold_days},
            })
        for refund in after:
            if refund.received_on < end and refund.pk not in taken_clawbacks:
                lines.append({
                    "kind": PartnerLineKind.CLAWBACK, "payment": refund, "base": refund.amount,
                    "payable_on": refund.received_on,
                    "explanation": {"rule": "SPEC §5 refund after payout is clawed back",
                                    "refund_of": payment.pk},
                })
    for line in lines:
        line["percent"] = percent
        line["amount"] = round_money(line["base"] * percent / HUNDRED)
    return lines


@transaction.atomic
def partner_statement_compute(*, partner: Partner, month: datetime.date) -> PartnerStatement:
    """Compute (or compute again) ``partner``'s statement for ``month``; safe to repeat."""
    month = month_start(month)
    # The partner row lock makes concurrent computations of one partner take turns, so an item
    # is never put on two statements (the unique key would refuse the second anyway).
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    statement, _ = PartnerStatement.objects.get_or_create(
        partner=partner, month=month, defaults={"computed_at": timezone.now()}
    )
    statement.lines.all().delete()
    drafts = partner_statement_lines(partner=partner, month=month)
    PartnerStatementLine.objects.bulk_create([
        PartnerStatementLine(statement=statement, **draft) for draft in drafts
    ])
    previous = (
        PartnerStatement.objects.filter(partner=partner, month__lt=month).order_by("-month")
        .first()
    )
    statement.carried_in = previous.carried_out if previous else ZERO
    statement.earned = sum((d["amount"] for d in drafts), ZERO)
    balance = statement.carried_in + statement.earned
    # SPEC §5 minimum payout: a balance below it (or negative, after a clawback) carries over.
    if balance > 0 and balance >= partner.minimum_payout:
        statement.payable, statement.carried_out = balance, ZERO
    else:
        statement.payable, statement.carried_out = ZERO, balance
    statement.computed_at = timezone.now()
    statement.save(update_fields=["carried_in", "earned", "payable", "carried_out",
                                  "computed_at"])
    return statement


def partner_statements_compute(*, month: datetime.date) -> list[PartnerStatement]:
    """Every active partner's statement for ``month``, one transaction per partner."""
    return [
        partner_statement_compute(partner=partner, month=month)
        for partner in Partner.objects.filter(is_active=True).order_by("pk")
    ]
