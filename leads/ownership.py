"""Who a lead's milestones and payments are credited to (SPEC §6.7): the owner in force on the
item's day, from the lead's ownership history (``LeadOwnership``). Reassigning a lead never
changes what approved months paid; later payments and milestones follow the new owner.

Days are the organisation's calendar days: a milestone's day is the local date of its time, a
payment's its received date. Every reader of pay (``payouts.engine.facts``) and every writer
that marks pay changed (``lead_pay_days``) credits items through these expressions.
"""

import datetime

from django.db import transaction
from django.db.models import BigIntegerField, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from salesops import policy
from salesops.inputs import Lock, pay_input_recorded, pay_input_writer
from salesops.periods import organisation_zone

from .models import Lead, LeadMilestone, LeadOwnership, Payment


def owner_on(*, lead: str, day):
    """The owner id in force on ``day`` (an expression) of the lead at path ``lead`` ("lead"
    from a milestone or payment, "" from a lead). A lead with no history yet (a row written
    without ``lead_create``) is its current owner's."""
    key, owner = (f"{lead}_id", f"{lead}__owner_id") if lead else ("pk", "owner_id")
    rows = (LeadOwnership.objects.filter(lead_id=OuterRef(key))
            .filter(Q(since__isnull=True) | Q(since__lte=day))
            .order_by(F("since").desc(nulls_last=True)))
    return Coalesce(Subquery(rows.values("owner_id")[:1]), F(owner),
                    output_field=BigIntegerField())


def milestone_day(prefix: str = ""):
    return TruncDate(f"{prefix}at", tzinfo=organisation_zone())


def milestones_credited(queryset=None):
    """Milestones annotated with ``credited_to``: the owner in force on their day."""
    queryset = queryset if queryset is not None else LeadMilestone.objects.all()
    return queryset.annotate(day=milestone_day()).annotate(
        credited_to=owner_on(lead="lead", day=OuterRef("day")))


def payments_credited(queryset=None):
    """Payments annotated with ``credited_to``: the owner in force on their received date."""
    queryset = queryset if queryset is not None else Payment.objects.all()
    return queryset.annotate(credited_to=owner_on(lead="lead", day=OuterRef("received_on")))


def lead_pay_days(*, lead_ids) -> set[tuple[int, datetime.date]]:
    """(credited manager, day) of every milestone and payment of the leads: what a decision on
    the leads changes (SPEC §7)."""
    lead_ids = list(lead_ids)
    days = {(owner, day) for owner, day in milestones_credited(
        LeadMilestone.objects.filter(lead_id__in=lead_ids)).values_list("credited_to", "day")}
    days |= {(owner, day) for owner, day in payments_credited(
        Payment.objects.filter(lead_id__in=lead_ids)).values_list("credited_to",
                                                                   "received_on")}
    return {(owner, day) for owner, day in days if owner}


def owner_on_day(*, lead_id: int, day: datetime.date) -> int | None:
    """The owner id in force on ``day`` of one lead."""
    return (LeadOwnership.objects.filter(lead_id=lead_id)
            .filter(Q(since__isnull=True) | Q(since__lte=day))
            .order_by(F("since").desc(nulls_last=True)).values_list("owner_id", flat=True)
            .first()) or Lead.objects.filter(pk=lead_id).values_list("owner_id",
                                                                      flat=True).first()


@pay_input_writer
def lead_owner_first(*, lead: Lead) -> LeadOwnership:
    """The first owner's row of a new lead (``lead_create`` and imports)."""
    return LeadOwnership.objects.get_or_create(lead=lead, since=None,
                                               defaults={"owner_id": lead.owner_id})[0]


def _today() -> datetime.date:
    return timezone.localtime(timezone.now(), organisation_zone()).date()


@pay_input_writer
@transaction.atomic
def lead_reassign(
    *, lead: Lead, owner, by=None, since: datetime.date | None = None, reason: str = ""
) -> Lead:
    """Give ``lead`` to ``owner`` from the day ``since`` (today by default): milestones and
    payments from that day on are credited to them, earlier ones stay with whoever owned the
    lead on their day (SPEC §6.7). Refused when items from that day on lie in a locked month
    (moving an approved commission is a commission exception). Audited; both owners' months
    from that day on are marked changed."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if by is not None:
        policy.require(by, policy.CHANGE, "leads", lead)
    since = since or _today()
    if owner.pk == lead.owner_id and not LeadOwnership.objects.filter(
            lead=lead, since__gt=since).exists():
        return lead
    lead_owner_first(lead=lead)  # a lead written without ``lead_create`` has no history yet
    moved = {(m, d) for m, d in lead_pay_days(lead_ids=[lead.pk]) if d >= since}
    before = {"owner": lead.owner_id}
    LeadOwnership.objects.filter(lead=lead, since__gte=since).delete()
    LeadOwnership.objects.create(lead=lead, owner=owner, since=since, set_by=by,
                                 reason=(reason or "").strip())
    lead.owner = owner
    if by is not None:
        policy.require(by, policy.CHANGE, "leads", lead)  # nobody moves a lead out of reach
    lead.save(update_fields=["owner"])
    days = moved | {(owner.pk, d) for _m, d in moved} | {(before["owner"], since),
                                                          (owner.pk, since)}
    pay_input_recorded(
        action="lead_reassigned", obj=lead, by=by, before=before,
        after={"owner": owner.pk, "since": since.isoformat()}, days=days, lock=Lock.REFUSE,
        reason=reason,
    )
    return lead
