"""Writes of the partner portal (issue 20): a referral, payout details asked for and confirmed,
a lead handed to a partner, what the partner reports on it, and our commission received.

Each is one transaction with its audit row; a partner's reported payment is a pay input
(``salesops.inputs``); the commission received becomes a payment of the lead
(``leads.services.payment_create``), which the handing manager's plan pays by its source.
"""

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.models import Lead, LeadSource, Partner, Payment
from leads.phones import phone_normalise, tax_id_normalise
from leads.services import lead_change, lead_create, payment_create
from payouts.partners import commission_of
from salesops import policy
from salesops.inputs import Lock, audit_record, pay_input_recorded, pay_input_writer
from salesops.models import Manager, Role

from .models import (
    DetailsStatus,
    HandedLead,
    HandedLeadPayment,
    HandedStatus,
    PayoutDetails,
    PayoutMethod,
    ReferralLink,
)


class PartnerPortalError(ValidationError):
    """What a partner (or we) asked cannot be done; the message says why."""


# --- referrals (SPEC §5, §6.3) ----------------------------------------------------------------

@dataclass(frozen=True)
class ReferralOutcome:
    """``known``: we know this phone or tax id already (nothing was created, and nothing says
    whose it is); otherwise ``lead`` is the new lead credited to the partner."""

    known: bool
    lead: Lead | None = None


def referral_owner() -> Manager:
    """Who a referred lead lands on: the owner, who routes leads personally (SPEC §1)."""
    owner = (Manager.objects.filter(role=Role.OWNER, user__is_active=True)
             .order_by("pk").first())
    if owner is None:
        raise PartnerPortalError(_("Referrals cannot be received now: nobody routes leads."))
    return owner


@transaction.atomic
def referral_submit(*, partner: Partner, name: str, company: str, phone: str, tax_id: str,
                    comment: str = "", by=None) -> ReferralOutcome:
    """A lead referred by ``partner`` (from the portal, the link or the API). A phone or tax id
    we already know — on any lead, whoever's — answers "already known" and creates nothing
    (SPEC §6.3: first touch wins, and a partner is not told whose it is)."""
    if by is not None:
        policy.require(by, policy.CREATE, "partner_portal")
        if by.partner.pk != partner.pk:
            raise policy.AccessDenied(_("A partner refers leads of their own only."))
    try:
        phone, tax_id = phone_normalise(phone), tax_id_normalise(tax_id)
    except ValidationError as error:
        raise PartnerPortalError(_("Check the phone and the tax id: %(error)s")
                                 % {"error": error.messages[0]}) from None
    if not phone and not tax_id:
        raise PartnerPortalError(_("Give the client's phone or tax id."))
    known = Q()
    if phone:
        known |= Q(phone=phone)
    if tax_id:
        known |= Q(tax_id=tax_id)
    if Lead.objects.filter(known).exists():
        return ReferralOutcome(known=True)
    lead = lead_create(owner=referral_owner(), source=LeadSource.PARTNER_REFERRED,
                       partner=partner, name=name.strip(), company=company.strip(),
                       phone=phone, tax_id=tax_id)
    audit_record(action="lead_referred", obj=lead, by=by, before={},
                 after={"partner": partner.pk}, comment=comment.strip())
    return ReferralOutcome(known=False, lead=lead)


def referral_link_ensure(*, partner: Partner) -> ReferralLink:
    """The partner's personal link, made on first need with a code nobody can guess."""
    link = ReferralLink.objects.filter(partner=partner).first()
    if link is None:
        link, _created = ReferralLink.objects.get_or_create(
            partner=partner, defaults={"code": secrets.token_urlsafe(9)})
    return link


# --- payout details -------------------------------------------------------------------------

REQUIRED = {
    PayoutMethod.BANK_TRANSFER: ("legal_name", "tax_id", "bank_bic", "account_number"),
    PayoutMethod.CARD: ("legal_name", "card_number"),
    PayoutMethod.OTHER: ("other_details",),
}
DETAIL_FIELDS = ("method", "legal_name", "tax_id", "bank_name", "bank_bic", "account_number",
                 "card_number", "other_details")


def payout_details_in_force(*, partner: Partner) -> PayoutDetails | None:
    return partner.payout_details.filter(status=DetailsStatus.CONFIRMED).first()


def payout_details_pending(*, partner: Partner) -> PayoutDetails | None:
    return partner.payout_details.filter(status=DetailsStatus.PENDING).first()


@transaction.atomic
def payout_details_request(*, partner: Partner, by, **fields) -> PayoutDetails:
    """The partner asks to be paid another way. Nothing changes for payouts until an admin
    confirms it (``payout_details_confirm``); a second request replaces a pending one. Audited:
    this is where a fraudster would redirect money."""
    policy.require(by, policy.CREATE, "payout_details", PayoutDetails(partner=partner))
    Partner.objects.select_for_update().get(pk=partner.pk)
    fields = {name: str(fields.get(name) or "").strip() for name in DETAIL_FIELDS}
    if fields["method"] not in PayoutMethod.values:
        raise PartnerPortalError(_("Choose how you want to be paid."))
    fields["card_number"] = "".join(ch for ch in fields["card_number"] if ch.isdigit())
    missing = [PayoutDetails._meta.get_field(name).verbose_name
               for name in REQUIRED[fields["method"]] if not fields[name]]
    if missing:
        raise PartnerPortalError(_("Fill in: %(fields)s.")
                                 % {"fields": ", ".join(str(m) for m in missing)})
    details = PayoutDetails(partner=partner, requested_by=by, requested_at=timezone.now(),
                            **fields)
    details.full_clean(exclude=["status"])
    earlier = payout_details_pending(partner=partner)
    if earlier is not None:
        earlier.status = DetailsStatus.SUPERSEDED
        earlier.save(update_fields=["status"])
    details.save()
    audit_record(action="payout_details_requested", obj=details, by=by,
                 before={"pending": earlier.pk if earlier else None},
                 after={"method": details.method, "summary": details.summary()})
    return details


@transaction.atomic
def payout_details_confirm(*, details: PayoutDetails, by) -> PayoutDetails:
    """An owner or admin confirms a pending change: from now on the partner is paid this way.
    Nobody confirms details they asked for themselves."""
    details = PayoutDetails.objects.select_for_update().get(pk=details.pk)
    policy.require(by, policy.CHANGE, "payout_details", details)
    if details.status != DetailsStatus.PENDING:
        raise PartnerPortalError(_("These details are not waiting for confirmation."))
    if details.requested_by_id == by.pk:
        raise PartnerPortalError(_("Details one asked for are confirmed by someone else."))
    before = payout_details_in_force(partner=details.partner)
    if before is not None:
        before.status = DetailsStatus.SUPERSEDED
        before.save(update_fields=["status"])
    details.status, details.decided_by, details.decided_at = (
        DetailsStatus.CONFIRMED, by, timezone.now())
    details.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(action="payout_details_confirmed", obj=details, by=by,
                 before={"in_force": before.summary() if before else ""},
                 after={"in_force": details.summary()})
    return details


@transaction.atomic
def payout_details_reject(*, details: PayoutDetails, by, comment: str) -> PayoutDetails:
    details = PayoutDetails.objects.select_for_update().get(pk=details.pk)
    policy.require(by, policy.CHANGE, "payout_details", details)
    if details.status != DetailsStatus.PENDING:
        raise PartnerPortalError(_("These details are not waiting for confirmation."))
    details.status, details.decided_by, details.decided_at = (
        DetailsStatus.REJECTED, by, timezone.now())
    details.decision_comment = comment.strip()[:500]
    details.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    audit_record(action="payout_details_rejected", obj=details, by=by,
                 before={"status": DetailsStatus.PENDING},
                 after={"status": details.status}, comment=details.decision_comment)
    return details


# --- leads we hand to partners ----------------------------------------------------------------

# The declared moves a partner reports (STYLE: explicit state machines).
HANDED_TRANSITIONS = {
    HandedStatus.HANDED: {HandedStatus.IN_PROGRESS, HandedStatus.WON, HandedStatus.LOST},
    HandedStatus.IN_PROGRESS: {HandedStatus.WON, HandedStatus.LOST},
    HandedStatus.WON: {HandedStatus.LOST},
    HandedStatus.LOST: {HandedStatus.IN_PROGRESS},
}


@pay_input_writer
@transaction.atomic
def lead_hand_to_partner(*, lead: Lead, partner: Partner, percent: Decimal, by
                         ) -> HandedLead:
    """Pass ``lead`` to ``partner`` for ``percent`` of what their client pays. The lead's source
    becomes ``handed_to_partner``: what it pays the owner (the handing manager) is the
    commission once received, at the plan's rate for that source."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    handed = HandedLead(lead=lead, partner=partner, handed_by=lead.owner,
                        percent=percent, handed_at=timezone.now())
    handed.last_update_at = handed.handed_at
    policy.require(by, policy.CREATE, "handed_leads", handed)
    if lead.source == LeadSource.PARTNER_REFERRED:
        raise PartnerPortalError(_("A lead a partner referred to us is not handed to a partner."))
    if HandedLead.objects.filter(lead=lead).exists():
        raise PartnerPortalError(_("This lead is handed to a partner already."))
    handed.full_clean()
    if lead.source != LeadSource.HANDED_TO_PARTNER:
        lead_change(lead=lead, changes={"source": LeadSource.HANDED_TO_PARTNER}, by=None,
                    reason=_("handed to partner %(partner)s") % {"partner": partner})
    handed.save()
    audit_record(action="lead_handed_to_partner", obj=handed, by=by, before={},
                 after={"partner": partner.pk, "percent": percent, "lead": lead.pk})
    return handed


def _heard_from(handed: HandedLead) -> None:
    # A word from the partner ends the silence: a later silence is reminded again.
    handed.last_update_at, handed.reminded_at = timezone.now(), None


@transaction.atomic
def handed_lead_status_set(*, handed: HandedLead, status: str, by) -> HandedLead:
    handed = HandedLead.objects.select_for_update().get(pk=handed.pk)
    policy.require(by, policy.CHANGE, "handed_leads", handed)
    if status not in HANDED_TRANSITIONS.get(handed.status, set()):
        raise PartnerPortalError(_("A lead that is %(current)s cannot become %(status)s.") % {
            "current": handed.get_status_display().lower(),
            "status": str(HandedStatus(status).label).lower()
            if status in HandedStatus.values else status})
    before = handed.status
    handed.status = status
    _heard_from(handed)
    handed.save(update_fields=["status", "last_update_at", "reminded_at"])
    audit_record(action="handed_lead_status_reported", obj=handed, by=by,
                 before={"status": before}, after={"status": status})
    return handed


@pay_input_writer
@transaction.atomic
def handed_lead_payment_report(*, handed: HandedLead, amount: Decimal,
                               received_on: datetime.date, by) -> HandedLeadPayment:
    """The partner reports that their client paid ``amount``: we are owed ``percent`` of it,
    due ``SALESOPS_HANDED_COMMISSION_DUE_DAYS`` after the client paid. A pay input (the
    handing manager is paid when it is received), written through the layer: it marks no month
    yet, since nothing is paid until the commission arrives."""
    handed = HandedLead.objects.select_for_update().get(pk=handed.pk)
    policy.require(by, policy.CHANGE, "handed_leads", handed)
    policy.require(by, policy.CREATE, "handed_lead_payments",
                   HandedLeadPayment(handed_lead=handed))
    if amount is None or amount <= 0:
        raise PartnerPortalError(_("A payment is a positive amount."))
    if received_on > timezone.localdate():
        raise PartnerPortalError(_("A payment cannot be received in the future."))
    report = HandedLeadPayment(
        handed_lead=handed, amount=amount, received_on=received_on,
        commission=commission_of(amount, handed.percent),
        due_on=received_on + datetime.timedelta(days=settings.SALESOPS_HANDED_COMMISSION_DUE_DAYS),
        reported_at=timezone.now(), reported_by=by)
    report.full_clean()
    report.save()
    _heard_from(handed)
    handed.save(update_fields=["last_update_at", "reminded_at"])
    pay_input_recorded(action="handed_payment_reported", obj=report, by=by, before={},
                       after={"amount": amount, "received_on": received_on,
                              "commission": report.commission}, days=set(), lock=Lock.NEW)
    return report


@pay_input_writer
@transaction.atomic
def handed_commission_received(*, report: HandedLeadPayment, received_on: datetime.date, by
                               ) -> Payment:
    """Our commission on a reported payment has arrived: it becomes a payment of the handed
    lead, so the month it arrives pays the handing manager (the lead's owner) by their plan's
    rate for ``handed_to_partner`` (SPEC §4 revenue percent by source). Once per report."""
    report = HandedLeadPayment.objects.select_for_update().get(pk=report.pk)
    policy.require(by, policy.CHANGE, "handed_lead_payments", report)
    if report.commission_payment_id is not None:
        raise PartnerPortalError(_("This commission is recorded as received already."))
    if report.commission <= 0:
        raise PartnerPortalError(_("Nothing is owed on this payment."))
    try:
        with transaction.atomic():
            payment = payment_create(lead=report.handed_lead.lead, amount=report.commission,
                                     received_on=received_on,
                                     external_id=f"handed-commission-{report.pk}")
    except IntegrityError:
        raise PartnerPortalError(_("This commission is recorded as received already.")) \
            from None
    report.commission_payment = payment
    report.save(update_fields=["commission_payment"])
    audit_record(action="handed_commission_received", obj=report, by=by,
                 before={}, after={"payment": payment.pk, "amount": payment.amount,
                                   "received_on": received_on})
    return payment
