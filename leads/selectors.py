"""Reads on leads: the current status derived from history, and the earlier lead a new one
duplicates (SPEC §2, §6.3)."""

from django.db.models import OuterRef, Q, QuerySet, Subquery

from salesops.selectors import scope_to_user

from .models import MILESTONE_STEPS, Lead, LeadMilestone, MilestoneKind

NEW = "new"
# A lead that is lost or fake is closed: a later lead with its phone is a new sale, not a
# duplicate (SPEC §6.3 "matches an open lead").
CLOSED = (MilestoneKind.LOST, MilestoneKind.FAKE)


def milestone_in_force(prefix: str = "") -> Q:
    """The milestone rows that count: steps no correction has voided (SPEC §2).

    ``prefix`` is the path to the milestone (``"milestones__"`` from a lead). Every reader of
    the history — the lead's status, pay (``payouts.engine.facts``), pages — filters with it.
    """
    return Q(**{f"{prefix}kind__in": MILESTONE_STEPS, f"{prefix}correction__isnull": True})


def milestones_in_force(queryset: QuerySet[LeadMilestone] | None = None):
    queryset = queryset if queryset is not None else LeadMilestone.objects.all()
    return queryset.filter(milestone_in_force())


def _latest_kind():
    latest = milestones_in_force().filter(lead=OuterRef("pk")).order_by("-at", "-pk")
    return Subquery(latest.values("kind")[:1])


def leads_with_status(queryset: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """Leads annotated with ``status``: the kind of their latest milestone, ``None`` if new."""
    return (queryset if queryset is not None else Lead.objects.all()).annotate(
        status=_latest_kind()
    )


def lead_status(*, lead: Lead) -> str:
    """The kind of the lead's latest step in force, or ``NEW``."""
    kind = (
        milestones_in_force().filter(lead=lead).order_by("-at", "-pk")
        .values_list("kind", flat=True).first()
    )
    return kind or NEW


def leads_visible_to(user) -> QuerySet[Lead]:
    return scope_to_user(Lead.objects.select_related("owner__user", "partner"), user, via="owner")


def lead_duplicate_original(*, lead: Lead) -> Lead | None:
    """The first open lead created before ``lead`` with its phone or tax id (first touch)."""
    match = Q()
    if lead.phone:
        match |= Q(phone=lead.phone)
    if lead.tax_id:
        match |= Q(tax_id=lead.tax_id)
    if not match:
        return None
    candidates = (
        leads_with_status(Lead.objects.filter(match))
        .exclude(pk=lead.pk)
        .filter(Q(created_at__lt=lead.created_at) | Q(created_at=lead.created_at, pk__lt=lead.pk))
        .filter(Q(status__isnull=True) | ~Q(status__in=CLOSED))
        # A merged duplicate is not a lead of its own any more.
        .exclude(duplicate_state="merged")
        .order_by("created_at", "pk")
    )
    return candidates.first()
