"""Gather a month's figures for many people at once: one aggregate query per kind of source.

Calls are aggregated on the database (``values().annotate()`` with conditional ``Sum``/``Count``)
grouped by manager, never read row by row: a month is millions of calls (SPEC §2 figures).
Leads, milestones and payments are few, so their ids are kept to explain each line.

The figures are plain JSON (ints, Decimal as strings, ISO datetimes): they are stored on the
run member so that every retry of a member's task pays from the same snapshot.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
)

from leads.models import Lead, MilestoneKind, Payment
from leads.selectors import milestone_in_force, milestones_in_force
from salesops.models import CallLog, MonthlyPlan, Outcome, WorkShift
from salesops.periods import month_bounds, next_month

from ..models import (
    LOCKED_STATUSES,
    CommissionException,
    ComponentKind,
    ExceptionKind,
    ExceptionStatus,
    PaidItem,
    PaidItemKind,
)

OPERATOR_S = F("duration_s") + F("wrapup_s")
# Each call rounded up to whole minutes: integer division on both PostgreSQL and SQLite.
OPERATOR_MIN_UP = ExpressionWrapper(
    (F("duration_s") + F("wrapup_s") + 59) / 60, output_field=IntegerField()
)
EFFECTIVE_OUTCOMES = (Outcome.PRESENTATION, Outcome.CONSENT)
MILESTONE_COMPONENTS = {
    MilestoneKind.CONFIRMED: ComponentKind.PER_CONFIRMED_LEAD,
    MilestoneKind.ARRIVED: ComponentKind.PER_ARRIVED_CLIENT,
}


def empty_facts(*, threshold_s: int) -> dict:
    return {
        "calls": {
            "threshold_s": threshold_s, "count": 0, "operator_s": 0, "operator_min_up": 0,
            "conversations": 0, "effective": 0, "max_id": 0,
            "by_outcome": {str(o.value): {"operator_s": 0, "operator_min_up": 0} for o in Outcome},
        },
        "shifts": {"count": 0, "seconds": 0, "max_id": 0},
        "milestones": {kind.value: [] for kind in MILESTONE_COMPONENTS},
        "clawbacks": [],
        "payments": [],
        # Per-lead decisions that change what a lead pays: "<component>:<lead>" → exception.
        "exceptions": {},
        "plan": {"conversations": 0, "confirmed_leads": 0, "revenue": "0"},
    }


def call_figures_needed(versions) -> frozenset[str]:
    """Which optional call aggregates the plans read: per-outcome sums (differentiated
    minutes) and per-call rounded-up minutes. A month is millions of calls, so the aggregate
    query computes only those."""
    needs = set()
    for version in versions:
        if version is None:
            continue
        if version.minute_rounding == "per_call_up":
            needs.add("minutes_up")
        if any(c.kind == ComponentKind.DIFFERENTIATED_MINUTES for c in version.components.all()):
            needs.add("by_outcome")
    return frozenset(needs)


def gather_facts(
    *, month: datetime.date, thresholds: dict[int, int], own_run_ids: list[int],
    needs: frozenset[str] = frozenset({"minutes_up", "by_outcome"}),
) -> dict[int, dict]:
    """Figures for each manager id in ``thresholds`` (id → conversation threshold, SPEC §2).

    ``own_run_ids`` are the runs whose ledger entries this computation may pay again (the run
    being computed and, for an adjustment, the locked run of the month); a lead or payment
    already paid by any other run is left out (SPEC §6.2).
    """
    facts = {pk: empty_facts(threshold_s=t) for pk, t in thresholds.items()}
    if not facts:
        return facts
    start, end = month_bounds(month)
    by_threshold = defaultdict(list)
    for pk, threshold in thresholds.items():
        by_threshold[threshold].append(pk)
    for threshold, ids in by_threshold.items():
        _gather_calls(facts, ids=ids, threshold=threshold, start=start, end=end, needs=needs)
    ids = list(facts)
    _gather_shifts(facts, ids=ids, start=start, end=end)
    _gather_milestones(facts, ids=ids, start=start, end=end, own_run_ids=own_run_ids)
    _gather_clawbacks(facts, ids=ids, start=start, end=end, own_run_ids=own_run_ids)
    _gather_payments(facts, ids=ids, month=month, own_run_ids=own_run_ids)
    _gather_exceptions(facts, ids=ids, own_run_ids=own_run_ids)
    for row in MonthlyPlan.objects.filter(manager_id__in=ids, month=month).values(
        "manager_id", "target_conversations", "target_confirmed_leads", "target_revenue"
    ):
        facts[row["manager_id"]]["plan"] = {
            "conversations": row["target_conversations"],
            "confirmed_leads": row["target_confirmed_leads"],
            "revenue": str(row["target_revenue"]),
        }
    return facts


def _gather_calls(facts, *, ids, threshold, start, end, needs) -> None:
    conversation = Q(talk_s__gte=threshold)
    optional = {}
    if "minutes_up" in needs:
        optional["operator_min_up"] = Sum(OPERATOR_MIN_UP)
    for outcome in Outcome if "by_outcome" in needs else ():
        optional[f"s_{outcome.value}"] = Sum(OPERATOR_S, filter=Q(outcome=outcome))
        if "minutes_up" in needs:
            optional[f"m_{outcome.value}"] = Sum(OPERATOR_MIN_UP, filter=Q(outcome=outcome))
    rows = (
        CallLog.objects.filter(manager_id__in=ids, started_at__gte=start, started_at__lt=end)
        .order_by()
        .values("manager_id")
        .annotate(
            count=Count("id"),
            operator_s=Sum(OPERATOR_S),
            conversations=Count("id", filter=conversation),
            effective=Count("id", filter=conversation & Q(outcome__in=EFFECTIVE_OUTCOMES)),
            max_id=Max("id"),
            **optional,
        )
    )
    for row in rows:
        calls = facts[row["manager_id"]]["calls"]
        for field in ("count", "operator_s", "operator_min_up", "conversations", "effective"):
            calls[field] = row.get(field) or 0
        calls["max_id"] = row["max_id"] or 0
        for outcome in Outcome:
            calls["by_outcome"][str(outcome.value)] = {
                "operator_s": row.get(f"s_{outcome.value}") or 0,
                "operator_min_up": row.get(f"m_{outcome.value}") or 0,
            }


def _gather_shifts(facts, *, ids, start, end) -> None:
    length = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    rows = (
        WorkShift.objects.filter(manager_id__in=ids, started_at__gte=start, started_at__lt=end)
        .order_by()
        .values("manager_id")
        .annotate(count=Count("id"), length=Sum(length), max_id=Max("id"))
    )
    for row in rows:
        facts[row["manager_id"]]["shifts"] = {
            "count": row["count"],
            "seconds": int(row["length"].total_seconds()),
            "max_id": row["max_id"],
        }


def _paid_elsewhere(component_kind: str, item_kind: str, own_run_ids: list[int]):
    return (
        PaidItem.objects.filter(component_kind=component_kind, item_kind=item_kind)
        .exclude(run_id__in=own_run_ids)
        .values("item_id")
    )


def _gather_milestones(facts, *, ids, start, end, own_run_ids) -> None:
    """Leads first reaching a milestone in the month (SPEC §4), with their first fake mark.

    Only rows in force count: a row voided by a correction is not a step (SPEC §2).
    """
    in_force = milestone_in_force("milestones__")
    # Only a fake mark made by the month's end is clawed back from the month itself; a later
    # one belongs to its own month (``_gather_clawbacks``). Otherwise re-reading a locked month
    # for adjustments would claw back a second time what the fake's month claws back (§6.5).
    first_fake = Min(
        "milestones__at",
        filter=in_force & Q(milestones__kind=MilestoneKind.FAKE, milestones__at__lt=end),
    )
    for kind, component_kind in MILESTONE_COMPONENTS.items():
        first = milestones_in_force().filter(lead=OuterRef("pk"), kind=kind).order_by("at", "pk")
        # SPEC §6.2: a lead that a locked month paid stays paid by that month while it still
        # has the step in force, even if a correction voided the step and the lead reached it
        # again later; re-reading the locked month must not reverse it, or the lead would net
        # to zero (the later month leaves it out as paid elsewhere).
        kept = PaidItem.objects.filter(
            component_kind=component_kind, item_kind=PaidItemKind.LEAD, run_id__in=own_run_ids,
            run__status__in=LOCKED_STATUSES, at__gte=start, at__lt=end,
        ).values("item_id")
        rows = (
            Lead.objects.filter(owner_id__in=ids)
            .annotate(first_at=Min("milestones__at", filter=in_force & Q(milestones__kind=kind)))
            .filter(Q(first_at__gte=start, first_at__lt=end)
                    | Q(pk__in=kept, first_at__isnull=False))
            .exclude(pk__in=_paid_elsewhere(component_kind, PaidItemKind.LEAD, own_run_ids))
            .annotate(milestone_id=Subquery(first.values("pk")[:1]), fake_at=first_fake)
            .order_by("pk")
            .values_list("owner_id", "pk", "milestone_id", "first_at", "fake_at",
                         "duplicate_state")
        )
        for owner_id, lead_id, milestone_id, first_at, fake_at, duplicate in rows:
            facts[owner_id]["milestones"][kind].append({
                "lead": lead_id, "milestone": milestone_id, "at": first_at.isoformat(),
                "fake_at": fake_at.isoformat() if fake_at else None, "duplicate": duplicate,
            })


def _gather_clawbacks(facts, *, ids, start, end, own_run_ids) -> None:
    """Milestones paid by an earlier run whose lead was marked fake in this month (SPEC §6.6).

    Leads paid by the run being computed are clawed back from its own milestone figures.
    """
    fake = milestones_in_force().filter(
        lead_id=OuterRef("item_id"), kind=MilestoneKind.FAKE
    ).order_by("at", "pk")
    clawed = PaidItem.objects.filter(
        item_kind=PaidItemKind.LEAD_CLAWBACK, component_kind=OuterRef("component_kind"),
        item_id=OuterRef("item_id"),
    ).exclude(run_id__in=own_run_ids)
    rows = (
        PaidItem.objects.filter(manager_id__in=ids, item_kind=PaidItemKind.LEAD)
        .exclude(run_id__in=own_run_ids)
        .annotate(
            fake_at=Subquery(fake.values("at")[:1]),
            fake_id=Subquery(fake.values("pk")[:1]),
            clawed_id=Subquery(clawed.values("pk")[:1]),
        )
        .filter(fake_at__gte=start, fake_at__lt=end, clawed_id__isnull=True)
        .order_by("pk")
        .values_list(
            "manager_id", "component_kind", "item_id", "at", "rate", "month", "fake_at", "fake_id"
        )
    )
    for manager_id, component_kind, lead_id, at, rate, month, fake_at, fake_id in rows:
        facts[manager_id]["clawbacks"].append({
            "component": component_kind, "lead": lead_id, "paid_at": at.isoformat(),
            "rate": str(rate), "paid_month": month.isoformat(), "fake_at": fake_at.isoformat(),
            "fake_milestone": fake_id,
        })


def _gather_payments(facts, *, ids, month, own_run_ids) -> None:
    """Payments and refunds received in the month on the manager's own leads (SPEC §4, §6.6)."""
    rows = (
        Payment.objects.filter(
            lead__owner_id__in=ids, received_on__gte=month, received_on__lt=next_month(month)
        )
        .exclude(
            pk__in=_paid_elsewhere(ComponentKind.REVENUE_PERCENT, PaidItemKind.PAYMENT, own_run_ids)
        )
        .order_by("pk")
        .values_list("lead__owner_id", "pk", "lead__source", "amount", "refund_of_id",
                     "lead_id", "lead__duplicate_state")
    )
    for owner_id, payment_id, source, amount, refund_of_id, lead_id, duplicate in rows:
        facts[owner_id]["payments"].append({
            "id": payment_id, "source": source, "amount": str(amount),
            "refund": refund_of_id is not None, "lead": lead_id, "duplicate": duplicate,
        })


def _gather_exceptions(facts, *, ids, own_run_ids) -> None:
    """The standing exception of each lead and component (SPEC §5): the latest request that
    was not rejected. Partner credit concerns partner statements, not the manager's pay."""
    fixed_paid = PaidItem.objects.filter(
        item_kind=PaidItemKind.EXCEPTION, item_id=OuterRef("pk")
    ).exclude(run_id__in=own_run_ids)
    rows = (
        CommissionException.objects.filter(lead__owner_id__in=ids)
        .exclude(status=ExceptionStatus.REJECTED)
        .exclude(kind=ExceptionKind.PARTNER_CREDIT)
        .annotate(fixed_paid=Exists(fixed_paid))
        .order_by("requested_at", "pk")
        .values_list("lead__owner_id", "lead_id", "component_kind", "pk", "kind", "status",
                     "rate", "amount", "fixed_paid")
    )
    for owner_id, lead_id, component, pk, kind, status, rate, amount, fixed_paid in rows:
        facts[owner_id]["exceptions"][f"{component}:{lead_id}"] = {
            "id": pk, "kind": kind, "status": status,
            "rate": str(rate) if rate is not None else None,
            "amount": str(amount) if amount is not None else None, "fixed_paid": fixed_paid,
        }


def team_totals(facts: dict[int, dict], *, floor_ids: set[int]) -> dict:
    """The team's figures for a sales head's bonus (SPEC §4 team_bonus): its managers' sums."""
    totals = {"conversations": 0, "target_conversations": 0, "revenue": Decimal("0"),
              "target_revenue": Decimal("0")}
    for pk in floor_ids:
        f = facts[pk]
        totals["conversations"] += f["calls"]["conversations"]
        totals["target_conversations"] += f["plan"]["conversations"]
        totals["revenue"] += sum((Decimal(p["amount"]) for p in f["payments"]), Decimal("0"))
        totals["target_revenue"] += Decimal(f["plan"]["revenue"])
    return {**totals, "revenue": str(totals["revenue"]),
            "target_revenue": str(totals["target_revenue"])}
