"""Partner commission and monthly statements (SPEC §5, §6.5, §6.6; §8 example 7).

A partner earns ``percent`` of every payment on the leads they referred — one-time payments,
and recurring ones for ``recurring_months`` from the lead's first recurring period (or for
life). A commission becomes payable ``hold_days`` after the payment: it appears on the
statement of the month it becomes payable in. A refund received before that day reduces it (a
full refund cancels it: never paid); a refund received later is clawed back on the statement
of the month it arrives. The minimum payout carries a small balance over to the next month.

A statement is ``draft`` → ``final`` → ``paid``:

- The drafts of a partner are the months after its last final statement. They are computed
  together, in month order, so that each one's carried balance is the carried-over balance of
  the statement before it (``carried_from``), and each item lands on the first draft whose
  month has reached its due day.
- ``partner_statement_finalise`` locks a month once it has ended in the organisation's zone,
  the months before it being final already; the monthly job does it on the 1st.
- A final or paid statement is never computed again. Late data for its month lands on the
  next draft: a payment or a refund-after-payout due in a final month becomes a line of the
  next statement naming that month (``adjusts_month``); a change to a commission a final
  statement already paid (a refund inside the hold recorded late) becomes an ``adjustment``
  line of the difference. ``partner_statement_mark_paid`` (owner or admin) records the payout;
  a paid statement is immutable (on PostgreSQL the database refuses too, migration 0006).

Each payment earns its commission once and each refund claws back once, kept by a unique key on
the statement lines (SPEC §6.4).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.models import DUPLICATE_UNPAID, Partner, Payment, PaymentKind
from salesops.inputs import audit_record
from salesops.models import Role
from salesops.money import round_money
from salesops.periods import current_month, month_start, next_month
from salesops.selectors import manager_for_user

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
Status = PartnerStatement.Status
LOCKED = (Status.FINAL, Status.PAID)


def statement_changed_on_commit(statement) -> None:
    """The partner is mailed once a statement is final or paid (issue 20, leads.partners)."""
    from leads.partners.notifications import statement_changed_on_commit as mail

    mail(statement)


class PartnerStatementError(Exception):
    """A statement cannot do what was asked (locked, not due, not allowed)."""


class PartnerStatementLocked(PartnerStatementError):
    pass


@dataclass(frozen=True)
class StatementLineDraft:
    """One line to put on a statement, before it is saved."""

    kind: str
    payment_id: int
    base: Decimal
    percent: Decimal
    amount: Decimal
    payable_on: datetime.date
    adjusts_month: datetime.date | None = None
    explanation: dict = field(default_factory=dict)


def add_months(day: datetime.date, months: int) -> datetime.date:
    for _step in range(months):
        day = next_month(day)
    return day


def commission_of(base: Decimal, percent: Decimal) -> Decimal:
    """What ``base`` earns at ``percent`` (SPEC §3: rounded once, half up).

    >>> commission_of(Decimal("333.33"), Decimal("10"))
    Decimal('33.33')
    """
    return round_money(base * percent / HUNDRED)


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


@dataclass
class _Commission:
    """What one payment earns the partner as of now."""

    payment: Payment
    payable_on: datetime.date
    base: Decimal  # the payment less the refunds inside the hold; 0 when fully refunded
    inside: list[int]
    after: list[Payment]


def _commissions(partner: Partner) -> list[_Commission]:
    lead_ids = _credited_lead_ids(partner)
    ends = _recurring_ends(lead_ids, partner.recurring_months)
    hold = datetime.timedelta(days=partner.hold_days)
    found = []
    payments = (
        Payment.objects.filter(lead_id__in=lead_ids, refund_of__isnull=True)
        .prefetch_related("refunds").order_by("received_on", "pk")
    )
    for payment in payments:
        if payment.kind == PaymentKind.RECURRING and payment.lead_id in ends \
                and payment.period_start >= ends[payment.lead_id]:
            continue
        payable_on = payment.received_on + hold
        refunds = sorted(payment.refunds.all(), key=lambda r: (r.received_on, r.pk))
        inside = [r for r in refunds if r.received_on < payable_on]
        base = payment.amount + sum((r.amount for r in inside), ZERO)
        found.append(_Commission(
            payment=payment, payable_on=payable_on, base=max(base, ZERO),
            inside=[r.pk for r in inside],
            after=[r for r in refunds if r.received_on >= payable_on],
        ))
    return found


@dataclass
class _Ledger:
    """What statements other than the drafts being computed already hold, per payment."""

    commission_month: dict[int, datetime.date] = field(default_factory=dict)
    commission_percent: dict[int, Decimal] = field(default_factory=dict)
    # Commission plus adjustments: what the partner has been credited for a payment.
    credited: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    credited_base: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    clawed: set[int] = field(default_factory=set)
    locked_months: set[datetime.date] = field(default_factory=set)
    elsewhere: set[int] = field(default_factory=set)

    def add(self, *, kind, payment_id, base, percent, amount, month) -> None:
        if kind == PartnerLineKind.CLAWBACK:
            self.clawed.add(payment_id)
            return
        if kind == PartnerLineKind.COMMISSION:
            self.commission_month[payment_id] = month
            self.commission_percent[payment_id] = percent
        self.credited[payment_id] += amount
        self.credited_base[payment_id] += base


def _ledger(partner: Partner, drafts: list[PartnerStatement]) -> _Ledger:
    ledger = _Ledger(locked_months=set(
        partner.statements.filter(status__in=LOCKED).values_list("month", flat=True)
    ))
    lines = (
        PartnerStatementLine.objects.filter(statement__partner=partner)
        .exclude(statement__in=drafts)
        .values_list("kind", "payment_id", "base", "percent", "amount", "statement__month")
    )
    for kind, payment_id, base, percent, amount, month in lines.order_by("statement__month", "pk"):
        ledger.add(kind=kind, payment_id=payment_id, base=base, percent=percent, amount=amount,
                   month=month)
    # An item on another partner's statement is theirs (a duplicate credited by an exception,
    # SPEC §6.3): never earned twice, never adjusted here.
    elsewhere = PartnerStatementLine.objects.exclude(statement__partner=partner)
    ledger.elsewhere = set(elsewhere.values_list("payment_id", flat=True))
    return ledger


def _natural_adjusts(ledger: _Ledger, due: datetime.date) -> datetime.date | None:
    """The final month an item due on ``due`` belongs to, if it was closed without it."""
    month = month_start(due)
    return month if month in ledger.locked_months else None


def _month_lines(
    *, partner: Partner, month: datetime.date, commissions: list[_Commission], ledger: _Ledger,
    adjust: bool,
) -> list[StatementLineDraft]:
    """The lines of ``month``'s draft: what is due by its end and on no statement yet, and, on
    the first draft after the final months (``adjust``), the corrections of their commissions.
    """
    end = next_month(month)
    percent = partner.default_percent
    lines = []
    for c in commissions:
        payment = c.payment
        if payment.pk in ledger.elsewhere:
            continue
        if payment.pk in ledger.commission_month:
            if adjust:
                lines.extend(_adjustment(c, ledger))
        elif c.base > 0 and c.payable_on < end:
            lines.append(StatementLineDraft(
                kind=PartnerLineKind.COMMISSION, payment_id=payment.pk, base=c.base,
                percent=percent, amount=commission_of(c.base, percent),
                payable_on=c.payable_on, adjusts_month=_natural_adjusts(ledger, c.payable_on),
                explanation={"received_on": payment.received_on, "amount": payment.amount,
                             "refunded_inside_hold": c.inside, "hold_days": partner.hold_days},
            ))
        if c.base <= 0:
            continue  # refunded inside the hold: never paid, nothing to claw back (SPEC §5)
        rate = ledger.commission_percent.get(payment.pk, percent)
        for refund in c.after:
            if refund.received_on < end and refund.pk not in ledger.clawed \
                    and refund.pk not in ledger.elsewhere:
                lines.append(StatementLineDraft(
                    kind=PartnerLineKind.CLAWBACK, payment_id=refund.pk, base=refund.amount,
                    percent=rate, amount=round_money(refund.amount * rate / HUNDRED),
                    payable_on=refund.received_on,
                    adjusts_month=_natural_adjusts(ledger, refund.received_on),
                    explanation={"rule": "SPEC §5 refund after payout is clawed back",
                                 "refund_of": payment.pk},
                ))
    for line in lines:
        ledger.add(kind=line.kind, payment_id=line.payment_id, base=line.base,
                   percent=line.percent, amount=line.amount, month=month)
    return lines


def _adjustment(c: _Commission, ledger: _Ledger) -> list[StatementLineDraft]:
    """The difference between what a payment earns now and what statements credited for it,
    at the percent it was credited at (a later change of the partner's percent is not late
    data)."""
    pk = c.payment.pk
    rate = ledger.commission_percent[pk]
    now = round_money(c.base * rate / HUNDRED)
    difference = now - ledger.credited[pk]
    if not difference:
        return []
    corrected = ledger.commission_month[pk]
    return [StatementLineDraft(
        kind=PartnerLineKind.ADJUSTMENT, payment_id=pk, base=c.base - ledger.credited_base[pk],
        percent=rate, amount=difference, payable_on=c.payable_on, adjusts_month=corrected,
        explanation={"rule": "SPEC §6.5 a change to a final month lands on the next statement",
                     "adjusts_month": corrected, "was": ledger.credited[pk], "now": now,
                     "refunded_inside_hold": c.inside},
    )]


def _open_months(partner: Partner, month: datetime.date) -> tuple[
    PartnerStatement | None, list[datetime.date]
]:
    """The last locked statement, and the draft months to compute together: from the month
    after it (or the earliest draft, or ``month``) to ``month`` or the latest draft."""
    statements = partner.statements.all()
    last_locked = statements.filter(status__in=LOCKED).order_by("-month").first()
    drafts = list(statements.filter(status=Status.DRAFT).values_list("month", flat=True))
    first = next_month(last_locked.month) if last_locked else min([month, *drafts])
    last = max([month, *drafts])
    months = []
    while first <= last:
        months.append(first)
        first = next_month(first)
    return last_locked, months


def _compute_drafts(
    partner: Partner, month: datetime.date
) -> dict[datetime.date, PartnerStatement]:
    """Compute every draft of ``partner`` together, ``month``'s included (the caller holds the
    partner's row lock)."""
    last_locked, months = _open_months(partner, month)
    now = timezone.now()
    statements = {}
    for m in months:
        statement, _created = PartnerStatement.objects.get_or_create(
            partner=partner, month=m, defaults={"computed_at": now}
        )
        statements[m] = statement
    drafts = list(statements.values())
    PartnerStatementLine.objects.filter(statement__in=drafts).delete()
    # Unlinked first: relinking one by one could meet a link (one-to-one) still held by a
    # statement further on, e.g. after a month was filled in between.
    PartnerStatement.objects.filter(pk__in=[s.pk for s in drafts]).update(
        carried_from=None, carried_in=ZERO
    )
    ledger = _ledger(partner, drafts)
    commissions = _commissions(partner)
    previous = last_locked
    for index, m in enumerate(months):
        statement = statements[m]
        lines = _month_lines(partner=partner, month=m, commissions=commissions, ledger=ledger,
                             adjust=index == 0)
        PartnerStatementLine.objects.bulk_create([
            PartnerStatementLine(
                statement=statement, kind=line.kind, payment_id=line.payment_id,
                base=line.base, percent=line.percent, amount=line.amount,
                payable_on=line.payable_on, adjusts_month=line.adjusts_month,
                explanation=line.explanation,
            )
            for line in lines
        ])
        # The carried balance chains: it is the carried-over balance of the statement before.
        statement.carried_from = previous
        statement.carried_in = previous.carried_out if previous else ZERO
        statement.earned = sum((line.amount for line in lines), ZERO)
        balance = statement.carried_in + statement.earned
        # SPEC §5 minimum payout: a balance below it (or negative, after a clawback) carries
        # over.
        if balance > 0 and balance >= partner.minimum_payout:
            statement.payable, statement.carried_out = balance, ZERO
        else:
            statement.payable, statement.carried_out = ZERO, balance
        statement.computed_at = now
        statement.save(update_fields=["carried_from", "carried_in", "earned", "payable",
                                      "carried_out", "computed_at"])
        previous = statement
    return statements


@transaction.atomic
def partner_statement_compute(*, partner: Partner, month: datetime.date) -> PartnerStatement:
    """Compute (or compute again) ``partner``'s draft for ``month``, with the drafts before
    and after it; safe to repeat. A final or paid month is refused: it is never rewritten."""
    month = month_start(month)
    # The partner row lock makes concurrent computations of one partner take turns, so an item
    # is never put on two statements (the unique key would refuse the second anyway).
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    last_locked = partner.statements.filter(status__in=LOCKED).order_by("-month").first()
    if last_locked is not None and month <= last_locked.month:
        raise PartnerStatementLocked(
            _("%(partner)s's statements up to %(month)s are final: late changes land on the "
              "next statement.") % {"partner": partner, "month": f"{last_locked.month:%Y-%m}"}
        )
    return _compute_drafts(partner, month)[month]


def partner_statements_compute(*, month: datetime.date) -> list[PartnerStatement]:
    """Every active partner's statement for ``month``, one transaction per partner; a final or
    paid one is returned as it is."""
    month = month_start(month)
    statements = []
    for partner in Partner.objects.filter(is_active=True).order_by("pk"):
        locked = partner.statements.filter(month=month, status__in=LOCKED).first()
        statements.append(locked or partner_statement_compute(partner=partner, month=month))
    return statements


def _decides_partner_pay(user) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    manager = manager_for_user(user)
    return manager is not None and manager.role in (Role.OWNER, Role.ADMIN)


def may_finalise_partner_statement(*, user, statement: PartnerStatement) -> bool:
    """The owner and admins close a partner's month (the monthly job does it as well)."""
    return _decides_partner_pay(user)


def may_mark_partner_statement_paid(*, user, statement: PartnerStatement) -> bool:
    """SPEC §7: marking pay as paid is the owner's or an admin's, following the payout."""
    return _decides_partner_pay(user)


def partner_statement_due(*, statement: PartnerStatement) -> bool:
    """A statement may become final once its month has ended in the organisation's zone."""
    return statement.month < current_month()


@transaction.atomic
def partner_statement_finalise(*, statement: PartnerStatement, by=None) -> PartnerStatement:
    """Lock ``statement`` after computing it (and the drafts after it) once more, so that what
    is locked is up to date; ``by`` is None for the monthly job. Audited."""
    partner = Partner.objects.select_for_update().get(pk=statement.partner_id)
    statement = PartnerStatement.objects.get(pk=statement.pk)
    if statement.status != Status.DRAFT:
        raise PartnerStatementLocked(_("This statement is already %(status)s.")
                                     % {"status": statement.get_status_display()})
    if by is not None and not may_finalise_partner_statement(user=by, statement=statement):
        raise PartnerStatementError(_("%(user)s may not close partner statements.")
                                    % {"user": by})
    if not partner_statement_due(statement=statement):
        raise PartnerStatementError(_("%(month)s has not ended yet.")
                                    % {"month": f"{statement.month:%Y-%m}"})
    # The chain closes in month order: every month before this one is final already.
    _last, months = _open_months(partner, statement.month)
    earlier = [m for m in months if m < statement.month]
    if earlier:
        raise PartnerStatementError(
            _("Close the earlier months first: %(months)s.")
            % {"months": ", ".join(f"{m:%Y-%m}" for m in earlier)}
        )
    statement = _compute_drafts(partner, statement.month)[statement.month]
    before = {"status": statement.status}
    statement.status = Status.FINAL
    statement.finalised_at = timezone.now()
    statement.finalised_by = by
    statement.save(update_fields=["status", "finalised_at", "finalised_by"])
    audit_record(action="partner_statement_finalised", obj=statement, by=by, before=before,
                 after={"status": statement.status, "payable": statement.payable,
                        "carried_out": statement.carried_out})
    statement_changed_on_commit(statement)
    return statement


@transaction.atomic
def partner_statement_mark_paid(*, statement: PartnerStatement, by) -> PartnerStatement:
    """Record that a final statement's payable amount was paid out; audited. A paid statement
    is immutable."""
    statement = PartnerStatement.objects.select_for_update().get(pk=statement.pk)
    if not may_mark_partner_statement_paid(user=by, statement=statement):
        raise PartnerStatementError(_("%(user)s may not mark partner statements paid.")
                                    % {"user": by})
    if statement.status != Status.FINAL:
        raise PartnerStatementLocked(
            _("Only a final statement can be marked paid; this one is %(status)s.")
            % {"status": statement.get_status_display()}
        )
    statement.status = Status.PAID
    statement.paid_at = timezone.now()
    statement.paid_by = by
    statement.save(update_fields=["status", "paid_at", "paid_by"])
    audit_record(action="partner_statement_paid", obj=statement, by=by,
                 before={"status": Status.FINAL},
                 after={"status": statement.status, "payable": statement.payable})
    statement_changed_on_commit(statement)
    return statement


def partner_statements_close(*, month: datetime.date | None = None) -> list[PartnerStatement]:
    """The monthly job: for every partner, finalise each month that has ended and is not final
    yet, in order (computing it first), then compute the draft of ``month`` (this month by
    default). Returns the statements it made final. Safe to repeat."""
    month = month_start(month or current_month())
    partners = Partner.objects.filter(
        Q(is_active=True) | Q(statements__status=Status.DRAFT)
    ).distinct().order_by("pk")
    finalised = []
    for partner in partners:
        ended = _ended_open_months(partner, before=month)
        for m in ended:
            statement = partner_statement_compute(partner=partner, month=m)
            finalised.append(partner_statement_finalise(statement=statement))
        if partner.is_active:
            partner_statement_compute(partner=partner, month=month)
    return finalised


def _ended_open_months(partner: Partner, *, before: datetime.date) -> list[datetime.date]:
    """Months before ``before`` that are not final yet: from the month after the last final
    statement (or the earliest draft, or the month just before ``before``)."""
    last_month = month_start(before - datetime.timedelta(days=1))
    _last, months = _open_months(partner, last_month)
    return [m for m in months if m < before]


# --- what the partner sees of each payment (the portal, issue 20) ----------------------------

class CommissionState:
    HOLD = "hold"  # in hold until ``payable_on``
    PAYABLE = "payable"  # past the hold, waiting for the next statement
    ON_STATEMENT = "on_statement"  # on a draft or final statement, not paid yet
    PAID = "paid"  # on a paid statement
    REVERSED = "reversed"  # refunded: never paid inside the hold, or clawed back after


@dataclass(frozen=True)
class PaymentCommission:
    """One payment on a partner's leads and what the statement computation made of it."""

    payment: Payment
    payable_on: datetime.date
    commission: Decimal  # credited by statements; before a statement, what it will earn
    state: str
    statement: PartnerStatement | None  # the statement holding its commission
    clawed_back: Decimal = ZERO
    clawback_statement: PartnerStatement | None = None


def partner_payment_commissions(*, partner: Partner, today: datetime.date
                                ) -> list[PaymentCommission]:
    """Each payment on ``partner``'s credited leads, newest first, with its commission and its
    state as SPEC §5 computes it: the hold, the statement lines (commission, adjustments,
    clawbacks) and refunds inside the hold, read from ``_commissions`` and the statements."""
    commissions = _commissions(partner)
    lines = defaultdict(list)
    for line in (PartnerStatementLine.objects.filter(statement__partner=partner)
                 .select_related("statement").order_by("statement__month", "pk")):
        lines[line.payment_id].append(line)
    found = []
    for c in commissions:
        credit = [x for x in lines[c.payment.pk] if x.kind != PartnerLineKind.CLAWBACK]
        clawbacks = [x for r in c.after for x in lines[r.pk]
                     if x.kind == PartnerLineKind.CLAWBACK]
        commission_line = next((x for x in credit if x.kind == PartnerLineKind.COMMISSION), None)
        statement = commission_line.statement if commission_line else None
        if c.base <= 0:
            amount, state = ZERO, CommissionState.REVERSED
        elif credit:
            amount = sum((x.amount for x in credit), ZERO)
            state = (CommissionState.PAID if statement and statement.status == Status.PAID
                     else CommissionState.ON_STATEMENT)
        else:
            amount = commission_of(c.base, partner.default_percent)
            state = CommissionState.HOLD if c.payable_on > today else CommissionState.PAYABLE
        clawed = sum((x.amount for x in clawbacks), ZERO)
        if clawbacks:
            state = CommissionState.REVERSED
        found.append(PaymentCommission(
            payment=c.payment, payable_on=c.payable_on, commission=amount, state=state,
            statement=statement, clawed_back=clawed,
            clawback_statement=clawbacks[-1].statement if clawbacks else None,
        ))
    found.sort(key=lambda f: (f.payment.received_on, f.payment.pk), reverse=True)
    return found
