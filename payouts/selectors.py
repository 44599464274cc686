"""Reads of pay: what a user may see (through salesops' one scoping selector), a run's
progress, the payroll export's rows, and the exact source rows behind a line."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum

from leads.models import Lead, Payment
from salesops.models import CallLog, Manager, WorkShift
from salesops.money import round_money
from salesops.periods import month_bounds
from salesops.selectors import scope_to_user

from .engine.facts import EFFECTIVE_OUTCOMES
from .models import (
    LOCKED_STATUSES,
    CommissionException,
    Decision,
    ExceptionKind,
    ExceptionStatus,
    LineItemSource,
    LineKind,
    PayoutLine,
    PayoutLineItem,
    PayoutRun,
    PayoutRunManager,
)

ZERO = Decimal("0.00")


def payout_lines_visible_to(user) -> QuerySet[PayoutLine]:
    return scope_to_user(PayoutLine.objects.select_related("manager__user", "run"), user)


def payout_runs_visible_to(user) -> QuerySet[PayoutRun]:
    # A run is a team's: a sales head sees own team's, owners and admins all.
    return scope_to_user(PayoutRun.objects.select_related("team"), user, via="team__members") \
        .distinct()


def payout_run_progress(*, run: PayoutRun) -> tuple[int, int]:
    """(members done, members) for the run's current computation."""
    done = run.members.filter(done_generation__gte=run.generation).count()
    return done, run.managers_total


def payout_runs_progress(*, runs: list[PayoutRun]) -> dict[int, tuple[int, int]]:
    """``payout_run_progress`` of many runs with one query: run id → (done, members)."""
    done = dict(
        PayoutRunManager.objects.filter(run__in=runs, done_generation__gte=F("run__generation"))
        .order_by().values("run").annotate(done=Count("pk")).values_list("run", "done")
    )
    return {run.pk: (done.get(run.pk, 0), run.managers_total) for run in runs}


def payout_line_items(*, line: PayoutLine) -> QuerySet[PayoutLineItem]:
    """The source rows a line counted, one item each, with the decision that touched it:
    what the drill-down pages list, paginated (SPEC §4 explainability)."""
    return line.items.select_related("milestone__lead", "payment__lead", "call", "exception") \
        .order_by("pk")


def payout_line_source_rows(*, line: PayoutLine) -> QuerySet | None:
    """The rows a line pays for (SPEC §4 explainability).

    Lead and payment lines have their rows as line items (the leads of the milestones, the
    payments). Call and shift lines have none (a month is millions of rows): they keep the
    query and the highest id they counted. For an adjustment, the rows it newly counts, or
    for calls and shifts the rows now counted.
    """
    items = line.items.all()
    if items.filter(source=LineItemSource.PAYMENT).exists():
        return Payment.objects.filter(pk__in=items.values("payment_id"))
    if items.filter(source=LineItemSource.MILESTONE).exists():
        return Lead.objects.filter(pk__in=items.values("milestone__lead_id"))
    explanation = line.explanation
    month = line.month
    if line.adjusts_month:
        explanation = explanation.get("now", {}).get("explanation", {})
        month = line.adjusts_month
    start, end = month_bounds(month)
    source = explanation.get("source")
    if isinstance(source, dict) and source.get("model") == "calllog":
        rows = CallLog.objects.filter(
            manager=line.manager, started_at__gte=start, started_at__lt=end,
            pk__lte=source["max_id"],
        )
        if "outcome" in source:
            rows = rows.filter(outcome=source["outcome"])
        if "talk_s_gte" in source:
            rows = rows.filter(talk_s__gte=source["talk_s_gte"])
        if source.get("effective"):
            rows = rows.filter(outcome__in=EFFECTIVE_OUTCOMES)
        return rows
    if isinstance(source, dict) and source.get("model") == "workshift":
        return WorkShift.objects.filter(
            manager=line.manager, started_at__gte=start, started_at__lt=end,
            pk__lte=source["max_id"],
        )
    return None


EXPORT_KINDS = [kind for kind, _ in LineKind.choices]


def payout_export_rows(*, month: datetime.date, team=None, manager=None) -> list[dict]:
    """One row per person paid in ``month``: a column per component kind (its caps included),
    adjustments, held and total payable (SPEC §4, §7). With ``team``, what that team's run
    pays (a person who moved in the month is in each team's file for their days there)."""
    lines = PayoutLine.objects.filter(month=month).select_related("manager__user",
                                                                  "manager__team")
    if team is not None:
        lines = lines.filter(run__team=team)
    if manager is not None:
        lines = lines.filter(manager=manager)
    rows = {}
    sums = defaultdict(lambda: defaultdict(lambda: ZERO))
    for line in lines.order_by("manager__team__code", "manager__user__username", "kind", "key"):
        manager = line.manager
        rows.setdefault(manager.pk, {
            "login": manager.user.username,
            "name": manager.user.get_full_name(),
            "team": manager.team.code if manager.team else "",
        })
        column = "adjustments" if line.adjusts_month else line.kind
        sums[manager.pk][column] += line.amount
        if line.held:
            sums[manager.pk]["held"] += line.amount
        else:
            sums[manager.pk]["total"] += line.amount
    return [
        {**head, **{k: sums[pk][k] for k in [*EXPORT_KINDS, "adjustments", "held", "total"]}}
        for pk, head in rows.items()
    ]


def payout_export_lines(*, month: datetime.date, team=None) -> QuerySet[PayoutLine]:
    lines = PayoutLine.objects.filter(month=month).select_related("manager__user", "run__team")
    if team is not None:
        lines = lines.filter(run__team=team)
    return lines.order_by("run__team__code", "manager__user__username", "kind", "key")


def exception_amount_at_stake(*, exception) -> Decimal:
    """What deciding ``exception`` moves (SPEC §5), from the line items it concerns."""
    return exceptions_at_stake([exception])[exception.pk]


def exceptions_at_stake(exceptions) -> dict[int, Decimal]:
    """Exception id → the amount at stake (SPEC §5), read from line items for every kind.

    Pending: what it holds — the held items naming it in runs not locked; in a run not
    computed since it was asked, the items the plan pays there now (a fixed amount with no
    item yet: that amount). Decided: what the decision changed — over the items it decided,
    what the plan would have paid against what they were paid; for moving a paid commission
    (SPEC §6.7), what was moved."""
    ids = [e.pk for e in exceptions]
    if not ids:
        return {}
    # As decided now, whatever the caller holds.
    exceptions = list(CommissionException.objects.filter(pk__in=ids))
    rows = (PayoutLineItem.objects.filter(exception_id__in=ids)
            .values_list("exception_id", "decision", "amount", "plan_amount",
                         "line__run__status", "line__adjusts_month"))
    held, decided = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for exception_id, decision, amount, planned, status, adjusts in rows:
        if decision == Decision.HELD and status not in LOCKED_STATUSES:
            held[exception_id] += amount
        elif decision == Decision.OVERRIDDEN and adjusts is None:
            decided[exception_id] += (planned if planned is not None else amount) - amount
    waiting = _payable_now([e for e in exceptions if e.status == ExceptionStatus.PENDING
                            and e.pk not in held])
    moved = dict(PayoutLine.objects.filter(
        key__in=[f"transfer:{pk}" for pk in ids], amount__gt=0
    ).values_list("key", "amount"))
    result = {}
    for e in exceptions:
        if e.status == ExceptionStatus.PENDING:
            value = held.get(e.pk)
            if value is None:
                value = waiting.get(e.pk) or (
                    e.amount if e.kind == ExceptionKind.FIXED and e.amount else ZERO)
        elif e.kind == ExceptionKind.TRANSFER:
            value = moved.get(f"transfer:{e.pk}", ZERO)
        else:
            value = abs(decided.get(e.pk, ZERO))
        # SQLite's sum of decimals comes back without its places: money is shown to kopecks.
        result[e.pk] = round_money(value)
    return result


def _payable_now(exceptions) -> dict[int, Decimal]:
    """Pending exceptions asked after their run was computed: what the plan pays the lead's
    items of the exception's component in runs not locked (what approval of them would hold)."""
    if not exceptions:
        return {}
    found = defaultdict(lambda: ZERO)
    wanted = {(e.lead_id, e.component_kind): e.pk for e in exceptions}
    for kind, m_lead, p_lead, amount in PayoutLineItem.objects.filter(
        decision=Decision.PAYABLE, line__adjusts_month__isnull=True,
    ).exclude(line__run__status__in=LOCKED_STATUSES).filter(
        Q(milestone__lead_id__in={lead for lead, _k in wanted})
        | Q(payment__lead_id__in={lead for lead, _k in wanted})
    ).values_list("line__kind", "milestone__lead_id", "payment__lead_id", "amount"):
        pk = wanted.get((m_lead or p_lead, kind))
        if pk is not None:
            found[pk] += amount
    return dict(found)


def payout_run_totals_by_manager(*, run: PayoutRun) -> list[dict]:
    """Each manager's pay in ``run``: amount per line kind, what is paid and what is held.

    One grouped query; the pivot to one row per manager is over a few hundred sums at most.
    """
    sums = (
        run.lines.values("manager", "kind", "held")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    names = {
        manager.pk: str(manager)
        for manager in Manager.objects.filter(payout_lines__run=run).select_related("user")
        .distinct()
    }
    by_manager: dict[int, dict] = {}
    for row in sums:
        entry = by_manager.setdefault(row["manager"], {
            "manager": names.get(row["manager"], ""), "by_kind": defaultdict(lambda: ZERO),
            "paid": ZERO, "held": ZERO,
        })
        entry["by_kind"][row["kind"]] += row["amount"]
        entry["held" if row["held"] else "paid"] += row["amount"]
    return sorted(by_manager.values(), key=lambda entry: entry["manager"])


def payout_runs_with_totals(queryset: QuerySet[PayoutRun]) -> QuerySet[PayoutRun]:
    """Annotate paid and held totals. Subqueries, because the scoping join to team members
    would multiply a plain Sum over lines."""
    def total(*, held: bool):
        return Subquery(
            PayoutLine.objects.filter(run=OuterRef("pk"), held=held)
            .values("run").annotate(total=Sum("amount")).values("total")
        )

    return queryset.annotate(paid_total=total(held=False), held_total=total(held=True))
