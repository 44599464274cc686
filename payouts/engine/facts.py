"""Gather a month's figures for many shares at once: one aggregate query per kind of source.

A share is one person's days in one team (``shares``, SPEC §1). Calls and shifts are
aggregated on the database (``values().annotate()`` with conditional ``Sum``/``Count``) grouped
by manager, for the shares with the same days and threshold together, never read row by row: a
month is millions of calls (SPEC §2 figures). Leads, milestones and payments are few, so each
is kept as an item, credited to the lead's owner on the item's day (``leads.ownership``, SPEC
§6.7) and to the share holding that day: the decision step (``decisions``) decides each one,
and the line items name them.

The figures are typed (``figures``). They are stored on the run member as keyed JSON so that
every retry of a member's task pays from the same snapshot.
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

from leads.models import Lead, LeadOwnership, MilestoneKind, Payment
from leads.selectors import milestone_in_force, milestones_in_force
from salesops.lookups import AnyOf
from salesops.models import CallLog, MonthlyPlan, Outcome, WorkShift
from salesops.periods import month_bounds, next_month, organisation_zone

from ..models import (
    LOCKED_STATUSES,
    CommissionException,
    ComponentKind,
    ExceptionKind,
    ExceptionStatus,
    PaidItem,
    PaidItemKind,
    PayoutLineItem,
)
from .figures import (
    MILESTONE_COMPONENTS,
    ClawbackFact,
    ExceptionFact,
    MilestoneFact,
    MonthFacts,
    OutcomeFigures,
    PaymentFact,
    PlanTargets,
    ShiftFigures,
    TeamFigures,
    TransferFact,
    empty_facts,
)
from .shares import ShareKey, ShareSpec, contains, local_day

OPERATOR_S = F("duration_s") + F("wrapup_s")
# Each call rounded up to whole minutes: integer division on both PostgreSQL and SQLite.
OPERATOR_MIN_UP = ExpressionWrapper(
    (F("duration_s") + F("wrapup_s") + 59) / 60, output_field=IntegerField()
)
EFFECTIVE_OUTCOMES = (Outcome.PRESENTATION, Outcome.CONSENT)
ZERO = Decimal("0")
# Decisions that are not about what the plan pays for an item (SPEC §5, §6.7).
NOT_ITEM_DECISIONS = (ExceptionKind.PARTNER_CREDIT, ExceptionKind.TRANSFER)


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
    *, month: datetime.date, shares: list[ShareSpec],
    needs: frozenset[str] = frozenset({"minutes_up", "by_outcome"}),
    calls_aside: bool = False,
) -> dict[ShareKey, MonthFacts]:
    """Figures for each share of ``month`` (SPEC §2, §4, §5), keyed by (team, manager).

    ``calls_aside``: aggregate the calls on a connection of their own while this one gathers
    the rest (the calls are the one long query; the rest is mostly Python). Only for a caller
    whose transaction cannot hold calls another connection would not see: its own outermost
    transaction, which writes no calls (``aside_is_safe``).
    """
    facts = {s.key: empty_facts(threshold_s=s.threshold_s, fraction=s.fraction)
             for s in shares}
    if not facts:
        return facts
    gathering = _Gathering(month=month, shares=shares, facts=facts)

    def call_rows():
        return [(group, row) for group, members in gathering.by_days_and_threshold.items()
                for row in _call_rows(ids=[s.manager_id for s in members], threshold=group[1],
                                      days=group[0], needs=needs)]

    if calls_aside:
        with ThreadPoolExecutor(max_workers=1) as aside:
            calls = aside.submit(_on_own_connection, call_rows)
            gathering.the_rest()
            rows = calls.result()
    else:
        rows = call_rows()
        gathering.the_rest()
    for (days, threshold), row in rows:
        _apply_call_row(facts[gathering.by_group_manager[(days, threshold,
                                                          row["manager_id"])].key], row)
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


def _in_days(days, field: str = "started_at") -> Q:
    """Instants within any of the days' spans ([start, end) days of the organisation)."""
    zone = organisation_zone()
    match = Q(pk__in=[])
    for start, end in days:
        match |= Q(**{
            f"{field}__gte": datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
            f"{field}__lt": datetime.datetime.combine(end, datetime.time.min, tzinfo=zone)})
    return match


class _Gathering:
    """The shares of one gather, indexed the ways the queries need them."""

    def __init__(self, *, month, shares: list[ShareSpec], facts):
        self.month, self.shares, self.facts = month, shares, facts
        self.start, self.end = month_bounds(month)
        self.by_manager = defaultdict(list)
        self.by_days_and_threshold = defaultdict(list)
        self.by_group_manager = {}
        for share in shares:
            self.by_manager[share.manager_id].append(share)
            self.by_days_and_threshold[(share.days, share.threshold_s)].append(share)
            self.by_group_manager[(share.days, share.threshold_s, share.manager_id)] = share
        self.ids = list(self.by_manager)

    def share_of(self, manager_id: int | None, day: datetime.date) -> ShareSpec | None:
        for share in self.by_manager.get(manager_id, ()):
            if contains(share.days, day):
                return share
        return None

    def the_rest(self) -> None:
        _gather_shifts(self)
        owners = _ownership(self)
        _gather_milestones(self, owners)
        _gather_clawbacks(self)
        _gather_payments(self, owners)
        _gather_exceptions(self)
        _gather_transfers(self)
        for pk, *targets in MonthlyPlan.objects.filter(
            AnyOf(F("manager_id"), self.ids), month=self.month
        ).values_list("manager_id", "target_conversations", "target_confirmed_leads",
                      "target_revenue"):
            for share in self.by_manager[pk]:
                self.facts[share.key].plan = PlanTargets(*targets)


def _call_rows(*, ids, threshold, days, needs) -> list[dict]:
    conversation = Q(talk_s__gte=threshold)
    optional = {}
    if "minutes_up" in needs:
        optional["operator_min_up"] = Sum(OPERATOR_MIN_UP)
    for outcome in Outcome if "by_outcome" in needs else ():
        optional[f"s_{outcome.value}"] = Sum(OPERATOR_S, filter=Q(outcome=outcome))
        if "minutes_up" in needs:
            optional[f"m_{outcome.value}"] = Sum(OPERATOR_MIN_UP, filter=Q(outcome=outcome))
    return list(
        CallLog.objects.filter(AnyOf(F("manager_id"), ids)).filter(_in_days(days))
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


def _apply_call_row(facts: MonthFacts, row) -> None:
    calls = facts.calls
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


def _gather_shifts(g: _Gathering) -> None:
    length = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    for (days, threshold), members in g.by_days_and_threshold.items():
        rows = (
            WorkShift.objects.filter(AnyOf(F("manager_id"), [s.manager_id for s in members]))
            .filter(_in_days(days)).order_by().values("manager_id")
            .annotate(count=Count("id"), length=Sum(length), max_id=Max("id"))
        )
        for row in rows:
            share = g.by_group_manager[(days, threshold, row["manager_id"])]
            g.facts[share.key].shifts = ShiftFigures(
                row["count"], int(row["length"].total_seconds()), row["max_id"])


def _ownership(g: _Gathering) -> dict[int, list[tuple[datetime.date | None, int]]]:
    """lead id → its owners [(since, owner)], for every lead ever owned by the people."""
    owners = defaultdict(list)
    for lead_id, since, owner_id in LeadOwnership.objects.filter(
        lead__in=Subquery(LeadOwnership.objects.filter(AnyOf(F("owner_id"), g.ids))
                          .values("lead_id"))
    ).values_list("lead_id", "since", "owner_id"):
        owners[lead_id].append((since, owner_id))
    for rows in owners.values():
        rows.sort(key=lambda row: (row[0] is not None, row[0] or datetime.date.min))
    return owners


def _credited(owners, lead_id: int, fallback: int, day: datetime.date) -> int:
    """The lead's owner in force on ``day`` (SPEC §6.7); a lead with no history: ``fallback``."""
    found = fallback
    for since, owner in owners.get(lead_id, ()):
        if since is None or since <= day:
            found = owner
    return found


def _leads_of(g: _Gathering, prefix: str = ""):
    """Leads (at path ``prefix``) ever owned by the people of the gather."""
    return (Q(**{f"{prefix}owner_id__in": g.ids})
            | Q(**{f"{prefix}pk__in": LeadOwnership.objects.filter(
                AnyOf(F("owner_id"), g.ids)).values("lead_id")}))


def _paid_run(component_kind: str, item_kind: str):
    """The run whose ledger holds the outer row's item (the most recent one if several
    might)."""
    return Subquery(PaidItem.objects.filter(component_kind=component_kind, item_kind=item_kind,
                                            item_id=OuterRef("pk")).order_by("-pk")
                    .values("run_id")[:1])


def _gather_milestones(g: _Gathering, owners) -> None:
    """Leads first reaching a milestone in the month (SPEC §4), with their first fake mark,
    credited to the owner on the milestone's day and to the share holding that day.

    Only rows in force count: a row voided by a correction is not a step (SPEC §2).
    """
    in_force = milestone_in_force("milestones__")
    own = frozenset().union(*(s.own_run_ids for s in g.shares))
    # Only a fake mark made by the month's end is clawed back from the month itself; a later
    # one belongs to its own month (``_gather_clawbacks``). Otherwise re-reading a locked month
    # for adjustments would claw back a second time what the fake's month claws back (§6.5).
    first_fake = milestones_in_force().filter(
        lead=OuterRef("pk"), kind=MilestoneKind.FAKE, at__lt=g.end
    ).order_by("at", "pk")
    for kind, component_kind in MILESTONE_COMPONENTS.items():
        first = milestones_in_force().filter(lead=OuterRef("pk"), kind=kind).order_by("at", "pk")
        # SPEC §6.2: a lead that a locked month paid stays paid by that month while it still
        # has the step in force, even if a correction voided the step and the lead reached it
        # again later; re-reading the locked month must not reverse it, or the lead would net
        # to zero (the later month leaves it out as paid elsewhere).
        kept = PaidItem.objects.filter(
            component_kind=component_kind, item_kind=PaidItemKind.LEAD, run_id__in=own,
            run__status__in=LOCKED_STATUSES, at__gte=g.start, at__lt=g.end,
        )
        kept_by = dict(kept.values_list("item_id", "run_id"))
        rows = (
            Lead.objects.filter(_leads_of(g))
            .annotate(first_at=Min("milestones__at", filter=in_force & Q(milestones__kind=kind)))
            .filter(Q(first_at__gte=g.start, first_at__lt=g.end)
                    | Q(pk__in=list(kept_by), first_at__isnull=False))
            .annotate(milestone_id=Subquery(first.values("pk")[:1]),
                      fake_at=Subquery(first_fake.values("at")[:1]),
                      fake_id=Subquery(first_fake.values("pk")[:1]),
                      paid_run=_paid_run(component_kind, PaidItemKind.LEAD))
            .order_by("pk")
            .values_list("pk", "owner_id", "milestone_id", "first_at", "duplicate_state",
                         "fake_at", "fake_id", "paid_run")
        )
        for lead_id, owner_id, milestone_id, first_at, duplicate, fake_at, fake_id, paid_run \
                in rows:
            if lead_id in kept_by:
                share = next((s for s in g.shares if kept_by[lead_id] in s.own_run_ids), None)
            else:
                day = local_day(first_at)
                share = g.share_of(_credited(owners, lead_id, owner_id, day), day)
            if share is None or (paid_run is not None and paid_run not in share.own_run_ids):
                continue
            g.facts[share.key].milestones[kind].append(MilestoneFact(
                lead_id, milestone_id, first_at, duplicate, fake_at, fake_id))


def _gather_clawbacks(g: _Gathering) -> None:
    """Milestones an earlier month paid whose lead was marked fake in this month (SPEC §6.6),
    clawed back from the share holding the fake mark's day. A lead paid in this month is
    clawed back from its own milestone figures (its fake mark comes with it)."""
    fake = milestones_in_force().filter(
        lead_id=OuterRef("item_id"), kind=MilestoneKind.FAKE
    ).order_by("at", "pk")
    clawed_run = PaidItem.objects.filter(
        item_kind=PaidItemKind.LEAD_CLAWBACK, component_kind=OuterRef("component_kind"),
        item_id=OuterRef("item_id"),
    ).order_by("-pk").values("run_id")[:1]
    rows = (
        PaidItem.objects.filter(AnyOf(F("manager_id"), g.ids), item_kind=PaidItemKind.LEAD,
                                month__lt=g.month)
        .annotate(fake_at=Subquery(fake.values("at")[:1]),
                  fake_id=Subquery(fake.values("pk")[:1]),
                  clawed_run=Subquery(clawed_run))
        .filter(fake_at__gte=g.start, fake_at__lt=g.end)
        .order_by("pk")
        .values_list("manager_id", "component_kind", "item_id", "at", "rate", "month",
                     "fake_at", "fake_id", "clawed_run")
    )
    for manager_id, *fact, clawed in rows:
        share = g.share_of(manager_id, local_day(fact[5]))
        if share is None or (clawed is not None and clawed not in share.own_run_ids):
            continue
        g.facts[share.key].clawbacks.append(ClawbackFact(*fact))


def _gather_payments(g: _Gathering, owners) -> None:
    """Payments and refunds received in the month (SPEC §4, §6.6), credited to the lead's owner
    on the received date. A refund of a payment that another run counted carries what that
    payment earned there, so that it takes back exactly that (SPEC §6.6, under tiers too)."""
    rows = list(
        Payment.objects.filter(received_on__gte=g.month, received_on__lt=next_month(g.month))
        .filter(_leads_of(g, "lead__"))
        .annotate(paid_run=_paid_run(ComponentKind.REVENUE_PERCENT, PaidItemKind.PAYMENT),
                  refunded_amount=F("refund_of__amount"))
        .order_by("pk")
        .values_list("pk", "lead_id", "lead__owner_id", "lead__source", "amount",
                     "refund_of_id", "lead__duplicate_state", "received_on", "paid_run",
                     "refunded_amount")
    )
    earned = defaultdict(list)  # refunded payment → [(run, what it earned there)]
    originals = [row[5] for row in rows if row[5]]
    for payment_id, run_id, amount in (
        PayoutLineItem.objects.filter(payment_id__in=originals,
                                      line__kind=ComponentKind.REVENUE_PERCENT,
                                      line__held=False)
        .values("payment_id", "line__run_id").annotate(amount=Sum("amount")).order_by()
        .values_list("payment_id", "line__run_id", "amount")
    ):
        earned[payment_id].append((run_id, amount))
    for (pk, lead_id, owner_id, source, amount, refund_of, duplicate, received_on, paid_run,
         refunded_amount) in rows:
        share = g.share_of(_credited(owners, lead_id, owner_id, received_on), received_on)
        if share is None or (paid_run is not None and paid_run not in share.own_run_ids):
            continue
        elsewhere = [value for run_id, value in earned.get(refund_of, ())
                     if run_id not in share.own_run_ids]
        g.facts[share.key].payments.append(PaymentFact(
            pk, lead_id, source, amount, refund_of is not None, duplicate, refund_of,
            sum(elsewhere, ZERO) if elsewhere else None, refunded_amount))


def _gather_exceptions(g: _Gathering) -> None:
    """The standing exception of each lead and component of a share's items (SPEC §5): the
    latest request that was not rejected. Partner credit concerns partner statements and a
    transfer what was already paid, not the item's pay (``decisions`` says so)."""
    leads = defaultdict(set)
    for key, facts in g.facts.items():
        for lead in ({m.lead for items in facts.milestones.values() for m in items}
                     | {p.lead for p in facts.payments} | {c.lead for c in facts.clawbacks}):
            leads[lead].add(key)
    if not leads:
        return
    fixed_run = PaidItem.objects.filter(
        item_kind=PaidItemKind.EXCEPTION, item_id=OuterRef("pk")).order_by("-pk") \
        .values("run_id")[:1]
    rows = (
        CommissionException.objects.filter(AnyOf(F("lead_id"), list(leads)))
        .exclude(status=ExceptionStatus.REJECTED)
        .exclude(kind__in=NOT_ITEM_DECISIONS)
        .annotate(fixed_run=Subquery(fixed_run))
        .order_by("requested_at", "pk")
        .values_list("pk", "component_kind", "lead_id", "kind", "status", "rate", "amount",
                     "fixed_run")
    )
    shares = {s.key: s for s in g.shares}
    for *fact, fixed_run in rows:
        for key in leads[fact[2]]:
            fixed_paid = fixed_run is not None and fixed_run not in shares[key].own_run_ids
            exception = ExceptionFact(*fact, fixed_paid)
            g.facts[key].exceptions[(exception.component, exception.lead)] = exception


def _gather_transfers(g: _Gathering) -> None:
    """Approved transfers of a paid commission decided by this month's end (SPEC §6.7), not
    yet taken or given by another run: taken from whoever the lead's items paid, given to the
    person named; each in the person's first share of the month."""
    decided = list(
        CommissionException.objects.filter(
            kind=ExceptionKind.TRANSFER, status=ExceptionStatus.APPROVED, decided_at__lt=g.end)
        .filter(Q(transfer_to_id__in=g.ids) | _leads_of(g, "lead__"))
        .values_list("pk", "lead_id", "component_kind", "transfer_to_id")
    )
    if not decided:
        return
    done = defaultdict(set)
    for item_kind, item_id, run_id in PaidItem.objects.filter(
        item_kind__in=[PaidItemKind.TRANSFER_OUT, PaidItemKind.TRANSFER_IN],
        item_id__in=[row[0] for row in decided],
    ).values_list("item_kind", "item_id", "run_id"):
        done[(item_kind, item_id)].add(run_id)
    for pk, lead_id, component, to_id in decided:
        paid = (PayoutLineItem.objects.filter(line__kind=component, line__held=False)
                .filter(Q(milestone__lead_id=lead_id) | Q(payment__lead_id=lead_id))
                .exclude(line__manager_id=to_id)
                .values("line__manager_id").annotate(amount=Sum("amount"))
                .order_by("-amount", "line__manager_id")
                .values_list("line__manager_id", "amount").first())
        if paid is None or not paid[1]:
            continue
        from_id, amount = paid
        for who, kind, direction, sign in ((from_id, PaidItemKind.TRANSFER_OUT, "out", -1),
                                           (to_id, PaidItemKind.TRANSFER_IN, "in", 1)):
            candidates = sorted(g.by_manager.get(who, ()), key=lambda s: s.days[0][0])
            if not candidates:
                continue
            share = candidates[0]
            if done[(kind, pk)] - share.own_run_ids:
                continue  # another run took or gave it already
            g.facts[share.key].transfers.append(
                TransferFact(pk, lead_id, component, sign * amount, direction))


def counted(facts: MonthFacts | dict):
    """What pay counts for the figures a person is shown and a team bonus reads (SPEC §7):
    conversations by the plan's threshold, leads first confirmed in the share, and the revenue
    the decision step lets pay (payable, or paid as an approved exception says; not excluded,
    held or waiting on a duplicate decision)."""
    from .decisions import counted_figures

    return counted_figures(MonthFacts.coerce(facts))


def team_totals(facts: dict, *, floor_keys) -> dict:
    """The team's figures for a sales head's bonus (SPEC §4 team_bonus, §7): its managers'
    counted sums, their targets in proportion to their share of the month. A member's figures
    may be given as stored (JSON)."""
    members = [MonthFacts.coerce(facts[key]) for key in floor_keys if key in facts]
    figures = [counted(f) for f in members]
    return TeamFigures(
        conversations=sum(c.conversations for c in figures),
        target_conversations=int(sum((f.plan.conversations * f.fraction for f in members),
                                     ZERO).to_integral_value()),
        revenue=sum((c.revenue for c in figures), ZERO),
        target_revenue=sum((f.plan.revenue * f.fraction for f in members), ZERO).quantize(
            Decimal("0.01")),
    ).to_json()
