"""The payout run's life (SPEC §7): draft → computed → approved → paid.

Status moves only through ``TRANSITIONS``; each move is a ``PayoutRunTransition`` row written in
the same transaction. Approved and paid runs are immutable: the services refuse, and on
PostgreSQL triggers refuse too (migration 0002).
"""

from django.db import transaction
from django.utils import timezone

from salesops import policy

from .holds import pending_holds_for_run
from .models import PayoutRun, PayoutRunTransition

Status = PayoutRun.Status

TRANSITIONS = {
    Status.DRAFT: {Status.COMPUTED},
    # Recomputing an open month takes it back to draft until every member is done again.
    Status.COMPUTED: {Status.DRAFT, Status.APPROVED},
    Status.APPROVED: {Status.PAID},
    Status.PAID: set(),
}


class PayoutRunError(Exception):
    """A payout run cannot do what was asked (an illegal move, a locked month, a rule)."""


class PayoutRunLocked(PayoutRunError):
    pass


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
    PayoutRunTransition.objects.create(
        run=run, from_status=previous, to_status=to, by=by, at=timezone.now(), note=note
    )
    return run


def may_approve(*, user, run: PayoutRun) -> bool:
    """SPEC §7: the sales head of the team, or the owner, approves a team's month
    (a row of salesops.policy)."""
    return policy.may(user, policy.APPROVE_RUN, "payout_runs", run)


@transaction.atomic
def payout_run_approve(*, run: PayoutRun, approved_by) -> PayoutRun:
    run = PayoutRun.objects.select_for_update(no_key=True).get(pk=run.pk)
    if run.status != Status.COMPUTED:
        raise PayoutRunError(f"only a computed run can be approved; this one is {run.status}")
    if not may_approve(user=approved_by, run=run):
        raise PayoutRunError(f"{approved_by} may not approve {run.team}'s pay (SPEC §7)")
    # Maker-checker (SPEC §1): whoever asked for the computation does not approve it.
    if run.requested_by_id is not None and run.requested_by_id == approved_by.pk:
        raise PayoutRunError("the person who computed a run cannot approve it (SPEC §1)")
    if pending_holds_for_run(run=run):
        raise PayoutRunError("pending exceptions hold money in this run (SPEC §5, §7)")
    return payout_run_transition(
        run=run, to=Status.APPROVED, by=approved_by,
        extra={"approved_by": approved_by, "approved_at": timezone.now()},
    )


@transaction.atomic
def payout_run_mark_paid(*, run: PayoutRun, paid_by=None) -> PayoutRun:
    # SPEC §7: owner or admin marks paid. ``paid_by`` None is the export command itself.
    if paid_by is not None:
        policy.require(paid_by, policy.MARK_PAID, "payout_runs", run)
    run = PayoutRun.objects.select_for_update(no_key=True).get(pk=run.pk)
    return payout_run_transition(
        run=run, to=Status.PAID, by=paid_by, note="exported to payroll",
        extra={"paid_at": timezone.now()},
    )
