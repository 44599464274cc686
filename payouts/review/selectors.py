"""The sales head's month, read set-based: one row per person of a run, the flags a head looks
at before approving, and the organisation's months side by side (SPEC §2, §5, §7).

Everything comes from what the run computed — its lines and line items, and each member's
stored figures, counted as pay counts them (``engine.facts.counted``: conversations by the
plan's threshold, leads first confirmed, revenue the decision step lets pay) — with one
aggregate over the month's calls for the conversation-pattern flags, kept per computation of
the run (``_call_patterns``): a page view never reads calls one by one, and never counts a
figure by rules of its own. The figures of a run's
computation are kept in the cache for a minute (``FIGURES_TTL_S``); what waits for a decision
and the flags it raises are read on every view.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leads.models import DuplicateState, Lead
from salesops.models import CONVERSATION_THRESHOLD_S, CallLog, Outcome, Team
from salesops.money import round_money
from salesops.periods import month_bounds

from ..engine.facts import counted
from ..engine.figures import MonthFacts
from ..models import (
    CommissionException,
    ExceptionStatus,
    InquiryStatus,
    LineKind,
    PayoutInquiry,
    PayoutLine,
    PayoutRun,
)
from ..selectors import exceptions_at_stake, payout_run_progress

ZERO = Decimal("0.00")
ADJUSTMENTS = "adjustments"

# The flags' rules, named so that the page and the tests say the same thing.
NEAR_THRESHOLD_S = 5  # talk within this many seconds above the threshold: "just over"
EMPTY_SHARE = Decimal("0.30")  # ... for this share of a person's conversations
EMPTY_MIN = 20  # ... and at least this many of them
FAKE_MIN_CONFIRMED = 5  # confirmations before the rate is compared at all
FAKE_RATE_FACTOR = Decimal("2")  # confirmations per conversation above this × the team's
SHORT_CONSENT_S = 60  # a consent reached with less talk than this is a "very short" one
SHORT_CONSENT_SHARE = Decimal("0.5")  # ... for this share of the confirmations


@dataclass(frozen=True)
class Flag:
    code: str  # pending_exceptions, open_inquiries, duplicates, fake_leads, empty_conversations
    text: str


@dataclass(frozen=True)
class Attainment:
    actual: Decimal
    target: Decimal

    @property
    def percent(self) -> int | None:
        return int(self.actual * 100 / self.target) if self.target else None


@dataclass
class PersonMonth:
    manager_id: int
    name: str
    role: str
    conversations: Attainment
    confirmed: Attainment
    revenue: Attainment
    by_kind: dict[str, Decimal]
    total: Decimal  # payable: lines not held
    held: Decimal
    previous_total: Decimal | None
    flags: list[Flag] = field(default_factory=list)

    @property
    def change(self) -> Decimal | None:
        return None if self.previous_total is None else self.total - self.previous_total

    @property
    def components(self) -> list[Decimal]:
        return list(self.by_kind.values())


@dataclass(frozen=True)
class PendingException:
    id: int
    lead_id: int
    manager_id: int
    manager_name: str
    kind: str
    component: str
    reason: str
    requested_by: str
    requested_by_id: int
    at_stake: Decimal


@dataclass(frozen=True)
class OpenInquiry:
    id: int
    manager_id: int
    manager_name: str
    line: str
    amount_seen: Decimal
    comment: str
    raised_by_id: int


@dataclass
class TeamMonth:
    run: PayoutRun
    kinds: list[tuple[str, str]]  # (line kind or "adjustments", label) shown as columns
    people: list[PersonMonth]
    totals_by_kind: dict[str, Decimal]
    total: Decimal
    held: Decimal
    previous_total: Decimal | None
    exceptions: list[PendingException]
    inquiries: list[OpenInquiry]
    progress: tuple[int, int]

    @property
    def change(self) -> Decimal | None:
        return None if self.previous_total is None else self.total - self.previous_total

    @property
    def flagged(self) -> int:
        return sum(1 for person in self.people if person.flags)


def previous_month(month: datetime.date) -> datetime.date:
    return (month - datetime.timedelta(days=1)).replace(day=1)


# The figures of a team month may be this old; decisions and flags are always read fresh, and a
# new computation of the run is a new key.
FIGURES_TTL_S = 60


@dataclass
class _Figures:
    kinds: list[str]  # line kinds (or "adjustments") shown as columns; labels per request
    people: list[PersonMonth]  # without flags
    previous_total: Decimal | None
    team_rate: Decimal | None
    patterns: dict[int, "CallPattern"]


def team_month(*, run: PayoutRun) -> TeamMonth:
    """The run's people with their figures and flags, and what waits for a decision."""
    stamp = run.computed_at.timestamp() if run.computed_at else 0
    key = f"review:figures:{run.pk}:{run.generation}:{run.status}:{stamp}"
    figures = cache.get(key)
    if figures is None:
        figures = _team_figures(run=run)
        cache.set(key, figures, FIGURES_TTL_S)
    names = {p.manager_id: p.name for p in figures.people}
    ids = list(names)
    exceptions = _pending_exceptions(run=run, manager_ids=ids, names=names)
    inquiries = _open_inquiries(run=run, names=names)
    duplicates = dict(
        Lead.objects.filter(owner__in=ids, duplicate_state=DuplicateState.PENDING)
        .values("owner").annotate(n=Count("pk")).order_by().values_list("owner", "n")
    )
    people = [
        replace(person, flags=_flags(
            pending=sum(1 for e in exceptions if e.manager_id == person.manager_id),
            inquiries=sum(1 for i in inquiries if i.manager_id == person.manager_id),
            duplicates=duplicates.get(person.manager_id, 0),
            conversations=int(person.conversations.actual),
            confirmed=int(person.confirmed.actual), team_rate=figures.team_rate,
            pattern=figures.patterns.get(person.manager_id)))
        for person in figures.people
    ]
    return TeamMonth(
        run=run, kinds=_labelled(figures.kinds), people=people,
        totals_by_kind={kind: round_money(sum((p.by_kind[kind] for p in people), ZERO))
                        for kind in figures.kinds},
        total=round_money(sum((p.total for p in people), ZERO)),
        held=round_money(sum((p.held for p in people), ZERO)),
        previous_total=figures.previous_total,
        exceptions=exceptions, inquiries=inquiries, progress=payout_run_progress(run=run),
    )


def _team_figures(*, run: PayoutRun) -> _Figures:
    members = list(run.members.defer("adjustments").select_related("manager__user").order_by(
        "manager__user__last_name", "manager__user__first_name", "manager__user__username"))
    month = run.month
    start, end = month_bounds(month)

    pay = defaultdict(lambda: defaultdict(lambda: ZERO))
    held, payable = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for row in (run.lines.values("manager", "kind", "held", "adjusts_month")
                .annotate(amount=Sum("amount")).order_by()):
        column = ADJUSTMENTS if row["adjusts_month"] else row["kind"]
        # A component's column is what it pays; what it holds is in the held column, so that
        # the columns add up to the total.
        pay[row["manager"]][column] += ZERO if row["held"] else row["amount"]
        (held if row["held"] else payable)[row["manager"]] += row["amount"]
    before = previous_month(month)
    previous = dict(
        PayoutLine.objects.filter(run__team=run.team_id, month=before, held=False)
        .values("manager").annotate(total=Sum("amount")).order_by()
        .values_list("manager", "total")
    )
    had_previous = PayoutRun.objects.filter(team=run.team_id, month=before).exists()

    # What pay counted, as the run stored it (SPEC §7: every figure shown counts by the same
    # rules as pay): conversations by the plan's threshold, leads first confirmed in the
    # person's days in the team, revenue the decision step lets pay; targets in proportion to
    # those days.
    figures, targets = {}, {}
    for member in members:
        facts = MonthFacts.coerce(member.facts) if member.facts else None
        if facts is None:
            figures[member.manager_id] = None
            continue
        figures[member.manager_id] = counted(facts)
        targets[member.manager_id] = (facts.plan, facts.fraction)
    kinds_present = {kind for person in pay.values() for kind in person}
    kinds = [kind for kind, _label in LineKind.choices if kind in kinds_present]
    if ADJUSTMENTS in kinds_present:
        kinds.append(ADJUSTMENTS)

    team_conv = sum(f.conversations for f in figures.values() if f)
    team_conf = sum(f.confirmed for f in figures.values() if f)
    people = []
    for member in members:
        pk = member.manager_id
        counted_, (plan, fraction) = figures[pk], targets.get(pk, (None, Decimal(1)))

        def target(value, plan=plan, fraction=fraction):
            return (Decimal(value) * fraction).quantize(Decimal("1")) if plan else Decimal(0)

        people.append(PersonMonth(
            manager_id=pk, name=_name(member.manager), role=member.manager.role,
            conversations=Attainment(Decimal(counted_.conversations if counted_ else 0),
                                     target(plan.conversations if plan else 0)),
            confirmed=Attainment(Decimal(counted_.confirmed if counted_ else 0),
                                 target(plan.confirmed_leads if plan else 0)),
            revenue=Attainment(counted_.revenue if counted_ else ZERO,
                               round_money(plan.revenue * fraction) if plan else ZERO),
            by_kind={kind: round_money(pay[pk][kind]) for kind in kinds},
            total=round_money(payable[pk]), held=round_money(held[pk]),
            previous_total=(round_money(previous.get(pk) or ZERO) if had_previous else None),
        ))
    return _Figures(
        kinds=kinds, people=people,
        previous_total=(round_money(sum(previous.values(), ZERO)) if had_previous else None),
        team_rate=Decimal(team_conf) / team_conv if team_conv else None,
        patterns=_call_patterns(run=run, start=start, end=end),
    )


def _labelled(kinds: list[str]) -> list[tuple[str, str]]:
    """Columns as (kind, label) in the reader's language."""
    labels = {**dict(LineKind.choices), ADJUSTMENTS: _("Adjustments of earlier months")}
    return [(kind, labels[kind]) for kind in kinds]


def _name(manager) -> str:
    return manager.user.get_full_name() or manager.user.get_username()


def _pending_exceptions(*, run, manager_ids, names) -> list[PendingException]:
    """Pending exceptions on the leads of the run's people, with what each holds in this run
    (from its held line items: right for every kind of exception)."""
    rows = list(CommissionException.objects.filter(status=ExceptionStatus.PENDING,
                                                   lead__owner__in=manager_ids)
                .select_related("lead", "requested_by").order_by("requested_at", "pk"))
    at_stake = exceptions_at_stake(rows)
    return [
        PendingException(
            id=e.pk, lead_id=e.lead_id, manager_id=e.lead.owner_id,
            manager_name=names.get(e.lead.owner_id, ""),
            kind=e.get_kind_display(), component=e.get_component_kind_display(),
            reason=e.reason, requested_by=e.requested_by.get_full_name()
            or e.requested_by.get_username(), requested_by_id=e.requested_by_id,
            at_stake=round_money(at_stake.get(e.pk) or ZERO),
        )
        for e in rows
    ]


def _open_inquiries(*, run, names) -> list[OpenInquiry]:
    return [
        OpenInquiry(id=i.pk, manager_id=i.manager_id, manager_name=names.get(i.manager_id, ""),
                    line=i.get_line_kind_display() + (f" · {i.line_key}" if i.line_key else ""),
                    amount_seen=i.amount_seen, comment=i.comment, raised_by_id=i.raised_by_id)
        for i in PayoutInquiry.objects.filter(run=run, status=InquiryStatus.OPEN)
        .order_by("raised_at", "pk")
    ]


@dataclass(frozen=True)
class CallPattern:
    near_threshold: int  # conversations with talk just over the threshold
    short_consents: int  # consents reached with very little talk


def _call_patterns(*, run, start, end) -> dict[int, CallPattern]:
    """One aggregate over the run's people's calls of the month, kept per computation of the
    run (``RunCallPatterns``), so that every later view and every worker reads one row: the
    flags speak of the month as that computation saw it."""
    from .models import RunCallPatterns

    kept = (RunCallPatterns.objects.filter(run=run, generation=run.generation)
            .values_list("figures", flat=True).first())
    if kept is None:
        kept = _patterns_from_calls(run=run, start=start, end=end)
        # A concurrent first view may have written the same figures: either row is right.
        RunCallPatterns.objects.bulk_create(
            [RunCallPatterns(run=run, generation=run.generation, figures=kept)],
            ignore_conflicts=True)
    return {int(pk): CallPattern(*figures) for pk, figures in kept.items()}


def _patterns_from_calls(*, run, start, end) -> dict[str, list[int]]:
    # Each person's conversation threshold, as their computation used it.
    by_threshold = defaultdict(list)
    for manager_id, threshold in run.members.values_list("manager_id",
                                                         "facts__calls__threshold_s"):
        by_threshold[threshold or CONVERSATION_THRESHOLD_S].append(manager_id)
    if not by_threshold:
        return {}
    near = Q()
    for threshold, ids in by_threshold.items():
        near |= Q(manager_id__in=ids, talk_s__gte=threshold,
                  talk_s__lt=threshold + NEAR_THRESHOLD_S)
    rows = (
        CallLog.objects.filter(manager_id__in=[i for ids in by_threshold.values() for i in ids],
                               started_at__gte=start, started_at__lt=end)
        .values("manager_id")
        .annotate(near=Count("pk", filter=near),
                  short=Count("pk", filter=Q(outcome=Outcome.CONSENT,
                                             talk_s__lt=SHORT_CONSENT_S)))
        .order_by()
    )
    return {str(row["manager_id"]): [row["near"], row["short"]] for row in rows}


def _flags(*, pending, inquiries, duplicates, conversations, confirmed, team_rate,
           pattern: CallPattern | None) -> list[Flag]:
    flags = []
    if pending:
        flags.append(Flag("pending_exceptions", ngettext(
            "%(n)s pending exception", "%(n)s pending exceptions", pending) % {"n": pending}))
    if inquiries:
        flags.append(Flag("open_inquiries", ngettext(
            "%(n)s open inquiry", "%(n)s open inquiries", inquiries) % {"n": inquiries}))
    if duplicates:
        flags.append(Flag("duplicates", ngettext(
            "%(n)s duplicate under review", "%(n)s duplicates under review", duplicates)
            % {"n": duplicates}))
    if confirmed >= FAKE_MIN_CONFIRMED:
        rate = Decimal(confirmed) / conversations if conversations else None
        if team_rate and (rate is None or rate > FAKE_RATE_FACTOR * team_rate):
            flags.append(Flag("fake_leads", _(
                "Confirmations far above the team's rate: %(mine)s per 100 conversations, "
                "team %(team)s") % {"mine": _per_hundred(rate), "team": _per_hundred(team_rate)}))
        elif pattern and pattern.short_consents >= SHORT_CONSENT_SHARE * confirmed:
            flags.append(Flag("fake_leads", _(
                "%(n)s consents from calls under %(s)s s of talk, for %(c)s confirmations")
                % {"n": pattern.short_consents, "s": SHORT_CONSENT_S, "c": confirmed}))
    if (pattern and conversations and pattern.near_threshold >= EMPTY_MIN
            and pattern.near_threshold >= EMPTY_SHARE * conversations):
        flags.append(Flag("empty_conversations", _(
            "%(n)s of %(total)s conversations just over the threshold (under %(s)s s more): "
            "empty conversations?") % {"n": pattern.near_threshold, "total": conversations,
                                       "s": NEAR_THRESHOLD_S}))
    return flags


def _per_hundred(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}"


# --- the organisation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TeamLine:
    team: Team
    run: PayoutRun | None
    people: int
    total: Decimal
    held: Decimal
    previous_total: Decimal | None
    by_kind: dict[str, Decimal]

    @property
    def change(self) -> Decimal | None:
        return None if self.previous_total is None else self.total - self.previous_total


@dataclass
class Overview:
    month: datetime.date
    kinds: list[tuple[str, str]]
    teams: list[TeamLine]
    waiting: list[PayoutRun]  # computed, month over: waiting for approval
    totals_by_kind: dict[str, Decimal]
    total: Decimal
    held: Decimal
    previous_total: Decimal | None  # None: no month computed before this one


def organisation_overview(*, month: datetime.date) -> Overview:
    """Every team's month side by side, from grouped sums of the lines (three queries)."""
    from ..lifecycle import month_has_ended

    teams = list(Team.objects.order_by("name"))
    runs = {r.team_id: r for r in PayoutRun.objects.filter(month=month).select_related("team")}
    sums = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in (PayoutLine.objects.filter(month=month).values("run__team", "kind", "held",
                                                                "adjusts_month")
                .annotate(amount=Sum("amount")).order_by()):
        team = sums[row["run__team"]]
        column = ADJUSTMENTS if row["adjusts_month"] else row["kind"]
        if row["held"]:
            team["held"] += row["amount"]
            team[column] += ZERO
        else:
            team["total"] += row["amount"]
            team[column] += row["amount"]
    previous = dict(
        PayoutLine.objects.filter(month=previous_month(month), held=False)
        .values("run__team").annotate(total=Sum("amount")).order_by()
        .values_list("run__team", "total")
    )
    kinds_present = {k for team in sums.values() for k in team} - {"held", "total"}
    kinds = _labelled([kind for kind, _label in [*LineKind.choices, (ADJUSTMENTS, "")]
                       if kind in kinds_present])
    people = dict(
        PayoutRun.objects.filter(month=month).values_list("team", "managers_total"))
    lines = [
        TeamLine(team=t, run=runs.get(t.pk), people=people.get(t.pk, 0),
                 total=round_money(sums[t.pk]["total"]), held=round_money(sums[t.pk]["held"]),
                 previous_total=(round_money(previous[t.pk]) if t.pk in previous else None),
                 by_kind={k: round_money(sums[t.pk][k]) for k, _label in kinds})
        for t in teams
    ]
    # Any month's, not only this one's: a month left unapproved must not drop out of sight.
    waiting = [r for r in PayoutRun.objects.filter(status=PayoutRun.Status.COMPUTED)
               .select_related("team") if month_has_ended(r.month)]
    return Overview(
        month=month, kinds=kinds, teams=lines,
        waiting=sorted(waiting, key=lambda r: (r.month, r.team.name)),
        totals_by_kind={k: round_money(sum((t.by_kind[k] for t in lines), ZERO))
                        for k, _label in kinds},
        total=round_money(sum((t.total for t in lines), ZERO)),
        held=round_money(sum((t.held for t in lines), ZERO)),
        previous_total=(round_money(sum(previous.values(), ZERO))
                        if PayoutRun.objects.filter(month=previous_month(month)).exists()
                        else None),
    )


# --- approval ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LockPreview:
    """What approving a run locks, and what changed since the last computation (SPEC §7)."""

    total: Decimal
    held: Decimal
    people: int
    held_people: list[tuple[str, Decimal]]
    stale: list  # staleness.StaleMember: who changed since the computation
    blocking: list[PendingException]  # pending on the leads of the run's people
    month_over: bool


def approval_preview(*, run: PayoutRun, month: TeamMonth) -> LockPreview:
    """The confirmation's figures; the approval service decides again when it is asked."""
    from ..lifecycle import month_has_ended
    from ..staleness import payout_run_staleness

    return LockPreview(
        total=month.total, held=month.held, people=len(month.people),
        held_people=[(p.name, p.held) for p in month.people if p.held],
        stale=list(payout_run_staleness(run=run)) if not run.is_locked else [],
        blocking=month.exceptions if not run.is_locked else [],
        month_over=month_has_ended(run.month),
    )
