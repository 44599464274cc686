"""What a partner reads in the portal: their referred leads with the steps they passed, their
payments with the commission the statements computed, their statements; and for us, what
partners owe on the leads we handed them. Every list starts from ``salesops.policy.scoped``,
so a partner's page and API hold only that partner's rows."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from leads.models import Lead, LeadMilestone, LeadSource, MilestoneKind, Partner
from leads.selectors import milestones_in_force
from payouts.models import PartnerStatement
from payouts.partners import PaymentCommission, partner_payment_commissions
from salesops import policy
from salesops.periods import organisation_zone

from .models import HandedLead, HandedLeadPayment, HandedStatus, ReferralLink

ZERO = Decimal("0.00")
ZERO_MONEY = Value(ZERO, output_field=DecimalField(max_digits=14, decimal_places=2))
# What a partner reads of a referred lead's steps (SPEC §2 milestones, in the partner's words):
# we received it, qualified it (consent given, handed to sales: ``confirmed``), the client
# confirmed (``arrived``), and the end: won, or lost (lost or fake: a partner is not told why).
RECEIVED, QUALIFIED, CONFIRMED, WON, LOST = "received", "qualified", "confirmed", "won", "lost"
PARTNER_STEP = {
    MilestoneKind.CONFIRMED: QUALIFIED, MilestoneKind.ARRIVED: CONFIRMED,
    MilestoneKind.WON: WON, MilestoneKind.LOST: LOST, MilestoneKind.FAKE: LOST,
}
STEPS = (RECEIVED, QUALIFIED, CONFIRMED, WON, LOST)
STEP_CHOICES = [(step, step) for step in STEPS]


def partner_of(user) -> Partner | None:
    """The partner record of a partner's login (None for anyone else)."""
    if policy.role_of(user) != policy.PARTNER:
        return None
    return Partner.objects.get(user=user)


@dataclass(frozen=True)
class ReferredLead:
    lead: Lead
    status: str  # one of STEPS
    status_at: datetime.datetime
    steps: list[tuple[str, datetime.datetime]]  # each step first reached, in order
    manager_first_name: str  # the one thing of ours a partner reads about who works it


def referred_leads(*, user) -> list[ReferredLead]:
    """The leads ``user`` (a partner) referred, newest first, with the steps they passed."""
    leads = list(policy.scoped(user, policy.VIEW, "leads")
                 .select_related("owner__user").order_by("-created_at", "-pk"))
    history: dict[int, list[LeadMilestone]] = {lead.pk: [] for lead in leads}
    for row in milestones_in_force().filter(lead__in=leads).order_by("at", "pk"):
        history[row.lead_id].append(row)
    found = []
    for lead in leads:
        steps = [(RECEIVED, lead.created_at)]
        for row in history[lead.pk]:
            step = PARTNER_STEP.get(row.kind)
            if step and step not in {s for s, _at in steps}:
                steps.append((step, row.at))
        latest = history[lead.pk][-1] if history[lead.pk] else None
        status = PARTNER_STEP.get(latest.kind, RECEIVED) if latest else RECEIVED
        status_at = latest.at if latest else lead.created_at
        found.append(ReferredLead(lead=lead, status=status, status_at=status_at, steps=steps,
                                  manager_first_name=lead.owner.user.first_name))
    return found


def payment_commissions(*, user, today: datetime.date | None = None
                        ) -> list[PaymentCommission]:
    partner = partner_of(user)
    if partner is None:
        return []
    today = today or timezone.localdate(timezone=organisation_zone())
    return partner_payment_commissions(partner=partner, today=today)


def partner_statements(*, user):
    return (policy.scoped(user, policy.VIEW, "partner_statements")
            .select_related("partner").order_by("-month", "-pk"))


def partner_statement(*, user, pk: int) -> PartnerStatement:
    """One of ``user``'s statements; another partner's answers DoesNotExist (a 404)."""
    return partner_statements(user=user).get(pk=pk)


def handed_leads(*, user):
    return (policy.scoped(user, policy.VIEW, "handed_leads")
            .select_related("lead", "partner", "handed_by__user")
            # A lead with no payment reported yet has reported and owed nothing, not "none".
            .annotate(reported=Coalesce(Sum("payments__amount"), ZERO_MONEY),
                      owed=Coalesce(Sum("payments__commission"), ZERO_MONEY))
            .order_by("-handed_at", "-pk"))


# --- what partners owe us -------------------------------------------------------------------

@dataclass(frozen=True)
class Receivable:
    partner: Partner
    owed: Decimal  # commission reported and not received yet
    overdue: Decimal  # of which past its due day
    reports: list[HandedLeadPayment]


def receivables(*, user, today: datetime.date) -> list[Receivable]:
    """Per partner: the commission on reported payments we have not received, and how much of
    it is past due."""
    open_reports = (policy.scoped(user, policy.VIEW, "handed_lead_payments")
                    .filter(commission_payment__isnull=True)
                    .select_related("handed_lead__partner", "handed_lead__lead")
                    .order_by("handed_lead__partner__name", "due_on", "pk"))
    by_partner: dict[int, list[HandedLeadPayment]] = {}
    for report in open_reports:
        by_partner.setdefault(report.handed_lead.partner_id, []).append(report)
    return [
        Receivable(partner=reports[0].handed_lead.partner,
                   owed=sum((r.commission for r in reports), ZERO),
                   overdue=sum((r.commission for r in reports if r.due_on < today), ZERO),
                   reports=reports)
        for reports in by_partner.values()
    ]


SILENCE = datetime.timedelta(days=14)


def silent_handed_leads(*, user, now: datetime.datetime):
    """Open handed leads with no word from the partner for 14 days."""
    return (policy.scoped(user, policy.VIEW, "handed_leads")
            .filter(status__in=[HandedStatus.HANDED, HandedStatus.IN_PROGRESS],
                    last_update_at__lte=now - SILENCE)
            .select_related("lead", "partner", "handed_by__user")
            .order_by("last_update_at", "pk"))


def referral_link_of(partner: Partner) -> ReferralLink | None:
    """The partner's personal link, if they made it."""
    return ReferralLink.objects.filter(partner=partner).first()


def lead_handed(lead: Lead) -> HandedLead | None:
    """The partner ``lead`` is handed to, if it is."""
    return HandedLead.objects.filter(lead=lead).select_related("partner").first()


def lead_handable(lead: Lead) -> bool:
    """A lead we may still hand to a partner: not one a partner referred, not handed yet."""
    return (lead.source != LeadSource.PARTNER_REFERRED
            and not HandedLead.objects.filter(lead=lead).exists())
