"""E-mail for the month's review (Django's mail framework: the console by default, SMTP when the
environment names a host; see settings): the sales head when a month that has ended is ready
to review, the managers of a run when it is approved, a manager when their inquiry is decided.

Sent once the change commits (``transaction.on_commit``), and never twice for one event: each
(event, recipient) is a unique ``review.Notification`` row written in the same transaction as
the sending, so a repeated save, a retried task or a second process finds the row and stays
silent.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from salesops.formatting import format_month
from salesops.models import Manager, Role

log = logging.getLogger(__name__)


def notify(*, event: str, users, subject: str, body: str) -> int:
    """Mail ``users`` (those with an address) about ``event`` once each; returns how many were
    mailed now. Call it after the change has committed."""
    from payouts.review.models import Notification

    sent = 0
    for user in users:
        if not user.email:
            continue
        try:
            with transaction.atomic():
                Notification.objects.create(event=event, recipient=user, subject=subject[:200],
                                            sent_at=timezone.now())
                # A failed send rolls the row back, so a later attempt may still send it.
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except IntegrityError:
            continue  # told already
        sent += 1
    return sent


def site_link(path: str) -> str:
    """An address of the site for a mail: the one configured site URL (``SALESOPS_SITE_URL``,
    what people type in their browser), whatever host or port sent the mail."""
    return f"{settings.SALESOPS_SITE_URL.rstrip('/')}{path}"


def _link(name: str, query: str = "", args=None) -> str:
    try:
        return site_link(f"{reverse(name, args=args)}{query}")
    except NoReverseMatch:
        return settings.SALESOPS_SITE_URL


def run_ready_for_review(run) -> int:
    """The team's sales heads: the month has ended and its pay is computed."""
    from payouts.lifecycle import month_has_ended

    if not month_has_ended(run.month):
        return 0  # the open month is recomputed all month long: no mail for each refresh
    heads = [m.user for m in Manager.objects.filter(team=run.team, role=Role.SALES_HEAD)
             .select_related("user") if m.user.is_active]
    with translation.override(settings.LANGUAGE_CODE):
        month = format_month(run.month)
        subject = _("%(team)s: pay for %(month)s is ready to review") % {
            "team": run.team.name, "month": month}
        body = _("The pay of %(team)s for %(month)s has been computed. Review and approve it: "
                 "%(link)s") % {"team": run.team.name, "month": month,
                                "link": _link("review:team-month",
                                              f"?team={run.team.code}&month={run.month:%Y-%m}")}
    return notify(event=f"run:{run.pk}:ready:{run.generation}", users=heads, subject=subject,
                  body=body)


def run_approved(run) -> int:
    """Everyone the run pays: their month is approved and final."""
    people = [m.manager.user for m in run.members.select_related("manager__user")
              if m.manager.user.is_active]
    with translation.override(settings.LANGUAGE_CODE):
        month = format_month(run.month)
        subject = _("Your pay for %(month)s is approved") % {"month": month}
        body = _("Your pay for %(month)s has been approved and is final. See it here: "
                 "%(link)s") % {"month": month,
                                "link": _link("earnings:month", f"?month={run.month:%Y-%m}")}
    return notify(event=f"run:{run.pk}:approved", users=people, subject=subject, body=body)


def inquiry_decided(inquiry) -> int:
    """The manager who asked: the answer to their question about a line."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your question about your pay was answered: %(status)s") % {
            "status": inquiry.get_status_display()}
        body = _("Your question: %(question)s\nAnswer: %(status)s. %(comment)s") % {
            "question": inquiry.comment, "status": inquiry.get_status_display(),
            "comment": inquiry.decision_comment}
        body += "\n" + _("The line: %(link)s") % {"link": _line_link(inquiry)}
    return notify(event=f"inquiry:{inquiry.pk}:decided", users=[inquiry.manager.user],
                  subject=subject, body=body)


def _line_link(inquiry) -> str:
    """The line asked about, by its lasting address (month, person, component, key)."""
    from payouts.earnings.selectors import line_address

    try:
        return site_link(line_address(month=inquiry.run.month, manager_id=inquiry.manager_id,
                                      kind=inquiry.line_kind, key=inquiry.line_key))
    except NoReverseMatch:
        return settings.SALESOPS_SITE_URL


# --- when: on the rows that record the events, after they commit -----------------------------

def _on_transition(sender, instance, created, **kwargs):
    if not created:
        return
    run = instance.run
    if instance.to_status == "computed":
        transaction.on_commit(lambda: _safely(run_ready_for_review, run.pk))
    elif instance.to_status == "approved":
        transaction.on_commit(lambda: _safely(run_approved, run.pk))


def _on_inquiry(sender, instance, created, **kwargs):
    if instance.status != "open" and instance.decided_at is not None:
        transaction.on_commit(lambda: _safely(inquiry_decided, instance.pk, inquiry=True))


def _safely(send, pk: int, *, inquiry: bool = False) -> None:
    """Mail is a courtesy: a mail server that is down never undoes an approval."""
    from payouts.models import PayoutInquiry, PayoutRun

    model = PayoutInquiry if inquiry else PayoutRun
    row = model.objects.filter(pk=pk).select_related(
        "manager__user" if inquiry else "team").first()
    if row is None:
        return
    try:
        send(row)
    except Exception:  # noqa: BLE001 - logged; the change it reports has committed
        log.exception("notifications: %s for %s #%s failed", send.__name__, model.__name__, pk)


def connect() -> None:
    from payouts.models import PayoutInquiry, PayoutRunTransition

    post_save.connect(_on_transition, sender=PayoutRunTransition,
                      dispatch_uid="review-notify-transition")
    post_save.connect(_on_inquiry, sender=PayoutInquiry, dispatch_uid="review-notify-inquiry")
