"""Inquiries (SPEC §7): a manager asks about a line of their pay; someone else decides it.

Raised by the manager whose line it is, decided by the team's sales head, the owner or an admin
(salesops.policy), never by the one who asked (maker-checker, also a database check). Each step
writes an audit row in the same transaction. Deciding does not change pay by itself: an accepted
inquiry is answered by what the decider does next (an exception, a milestone correction, a late
import), and those feed the month as every change does.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops import policy
from salesops.inputs import audit_record

from .models import InquiryStatus, PayoutInquiry, PayoutLine, PayoutRun


class InquiryError(ValidationError):
    """The question or its decision breaks a rule of SPEC §7."""


def _state(inquiry: PayoutInquiry) -> dict:
    return {
        "status": inquiry.status, "run": inquiry.run_id, "manager": inquiry.manager_id,
        "line_kind": inquiry.line_kind, "line_key": inquiry.line_key,
        "amount_seen": str(inquiry.amount_seen),
    }


@transaction.atomic
def inquiry_raise(*, line: PayoutLine, comment: str, raised_by) -> PayoutInquiry:
    """``raised_by`` asks about ``line`` of their own pay, with ``comment`` saying what is wrong."""
    comment = (comment or "").strip()
    if not comment:
        raise InquiryError(_("Say what is wrong with this line."))
    inquiry = PayoutInquiry(
        run=line.run, manager=line.manager, line_kind=line.kind, line_key=line.key, line=line,
        amount_seen=line.amount, comment=comment, raised_by=raised_by,
        raised_at=timezone.now(),
    )
    policy.require(raised_by, policy.RAISE_INQUIRY, "payout_inquiries", inquiry)
    try:
        with transaction.atomic():
            inquiry.save()
    except IntegrityError as error:
        raise InquiryError(_("You have already asked about this line.")) from error
    audit_record(action="inquiry_raised", obj=inquiry, by=raised_by, before={},
                 after=_state(inquiry), comment=comment)
    return inquiry


@transaction.atomic
def inquiry_decide(
    *, inquiry: PayoutInquiry, accepted: bool, comment: str, decided_by
) -> PayoutInquiry:
    """Accept or reject ``inquiry``; a rejection needs the decider's reason (SPEC §7)."""
    comment = (comment or "").strip()
    inquiry = PayoutInquiry.objects.select_for_update().select_related("run").get(pk=inquiry.pk)
    policy.require(decided_by, policy.DECIDE_INQUIRY, "payout_inquiries", inquiry)
    if inquiry.status != InquiryStatus.OPEN:
        raise InquiryError(
            _("Inquiry #%(id)s is already %(status)s.")
            % {"id": inquiry.pk, "status": inquiry.get_status_display()}
        )
    if inquiry.raised_by_id == decided_by.pk:
        raise InquiryError(_("Nobody decides their own inquiry."))
    if not accepted and not comment:
        raise InquiryError(_("A rejection needs a reason."))
    before = _state(inquiry)
    inquiry.status = InquiryStatus.ACCEPTED if accepted else InquiryStatus.REJECTED
    inquiry.decided_by = decided_by
    inquiry.decided_at = timezone.now()
    inquiry.decision_comment = comment
    inquiry.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    audit_record(action=f"inquiry_{inquiry.status}", obj=inquiry, by=decided_by, before=before,
                 after=_state(inquiry), comment=comment)
    return inquiry


def inquiries_visible_to(user):
    """The inquiries ``user`` may read, newest first (a manager: own; a head: own team)."""
    return policy.scoped(user, policy.VIEW, "payout_inquiries").select_related(
        "run__team", "manager__user", "raised_by", "decided_by"
    )


def inquiries_open_for_run(*, run: PayoutRun):
    return PayoutInquiry.objects.filter(run=run, status=InquiryStatus.OPEN)
