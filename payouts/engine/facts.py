"""Gather a month's figures for many people at once: one aggregate query per kind of source.

Calls are aggregated on the database (``values().annotate()`` with conditional ``Sum``/``Count``)
grouped by manager, never read row by row: a month is millions of calls (SPEC §2 figures).
Leads, milestones and payments are few, so each is kept as an item: the decision step
(``decisions``) decides each one, and the line items name them.

The figures are typed (``figures``). They are stored on the run member as keyed JSON
(``MonthFacts.to_json`` / ``from_json``) so that every retry of a member's task pays from the
same snapshot.
"""

import datetime
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal

from django.db import connections, router
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
from salesops.lookups import AnyOf
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
from .figures import (
    ClawbackFact,
    ExceptionFact,
    MilestoneFact,
    MonthFacts,
    OutcomeFigures,
    PaymentFact,
    PlanTargets,
    ShiftFigures,
    TeamFigures,
    empty_facts,
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
ZERO = Decimal("0")


def comparable_figures(facts: "MonthFacts | dict", needs: frozenset[str]) -> dict:
    """A person's figures as stored (JSON), without the optional call aggregates that
    ``needs`` does not ask for: two gathers made with different needs compare equal when what
    the plan reads is equal (e.g. to tell whether a person's inputs changed)."""
    facts = MonthFacts.coerce(facts)
    calls = facts.calls
    if "minutes_up" not in needs:
        calls = replace(calls, operator_min_up=0, by_outcome={
            k: OutcomeFigures(v.operator_s, 0) for k, v in calls.by_outcome.items()
        })
    if "by_outcome" not in needs:
        calls = replace(calls, by_outcome={int(o): OutcomeFigures() for o in Outcome})
    return replace(facts, calls=calls).to_json()


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
    calls_aside: bool = False,
) -> dict[int, MonthFacts]:
    """Figures for each manager id in ``thresholds`` (id → conversation threshold, SPEC §2).

    ``own_run_ids`` are the runs whose ledger entries this computation may pay again (the run
    being computed and, for an adjustment, the locked run of the month); a lead or payment
    already paid by any other run is left out (SPEC §6.2).

    ``calls_aside``: aggregate the calls on a connection of their own while this one gathers
    the rest (the calls are the one long query; the rest is mostly Python). Only for a caller
    whose transaction cannot hold calls another connection would not see: its own outermost
    transaction, which writes no calls (``aside_is_safe``).
    """
    facts = {pk: empty_facts(threshold_s=t) for pk, t in thresholds.items()}
    if not facts:
        return facts
    start, end = month_bounds(month)
    by_threshold = defaultdict(list)
    for pk, threshold in thresholds.items():
        by_threshold[threshold].append(pk)

    def call_rows() -> list[dict]:
        return [row for threshold, ids in by_threshold.items()
                for row in _call_rows(ids=ids, threshold=threshold, start=start, end=end,
                                      needs=needs)]

    if calls_aside:
        with ThreadPoolExecutor(max_workers=1) as aside:
            calls = aside.submit(_on_own_connection, call_rows)
            _gather_the_rest(facts, month=month, start=start, end=end, own_run_ids=own_run_ids)
            rows = calls.result()
    else:
        rows = call_rows()
        _gather_the_rest(facts, month=month, start=start, end=end, own_run_ids=own_run_ids)
    _apply_call_rows(facts, rows)
    return facts


def aside_is_safe(model) -> bool:
    """Whether the caller (inside its own ``transaction.atomic``) may have another connection
    read calls for it: on PostgreSQL, when its transaction is the outermost one (a caller's
    transaction around it might hold calls of its own, unseen by other connections)."""
    db = connections[router.db_for_write(model)]
    return db.vendor == "postgresql" and len(db.atomic_blocks) == 1


def _on_own_connection(job):
    try:
        return job()
    finally:
        connections.close_all()  # this thread's own connection


def _gather_the_rest(facts, *, month, start, end, own_run_ids) -> None:
    ids = list(facts)
    _gather_shifts(facts, ids=ids, start=start, end=end)
    _gather_milestones(facts, ids=ids, start=start, end=end, own_run_ids=own_run_ids)
    _gather_clawbacks(facts, ids=ids, start=start, end=end, own_run_ids=own_run_ids)
    _gather_payments(facts, ids=ids, month=month, own_run_ids=own_run_ids)
    _gather_exceptions(facts, ids=ids, own_run_ids=own_run_ids)
    for row in MonthlyPlan.objects.filter(AnyOf(F("manager_id"), ids), month=month).values_list(
        "manager_id", "target_conversations", "target_confirmed_leads", "target_revenue"
    ):
        facts[row[0]].plan = PlanTargets(row[1], row[2], row[3])


def _call_rows(*, ids, threshold, start, end, needs) -> list[dict]:
    conversation = Q(talk_s__gte=threshold)
    optional = {}
    if "minutes_up" in needs:
        optional["operator_min_up"] = Sum(OPERATOR_MIN_UP)
    for outcome in Outcome if "by_outcome" in needs else ():
        optional[f"s_{outcome.value}"] = Sum(OPERATOR_S, filter=Q(outcome=outcome))
        if "minutes_up" in needs:
            optional[f"m_{outcome.value}"] = Sum(OPERATOR_MIN_UP, filter=Q(outcome=outcome))
    return list(
        CallLog.objects.filter(AnyOf(F("manager_id"), ids), started_at__gte=start,
                               started_at__lt=end)
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


def _apply_call_rows(facts, rows) -> None:
    for row in rows:
        calls = facts[row["manager_id"]].calls
        calls.count = row["count"] or 0
        calls.operator_s = row["operator_s"] or 0
        calls.operator_min_up = row.get("operator_min_up") or 0
        calls.conversations = row["conversations"] or 0
        calls.effective = row["effective"] or 0
        calls.max_id = row["max_id"] or 0
        calls.by_outcome = {
            int(outcome): OutcomeFigures(row.get(f"s_{outcome.value}") or 0,
                                         row.get(f"m_{outcome.value}") or 0)
            for outcome in Outcome
        }


def _gather_shifts(facts, *, ids, start, end) -> None:
    length = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    rows = (
        WorkShift.objects.filter(AnyOf(F("manager_id"), ids), started_at__gte=start,
                                 started_at__lt=end)
        .order_by()
        .values("manager_id")
        .annotate(count=Count("id"), length=Sum(length), max_id=Max("id"))
    )
    for row in rows:
        facts[row["manager_id"]].shifts = ShiftFigures(
            row["count"], int(row["length"].total_seconds()), row["max_id"]
        )


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
    first_fake = milestones_in_force().filter(
        lead=OuterRef("pk"), kind=MilestoneKind.FAKE, at__lt=end
    ).order_by("at", "pk")
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
            Lead.objects.filter(AnyOf(F("owner_id"), ids))
            .annotate(first_at=Min("milestones__at", filter=in_force & Q(milestones__kind=kind)))
            .filter(Q(first_at__gte=start, first_at__lt=end)
                    | Q(pk__in=kept, first_at__isnull=False))
            .exclude(pk__in=_paid_elsewhere(component_kind, PaidItemKind.LEAD, own_run_ids))
            .annotate(milestone_id=Subquery(first.values("pk")[:1]),
                      fake_at=Subquery(first_fake.values("at")[:1]),
                      fake_id=Subquery(first_fake.values("pk")[:1]))
            .order_by("pk")
            .values_list("owner_id", "pk", "milestone_id", "first_at", "duplicate_state",
                         "fake_at", "fake_id")
        )
        for owner_id, *fact in rows:
            facts[owner_id].milestones[kind].append(MilestoneFact(*fact))


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
        PaidItem.objects.filter(AnyOf(F("manager_id"), ids), item_kind=PaidItemKind.LEAD)
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
    for manager_id, *fact in rows:
        facts[manager_id].clawbacks.append(ClawbackFact(*fact))


def _gather_payments(facts, *, ids, month, own_run_ids) -> None:
    """Payments and refunds received in the month on the manager's own leads (SPEC §4, §6.6)."""
    rows = (
        Payment.objects.filter(
            AnyOf(F("lead__owner_id"), ids), received_on__gte=month,
            received_on__lt=next_month(month),
        )
        .exclude(
            pk__in=_paid_elsewhere(ComponentKind.REVENUE_PERCENT, PaidItemKind.PAYMENT, own_run_ids)
        )
        .order_by("pk")
        .values_list("lead__owner_id", "pk", "lead_id", "lead__source", "amount", "refund_of_id",
                     "lead__duplicate_state")
    )
    for owner_id, payment_id, lead_id, source, amount, refund_of_id, duplicate in rows:
        facts[owner_id].payments.append(PaymentFact(
            payment_id, lead_id, source, amount, refund_of_id is not None, duplicate
        ))


def _gather_exceptions(facts, *, ids, own_run_ids) -> None:
    """The standing exception of each lead and component (SPEC §5): the latest request that
    was not rejected. Partner credit concerns partner statements, not the manager's pay
    (``decisions`` says so for every component)."""
    fixed_paid = PaidItem.objects.filter(
        item_kind=PaidItemKind.EXCEPTION, item_id=OuterRef("pk")
    ).exclude(run_id__in=own_run_ids)
    rows = (
        CommissionException.objects.filter(AnyOf(F("lead__owner_id"), ids))
        .exclude(status=ExceptionStatus.REJECTED)
        .exclude(kind=ExceptionKind.PARTNER_CREDIT)
        .annotate(fixed_paid=Exists(fixed_paid))
        .order_by("requested_at", "pk")
        .values_list("lead__owner_id", "pk", "component_kind", "lead_id", "kind", "status",
                     "rate", "amount", "fixed_paid")
    )
    for owner_id, *fact in rows:
        exception = ExceptionFact(*fact)
        facts[owner_id].exceptions[(exception.component, exception.lead)] = exception


def team_totals(facts: dict[int, MonthFacts | dict], *, floor_ids: set[int]) -> dict:
    """The team's figures for a sales head's bonus (SPEC §4 team_bonus): its managers' sums,
    as stored on the run (``TeamFigures.from_json`` reads them back). A member's figures may be
    given as stored (JSON)."""
    members = [MonthFacts.coerce(facts[pk]) for pk in floor_ids]
    return TeamFigures(
        conversations=sum(f.calls.conversations for f in members),
        target_conversations=sum(f.plan.conversations for f in members),
        revenue=sum((p.amount for f in members for p in f.payments), ZERO),
        target_revenue=sum((f.plan.revenue for f in members), ZERO),
    ).to_json()
