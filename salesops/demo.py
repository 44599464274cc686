"""Demo data: a believable organisation with a month of calls, a lead funnel and payments.

Everything random comes from one ``random.Random(seed)`` and the rows are made in a fixed
order, so the same options always give the same data. Calls, shifts, leads, milestones and
payments are bulk-inserted: the default size writes about 200 000 calls.

The demo is a writer of the pay-input layer, set-based as the call importer is: people through
``manager_create`` (their membership rows), leads with their first owner's row, and at the end
one record of everything written (``pay_inputs_recorded_in_bulk``: the months of every person
marked changed, one audit row) and the daily figures of every day with calls, which the team
month and the managers' charts read (``daily_stats_refresh``).
"""

import bisect
import datetime
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from leads.models import (
    Lead,
    LeadMilestone,
    LeadOwnership,
    LeadSource,
    MilestoneKind,
    Partner,
    Payment,
    PaymentKind,
)
from leads.partners.models import HandedLead
from leads.services import milestone_history_wipe_allow
from payouts.demo_plans import demo_plans_create
from payouts.models import CompensationPlan

from .imports.stats import daily_stats_refresh
from .inputs import pay_input_writer, pay_inputs_recorded_in_bulk
from .models import (
    CONVERSATION_THRESHOLD_S,
    CallLog,
    Direction,
    ImportBatch,
    Manager,
    MonthlyPlan,
    Outcome,
    Role,
    Team,
    WorkShift,
)
from .money import round_money
from .periods import month_start, next_month, organisation_zone
from .services import manager_create

DEFAULT_MANAGERS = 30
DEFAULT_DAYS = 30
DEFAULT_SEED = 1
DEMO_PASSWORD = "demo"
DEMO_SOURCE = "demo-pbx"
BATCH_SIZE = 5000

DIALS_PER_DAY = 300
INBOUND_SHARE = 0.02
# Not every consent is worth a lead: some were polite "send me an e-mail"s.
LEADS_PER_CONSENT = 0.3
BUSINESS_OPENS = datetime.timedelta(hours=9)
BUSINESS_CLOSES = datetime.timedelta(hours=18)

# Outcome mix of dial attempts and the talk time each outcome takes (SPEC §2 outcomes).
_OUTCOME_SHARES = (
    (Outcome.NO_ANSWER, 0.60),
    (Outcome.SECRETARY, 0.20),
    (Outcome.DECISION_MAKER, 0.12),
    (Outcome.PRESENTATION, 0.06),
    (Outcome.CONSENT, 0.02),
)
_OUTCOME_BOUNDS = [sum(share for _, share in _OUTCOME_SHARES[: i + 1]) for i in range(4)]
_TALK_S = {
    Outcome.SECRETARY: (5, 60),
    Outcome.DECISION_MAKER: (20, 180),
    Outcome.PRESENTATION: (90, 600),
    Outcome.CONSENT: (240, 900),
}

TEAMS = (
    ("north", "Отдел «Север»"),
    ("south", "Отдел «Юг»"),
    ("east", "Отдел «Восток»"),
)
PARTNER_LOGIN = "partner1"
PARTNER_ROLE = "partner"  # a portal login, not one of the organisation's roles
PARTNERS = (
    # name, percent, hold days, recurring months (None: for life), minimum payout
    ("Агентство «Вектор»", "10.00", 30, 12, "5000.00"),
    ("ИП Соколов (рекомендации)", "15.00", 14, None, "0.00"),
    ("Бизнес-клуб «Деловой Север»", "7.50", 45, 6, "10000.00"),
    ("Интегратор «Сигма»", "12.00", 30, 3, "3000.00"),
)
MALE_NAMES = (
    "Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл",
    "Михаил", "Никита", "Егор", "Иван", "Роман", "Павел", "Олег", "Денис", "Владимир",
)
FEMALE_NAMES = (
    "Анна", "Мария", "Елена", "Ольга", "Наталья", "Екатерина", "Татьяна", "Ирина", "Светлана",
    "Юлия", "Дарья", "Алина", "Ксения", "Виктория", "Полина", "Марина",
)
# Male forms; the female form adds "а" (Иванов → Иванова).
SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев",
)
COMPANY_STEMS = (
    "Альфа", "Вектор", "Гранит", "Меридиан", "Сибирь", "Волга", "Орион", "Квант", "Северный",
    "Техно", "Агро", "Стандарт", "Регион", "Монолит", "Базис", "Эталон",
)
COMPANY_TAILS = ("", "-Строй", "Торг", "-Логистик", " Групп", "Пром", "-Сервис", "Трейд")
LOST_REASONS = ("Выбрали конкурента", "Нет бюджета", "Не выходит на связь", "Неактуально")
FAKE_REASONS = ("Номер не существует", "Заявку оставил не клиент")
# INN check-digit weights: the 10-digit company form and the two digits of the 12-digit form.
_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS = ((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    team: str


@dataclass(frozen=True)
class DemoResult:
    start: datetime.date
    end: datetime.date
    counts: dict[str, int]
    logins: list[DemoLogin]


@dataclass
class _Context:
    """The random source and the calendar every step draws from."""

    rng: random.Random
    seed: int
    zone: datetime.tzinfo
    start: datetime.date
    end: datetime.date
    working_days: list[datetime.date]
    # Nothing the demo writes happens after this moment: a range ending today stops at now.
    now: datetime.datetime
    # Local midnight of each working day, in the organisation's zone.
    midnights: list[datetime.datetime] = field(default_factory=list)

    def __post_init__(self):
        self.midnights = [
            datetime.datetime.combine(day, datetime.time.min, tzinfo=self.zone)
            for day in self.working_days
        ]


@dataclass
class _Organisation:
    teams: list[Team]
    owner: Manager
    admin: Manager
    heads: dict[int, Manager]  # by team id
    floor: list[Manager]  # managers who make calls, in username order
    partners: list[Partner]


@dataclass(frozen=True)
class _ConsentCall:
    manager: Manager
    day_index: int
    ended_at: datetime.datetime
    phone: str


@dataclass
class _Activity:
    worked_days: Counter = field(default_factory=Counter)  # by manager id
    days: set = field(default_factory=set)  # (manager id, day) of every shift
    conversations: Counter = field(default_factory=Counter)  # by manager id
    consent_calls: list[_ConsentCall] = field(default_factory=list)
    calls: int = 0


# ---------------------------------------------------------------------------------------------
# Public entry points


def demo_data_exists() -> bool:
    return Manager.objects.exists()


def demo_counts() -> dict[str, int]:
    """How many rows of each kind the organisation has, for the summary and for tests."""
    user_model = get_user_model()
    # People as the login table lists them: each login once, by its role.
    roles = dict(Manager.objects.values("role").annotate(n=Count("pk")).values_list("role", "n"))
    return {
        "teams": Team.objects.count(),
        "logins": user_model.objects.filter(manager__isnull=False).count(),
        "owners": roles.get(Role.OWNER, 0),
        "admins": roles.get(Role.ADMIN, 0),
        "sales heads": roles.get(Role.SALES_HEAD, 0),
        "managers": roles.get(Role.MANAGER, 0),
        "partners": Partner.objects.count(),
        "partner logins": Partner.objects.exclude(user=None).count(),
        "import batches": ImportBatch.objects.count(),
        "calls": CallLog.objects.count(),
        "work shifts": WorkShift.objects.count(),
        "monthly plans": MonthlyPlan.objects.count(),
        "leads": Lead.objects.count(),
        "milestones": LeadMilestone.objects.count(),
        "payments": Payment.objects.filter(refund_of__isnull=True).count(),
        "refunds": Payment.objects.filter(refund_of__isnull=False).count(),
    }


@pay_input_writer
@transaction.atomic
def demo_data_delete() -> None:
    """Delete the organisation's people and everything they did, children before parents.

    The links between these tables are PROTECT, so the order matters: refunds before the
    payments they reverse, payments before leads, leads and activity before managers, managers
    before their logins and teams. Logins without a manager profile (a developer's superuser)
    stay.
    """
    _delete(Payment.objects.filter(refund_of__isnull=False))
    _delete(Payment.objects.all())
    milestone_history_wipe_allow()  # the append-only history goes with the whole organisation
    _delete(LeadMilestone.objects.all())
    _delete(Lead.objects.all())
    partner_logins = list(Partner.objects.exclude(user=None).values_list("user_id", flat=True))
    _delete(Partner.objects.all())
    _delete(get_user_model().objects.filter(pk__in=partner_logins))
    _delete(CallLog.objects.all())
    _delete(WorkShift.objects.all())
    _delete(MonthlyPlan.objects.all())
    _delete(ImportBatch.objects.all())
    user_ids = list(Manager.objects.values_list("user_id", flat=True))
    _delete(Manager.objects.all())
    _delete(get_user_model().objects.filter(pk__in=user_ids))
    _delete(Team.objects.all())
    _delete(CompensationPlan.objects.all())


def _delete(queryset: QuerySet) -> None:
    """Delete ``queryset`` after the rows elsewhere that PROTECT (or RESTRICT) its rows.

    Other apps hold such links too, e.g. payout runs and lines on managers and teams: they
    describe the data being reset, so they go with it rather than block the reset.
    """
    if not queryset.exists():
        return
    for relation in queryset.model._meta.get_fields(include_hidden=True):
        is_reverse_link = relation.auto_created and not relation.concrete and (
            relation.one_to_many or relation.one_to_one
        )
        if is_reverse_link and relation.on_delete in (models.PROTECT, models.RESTRICT):
            _delete(
                relation.related_model._base_manager.filter(
                    **{f"{relation.field.name}__in": queryset}
                )
            )
    queryset.delete()


@pay_input_writer
@transaction.atomic
def demo_data_build(
    *,
    end: datetime.date,
    managers: int = DEFAULT_MANAGERS,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    now: datetime.datetime | None = None,
) -> DemoResult:
    """Build the demo organisation over the ``days`` days ending on ``end``.

    With ``reset`` the existing data is deleted first, in the same transaction, so a failed
    build leaves the old data in place. No call, shift, lead or milestone lies after ``now``
    (default: the present moment), however late in the day or far ahead ``end`` is.
    """
    if managers < 1 or days < 1:
        raise ValueError("managers and days must be at least 1")
    if reset:
        demo_data_delete()
    start = end - datetime.timedelta(days=days - 1)
    ctx = _Context(
        rng=random.Random(seed), seed=seed, zone=organisation_zone(), start=start, end=end,
        working_days=[day for day in _dates(start, end) if day.weekday() < 5],
        now=now or timezone.now(),
    )
    org = _create_organisation(ctx, managers)
    # The batch's own timestamps record when the generator ran, like created_at which the
    # model stamps itself: bookkeeping of this run, not part of the demo world.
    batch = ImportBatch.objects.create(
        source=DEMO_SOURCE, file_name="seed_demo", status=ImportBatch.Status.RUNNING,
        created_by=org.admin.user, started_at=timezone.now(),
    )
    activity = _create_calls_and_shifts(ctx, org, batch)
    batch.status = ImportBatch.Status.DONE
    batch.finished_at = timezone.now()
    batch.rows_read = batch.created_count = activity.calls
    batch.save(update_fields=["status", "finished_at", "rows_read", "created_count"])
    plan_days = _create_monthly_plans(ctx, org, activity)
    leads = _create_leads(ctx, org, activity)
    won, milestone_days = _create_milestones(ctx, org, leads)
    payment_days = _create_payments(ctx, won)
    demo_plans_create(
        floor_teams=org.teams[:2], minutes_teams=org.teams[2:],
        heads=list(org.heads.values()), effective_from=month_start(start),
    )
    # Counted with the plans' conversation threshold, as pay counts them: after the plans.
    daily_stats_refresh(pairs=activity.days)
    counts = demo_counts()
    # Written by no one (a generator, like a scheduled job): the audit row, append-only, does
    # not hold on to a demo login, so a reset can still delete the logins.
    pay_inputs_recorded_in_bulk(
        action="demo_seeded", obj=batch, by=None,
        days=activity.days | plan_days | milestone_days | payment_days,
        after={label: counts[label] for label in (
            "calls", "work shifts", "monthly plans", "leads", "milestones", "payments",
            "refunds")},
    )
    return DemoResult(start=start, end=end, counts=counts, logins=_logins(org))


# ---------------------------------------------------------------------------------------------
# People


def _create_organisation(ctx: _Context, managers: int) -> _Organisation:
    # Hashing is deliberately slow; one hash serves every demo login.
    password_hash = make_password(DEMO_PASSWORD)
    teams = [Team.objects.create(code=code, name=name) for code, name in TEAMS]
    taken_names: set[tuple[str, str]] = set()

    def person(username, role, team=None, *, extension="", years_back=(1, 3)):
        # Two colleagues with one name would make every list ambiguous.
        first, last = _person_name(ctx.rng)
        while (first, last) in taken_names:
            first, last = _person_name(ctx.rng)
        taken_names.add((first, last))
        days_back = ctx.rng.randint(365 * years_back[0], 365 * years_back[1])
        return manager_create(
            username=username, role=role, team=team, first_name=first, last_name=last,
            email=f"{username}@example.com", password_hash=password_hash,
            extension=extension,
            telephony_login=f"sip{extension}" if extension else "",
            telephony_email=f"{username}@pbx.example.com" if extension else "",
            active_from=ctx.start - datetime.timedelta(days=days_back),
        )

    owner = person("owner", Role.OWNER, years_back=(5, 8))
    admin = person("admin", Role.ADMIN, years_back=(2, 4))
    # Managers dial from 101 up; the heads take the next free hundred (201… for up to 99).
    heads_from = (managers // 100 + 2) * 100 + 1
    heads = {
        team.pk: person(
            f"head.{team.code}", Role.SALES_HEAD, team, extension=f"{heads_from + i}"
        )
        for i, team in enumerate(teams)
    }
    width = max(2, len(str(managers)))
    floor = [
        # Spread round the teams so each gets a fair share of any size.
        person(
            f"manager{n:0{width}d}", Role.MANAGER, teams[(n - 1) % len(teams)],
            extension=f"{100 + n}", years_back=(0, 2),
        )
        for n in range(1, managers + 1)
    ]
    # The first partner signs in to the partner portal: its referrals, statements and the
    # leads handed to it, as a partner sees them.
    portal_login = get_user_model().objects.create(
        username=PARTNER_LOGIN, email="partner1@example.com", password=password_hash,
        first_name=PARTNERS[0][0])
    partners = Partner.objects.bulk_create(
        Partner(
            name=name, email=f"partner{i + 1}@example.com", default_percent=Decimal(percent),
            hold_days=hold, recurring_months=months, minimum_payout=Decimal(minimum),
            user=portal_login if i == 0 else None,
        )
        for i, (name, percent, hold, months, minimum) in enumerate(PARTNERS)
    )
    return _Organisation(
        teams=teams, owner=owner, admin=admin, heads=heads, floor=floor, partners=partners
    )


def _person_name(rng: random.Random) -> tuple[str, str]:
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.5:
        return rng.choice(MALE_NAMES), surname
    return rng.choice(FEMALE_NAMES), surname + "а"


def _logins(org: _Organisation) -> list[DemoLogin]:
    """Every demo login: the owner, the admin, each team's head, every manager and the
    partner's."""
    shown = [org.owner, org.admin, *org.heads.values(), *org.floor]
    return [
        DemoLogin(
            username=m.user.username, role=m.role, team=m.team.name if m.team else "—"
        )
        for m in shown
    ] + [DemoLogin(username=p.user.username, role=PARTNER_ROLE, team="—")
         for p in org.partners if p.user_id]


# ---------------------------------------------------------------------------------------------
# Calls and shifts


def _create_calls_and_shifts(
    ctx: _Context, org: _Organisation, batch: ImportBatch
) -> _Activity:
    activity = _Activity()
    shifts = []
    for manager in org.floor:
        calls = []
        for day_index, midnight in enumerate(ctx.midnights):
            shift = _shift(ctx, manager, midnight)
            if shift.started_at >= ctx.now:
                continue  # a day that has not begun yet
            shifts.append(shift)
            # The day is planned whole; what would happen after now is left out.
            calls.extend(_calls_in_shift(ctx, manager, day_index, shift, batch, activity))
            shift.ended_at = min(shift.ended_at, ctx.now)
            activity.worked_days[manager.pk] += 1
            activity.days.add((manager.pk, midnight.date()))
        # One manager at a time keeps memory flat however long the range is.
        CallLog.objects.bulk_create(calls, batch_size=BATCH_SIZE)
    WorkShift.objects.bulk_create(shifts, batch_size=BATCH_SIZE)
    return activity


def _shift(ctx: _Context, manager: Manager, midnight: datetime.datetime) -> WorkShift:
    started = midnight + BUSINESS_OPENS + datetime.timedelta(minutes=ctx.rng.randint(-15, 10))
    ended = midnight + BUSINESS_CLOSES + datetime.timedelta(minutes=ctx.rng.randint(-10, 20))
    return WorkShift(manager=manager, started_at=started, ended_at=ended)


def _calls_in_shift(
    ctx: _Context,
    manager: Manager,
    day_index: int,
    shift: WorkShift,
    batch: ImportBatch,
    activity: _Activity,
) -> list[CallLog]:
    rng = ctx.rng
    midnight = ctx.midnights[day_index]
    # Calls start inside both the shift and business hours.
    window_start = max(shift.started_at, midnight + BUSINESS_OPENS)
    window_end = min(shift.ended_at, midnight + BUSINESS_CLOSES)
    window_s = int((window_end - window_start).total_seconds())
    if window_s <= 0:
        return []
    drawn = [_draw_call(rng) for _ in range(round(DIALS_PER_DAY * rng.uniform(0.9, 1.1)))]
    offsets = _spread(rng, [duration + wrapup for _, duration, _, wrapup in drawn], window_s)
    calls = []
    for (outcome, duration, talk, wrapup), offset in zip(drawn, offsets, strict=True):
        started_at = window_start + datetime.timedelta(seconds=offset)
        phone = f"+79{rng.randrange(10**9):09d}"
        if started_at + datetime.timedelta(seconds=duration + wrapup) > ctx.now:
            break  # this call and the later ones are still to come today
        activity.calls += 1
        number = activity.calls
        calls.append(
            CallLog(
                # Ids rather than instances: the relation setters cost a lot at this volume.
                source=DEMO_SOURCE, external_id=f"demo-{ctx.seed}-{number}", manager_id=manager.pk,
                started_at=started_at, duration_s=duration, talk_s=talk, wrapup_s=wrapup,
                direction=Direction.INBOUND if rng.random() < INBOUND_SHARE
                else Direction.OUTBOUND,
                phone=phone, outcome=outcome,
                recording_url=(
                    f"https://records.example.invalid/{ctx.seed}/{number}.mp3" if talk else ""
                ),
                batch_id=batch.pk,
            )
        )
        if talk >= CONVERSATION_THRESHOLD_S:
            activity.conversations[manager.pk] += 1
        if outcome == Outcome.CONSENT:
            ended_at = started_at + datetime.timedelta(seconds=duration + wrapup)
            activity.consent_calls.append(_ConsentCall(manager, day_index, ended_at, phone))
    return calls


def _draw_call(rng: random.Random) -> tuple[int, int, int, int]:
    """One dial attempt: (outcome, duration_s, talk_s, wrapup_s), with talk within duration."""
    outcome = _OUTCOME_SHARES[bisect.bisect_right(_OUTCOME_BOUNDS, rng.random())][0]
    if outcome == Outcome.NO_ANSWER:
        return outcome, rng.randint(10, 40), 0, 0
    talk = rng.randint(*_TALK_S[outcome])
    ring = rng.randint(3, 25)
    return outcome, talk + ring, talk, rng.randint(10, 120)


def _spread(rng: random.Random, busy: list[int], window_s: int) -> list[int]:
    """Start offsets for back-to-back calls, the idle time scattered between them.

    When a busy day needs more than the window (a predictive dialler overlaps lines), the
    offsets are squeezed so every call still starts inside it.
    """
    idle = max(window_s - sum(busy), 0)
    weights = [rng.random() for _ in busy]
    total_weight = sum(weights) or 1.0
    offsets, at = [], 0.0
    for seconds, weight in zip(busy, weights, strict=True):
        at += idle * weight / total_weight
        offsets.append(at)
        at += seconds
    last = offsets[-1] if offsets else 0.0
    squeeze = min(1.0, (window_s - 1) / last) if last else 1.0
    return [int(offset * squeeze) for offset in offsets]


# ---------------------------------------------------------------------------------------------
# Plans


def _create_monthly_plans(ctx: _Context, org: _Organisation, activity: _Activity) -> set:
    """Targets for each manager and month the range touches, scaled from what they achieve."""
    leads_made = Counter(call.manager.pk for call in activity.consent_calls)
    plans = []
    for manager in org.floor:
        worked = activity.worked_days[manager.pk]
        per_day_conversations = activity.conversations[manager.pk] / worked if worked else 110
        per_day_leads = leads_made[manager.pk] * LEADS_PER_CONSENT / worked if worked else 1.8
        for month in _months(ctx.start, ctx.end):
            month_days = _working_days_in_month(month)
            conversations = per_day_conversations * month_days * ctx.rng.uniform(0.9, 1.15)
            leads = max(1, round(per_day_leads * month_days * ctx.rng.uniform(0.9, 1.2)))
            revenue = round(leads * 60_000 * ctx.rng.uniform(0.9, 1.2), -4)
            plans.append(
                MonthlyPlan(
                    manager=manager, month=month,
                    target_conversations=int(round(conversations, -1)),
                    target_confirmed_leads=leads,
                    target_revenue=round_money(Decimal(int(revenue))),
                )
            )
    MonthlyPlan.objects.bulk_create(plans, batch_size=BATCH_SIZE)
    return {(plan.manager.pk, plan.month) for plan in plans}


# ---------------------------------------------------------------------------------------------
# Leads, milestones and payments


class _Step(NamedTuple):
    kind: str
    at: datetime.datetime
    day_index: int


@dataclass
class _DraftLead:
    lead: Lead
    day_index: int  # the working day it was created on
    history: list[_Step] = field(default_factory=list)


def _create_leads(ctx: _Context, org: _Organisation, activity: _Activity) -> list[_DraftLead]:
    """Leads from some consent calls, plus a few inbound, owner-routed and partner-referred."""
    if not ctx.working_days:
        return []
    rng = ctx.rng
    drafts = [
        _draft_lead(
            ctx, owner=call.manager, source=LeadSource.COLD_CALL, day_index=call.day_index,
            created_at=call.ended_at, phone=call.phone,
        )
        for call in activity.consent_calls
        if rng.random() < LEADS_PER_CONSENT
    ]
    cold = len(drafts)
    others = (
        (LeadSource.INBOUND, max(2, round(cold * 0.10))),
        (LeadSource.OWNER_ROUTED, max(2, round(cold * 0.06))),
        (LeadSource.PARTNER_REFERRED, max(3, round(cold * 0.10))),
        (LeadSource.HANDED_TO_PARTNER, max(2, round(cold * 0.04))),
    )
    for source, count in others:
        for _ in range(count):
            day_index = rng.randrange(len(ctx.working_days))
            created_at = min(
                ctx.midnights[day_index]
                + datetime.timedelta(seconds=rng.randint(9 * 3600, 18 * 3600 - 1)),
                ctx.now,
            )
            partner = (
                rng.choice(org.partners) if source == LeadSource.PARTNER_REFERRED else None
            )
            drafts.append(
                _draft_lead(
                    ctx, owner=rng.choice(org.floor), source=source, day_index=day_index,
                    created_at=created_at, phone=_phone(rng), partner=partner,
                )
            )
    Lead.objects.bulk_create([draft.lead for draft in drafts], batch_size=BATCH_SIZE)
    # Leads handed to partners (issue 20), each with the agreed commission.
    HandedLead.objects.bulk_create([
        HandedLead(lead=draft.lead, partner=rng.choice(org.partners),
                   handed_by=draft.lead.owner, percent=Decimal("10"),
                   handed_at=draft.lead.created_at, last_update_at=draft.lead.created_at)
        for draft in drafts if draft.lead.source == LeadSource.HANDED_TO_PARTNER
    ], batch_size=BATCH_SIZE)
    # Each lead's first owner (SPEC §6.7), as ``lead_create`` writes it.
    LeadOwnership.objects.bulk_create(
        [LeadOwnership(lead=draft.lead, owner=draft.lead.owner, since=None) for draft in drafts],
        batch_size=BATCH_SIZE)
    return drafts


def _draft_lead(
    ctx: _Context,
    *,
    owner: Manager,
    source: str,
    day_index: int,
    created_at: datetime.datetime,
    phone: str,
    partner: Partner | None = None,
) -> _DraftLead:
    rng = ctx.rng
    first, last = _person_name(rng)
    form = rng.choice(("ООО", "ООО", "АО"))
    company = f"{form} «{rng.choice(COMPANY_STEMS)}{rng.choice(COMPANY_TAILS)}»"
    tax_id = ""
    roll = rng.random()
    if roll < 0.10:
        tax_id = _tax_id(rng, 10)
    elif roll < 0.15:
        # A sole trader: the 12-digit personal tax id, and the person is the company.
        tax_id = _tax_id(rng, 12)
        company = f"ИП {last} {first[0]}."
    lead = Lead(
        name=f"{first} {last}", company=company, phone=phone, tax_id=tax_id, owner=owner,
        source=source, partner=partner, created_at=created_at,
    )
    return _DraftLead(lead=lead, day_index=day_index)


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return f"+79{rng.randrange(10**9):09d}"
    return f"+7{rng.choice(('495', '499', '812', '343'))}{rng.randrange(10**7):07d}"


def _tax_id(rng: random.Random, digits: int) -> str:
    """A Russian tax id (ИНН) with valid check digits, so validators accept it."""
    body = [int(d) for d in rng.choice(("77", "78", "50", "66", "16", "54"))]
    body += [rng.randint(0, 9) for _ in range((9 if digits == 10 else 10) - 2)]
    weight_sets = (_INN10_WEIGHTS,) if digits == 10 else _INN12_WEIGHTS
    for weights in weight_sets:
        body.append(sum(d * w for d, w in zip(body, weights, strict=True)) % 11 % 10)
    return "".join(map(str, body))


def _create_milestones(
    ctx: _Context, org: _Organisation, drafts: list[_DraftLead]
) -> tuple[list[tuple[Lead, datetime.datetime]], set]:
    """Give every lead a history; return the won leads with the moment they were won, and the
    (owner, day) of every step."""
    rng = ctx.rng
    for draft in drafts:
        _funnel(ctx, draft)
    # A couple of confirmed leads that went nowhere turn out fake; picked among leads with
    # room left in the range, so the fake mark always fits.
    last_day = len(ctx.working_days) - 1
    stalled = [
        draft for draft in drafts
        if [step.kind for step in draft.history] == [MilestoneKind.CONFIRMED]
        and draft.history[-1].day_index + 3 <= last_day
    ]
    for draft in rng.sample(stalled, min(2, len(stalled))):
        _advance(ctx, draft, MilestoneKind.FAKE, 1, 3)
    milestones = [
        LeadMilestone(
            lead=draft.lead, kind=step.kind, at=step.at,
            set_by_id=_setter(org, draft.lead, step.kind), note=_note(rng, step.kind),
        )
        for draft in drafts
        for step in draft.history
    ]
    LeadMilestone.objects.bulk_create(milestones, batch_size=BATCH_SIZE)
    won = [
        (draft.lead, step.at)
        for draft in drafts
        for step in draft.history
        if step.kind == MilestoneKind.WON
    ]
    return won, {(m.lead.owner_id, m.at.astimezone(ctx.zone).date()) for m in milestones}


def _funnel(ctx: _Context, draft: _DraftLead) -> None:
    """A lead's path: most are confirmed the same day, about half of those arrive, and most
    arrivals are won; the rest are lost, or still open when the range ends."""
    rng = ctx.rng
    if rng.random() >= 0.85:
        if rng.random() < 0.25:
            _advance(ctx, draft, MilestoneKind.LOST, 1, 5)
        return
    _advance(ctx, draft, MilestoneKind.CONFIRMED, 0, 0)
    if rng.random() < 0.5:
        if _advance(ctx, draft, MilestoneKind.ARRIVED, 1, 3):
            roll = rng.random()
            if roll < 0.65:
                _advance(ctx, draft, MilestoneKind.WON, 0, 2)
            elif roll < 0.80:
                _advance(ctx, draft, MilestoneKind.LOST, 1, 5)
    elif rng.random() < 0.2:
        _advance(ctx, draft, MilestoneKind.LOST, 1, 5)


def _advance(
    ctx: _Context, draft: _DraftLead, kind: str, min_days: int, max_days: int
) -> bool:
    """Add the next milestone ``min_days``..``max_days`` working days after the last one.

    A step that would land after the range has not happened yet: nothing is added and the
    lead stays where it is, as open leads do at the end of a real month.
    """
    rng = ctx.rng
    if draft.history:
        after, day_index = draft.history[-1].at, draft.history[-1].day_index
    else:
        after, day_index = draft.lead.created_at, draft.day_index
    target = day_index + rng.randint(min_days, max_days)
    if target >= len(ctx.working_days):
        return False
    if target == day_index:
        at = after + datetime.timedelta(minutes=rng.randint(10, 90))
    else:
        # Another working day, in office hours: strictly after anything on an earlier day.
        at = ctx.midnights[target] + datetime.timedelta(
            seconds=rng.randint(9 * 3600 + 1800, 17 * 3600 + 1800)
        )
    if at > ctx.now:
        return False
    draft.history.append(_Step(kind=kind, at=at, day_index=target))
    return True


def _setter(org: _Organisation, lead: Lead, kind: str) -> int:
    """Who records each step: the owner hands over leads they routed, the sales head confirms
    arrivals and unmasks fakes, the lead's manager records the rest."""
    if kind == MilestoneKind.CONFIRMED and lead.source == LeadSource.OWNER_ROUTED:
        return org.owner.user_id
    if kind in (MilestoneKind.ARRIVED, MilestoneKind.FAKE):
        return org.heads[lead.owner.team_id].user_id
    return lead.owner.user_id


def _note(rng: random.Random, kind: str) -> str:
    if kind == MilestoneKind.LOST:
        return rng.choice(LOST_REASONS)
    if kind == MilestoneKind.FAKE:
        return rng.choice(FAKE_REASONS)
    return ""


def _create_payments(ctx: _Context, won: list[tuple[Lead, datetime.datetime]]) -> set:
    """One-time payments, a monthly subscription on every third won lead (the second, fifth…),
    and one refund."""
    rng = ctx.rng
    payments = []
    for i, (lead, won_at) in enumerate(won):
        won_on = won_at.astimezone(ctx.zone).date()
        if i % 3 == 1:
            payments += _subscription(ctx, lead, won_on)
        else:
            received_on = min(won_on + datetime.timedelta(days=rng.randint(0, 3)), ctx.end)
            payments.append(
                Payment(lead=lead, amount=_rubles(rng.randint(3_000, 60_000) * 10),
                        received_on=received_on, kind=PaymentKind.ONE_TIME)
            )
    for n, payment in enumerate(payments, start=1):
        payment.external_id = f"demo-{ctx.seed}-payment-{n}"
    Payment.objects.bulk_create(payments, batch_size=BATCH_SIZE)
    if payments:
        payments.append(Payment.objects.create(**_refund_fields(ctx, rng.choice(payments))))
    return {(payment.lead.owner_id, payment.received_on) for payment in payments}


def _subscription(ctx: _Context, lead: Lead, won_on: datetime.date) -> list[Payment]:
    """A monthly fee from the month the lead was won, on the same day of each month."""
    fee = _rubles(ctx.rng.randint(5, 60) * 1000)
    payments = []
    month = month_start(won_on)
    while True:
        received_on = _same_day_in(month, won_on.day)
        if received_on > ctx.end:
            return payments
        payments.append(
            Payment(lead=lead, amount=fee, received_on=received_on, kind=PaymentKind.RECURRING,
                    period_start=month)
        )
        month = next_month(month)


def _refund_fields(ctx: _Context, original: Payment) -> dict:
    """The one refund: the whole payment back, a few days later (SPEC §2: its own negative row
    pointing at what it reverses)."""
    received_on = min(
        original.received_on + datetime.timedelta(days=ctx.rng.randint(1, 14)), ctx.end
    )
    return {
        "lead": original.lead, "amount": -original.amount, "received_on": received_on,
        "kind": original.kind, "period_start": original.period_start, "refund_of": original,
        "external_id": f"demo-{ctx.seed}-refund-1",
    }


def _rubles(amount: int) -> Decimal:
    return round_money(Decimal(amount))


# ---------------------------------------------------------------------------------------------
# Calendar


def _dates(start: datetime.date, end: datetime.date):
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


def _working_days_in_month(month: datetime.date) -> int:
    last = next_month(month) - datetime.timedelta(days=1)
    return sum(1 for day in _dates(month, last) if day.weekday() < 5)


def _same_day_in(month: datetime.date, day: int) -> datetime.date:
    """``day`` of ``month``, or the month's last day when it is shorter (31 → 30 April)."""
    last = (next_month(month) - datetime.timedelta(days=1)).day
    return month.replace(day=min(day, last))
