"""The payout run's life (SPEC §7): draft → computed → approved → paid.

Status moves only through ``TRANSITIONS``; each move is a ``PayoutRunTransition`` row written in
the same transaction. Approved and paid runs are immutable: the services refuse, and on
PostgreSQL triggers refuse too (migration 0002).

Approval (SPEC §7) is refused, each time with a typed error that says why:
- before the month has ended in the organisation's zone (``PayoutRunNotOver``);
- when the run is stale, i.e. what the approver saw is no longer what the inputs say
  (``PayoutRunStale``): recompute first (``approve_payouts --recompute`` does it);
- while pending exceptions hold amounts in this run's lines (``PayoutRunBlocked``, which lists
  them). An exception on a lead paid in another month does not block this one.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops import policy
from salesops.inputs import audit_record, period_lock
from salesops.money import round_money
from salesops.periods import month_bounds, organisation_zone

from .holds import held_by_exception
from .models import CommissionException, ExceptionKind, ExceptionStatus, PayoutRun
from .models import PayoutRunTransition as Transition
from .staleness import StaleMember, payout_run_staleness

Status = PayoutRun.Status

TRANSITIONS = {
    # A computation that fails for a reason a retry cannot fix ends failed (SPEC §7); a new
    # computation (its inputs changed) takes it back to draft.
    Status.DRAFT: {Status.COMPUTED, Status.FAILED},
    Status.FAILED: {Status.DRAFT},
    # Recomputing an open month takes it back to draft until every member is done again.
    Status.COMPUTED: {Status.DRAFT, Status.APPROVED},
    Status.APPROVED: {Status.PAID},
    Status.PAID: set(),
}


class PayoutRunError(Exception):
    """A payout run cannot do what was asked (an illegal move, a locked month, a rule)."""


class PayoutRunLocked(PayoutRunError):
    pass


class PayoutRunNotOver(PayoutRunError):
    """The month has not ended in the organisation's zone (SPEC §7)."""


class PayoutRunStale(PayoutRunError):
    """Something that feeds the run changed after it was computed (SPEC §7)."""

    def __init__(self, message: str, *, members: list[StaleMember]):
        super().__init__(message)
        self.members = members


@dataclass(frozen=True)
class BlockingException:
    """A pending commission exception holding an amount in a run's lines (SPEC §5, §7)."""

    id: int
    lead_id: int
    amount: Decimal


class PayoutRunBlocked(PayoutRunError):
    """Pending exceptions hold amounts in this run; ``exceptions`` names them."""

    def __init__(self, message: str, *, exceptions: list[BlockingException]):
        super().__init__(message)
        self.exceptions = exceptions


def payout_run_transition(
    *, run: PayoutRun, to: str, by=None, note: str = "", extra: dict | None = None
) -> PayoutRun:
    """Move ``run`` (locked by the caller with ``select_for_update``) and record the move."""
    if to not in TRANSITIONS[run.status]:
        raise PayoutRunError(f"a {run.status} run cannot become {to} (SPEC §7)")
    previous = run.status
    run.status = to
    fields = ["status", *(extra or {})]
    for name, value in (extra or {}).items():
        setattr(run, name, value)
    run.save(update_fields=fields)
    if to in (Status.APPROVED, Status.PAID):
        # Every writer of a pay input reads this to respect the locked month (SPEC §6.5).
        period_lock(team_id=run.team_id, month=run.month, status=to)
    Transition.objects.create(
        run=run, from_status=previous, to_status=to, by=by, at=timezone.now(), note=note
    )
    return run


def may_approve(*, user, run: PayoutRun) -> bool:
    """SPEC §7: the sales head of the team, or the owner, approves a team's month
    (a row of salesops.policy)."""
    return policy.may(user, policy.APPROVE_RUN, "payout_runs", run)


def may_mark_paid(*, user, run: PayoutRun) -> bool:
    """SPEC §7: marking a run paid (it has gone to payroll) is for the owner or an admin
    (a row of salesops.policy)."""
    return policy.may(user, policy.MARK_PAID, "payout_runs", run)


def month_has_ended(month, *, now=None) -> bool:
    """Whether ``month`` is over on the organisation's wall clock (SPEC §3, §7)."""
    return (now or timezone.now()) >= month_bounds(month)[1]


def blocking_exceptions(*, run: PayoutRun) -> list[BlockingException]:
    """Pending exceptions that hold an amount in this run's lines, with the amount held.

    Read from the held items of the run's lines, so an exception on a lead that this run does
    not pay (a lead of another month) never blocks it."""
    held = held_by_exception(run=run)
    pending = (
        CommissionException.objects.filter(pk__in=list(held), status=ExceptionStatus.PENDING)
        .exclude(kind=ExceptionKind.PARTNER_CREDIT)
        .order_by("pk").values_list("pk", "lead_id")
    )
    return [BlockingException(id=pk, lead_id=lead_id, amount=round_money(held[pk]))
            for pk, lead_id in pending]


@transaction.atomic
def payout_run_approve(*, run: PayoutRun, approved_by) -> PayoutRun:
    run = PayoutRun.objects.select_for_update(no_key=True).select_related("team").get(pk=run.pk)
    if run.status != Status.COMPUTED:
        raise PayoutRunError(f"only a computed run can be approved; this one is {run.status}")
    if not may_approve(user=approved_by, run=run):
        raise PayoutRunError(f"{approved_by} may not approve {run.team}'s pay (SPEC §7)")
    # Maker-checker (SPEC §1): whoever asked for the computation does not approve it.
    if run.requested_by_id is not None and run.requested_by_id == approved_by.pk:
        raise PayoutRunError("the person who computed a run cannot approve it (SPEC §1)")
    if not month_has_ended(run.month):
        raise PayoutRunNotOver(_(
            "%(month)s has not ended in %(zone)s: a month is approved once it is over (SPEC §7)"
        ) % {"month": f"{run.month:%Y-%m}", "zone": organisation_zone().key})
    stale = payout_run_staleness(run=run)
    if stale:
        raise PayoutRunStale(_(
            "Something that feeds this run changed after it was computed (%(who)s): "
            "recompute first, then review and approve (SPEC §7)."
        ) % {"who": ", ".join(_("manager #%(id)s: %(reason)s")
                              % {"id": s.manager_id, "reason": s.reason} for s in stale)},
            members=stale)
    blocking = blocking_exceptions(run=run)
    if blocking:
        raise PayoutRunBlocked(_(
            "Pending exceptions hold money in this run; decide them first: %(list)s (SPEC §5, §7)."
        ) % {"list": "; ".join(
            _("exception #%(id)s on lead #%(lead)s holds %(amount)s")
            % {"id": b.id, "lead": b.lead_id, "amount": b.amount} for b in blocking
        )}, exceptions=blocking)
    return payout_run_transition(
        run=run, to=Status.APPROVED, by=approved_by,
        extra={"approved_by": approved_by, "approved_at": timezone.now()},
    )


@transaction.atomic
def payout_run_mark_paid(*, run: PayoutRun, paid_by) -> PayoutRun:
    """Approved → paid once payroll has it (SPEC §7), by the owner or an admin; audited."""
    # Who asks comes first, as at every door of the policy: a refusal says nothing of the run.
    if not may_mark_paid(user=paid_by, run=run):
        raise policy.AccessDenied(_("%(user)s may not mark pay as paid: the owner or an admin "
                                    "does (SPEC §7).") % {"user": paid_by})
    run = PayoutRun.objects.select_for_update(no_key=True).select_related("team").get(pk=run.pk)
    if run.status != Status.APPROVED:
        raise PayoutRunError(_(
            "Only an approved run can be marked paid; %(run)s is %(status)s (SPEC §7)."
        ) % {"run": f"{run.team.code} {run.month:%Y-%m}", "status": run.status})
    paid_at = timezone.now()
    payout_run_transition(run=run, to=Status.PAID, by=paid_by, note="exported to payroll",
                          extra={"paid_at": paid_at})
    audit_record(action="payout_run_paid", obj=run, by=paid_by,
                 before={"status": Status.APPROVED},
                 after={"status": Status.PAID, "paid_at": paid_at,
                        "team": run.team.code, "month": run.month})
    return run
