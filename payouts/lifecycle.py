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

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.models import Lead
from salesops import policy
from salesops.formatting import format_money, format_month
from salesops.inputs import audit_record, period_lock
from salesops.inputs.models import AuditEntry
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
        raise PayoutRunError(_("A month that is %(from)s cannot become %(to)s.") % {
            "from": _status(run.status), "to": _status(to)})
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


# Maker-checker (SPEC §1) on runs, one rule at every door (the review page's Recompute, the
# admin's "Compute again", the API, the commands): whoever requested a computation of a run
# does not approve it. Each request is recorded (``payout_run_record_request``) when it is
# made, before any worker runs it, naming the person, so the run's history names them too.
COMPUTE_REQUESTED = "payout_run_compute_requested"


def payout_run_record_request(*, run: PayoutRun, by, note: str = "") -> None:
    """Record that ``by`` asked for ``run`` to be computed (again). Nothing for a scheduled
    job (``by`` None)."""
    if by is None:
        return
    PayoutRun.objects.filter(pk=run.pk).update(requested_by=by)
    run.requested_by = by
    audit_record(action=COMPUTE_REQUESTED, obj=run, by=by,
                 before={"status": run.status, "generation": run.generation}, after={},
                 comment=note)


def requested_computation(*, user, run: PayoutRun) -> bool:
    """Whether ``user`` requested a computation of ``run`` (maker-checker)."""
    if user is None or user.pk is None:
        return False
    if run.requested_by_id == user.pk:
        return True
    return AuditEntry.objects.filter(action=COMPUTE_REQUESTED, object_type="payouts.payoutrun",
                                     object_id=run.pk, by=user).exists()


@dataclass(frozen=True)
class HistoryStep:
    """A line of a run's history: a status change, or a person's request to compute."""

    at: datetime.datetime
    by: object
    from_status: str
    to_status: str
    note: str


def payout_run_history(*, run: PayoutRun) -> list[HistoryStep]:
    steps = [HistoryStep(t.at, t.by, t.from_status, t.to_status, t.note)
             for t in run.transitions.select_related("by")]
    requests = AuditEntry.objects.filter(action=COMPUTE_REQUESTED,
                                         object_type="payouts.payoutrun", object_id=run.pk)
    steps += [HistoryStep(entry.at, entry.by, "", entry.before.get("status", ""),
                          _("computation requested"))
              for entry in requests.select_related("by")]
    return sorted(steps, key=lambda step: step.at)


def _status(status: str) -> str:
    return str(dict(Status.choices).get(status, status)).lower()


def _who(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else "—"


def _names(manager_ids) -> dict[int, str]:
    from salesops.models import Manager

    return {m.pk: str(m) for m in Manager.objects.filter(pk__in=manager_ids)
            .select_related("user")}


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
        raise PayoutRunError(_("Only a computed month can be approved; this one is %(status)s.")
                             % {"status": _status(run.status)})
    if not may_approve(user=approved_by, run=run):
        raise PayoutRunError(_("%(user)s may not approve the pay of %(team)s.") % {
            "user": _who(approved_by), "team": run.team.name})
    # Maker-checker (SPEC §1): whoever asked for a computation, on any door, does not approve.
    if requested_computation(user=approved_by, run=run):
        raise PayoutRunError(_("Whoever asked for a computation of this month cannot approve "
                               "it: someone else does."))
    if not month_has_ended(run.month):
        raise PayoutRunNotOver(_(
            "%(month)s has not ended in %(zone)s yet: a month is approved once it is over."
        ) % {"month": format_month(run.month), "zone": organisation_zone().key})
    stale = payout_run_staleness(run=run)
    if stale:
        names = _names([s.manager_id for s in stale])
        raise PayoutRunStale(_(
            "Something that feeds this month changed after it was computed (%(who)s): "
            "recompute first, then review and approve."
        ) % {"who": "; ".join(f"{names.get(s.manager_id, '—')}: {s.reason}" for s in stale)},
            members=stale)
    blocking = blocking_exceptions(run=run)
    if blocking:
        leads = {lead.pk: str(lead) for lead in
                 Lead.objects.filter(pk__in=[b.lead_id for b in blocking])}
        raise PayoutRunBlocked(_(
            "Pending exceptions hold money in this month; decide them first: %(list)s."
        ) % {"list": "; ".join(
            _("the exception on lead «%(lead)s» holds %(amount)s")
            % {"lead": leads.get(b.lead_id, b.lead_id), "amount": format_money(b.amount)}
            for b in blocking
        )}, exceptions=blocking)
    approved_at = timezone.now()
    payout_run_transition(
        run=run, to=Status.APPROVED, by=approved_by,
        extra={"approved_by": approved_by, "approved_at": approved_at},
    )
    totals = run.lines.aggregate(paid=Sum("amount", filter=Q(held=False)),
                                 held=Sum("amount", filter=Q(held=True)))
    audit_record(action="payout_run_approved", obj=run, by=approved_by,
                 before={"status": Status.COMPUTED},
                 after={"status": Status.APPROVED, "approved_at": approved_at,
                        "team": run.team.code, "month": run.month,
                        "total": round_money(totals["paid"] or Decimal("0")),
                        "held": round_money(totals["held"] or Decimal("0"))})
    return run


@transaction.atomic
def payout_run_mark_paid(*, run: PayoutRun, paid_by) -> PayoutRun:
    """Approved → paid once payroll has it (SPEC §7), by the owner or an admin; audited."""
    # Who asks comes first, as at every door of the policy: a refusal says nothing of the run.
    if not may_mark_paid(user=paid_by, run=run):
        raise policy.AccessDenied(_("%(user)s may not mark pay as paid: the owner or an admin "
                                    "does.") % {"user": _who(paid_by)})
    run = PayoutRun.objects.select_for_update(no_key=True).select_related("team").get(pk=run.pk)
    if run.status != Status.APPROVED:
        raise PayoutRunError(_(
            "Only an approved month can be marked paid; %(team)s, %(month)s is %(status)s."
        ) % {"team": run.team.name, "month": format_month(run.month),
             "status": _status(run.status)})
    paid_at = timezone.now()
    payout_run_transition(run=run, to=Status.PAID, by=paid_by, note="exported to payroll",
                          extra={"paid_at": paid_at})
    audit_record(action="payout_run_paid", obj=run, by=paid_by,
                 before={"status": Status.APPROVED},
                 after={"status": Status.PAID, "paid_at": paid_at,
                        "team": run.team.code, "month": run.month})
    return run
