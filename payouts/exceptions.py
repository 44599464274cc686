"""Commission exceptions (SPEC §5): request → approve or reject, by someone else.

Maker-checker is enforced here (and by a check constraint): the approver has approval rights
and is not the requester. Every decision writes an audit row (who, when, before, after) in the
same transaction. While a request is pending the engine holds the amount it affects, and a
payout run that holds it cannot be approved (``lifecycle.blocking_exceptions``).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.models import Lead, Partner
from leads.ownership import lead_pay_days
from salesops import policy
from salesops.inputs import audit_record, mark_days, pay_input_writer

from .models import CommissionException, ComponentKind, ExceptionKind, ExceptionStatus


class CommissionExceptionError(ValidationError):
    """The request or decision breaks a rule of SPEC §5 (the message is for the user)."""


def _who(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else "—"


def _state(exception: CommissionException) -> dict:
    return {
        "status": exception.status, "kind": exception.kind, "rate": exception.rate,
        "amount": exception.amount, "partner": exception.partner_id,
        "component_kind": exception.component_kind, "lead": exception.lead_id,
        "transfer_to": exception.transfer_to_id,
    }


@pay_input_writer
@transaction.atomic
def commission_exception_request(
    *, lead: Lead, kind: str, reason: str, requested_by,
    component_kind: str = ComponentKind.REVENUE_PERCENT, rate: Decimal | None = None,
    amount: Decimal | None = None, partner: Partner | None = None, transfer_to=None,
) -> CommissionException:
    if not (reason or "").strip():
        raise CommissionExceptionError(_("A commission exception needs a reason."))
    probe = CommissionException(lead=lead)
    if not policy.may(requested_by, policy.REQUEST_EXCEPTION, "commission_exceptions", probe):
        raise CommissionExceptionError(_("%(user)s may not request an exception on lead "
                                         "«%(lead)s».") % {"user": _who(requested_by),
                                                           "lead": lead})
    if kind == ExceptionKind.RATE and rate is None:
        raise CommissionExceptionError(_("Another rate needs the rate."))
    if kind == ExceptionKind.FIXED and amount is None:
        raise CommissionExceptionError(_("A fixed amount needs the amount."))
    if kind == ExceptionKind.PARTNER_CREDIT and not lead.duplicate_of_id:
        raise CommissionExceptionError(_("Crediting a partner is for a duplicate lead."))
    if kind == ExceptionKind.TRANSFER and transfer_to is None:
        raise CommissionExceptionError(_("moving a commission needs the person it moves to"))
    if CommissionException.objects.filter(
        lead=lead, component_kind=component_kind, status=ExceptionStatus.PENDING
    ).exists():
        raise CommissionExceptionError(_("Lead «%(lead)s» already has an exception waiting for "
                                         "a decision.") % {"lead": lead})
    exception = CommissionException.objects.create(
        lead=lead, component_kind=component_kind, kind=kind, rate=rate, amount=amount,
        partner=partner, transfer_to=transfer_to, reason=reason.strip(),
        requested_by=requested_by,
        requested_at=timezone.now(),
    )
    audit_record(action="exception_requested", obj=exception, by=requested_by, before={},
                 after=_state(exception), comment=exception.reason)
    mark_days(days=lead_pay_days(lead_ids=[lead.pk]))  # the amount is held now (SPEC §7)
    return exception


def may_decide(*, user, exception: CommissionException) -> bool:
    """Approval rights (SPEC §5, §7): the sales head of the lead's team, the owner, admins
    (a row of salesops.policy)."""
    return policy.may(user, policy.DECIDE_EXCEPTION, "commission_exceptions", exception)


def _decide(*, exception, by, status: str, comment: str) -> CommissionException:
    exception = (
        CommissionException.objects.select_for_update().select_related("lead__owner")
        .get(pk=exception.pk)
    )
    if exception.status != ExceptionStatus.PENDING:
        raise CommissionExceptionError(_("This exception is already decided: %(status)s.") % {
            "status": exception.get_status_display().lower()})
    # Maker-checker (SPEC §5): the requester never decides their own request.
    if exception.requested_by_id == by.pk:
        raise CommissionExceptionError(_("Whoever asked for an exception does not decide it: "
                                         "someone else does."))
    if not may_decide(user=by, exception=exception):
        raise CommissionExceptionError(_("%(user)s has no right to decide this exception.")
                                       % {"user": _who(by)})
    before = _state(exception)
    exception.status = status
    exception.decided_by = by
    exception.decided_at = timezone.now()
    exception.decision_comment = comment
    exception.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    audit_record(action=f"exception_{status}", obj=exception, by=by, before=before,
                 after=_state(exception), comment=comment)
    days = lead_pay_days(lead_ids=[exception.lead_id])
    if exception.kind == ExceptionKind.TRANSFER:
        # SPEC §6.7: taken from whoever it paid and given to the other in the month decided.
        today = timezone.localdate(exception.decided_at)
        days |= {(exception.transfer_to_id, today)} | {(pk, today) for pk, _day in days}
    mark_days(days=days)  # SPEC §7 stale runs
    return exception


@pay_input_writer
@transaction.atomic
def commission_exception_approve(
    *, exception: CommissionException, approved_by, comment: str = ""
) -> CommissionException:
    return _decide(exception=exception, by=approved_by, status=ExceptionStatus.APPROVED,
                   comment=comment)


@pay_input_writer
@transaction.atomic
def commission_exception_reject(
    *, exception: CommissionException, rejected_by, comment: str
) -> CommissionException:
    if not (comment or "").strip():
        raise CommissionExceptionError(_("A rejection needs a reason."))
    return _decide(exception=exception, by=rejected_by, status=ExceptionStatus.REJECTED,
                   comment=comment)
