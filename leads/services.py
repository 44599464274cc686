"""Writes on leads: create (normalised, duplicates flagged), move through milestones, resolve
duplicates, record payments and refunds (SPEC §2, §5, §6)."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops import policy
from salesops.formatting import format_money
from salesops.inputs import Lock, pay_input_recorded, pay_input_writer
from salesops.models import Manager
from salesops.periods import organisation_zone

from .models import (
    DuplicateState,
    Lead,
    LeadMilestone,
    MilestoneKind,
    Partner,
    Payment,
    PaymentKind,
)
from .ownership import lead_owner_first, lead_pay_days, lead_reassign, owner_on_day
from .phones import phone_normalise, tax_id_normalise
from .selectors import NEW, lead_duplicate_original, lead_status

K = MilestoneKind
# The declared moves of a lead's status (STYLE: explicit state machines). A lead may go back
# and forth (lost → confirmed again); the pay ledger, not this table, keeps a milestone from
# paying twice (SPEC §6.2). Fake is final.
TRANSITIONS = {
    NEW: {K.CONFIRMED, K.LOST, K.FAKE},
    K.CONFIRMED: {K.ARRIVED, K.WON, K.LOST, K.FAKE},
    K.ARRIVED: {K.WON, K.LOST, K.FAKE, K.CONFIRMED},
    K.WON: {K.LOST, K.FAKE},
    K.LOST: {K.CONFIRMED, K.FAKE},
    K.FAKE: set(),
}


class LeadError(ValidationError):
    """A lead cannot do what was asked (an illegal move, a decision one may not take)."""


class MilestoneHistoryError(LeadError):
    """The milestone history is append-only (SPEC §2): a wrong row is corrected, not changed."""


@pay_input_writer
@transaction.atomic
def lead_create(
    *, owner: Manager, source: str, created_at: datetime.datetime | None = None,
    phone: str = "", tax_id: str = "", name: str = "", company: str = "",
    partner: Partner | None = None, by=None,
) -> Lead:
    """Create a lead with its phone and tax id normalised and its first owner's row; flag it
    when it duplicates an earlier open lead (SPEC §6.3): its per-lead pay and partner credit
    wait for a decision. Audited. No month is marked: a lead pays through its milestones and
    payments, which mark theirs. ``by``, when given, must be allowed to create it."""
    lead = Lead(
        owner=owner, source=source, partner=partner, name=name, company=company,
        phone=phone_normalise(phone), tax_id=tax_id_normalise(tax_id),
        created_at=created_at or timezone.now(),
    )
    if by is not None:
        policy.require(by, policy.CREATE, "leads", lead)
    lead.full_clean(exclude=["duplicate_of", "duplicate_state"])
    lead.save()
    lead_owner_first(lead=lead)
    pay_input_recorded(
        action="lead_created", obj=lead, by=by, before={},
        after={name: _plain(getattr(lead, name)) for name in LEAD_CHANGEABLE}, days=set(),
        lock=Lock.NEW,
    )
    return lead_duplicate_flag(lead=lead)


# What a person may change on a lead by hand; the duplicate fields move only by a decision.
LEAD_CHANGEABLE = ("owner", "source", "partner", "name", "company", "phone", "tax_id",
                   "created_at")
LEAD_PAY_FIELDS = ("source", "partner")


@pay_input_writer
@transaction.atomic
def lead_change(*, lead: Lead, changes: dict, by, reason: str = "") -> Lead:
    """Change a lead's own fields (normalised as on creation). A new owner takes the lead from
    today (``lead_reassign``: earlier items stay credited to whoever owned it on their day,
    SPEC §6.7). Any other change (source, partner, contact) changes what the lead's items
    earn: their months are marked changed, a locked month's difference paid as an adjustment
    (SPEC §6.5); audited. A lead not yet flagged is checked again for a duplicate (a corrected
    phone may make it one, SPEC §6.3)."""
    unknown = set(changes) - set(LEAD_CHANGEABLE)
    if unknown:
        raise LeadError(_("These fields of a lead are not changed by hand: %(fields)s")
                        % {"fields": ", ".join(sorted(unknown))})
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if by is not None:
        policy.require(by, policy.CHANGE, "leads", lead)
    changes = dict(changes)
    owner = changes.pop("owner", None)
    if owner is not None and owner.pk != lead.owner_id:
        lead = lead_reassign(lead=lead, owner=owner, by=by, reason=reason)
    before = {name: _plain(getattr(lead, name)) for name in changes}
    for name, value in changes.items():
        setattr(lead, name, value)
    lead.phone, lead.tax_id = phone_normalise(lead.phone), tax_id_normalise(lead.tax_id)
    if by is not None:
        policy.require(by, policy.CHANGE, "leads", lead)  # nobody moves a lead out of reach
    lead.full_clean(exclude=["duplicate_of", "duplicate_state"])
    lead.save()
    after = {name: _plain(getattr(lead, name)) for name in changes}
    if before != after:
        # The source and the partner decide what the lead's items earn; contact details don't.
        feeds_pay = any(before[name] != after[name] for name in LEAD_PAY_FIELDS if name in after)
        pay_input_recorded(action="lead_changed", obj=lead, by=by, before=before, after=after,
                           days=lead_pay_days(lead_ids=[lead.pk]) if feeds_pay else set(),
                           lock=Lock.NEW, reason=reason)
    return lead_duplicate_flag(lead=lead)


@pay_input_writer
@transaction.atomic
def lead_delete(*, lead: Lead, by=None) -> None:
    """Delete a lead entered by mistake. A lead pay is built from is never deleted: one with
    history (milestones), payments, exceptions or duplicates is refused, and its pay is decided
    through those (a lost or fake step, a refund, a decision). Audited; no month is marked (a
    lead with none of those paid nothing)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if by is not None:
        policy.require(by, policy.DELETE, "leads", lead)
    refusal = LeadError(_("A lead with history, payments, exceptions or duplicates is never "
                          "deleted: mark it lost or fake instead."))
    if lead.milestones.exists():
        raise refusal
    before = {name: _plain(getattr(lead, name)) for name in LEAD_CHANGEABLE}
    pk = lead.pk
    try:
        with transaction.atomic():
            lead.delete()  # its owner rows go with it
    except (ProtectedError, RestrictedError):
        raise refusal from None
    lead.pk = pk
    pay_input_recorded(action="lead_deleted", obj=lead, by=by, before=before, after={},
                       days=set(), lock=Lock.NEW)


def _plain(value):
    return value.pk if hasattr(value, "pk") else value


def _day(instant: datetime.datetime) -> datetime.date:
    return timezone.localtime(instant, organisation_zone()).date()


@pay_input_writer
def lead_duplicate_flag(*, lead: Lead) -> Lead:
    """Flag a new lead as a pending duplicate of the first open lead it matches (SPEC §6.3).
    Also called for leads imported from a file."""
    original = lead_duplicate_original(lead=lead)
    if original is not None and not lead.duplicate_state:
        lead.duplicate_of = original
        lead.duplicate_state = DuplicateState.PENDING
        lead.save(update_fields=["duplicate_of", "duplicate_state"])
    return lead


@pay_input_writer
@transaction.atomic
def lead_milestone_set(
    *, lead: Lead, kind: str, by=None, at: datetime.datetime | None = None, note: str = ""
) -> LeadMilestone:
    """Move ``lead`` to ``kind``, recorded as a history row (who, when). ``by``, when given,
    must be allowed to set milestones on this lead (salesops.policy)."""
    if by is not None:
        policy.require(by, policy.CREATE, "milestones", LeadMilestone(lead=lead))
    # The row lock makes two concurrent moves of one lead take turns on a consistent status.
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    current = lead_status(lead=lead)
    if kind == K.CORRECTION:
        raise MilestoneHistoryError(_("A correction is recorded as a correction, with a reason."))
    if kind not in TRANSITIONS[current]:
        raise LeadError(_("A lead that is %(current)s cannot become %(kind)s.") % {
            "current": _step_label(current), "kind": _step_label(kind)})
    milestone = LeadMilestone.objects.create(
        lead=lead, kind=kind, at=at or timezone.now(), set_by=by, note=note
    )
    # Late data for a locked month is admitted: its next open month pays it (SPEC §6.5). A
    # step also changes how the lead's earlier months read (a step voided and reached again
    # stays paid by the month that paid it, SPEC §6.2): every month of the lead is marked.
    pay_input_recorded(
        action="milestone_set", obj=milestone, by=by, before={"status": current},
        after={"status": kind, "at": milestone.at},
        days=lead_pay_days(lead_ids=[lead.pk]),
        lock=Lock.NEW,
    )
    # A referring partner is mailed once the step commits (issue 20).
    from .partners.notifications import referred_lead_moved_on_commit

    referred_lead_moved_on_commit(lead=lead, milestone=milestone)
    return milestone


def may_correct_milestone(*, user, lead: Lead) -> bool:
    """Who may void a row of a lead's history: the sales head of the lead's team, the owner and
    admins (the people who decide on a lead's pay, SPEC §1, §5; a row of salesops.policy)."""
    return policy.may(user, policy.CORRECT, "milestones", LeadMilestone(lead=lead))


@pay_input_writer
@transaction.atomic
def lead_milestone_correct(
    *, milestone: LeadMilestone, reason: str, by, at: datetime.datetime | None = None
) -> LeadMilestone:
    """Void ``milestone`` by appending a correction row that says why (SPEC §2); audited.

    The voided row stays in the history; the lead's status and pay read only rows in force.
    A milestone already paid by a locked month stays paid while the lead still has that step
    in force (e.g. confirmed again later); if it has none, the next open month gets a negative
    adjustment (SPEC §6.2, §6.5). To record what should have been, add the right step after.
    """
    reason = (reason or "").strip()
    if not reason:
        raise MilestoneHistoryError(_("A correction needs a reason."))
    lead = Lead.objects.select_for_update().get(pk=milestone.lead_id)
    milestone = LeadMilestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.kind == K.CORRECTION:
        raise MilestoneHistoryError(_("A correction cannot be corrected: add a new step."))
    if LeadMilestone.objects.filter(corrects=milestone).exists():
        raise MilestoneHistoryError(_("This milestone is already corrected."))
    if by is None or not may_correct_milestone(user=by, lead=lead):
        raise MilestoneHistoryError(
            _("%(user)s may not correct the history of this lead.") % {"user": by}
        )
    before = lead_status(lead=lead)
    correction = LeadMilestone.objects.create(
        lead=lead, kind=K.CORRECTION, corrects=milestone, at=at or timezone.now(), set_by=by,
        reason=reason,
    )
    # What a locked month paid for the voided step is taken back in the next open month
    # (SPEC §6.5); its months are stale (SPEC §7).
    pay_input_recorded(
        action="milestone_corrected", obj=lead, by=by,
        before={"status": before, "milestone": milestone.pk, "kind": milestone.kind,
                "at": milestone.at},
        after={"status": lead_status(lead=lead), "correction": correction.pk},
        days=lead_pay_days(lead_ids=[lead.pk]), lock=Lock.NEW, reason=reason,
    )
    return correction


def lead_milestone_update(*, milestone: LeadMilestone, **changes) -> None:
    """Refused: the history is append-only (SPEC §2). Admin pages and imports route here."""
    raise MilestoneHistoryError(
        _("Milestone history cannot be changed: record a correction with a reason instead.")
    )


def lead_milestone_delete(*, milestone: LeadMilestone, by=None) -> None:
    """Refused: the history is append-only (SPEC §2). Admin pages and imports route here."""
    raise MilestoneHistoryError(
        _("Milestone history cannot be deleted: record a correction with a reason instead.")
    )


def milestone_history_wipe_allow() -> None:
    """Let the current transaction delete milestone rows: only for wiping the whole demo
    organisation (``seed_demo --reset``), which is not a rewrite of any lead's history. On
    PostgreSQL the append-only trigger honours this transaction-local setting; elsewhere
    nothing refuses a delete. Must be called inside ``transaction.atomic``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL salesops.wipe_history = 'on'")


def may_resolve_duplicate(*, user, lead: Lead) -> bool:
    """SPEC §6.3: a sales head resolves a duplicate of own team (the owner and admins may too;
    a row of salesops.policy)."""
    return policy.may(user, policy.RESOLVE_DUPLICATE, "leads", lead)


@pay_input_writer
@transaction.atomic
def duplicate_resolve(*, lead: Lead, resolution: str, by, comment: str = "") -> Lead:
    """Decide a flagged duplicate: keep the first touch (the newcomer earns nothing per lead),
    credit the newcomer (it is paid as a lead of its own), or merge it into the first lead
    (its milestones and payments move there). Audited in the same transaction."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.duplicate_state != DuplicateState.PENDING:
        raise LeadError(_("Lead «%(lead)s» is not a duplicate waiting for a decision.")
                        % {"lead": lead})
    if resolution not in (DuplicateState.KEEP_FIRST, DuplicateState.CREDIT_NEWCOMER,
                          DuplicateState.MERGED):
        raise LeadError(_("Unknown decision on a duplicate: %(value)s.") % {"value": resolution})
    if not may_resolve_duplicate(user=by, lead=lead):
        raise LeadError(_("%(user)s may not resolve duplicates of %(team)s.") % {
            "user": by, "team": lead.owner.team})
    before = {"duplicate_state": lead.duplicate_state, "duplicate_of": lead.duplicate_of_id}
    days = lead_pay_days(lead_ids=[lead.pk])  # credited before a merge moves its items
    moved = {}
    if resolution == DuplicateState.MERGED:
        moved = {
            "milestones": list(lead.milestones.values_list("pk", flat=True)),
            "payments": list(lead.payments.values_list("pk", flat=True)),
        }
        # The one change the append-only history allows: its rows move, unchanged, to the lead
        # that is kept (the trigger of migration 0004 lets lead_id alone change).
        lead.milestones.update(lead=lead.duplicate_of_id)
        lead.payments.update(lead=lead.duplicate_of_id)
    lead.duplicate_state = resolution
    lead.save(update_fields=["duplicate_state"])
    # SPEC §7: the decision changes what both leads' owners are paid, in the leads' months.
    pay_input_recorded(
        action=f"duplicate_{resolution}", obj=lead, by=by, before=before,
        after={"duplicate_state": resolution, "duplicate_of": lead.duplicate_of_id, **moved},
        days=days | lead_pay_days(lead_ids=[lead.pk, lead.duplicate_of_id]), lock=Lock.NEW,
        reason=comment,
    )
    return lead


PAYMENT_NEVER_CHANGED = gettext_lazy(
    "A payment is never changed or deleted: refund it (the Refund action) and enter the right "
    "one.")


@pay_input_writer
@transaction.atomic
def payment_create(
    *, lead: Lead, amount: Decimal, received_on: datetime.date, kind: str = PaymentKind.ONE_TIME,
    period_start: datetime.date | None = None, external_id: str = "", by=None,
) -> Payment:
    if by is not None:
        policy.require(by, policy.CREATE, "payments", Payment(lead=lead))
    payment = Payment(lead=lead, amount=amount, received_on=received_on, kind=kind,
                      period_start=period_start, external_id=external_id)
    payment.full_clean()
    payment.save()
    _payment_recorded(payment, by=by, action="payment_received")
    return payment


def _payment_recorded(payment: Payment, *, by, action: str) -> None:
    # Late data for a locked month is admitted: its next open month pays it (SPEC §6.5).
    pay_input_recorded(
        action=action, obj=payment, by=by, before={},
        after={"amount": payment.amount, "received_on": payment.received_on,
               "refund_of": payment.refund_of_id},
        days={(owner_on_day(lead_id=payment.lead_id, day=payment.received_on),
               payment.received_on)},
        lock=Lock.NEW,
    )


@pay_input_writer
@transaction.atomic
def payment_refund(
    *, payment: Payment, received_on: datetime.date, amount: Decimal | None = None,
    external_id: str = "", by=None,
) -> Payment:
    """A refund is a negative payment pointing at what it reverses: the engine reverses the
    revenue percent and the partner commission it earned from it (SPEC §6.6)."""
    if by is not None:
        policy.require(by, policy.REFUND, "payments", payment)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.is_refund:
        raise LeadError(_("A refund cannot be refunded."))
    refunded = -sum((r.amount for r in payment.refunds.all()), Decimal("0"))
    amount = payment.amount - refunded if amount is None else amount
    if amount <= 0 or refunded + amount > payment.amount:
        raise LeadError(_("Cannot refund %(amount)s: %(left)s is left to refund.") % {
            "amount": format_money(amount), "left": format_money(payment.amount - refunded)})
    return _refund_row(payment, amount, received_on, external_id, by=by)


def _refund_row(payment: Payment, amount: Decimal, received_on, external_id, *, by=None
                ) -> Payment:
    refund = Payment(
        lead=payment.lead, amount=-amount, received_on=received_on, kind=payment.kind,
        period_start=payment.period_start, refund_of=payment, external_id=external_id,
    )
    refund.full_clean()
    refund.save()
    _payment_recorded(refund, by=by, action="payment_refunded")
    return refund


def _step_label(value: str) -> str:
    """A lead's step or status by its label ("Confirmed"), never its code."""
    try:
        return str(MilestoneKind(value).label).lower()
    except ValueError:
        return _("new") if value == "new" else value
