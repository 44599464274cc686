"""Mail to partners (issue 20), through the review's ``notify`` (each event mailed once per
recipient, a unique row written with the sending): a referred lead changed status, a statement
became final, a statement was paid, and a reminder when a lead we handed them has had no word
for 14 days (``handed_leads_remind``: once per silence, a later word starting a new one)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from leads.models import Lead, LeadMilestone
from payouts.models import PartnerStatement
from payouts.notifications import _link, notify
from salesops.formatting import format_month

from .models import HandedLead, HandedStatus
from .selectors import PARTNER_STEP, SILENCE


def _step_words(step: str) -> str:
    return {"received": _("received"), "qualified": _("qualified"), "confirmed": _("confirmed"),
            "won": _("won"), "lost": _("lost")}[step]


def referred_lead_moved(milestone_id: int) -> int:
    """The partner of a referred lead: its status in their words changed (a step a partner
    does not see, or a correction, mails nobody)."""
    milestone = LeadMilestone.objects.select_related("lead__partner__user").filter(
        pk=milestone_id).first()
    step = PARTNER_STEP.get(milestone.kind) if milestone else None
    partner = milestone.lead.partner if milestone else None
    if step is None or partner is None or partner.user is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your client %(lead)s: %(step)s") % {"lead": milestone.lead,
                                                          "step": _step_words(step)}
        body = _("The client you referred, %(lead)s, is now %(step)s. Your portal: %(link)s") % {
            "lead": milestone.lead, "step": _step_words(step), "link": _link("partner:home")}
    return notify(event=f"referred:{milestone.pk}", users=[partner.user], subject=subject,
                  body=body)


def referred_lead_moved_on_commit(*, lead: Lead, milestone: LeadMilestone) -> None:
    """Called by the milestone writer: mail once the step has committed."""
    if lead.partner_id is not None:
        transaction.on_commit(lambda: referred_lead_moved(milestone.pk))


def statement_changed(statement_id: int) -> int:
    """The partner: their statement became final, or was paid."""
    statement = PartnerStatement.objects.select_related("partner__user").get(pk=statement_id)
    user = statement.partner.user
    if user is None or statement.status == PartnerStatement.Status.DRAFT:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        month = format_month(statement.month)
        link = _link("partner:statement", args=[statement.pk])
        if statement.status == PartnerStatement.Status.PAID:
            subject = _("Your statement for %(month)s is paid") % {"month": month}
            body = _("We have paid your statement for %(month)s. See it here: %(link)s")
        else:
            subject = _("Your statement for %(month)s is final") % {"month": month}
            body = _("Your statement for %(month)s is final. See it here: %(link)s")
        body = body % {"month": month, "link": link}
    return notify(event=f"partner-statement:{statement.pk}:{statement.status}", users=[user],
                  subject=subject, body=body)


def statement_changed_on_commit(statement: PartnerStatement) -> None:
    transaction.on_commit(lambda: statement_changed(statement.pk))


def handed_leads_remind(*, now: datetime.datetime) -> int:
    """Remind each partner of the open leads we handed them that had no word for 14 days:
    one mail per lead per silence. The claim (a conditional update of ``reminded_at``) keeps
    two runs from both sending; a word from the partner clears it."""
    sent = 0
    silent = HandedLead.objects.filter(
        status__in=[HandedStatus.HANDED, HandedStatus.IN_PROGRESS], reminded_at__isnull=True,
        last_update_at__lte=now - SILENCE,
    ).select_related("partner__user", "lead")
    for handed in silent:
        claimed = HandedLead.objects.filter(pk=handed.pk, reminded_at__isnull=True).update(
            reminded_at=now)
        user = handed.partner.user
        if claimed != 1 or user is None:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("How is %(lead)s going?") % {"lead": handed.lead}
            body = _("We handed you %(lead)s and have heard nothing for two weeks. Please "
                     "update its status or report a payment: %(link)s") % {
                "lead": handed.lead, "link": _link("partner:handed-lead", args=[handed.pk])}
        sent += notify(event=f"handed:{handed.pk}:silent:{handed.last_update_at:%Y%m%d%H%M%S}",
                       users=[user], subject=subject, body=body)
    return sent

